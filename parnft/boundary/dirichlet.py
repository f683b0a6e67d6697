"""``dirichlet V``: the field holds the value ``V`` at the sheet's edge.

The edge of a cell-centred sheet is the face half a cell beyond the last
node, so each ghost cell is set to ``2 V - mirror`` (:mod:`parnft.boundary.
base`): the linear interpolation across the face is then exactly ``V``
(second order in dx), and for ``V = 0`` the solution equals the periodic
solution on a doubled grid of the field mirrored with a sign change
(``f(2n - 1 - x) = -f(x)``). For a Wave propagator ``V`` is the value of phi
[s^-1] at the edge and Q is mirrored (zero gradient). ``V`` is a parameter
of the kind (``Boundary: dirichlet 0``).
"""

from __future__ import annotations

from ..kernels import kernel
from .base import BoundaryKind, ghost_mirror, side_length


@kernel
def dirichlet_fill(f, cur, sides, w, value, n):
    """Fixed edge value: ``f[c, ghost] = 2 value - f[c, mirror]`` on every side in ``sides``.

    The face between the last node and its ghost then interpolates to
    ``(ghost + mirror) / 2 = value``. Signature as
    :func:`parnft.boundary.neumann.neumann_fill`. No stability bound of its own.
    """
    c = cur[0]
    ly = f.shape[1] - 2 * w
    lx = f.shape[2] - 2 * w
    v2 = 2.0 * value
    for r in range(sides.shape[0]):
        s = sides[r]
        for i in range(w):
            for j in range(side_length(s, ly, lx)):
                gy, gx, my, mx = ghost_mirror(s, i, j, ly, lx, w)
                f[c, gy, gx] = v2 - f[c, my, mx]


KIND = BoundaryKind(
    name="dirichlet",
    summary="fixed value V at the edge face (ghost = 2 V - interior mirror)",
    params=(("V", "the field's unit (s^-1 for a Wave's phi)"),),
    field_fill=dirichlet_fill,
)
