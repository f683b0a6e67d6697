"""Block decomposition of the 2D grid over a Cartesian process grid.

Conventions (fixed; the solver is written against them):

* The global grid has shape ``glb_shape = (ny, nx)`` (``nx`` is NFTsim's
  ``Longside``); the global node index is ``g = y * nx + x`` (0-based, C order).
* The ranks form a process grid of shape ``dims = (py, px)``, periodic along
  the axes whose boundary is the torus (``periods``, default both); the rank
  at Cartesian coordinates ``(cy, cx)`` is ``cy * px + cx`` (row-major, as MPI
  numbers a Cartesian communicator built with ``reorder=False``).
* Each rank owns one contiguous block: ``loc_start = (y0, x0)``,
  ``loc_shape = (ly, lx)``. Rows are split over ``py`` and columns over ``px``
  by :func:`block_range` (the first ``n % p`` blocks get one extra cell).
* Field arrays on a tile are float64, C-contiguous, with a one-cell ghost frame:
  shape ``(ly + 2, lx + 2)``, interior ``[1:-1, 1:-1]``.
* The command-line option ``--procs PXxPY`` names the process grid x extent
  first; :func:`parse_procs` returns ``(px, py)`` and the ``dims`` *arguments*
  of :func:`choose_dims` and :class:`Tiling` take that order. The ``dims``
  *results* (:func:`choose_dims`'s return value and :attr:`Tiling.dims`) are in
  array/MPI order ``(py, px)``.

Validity: a tile must own at least one cell in each direction, so
``py <= ny`` and ``px <= nx``. One cell is also enough for the Wave
propagator's 5/9-point stencil: its halo is one cell wide, and a tile one cell
wide still has a full border strip to send (its border and its interior are the
same cells), so no further restriction applies.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from mpi4py import MPI

from parnft.errors import ConfigError

__all__ = ["DIRECTIONS", "Tiling", "block_range", "choose_dims", "parse_procs"]

#: The 8 neighbour directions and their (dy, dx) offsets on the process grid.
#: ``N`` is the ``y - 1`` side, ``W`` the ``x - 1`` side.
DIRECTIONS: dict[str, tuple[int, int]] = {
    "N": (-1, 0),
    "S": (1, 0),
    "W": (0, -1),
    "E": (0, 1),
    "NW": (-1, -1),
    "NE": (-1, 1),
    "SW": (1, -1),
    "SE": (1, 1),
}


def block_range(n: int, parts: int, index: int) -> tuple[int, int]:
    """Half-open range of block ``index`` when ``n`` cells are split in ``parts``.

    The blocks are contiguous and as even as possible: the first ``n % parts``
    blocks hold ``n // parts + 1`` cells, the others ``n // parts``.

    Parameters
    ----------
    n : int
        Number of cells (>= 1).
    parts : int
        Number of blocks, ``1 <= parts <= n``.
    index : int
        Which block, ``0 <= index < parts``.

    Returns
    -------
    (start, stop) : tuple of int
        The block is ``range(start, stop)``.

    Raises
    ------
    ValueError
        If ``parts < 1``, ``parts > n`` or ``index`` is out of range.

    Examples
    --------
    >>> [block_range(10, 3, i) for i in range(3)]
    [(0, 4), (4, 7), (7, 10)]
    """
    n, parts, index = int(n), int(parts), int(index)
    if parts < 1:
        raise ValueError(f"cannot split into {parts} parts (need at least 1)")
    if parts > n:
        raise ValueError(f"cannot split {n} cells into {parts} non-empty blocks")
    if not 0 <= index < parts:
        raise ValueError(f"block index {index} out of range for {parts} parts")
    q, r = divmod(n, parts)
    start = index * q + min(index, r)
    return start, start + q + (1 if index < r else 0)


def _block_of(pos, n: int, parts: int):
    """Block index holding position(s) ``pos`` (inverse of :func:`block_range`)."""
    q, r = divmod(n, parts)
    big = r * (q + 1)  # cells covered by the r larger blocks
    pos = np.asarray(pos)
    return np.where(pos < big, pos // (q + 1), r + (pos - big) // max(q, 1))


def parse_procs(text: str) -> tuple[int, int]:
    """Parse a ``--procs`` value ``"PXxPY"`` into ``(px, py)``.

    Parameters
    ----------
    text : str
        Two positive integers joined by ``x`` (case-insensitive, spaces allowed),
        x extent first, e.g. ``"2x3"``.

    Returns
    -------
    (px, py) : tuple of int

    Raises
    ------
    ConfigError
        If the text is not of that form.

    Examples
    --------
    >>> parse_procs("2x3")
    (2, 3)
    """
    parts = str(text).strip().lower().split("x")
    try:
        if len(parts) != 2:
            raise ValueError
        px, py = (int(p.strip()) for p in parts)
    except ValueError:
        raise ConfigError(
            f"--procs {text!r}: expected PXxPY, two positive integers such as 2x3"
        ) from None
    if px < 1 or py < 1:
        raise ConfigError(f"--procs {text!r}: process grid extents must be >= 1")
    return px, py


def _score(glb_shape: tuple[int, int], py: int, px: int):
    """Sort key of a process grid: squarest tiles, then least halo, then MPI's order."""
    ny, nx = glb_shape
    a, b = Fraction(ny, py), Fraction(nx, px)
    aspect = max(a, b) / min(a, b)
    halo = -(-ny // py) + -(-nx // px)  # perimeter of the largest tile / 2
    return aspect, halo, -py  # ties: py >= px, as MPI_Dims_create orders dims


def choose_dims(
    nranks: int, glb_shape: tuple[int, int], dims: tuple[int, int] | None = None
) -> tuple[int, int]:
    """Choose the process grid for ``nranks`` ranks on a global grid.

    Among all factorisations ``py * px == nranks`` with tiles of at least one
    cell per direction (``py <= ny``, ``px <= nx``), the one whose tiles are
    squarest (block aspect ratio ``max(ny/py, nx/px) / min(...)``) is chosen;
    ties go to the smaller halo (``ceil(ny/py) + ceil(nx/px)``) and then to
    ``py >= px``, the order of ``MPI.Compute_dims``. On a square grid this is
    ``MPI.Compute_dims(nranks, 2)``; on an elongated grid the longer side gets
    more ranks (a 100x30 grid on 6 ranks gives ``(6, 1)``, tiles of 17x30,
    never ``(1, 6)``). Pure function: no communicator is used.

    Parameters
    ----------
    nranks : int
        Number of ranks (>= 1).
    glb_shape : (int, int)
        Global grid shape ``(ny, nx)``.
    dims : (int, int), optional
        Explicit process grid ``(px, py)``, x extent first as in ``--procs``
        (see :func:`parse_procs`); overrides the choice.

    Returns
    -------
    (py, px) : tuple of int
        Process grid in array/MPI order.

    Raises
    ------
    ConfigError
        If ``dims`` does not multiply to ``nranks`` or leaves a tile without
        cells, or if no process grid gives every rank at least one cell per
        direction (too many ranks for the grid).
    """
    ny, nx = (int(s) for s in glb_shape)
    nranks = int(nranks)
    if ny < 1 or nx < 1:
        raise ConfigError(f"grid {ny}x{nx} (ny x nx) must have at least one node per direction")
    if nranks < 1:
        raise ConfigError(f"number of ranks must be >= 1, got {nranks}")
    if dims is not None:
        px, py = (int(d) for d in dims)
        if px < 1 or py < 1 or px * py != nranks:
            raise ConfigError(
                f"process grid {px}x{py} (PXxPY) has {px * py} tiles but the run has "
                f"{nranks} ranks; choose PX*PY == {nranks}"
            )
        if py > ny or px > nx:
            raise ConfigError(
                f"process grid {px}x{py} (PXxPY) is larger than the grid of {nx}x{ny} "
                f"nodes (x by y): every tile needs at least one node per direction; "
                f"use PX <= {nx} and PY <= {ny}"
            )
        return py, px
    options = [
        (py, nranks // py)
        for py in range(1, nranks + 1)
        if nranks % py == 0 and py <= ny and nranks // py <= nx
    ]
    if not options:
        raise ConfigError(
            f"{nranks} ranks cannot tile the grid of {ny}x{nx} nodes (ny x nx): every "
            f"tile needs at least one node per direction, so the process grid PY x PX "
            f"needs PY <= {ny}, PX <= {nx} and PY*PX == {nranks}; run on fewer ranks "
            f"(at most {ny * nx}, and a count that factors to fit)"
        )
    return min(options, key=lambda d: _score((ny, nx), *d))


class Tiling:
    """This rank's block of the grid, on a Cartesian communicator.

    The communicator passed in is cloned, never used directly, so a caller's
    communicator (e.g. one of an ensemble split) is left untouched. The process
    grid is validated before any collective call, so a bad rank count raises the
    same :class:`~parnft.errors.ConfigError` on every rank.

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm
        Communicator of the ranks that share the grid.
    glb_shape : (int, int)
        Global grid shape ``(ny, nx)``.
    dims : (int, int), optional
        Explicit process grid ``(px, py)``, x extent first as in ``--procs``;
        by default :func:`choose_dims` picks it.
    periods : (bool, bool), optional
        ``(y periodic, x periodic)``; default both (the torus). Along a
        non-periodic axis the neighbours beyond the sheet are
        ``MPI.PROC_NULL`` and the tile's sides there are in :attr:`edges`.

    Attributes
    ----------
    comm : mpi4py.MPI.Cartcomm
        Cartesian communicator of shape ``dims``, periodic per ``periods``.
    rank, size : int
        Rank in and size of ``comm``.
    dims : (int, int)
        Process grid ``(py, px)`` (array/MPI order).
    procs : (int, int)
        The same as ``(px, py)`` (``--procs`` order).
    coords : (int, int)
        This rank's ``(cy, cx)`` on the process grid.
    glb_shape, loc_shape, loc_start : (int, int)
        Global grid shape, this block's shape ``(ly, lx)`` and first node ``(y0, x0)``.
    loc_slices : (slice, slice)
        This block within a global ``(ny, nx)`` array.
    neighbours : dict of str to int
        Rank in each of the 8 directions ``N, S, W, E, NW, NE, SW, SE``
        (``N`` is the ``y - 1`` side, ``W`` the ``x - 1`` side); along a periodic
        axis a neighbour can be this rank itself or the same rank on both
        sides; beyond a non-periodic edge it is ``MPI.PROC_NULL``.
    periods : (bool, bool)
        ``(y periodic, x periodic)``.
    edges : dict of str to numpy.ndarray
        Per axis (``"y"``, ``"x"``), the int64 side codes (0 N, 1 S, 2 W, 3 E)
        of this tile that lie on a non-periodic global edge: where a boundary
        fill (:mod:`parnft.boundary`) writes the ghosts after each exchange.
    """

    def __init__(self, comm, glb_shape: tuple[int, int], dims: tuple[int, int] | None = None,
                 periods: tuple[bool, bool] = (True, True)):
        ny, nx = (int(s) for s in glb_shape)
        # Pure arithmetic first: same result (or same error) on every rank.
        py, px = choose_dims(comm.Get_size(), (ny, nx), dims)
        self.glb_shape = (ny, nx)
        self.dims = (py, px)
        self.procs = (px, py)
        self._base = comm.Clone()
        self.periods = (bool(periods[0]), bool(periods[1]))
        self.comm = self._base.Create_cart(dims=(py, px), periods=self.periods, reorder=False)
        self.rank = self.comm.Get_rank()
        self.size = self.comm.Get_size()
        cy, cx = (int(c) for c in self.comm.Get_coords(self.rank))
        self.coords = (cy, cx)
        y0, y1 = block_range(ny, py, cy)
        x0, x1 = block_range(nx, px, cx)
        self.loc_start = (y0, x0)
        self.loc_shape = (y1 - y0, x1 - x0)
        self.loc_slices = (slice(y0, y1), slice(x0, x1))
        self.neighbours = {name: self._neighbour(cy + dy, cx + dx)
                           for name, (dy, dx) in DIRECTIONS.items()}
        self.edges = {
            "y": np.array([s for s, off in ((0, -1), (1, 1)) if not self.periods[0]
                           and not 0 <= cy + off < py], dtype=np.int64),
            "x": np.array([s for s, off in ((2, -1), (3, 1)) if not self.periods[1]
                           and not 0 <= cx + off < px], dtype=np.int64),
        }

    def _neighbour(self, y: int, x: int) -> int:
        """Rank at process coordinates ``(y, x)``, wrapped on periodic axes, else PROC_NULL."""
        py, px = self.dims
        if not 0 <= y < py:
            if not self.periods[0]:
                return MPI.PROC_NULL
            y %= py
        if not 0 <= x < px:
            if not self.periods[1]:
                return MPI.PROC_NULL
            x %= px
        return self.comm.Get_cart_rank((y, x))

    # -- pure arithmetic -------------------------------------------------------------
    def glb_index(self) -> np.ndarray:
        """Global node indices ``y * nx + x`` of this block's interior.

        Returns
        -------
        numpy.ndarray
            int64 array of shape ``loc_shape``.
        """
        nx = self.glb_shape[1]
        ys = np.arange(self.loc_slices[0].start, self.loc_slices[0].stop, dtype=np.int64)
        xs = np.arange(self.loc_slices[1].start, self.loc_slices[1].stop, dtype=np.int64)
        return ys[:, None] * nx + xs[None, :]

    def owner_of(self, g):
        """Rank owning global node(s) ``g``.

        Parameters
        ----------
        g : int or array_like of int
            Global node index ``y * nx + x``, ``0 <= g < ny * nx``.

        Returns
        -------
        int or numpy.ndarray
            Rank(s) in :attr:`comm`; an int for a scalar ``g``.

        Raises
        ------
        IndexError
            If a node index is outside the grid.
        """
        ny, nx = self.glb_shape
        py, px = self.dims
        garr = np.asarray(g, dtype=np.int64)
        if garr.size and (garr.min() < 0 or garr.max() >= ny * nx):
            raise IndexError(f"global node index out of range [0, {ny * nx})")
        y, x = np.divmod(garr, nx)
        owner = _block_of(y, ny, py) * px + _block_of(x, nx, px)
        return int(owner) if owner.ndim == 0 else owner.astype(np.int64)

    def tile_bounds(self) -> list[tuple[int, int, int, int]]:
        """Block of every rank.

        Returns
        -------
        list of (y0, y1, x0, x1)
            Entry ``r`` is rank ``r``'s block ``[y0:y1, x0:x1]`` (half-open).
        """
        ny, nx = self.glb_shape
        py, px = self.dims
        out = []
        for r in range(py * px):
            cy, cx = divmod(r, px)
            out.append(block_range(ny, py, cy) + block_range(nx, px, cx))
        return out

    # -- lifetime --------------------------------------------------------------------
    def free(self) -> None:
        """Free the Cartesian and the cloned communicators (collective). Idempotent."""
        for name in ("comm", "_base"):
            c = getattr(self, name, None)
            if c is not None and c != MPI.COMM_NULL:
                c.Free()
            setattr(self, name, None)

    def __enter__(self) -> Tiling:
        return self

    def __exit__(self, *exc) -> None:
        self.free()

    def __repr__(self) -> str:
        return (
            f"Tiling(rank={self.rank}/{self.size}, dims={self.dims}, coords={self.coords}, "
            f"glb_shape={self.glb_shape}, loc_start={self.loc_start}, "
            f"loc_shape={self.loc_shape})"
        )
