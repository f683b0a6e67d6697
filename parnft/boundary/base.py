"""What a boundary kind declares, and the ghost-strip geometry its kernels share.

Geometry
--------
A field is a ghosted float64 array ``f`` of shape ``(levels, ly + 2 w, lx +
2 w)`` (ghost width ``w``, interior ``[w:-w, w:-w]``); level ``cur[0]`` is
filled (a plain 2-D array ``a`` is ``a[numpy.newaxis]`` with ``cur = [0]``).
Sides are numbered as in :data:`parnft.parallel.tiling.DIRECTIONS`: 0 N
(``y - 1``), 1 S, 2 W (``x - 1``), 3 E. At depth ``i = 0 .. w - 1`` (0: the
ghost cell next to the interior) and position ``j`` along the side, the ghost
cell and its *mirror* (the interior cell at the same distance from the edge
face, the face lying half a cell beyond the last node) are

====  ====================  =====================  ==========
side  ghost ``(y, x)``      mirror ``(y, x)``      ``j`` over
====  ====================  =====================  ==========
N     ``(w-1-i, w+j)``      ``(w+i, w+j)``         ``lx``
S     ``(w+ly+i, w+j)``     ``(w+ly-1-i, w+j)``    ``lx``
W     ``(w+j, w-1-i)``      ``(w+j, w+i)``         ``ly``
E     ``(w+j, w+lx+i)``     ``(w+j, w+lx-1-i)``    ``ly``
====  ====================  =====================  ==========

The ghost corners are never written: the 5-point stencils read none (the
9-point ``WaveLegacy`` needs them and runs on the torus only).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..kernels import inline


@inline
def ghost_mirror(side, i, j, ly, lx, w):
    """``(gy, gx, my, mx)``: the ghost at depth ``i``, position ``j`` of ``side``; its mirror."""
    if side == 0:
        return w - 1 - i, w + j, w + i, w + j
    if side == 1:
        return w + ly + i, w + j, w + ly - 1 - i, w + j
    if side == 2:
        return w + j, w - 1 - i, w + j, w + i
    return w + j, w + lx + i, w + j, w + lx - 1 - i


@inline
def side_length(side, ly, lx):
    """Cells along ``side``: ``lx`` for N and S, ``ly`` for W and E."""
    return lx if side < 2 else ly


@dataclass(frozen=True)
class BoundaryKind:
    """One boundary kind: its config name, parameters and fill kernels.

    Attributes
    ----------
    name : str
        The word in ``Boundary:`` (lower case; the reader is case-insensitive).
    summary : str
        One line for the docs and error messages.
    params : tuple of (str, str)
        ``(name, unit)`` of each number written after the kind (in order).
    periodic : bool
        True for the torus: the axis is periodic in the Cartesian
        communicator and the halo exchange fills its ghosts; no fill kernel.
    field_fill : numba kernel or None
        ``field_fill(f, cur, sides, w, value, n)``: fill the ghost strips of
        ``sides`` (int64 array of side codes) of level ``cur[0]`` of ``f``
        with ghost width ``w``; ``value`` is the first parameter (0 when the
        kind has none; ``n`` the step, unused). Used for every ghosted state
        field (e.g. diffusing population variables).
    wave_fill : numba kernel or None
        ``wave_fill(phi, qw, cur, sides, k, em, n)`` for the Wave propagator's
        phi (``qw`` is filled first by zero-gradient; ``k``, ``em`` numbers or
        per-node tile arrays, read at the edge node); None: ``field_fill``
        on phi with the kind's value.
    prime : numba kernel or None
        The fill of both levels at the start (the history a fill may read);
        None: ``field_fill``.
    ghost_history : bool
        True when ``wave_fill`` reads the ghost values it wrote the step
        before (Mur's update): they are state, which a checkpoint saves (the
        Wave propagator copies them into per-node arrays before it and back
        after a restore, :meth:`parnft.model.propagators.Wave.before_checkpoint`).
    not_spreading : str
        Empty when the kind applies to population state that spreads by its
        own spatial terms (:mod:`parnft.model.rk4space`, through
        ``field_fill``); else why not, for the validation error.
    """

    name: str
    summary: str
    params: tuple = ()
    periodic: bool = False
    field_fill: object = None
    wave_fill: object = None
    prime: object = None
    ghost_history: bool = False
    not_spreading: str = ""
