"""The fill calls of one tile: which kernels run on which of its sides, with what.

Pure Python over the registry, no MPI: the solver (and any component with
ghosted state) asks for the ``(kernel, args)`` pairs of its arrays and runs
them right after each halo exchange completes, in the compiled loop at any
rank count. ``edges`` is :attr:`parnft.parallel.tiling.Tiling.edges`: per
axis, the int64 array of this tile's side codes that lie on a non-periodic
global edge (empty on inner tiles and on periodic axes).
"""

from __future__ import annotations

import numpy as np

from .neumann import neumann_fill
from .registry import KINDS
from .spec import AXES, BoundarySpec


def _edges_of(spec: BoundarySpec, edges: dict):
    for ax in AXES:
        edge = spec.axis(ax)
        sides = edges.get(ax)
        if not edge.periodic and sides is not None and len(sides):
            yield KINDS[edge.kind], edge, np.ascontiguousarray(sides, dtype=np.int64)


def field_fills(spec: BoundarySpec, edges: dict, f: np.ndarray, cur: np.ndarray,
                width: int = 1) -> list[tuple]:
    """``(kernel, args)`` filling the edge ghosts of level ``cur[0]`` of a ghosted field.

    Parameters
    ----------
    spec : BoundarySpec
        The grid's boundaries.
    edges : dict of str to int64 ndarray
        This tile's sides on a non-periodic global edge, per axis.
    f : ndarray (levels, ly + 2 width, lx + 2 width)
        The field (a 2-D array: pass ``a[numpy.newaxis]``).
    cur : int64 ndarray (1,)
        The level to fill (read when the call runs).
    width : int
        Ghost width.

    Returns
    -------
    list of (kernel, tuple)
        Empty on a tile with no edge to fill. Run after the halo exchange.
    """
    return [(kind.field_fill, (f, cur, sides, int(width), edge.value))
            for kind, edge, sides in _edges_of(spec, edges)]


def prime_fills(spec: BoundarySpec, edges: dict, f: np.ndarray, levels, width: int = 1,
                zero_gradient: bool = False):
    """``(kernel, args)`` filling the edge ghosts of every level in ``levels`` at the start.

    Each kind's ``prime`` fill (its own field fill where it declares none;
    the mirror with ``zero_gradient``, as for a Wave's Q): the ghosts a fill
    may read from the previous level before any step.
    """
    out = []
    for kind, edge, sides in _edges_of(spec, edges):
        fill = neumann_fill if zero_gradient else (kind.prime or kind.field_fill)
        for lev in levels:
            out.append((fill, (f, np.array([lev], dtype=np.int64), sides, int(width),
                               edge.value)))
    return out


def wave_fills(spec: BoundarySpec, edges: dict, phi: np.ndarray, qw: np.ndarray,
               cur: np.ndarray, mur: tuple) -> list[tuple]:
    """``(kernel, args)`` of a Wave propagator's edge ghosts (level ``cur[0]``).

    Q first (zero gradient, every kind), then phi: the kind's ``wave_fill``
    with ``mur = (k, em)`` (:func:`parnft.boundary.absorbing.mur_constants`:
    numbers, or per-node arrays of the tile where ``Range`` or ``gamma`` is
    a map) where it has one, else its field fill.
    """
    out = []
    for kind, edge, sides in _edges_of(spec, edges):
        out.append((neumann_fill, (qw, cur, sides, 1, 0.0)))
        if kind.wave_fill is not None:
            k, em = (m if isinstance(m, np.ndarray) else float(m) for m in mur)
            out.append((kind.wave_fill, (phi, qw, cur, sides, k, em)))
        else:
            out.append((kind.field_fill, (phi, cur, sides, 1, edge.value)))
    return out


def history_sides(spec: BoundarySpec) -> tuple[int, ...]:
    """Side codes (0 N, 1 S, 2 W, 3 E) whose kind's wave fill reads its own past ghosts.

    The same on every rank (a property of the grid, not of the tile).
    """
    out = []
    for ax, sides in (("y", (0, 1)), ("x", (2, 3))):
        if KINDS[spec.axis(ax).kind].ghost_history:
            out += sides
    return tuple(out)


def _ghost_strip(level: np.ndarray, side: int) -> np.ndarray:
    """The ghost strip of ``side`` (without corners) of a ``(ly + 2, lx + 2)`` level (a view)."""
    return (level[0, 1:-1], level[-1, 1:-1], level[1:-1, 0], level[1:-1, -1])[side]


def save_ghosts(level: np.ndarray, saved: dict, sides) -> None:
    """Copy the ghost strips of ``sides`` of ``level`` onto the edge nodes of ``saved[side]``.

    ``saved[side]`` is a per-node ``(ly lx,)`` array: the node next to each
    ghost cell holds that cell's value (other nodes keep 0), so the values sit
    at the same global nodes at any rank count and a checkpoint carries them.
    """
    ly, lx = level.shape[0] - 2, level.shape[1] - 2
    for s in sides:
        _strip_nodes(saved[s].reshape(ly, lx), s)[...] = _ghost_strip(level, s)


def load_ghosts(level: np.ndarray, saved: dict, sides) -> None:
    """The inverse of :func:`save_ghosts`: ghost strips of ``sides`` from ``saved``."""
    ly, lx = level.shape[0] - 2, level.shape[1] - 2
    for s in sides:
        _ghost_strip(level, s)[...] = _strip_nodes(saved[s].reshape(ly, lx), s)


def _strip_nodes(node: np.ndarray, side: int) -> np.ndarray:
    """The edge row or column of a ``(ly, lx)`` per-node array next to ``side``."""
    return (node[0, :], node[-1, :], node[:, 0], node[:, -1])[side]
