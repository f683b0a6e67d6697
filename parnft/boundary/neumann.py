"""``neumann``: zero flux through the edge (a mirror).

Each ghost cell takes the value of its mirror, the interior cell at the same
distance from the edge face (:mod:`parnft.boundary.base`): the cell-centred
even reflection, so the one-sided difference across the face is zero
(``d f / d n = 0`` at the face, to second order in dx). On an ``n``-cell axis
the solution equals the periodic solution on ``2 n`` cells of the field
mirrored about the face (``f(2n - 1 - x) = f(x)``); ``tests/validation/
test_boundaries.py`` checks this to 1e-12 for a Wave pulse.
"""

from __future__ import annotations

from ..kernels import kernel
from .base import BoundaryKind, ghost_mirror, side_length


@kernel
def neumann_fill(f, cur, sides, w, value, n):
    """Mirror fill: ``f[c, ghost] = f[c, mirror]`` on every side in ``sides``.

    Parameters
    ----------
    f : ndarray (levels, ly + 2w, lx + 2w)
        Ghosted field; level ``cur[0]`` is filled.
    cur : int64 ndarray (1,)
        The level to fill.
    sides : int64 ndarray
        Side codes (0 N, 1 S, 2 W, 3 E) on the global edge.
    w : int
        Ghost width.
    value : float
        Unused (the common signature of field fills).
    n : int
        The step (unused; every loop kernel takes it last).

    Notes
    -----
    A copy (no arithmetic), so no stability bound of its own.
    """
    c = cur[0]
    ly = f.shape[1] - 2 * w
    lx = f.shape[2] - 2 * w
    for r in range(sides.shape[0]):
        s = sides[r]
        for i in range(w):
            for j in range(side_length(s, ly, lx)):
                gy, gx, my, mx = ghost_mirror(s, i, j, ly, lx, w)
                f[c, gy, gx] = f[c, my, mx]


KIND = BoundaryKind(
    name="neumann",
    summary="zero flux: the ghost cells mirror the interior (d/dn = 0 at the edge)",
    field_fill=neumann_fill,
)
