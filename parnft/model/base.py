"""Building blocks shared by every model component.

A component (a coupling, a dendrite, a firing response, a propagator, a
stimulus series) owns its per-tile arrays and says which compiled kernels
advance it, with which arguments, in which stage of the step. The solver
strings those calls together into one compiled time loop; it never needs to
know what a component computes. Adding a kind is one module with one
``@register`` line (see :mod:`parnft.model.registry`).

Stages of one step, in NFTsim's order (STUDY.md section 2.2)::

    coupling -> population -> propagator -> halo
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..config import maps as _maps
from ..config.spec import ModelSpec
from ..errors import ConfigError, Problem

STAGES = ("coupling", "population", "propagator", "halo")


@dataclass(frozen=True)
class Ranged:
    """The same work as a :class:`Call`, split over strips of grid rows.

    Each step runs ``before`` once, then ``kernel(lo, hi, *args, n)`` for
    consecutive strips that cover the tile, then ``after`` once. ``lo, hi``
    are flat node indices (``unit="nodes"``, whole rows: ``y0 * lx, y1 * lx``)
    or interior row indices (``unit="rows"``). The code generator runs the
    strips of consecutive ranged calls together (:mod:`parnft.codegen`), so a
    strip's arrays are still in cache when the next kernel reads them.

    A kernel may have a ranged form only if, for every strip, it reads nothing
    that another call of the same step writes at nodes outside the strip
    (pointwise kernels; the wave stencil, which reads only its own previous
    level). State that changes once per step (ring pointers, series clocks,
    level flips) goes in ``before`` / ``after``.

    Attributes
    ----------
    kernel : numba dispatcher
        ``kernel(lo, hi, *args, n)``.
    args : tuple
        As :attr:`Call.args`.
    unit : {"nodes", "rows"}
        What ``lo, hi`` count.
    before, after : tuple of Call
        Calls made once per step around the strips.
    inner : numba dispatcher, optional
        For a stencil that reads ghost cells: the strip kernel that skips the
        tile's outermost ring of nodes, which reads no ghost cell and so can
        run while the halo exchange is in flight.
    frame : tuple of Call
        With ``inner``: the calls that do that outer ring once the halo has
        arrived (then ``after``).
    """

    kernel: Any
    args: tuple
    unit: str = "nodes"
    before: tuple = ()
    after: tuple = ()
    inner: Any = None
    frame: tuple = ()


@dataclass(frozen=True)
class Call:
    """One kernel call per step: ``kernel(*args, n)`` with n the step number.

    Attributes
    ----------
    kernel : numba dispatcher
        A function from :mod:`parnft.kernels`.
    args : tuple
        Arrays and Python scalars (float, int, bool), in the kernel's order,
        without the trailing step number.
    ranged : Ranged, optional
        The same work over strips of rows (cache blocking), when the kernel
        has such a form.
    """

    kernel: Any
    args: tuple
    ranged: Ranged | None = None


@dataclass(eq=False)
class GhostFill:
    """A ghost-frame fill of some fields in the middle of a step (blocking).

    A component whose stencil reads ghost cells of arrays it writes within
    the step (the RK4 stages of a kind with spatial operators,
    :mod:`parnft.model.rk4space`) puts one of these between two of its calls.
    The solver binds :attr:`halo` (a :class:`parnft.parallel.halo.HaloExchange`
    with ``len(fields)`` fields) and the loop generator writes the exchange
    there: pack, start, wait, unpack on several ranks, the periodic wrap of the
    tile onto itself where the neighbour is this rank (:mod:`parnft.codegen`),
    the same code path as the wave fields' exchange.

    Attributes
    ----------
    fields : tuple of (ndarray, ndarray)
        ``(f, cur)``: level ``cur[0]`` of the ghosted ``(levels, ly+2, lx+2)``
        array ``f`` is filled; in message order.
    halo : HaloExchange, optional
        Set by the solver before the loop is generated.
    edges : list of Call
        The physical boundary fills of these fields on the tile's global
        edges (:func:`parnft.boundary.calls.field_fills`), run right after
        the exchange; set by the solver, empty on the torus.
    """

    fields: tuple
    halo: Any = None
    edges: list = field(default_factory=list)
    #: the stage arrays and their level indices: filled here, never saved
    checkpoint_arrays = {"fields": "scratch"}
    #: Like a :class:`Call` without a strip form (it runs alone, whole).
    ranged = None

    @property
    def args(self) -> tuple:
        """The arrays it reads and writes (for the loop's dependency analysis)."""
        return tuple(a for pair in self.fields for a in pair)


@dataclass(frozen=True)
class Slot:
    """One named array of the model (:meth:`Context.alloc`)."""

    owner: str
    name: str
    layout: str
    role: str
    array: np.ndarray


@dataclass
class Context:
    """What a component needs to know about the run and its tile.

    Attributes
    ----------
    spec : ModelSpec
        The whole model.
    dt : float
        Time step [s].
    glb_shape : tuple of int
        ``(ny, nx)`` of the global grid.
    loc_shape : tuple of int
        ``(ly, lx)`` of this tile.
    loc_start : tuple of int
        Global ``(y0, x0)`` of this tile's first node.
    populations : dict
        Built populations by 1-based index (filled as the model is built).
    propagators, couplings : dict
        Built components by connection index.
    seeds : list of int
        NFTsim-style seed counter for noise without ``Ranseed``.
    rng : {"counter", "nftsim"}
        Noise generator of White/WhiteCoherent: parnft's counter-based one, or
        NFTsim's mt19937_64 stream, bit for bit (``docs/rng.md``).
    """

    spec: ModelSpec
    dt: float
    glb_shape: tuple[int, int]
    loc_shape: tuple[int, int]
    loc_start: tuple[int, int]
    populations: dict = field(default_factory=dict)
    propagators: dict = field(default_factory=dict)
    couplings: dict = field(default_factory=dict)
    seeds: list = field(default_factory=lambda: [0])
    gatherer: Any = None
    rng: str = "counter"
    #: Named model arrays, ``(owner, name) -> Slot`` (:meth:`alloc`).
    state: dict = field(default_factory=dict)
    #: This tile's values of each per-node map, by source (:meth:`read_maps`).
    maps: dict = field(default_factory=dict)
    #: The error :meth:`read_maps` met on this rank, or None.
    map_error: Any = None

    def alloc(self, owner: str, name: str, layout: str = "nodes", value: float = 0.0,
              role: str = "state", rows: int = 1, dtype=np.float64) -> np.ndarray:
        """A new named array of this tile, recorded in :attr:`state`.

        Parameters
        ----------
        owner : str
            The component, e.g. ``"population.2"``.
        name : str
            The array's name within its owner (``"hist"``, ``"x"``).
        layout : {"nodes", "rows", "scalar"}
            ``(nloc,)`` per node; ``(rows, nloc)`` (a history ring, input rows);
            ``(1,)`` one value for the tile (a ring pointer, a clock).
        value : float
            Initial value of every element.
        role : {"state", "param", "scratch"}
            What a checkpoint does with it: state is saved and restored,
            params are rebuilt from the config, scratch is neither.

        Returns
        -------
        ndarray
            The array (also ``self.state[(owner, name)].array``).
        """
        shape = {"nodes": (self.nloc,), "rows": (rows, self.nloc), "scalar": (1,)}[layout]
        arr = np.full(shape, value, dtype=dtype)
        key = (owner, name)
        if key in self.state:
            raise ValueError(f"{owner} already has an array named {name!r}")
        self.state[key] = Slot(owner, name, layout, role, arr)
        return arr

    @property
    def nloc(self) -> int:
        """Number of nodes on this tile."""
        return self.loc_shape[0] * self.loc_shape[1]

    @property
    def glb_index(self) -> np.ndarray:
        """Global 0-based node index of each local node (flat, int64)."""
        ny, nx = self.glb_shape
        ly, lx = self.loc_shape
        y0, x0 = self.loc_start
        yy, xx = np.meshgrid(np.arange(y0, y0 + ly), np.arange(x0, x0 + lx), indexing="ij")
        return (yy * nx + xx).ravel().astype(np.int64)

    def local_nodes(self, nodes_1based) -> np.ndarray:
        """Local flat indices of the given 1-based global nodes that this tile owns.

        An empty selection means every node. Order follows ``nodes_1based``.
        """
        if len(nodes_1based) == 0:
            return np.arange(self.nloc, dtype=np.int64)
        gidx = self.glb_index
        pos = {int(g): i for i, g in enumerate(gidx)}
        return np.array([pos[n - 1] for n in nodes_1based if (n - 1) in pos], dtype=np.int64)

    def dx(self, population: int) -> float:
        """Grid spacing [m]: ``Length`` of ``population`` over the long side."""
        return self.spec.populations[population - 1].length / self.glb_shape[1]

    def steps(self, seconds: float, what: str) -> int:
        """Whole number of steps in ``seconds`` (validated to be a multiple of dt)."""
        return int(round(seconds / self.dt))

    def next_seed(self) -> int:
        """NFTsim's process-global seed counter: 1, 2, 3, ... in construction order."""
        self.seeds[0] += 1
        return self.seeds[0]

    def field(self, value=0.0) -> np.ndarray:
        """A new flat per-node float64 array filled with ``value`` (a number or a tile array)."""
        if isinstance(value, np.ndarray):
            return np.array(value, dtype=np.float64).reshape(self.nloc)
        return np.full(self.nloc, float(value))

    def nodal(self, value):
        """``value`` for this tile: a float, or for a per-node map its tile's flat values.

        A map (:class:`parnft.config.maps.FieldMap`) is read here, each rank
        its own tile (the file's hyperslab); any other value is returned as a
        float, so uniform parameters stay scalars in the kernels.
        """
        if _maps.is_map(value):
            if value.source not in self.maps:
                self.maps[value.source] = self._tile(value)
            return self.maps[value.source].copy()
        return value if isinstance(value, np.ndarray) else float(value)

    def _tile(self, fm) -> np.ndarray:
        try:
            return _maps.tile_values(fm, self.loc_start, self.loc_shape)
        except (_maps.MapError, OSError) as exc:
            src = fm.source
            raise ConfigError([Problem(self.spec.path, src.line, src.qkey, src.text,
                                       str(exc), "give an existing file and dataset of the "
                                       "grid's shape, readable on every node of the job")]
                              ) from None

    def read_maps(self) -> bool:
        """Read this tile of every per-node map of the model; True if it has any.

        An error is kept in :attr:`map_error` (the caller agrees on it across
        ranks before any other collective call), not raised.
        """
        found = _maps.maps_of(self.spec)
        for fm in found:
            if fm.source in self.maps:
                continue
            try:
                self.maps[fm.source] = self._tile(fm)
            except ConfigError as exc:
                self.map_error = exc
                break
        return bool(found)

    def global_field(self, local: np.ndarray) -> np.ndarray:
        """The array of every global node that mirrors the flat field ``local``.

        When this tile is the whole grid (one rank) it is ``local`` itself, not a
        copy; otherwise a new array of ``Nodes`` values in global node order,
        which the solver fills by an allgather (:meth:`Component.gathers`).
        """
        if self.nloc == self.glb_shape[0] * self.glb_shape[1]:
            return local
        return np.zeros(self.glb_shape[0] * self.glb_shape[1], dtype=local.dtype)

    def ghosted(self, levels: int, value=0.0) -> np.ndarray:
        """A new ``(levels, ly+2, lx+2)`` ghosted float64 array filled with ``value``.

        A per-node tile array fills the interior of every level (the ghost
        frame is then the halo fill's job) and its first node the frame.
        """
        ly, lx = self.loc_shape
        if isinstance(value, np.ndarray):
            out = np.full((levels, ly + 2, lx + 2), float(value.ravel()[0]))
            out[:, 1:-1, 1:-1] = value.reshape(ly, lx)
            return out
        return np.full((levels, ly + 2, lx + 2), float(value))


def per_node(values, nloc: int, glb_index: np.ndarray, what: str) -> np.ndarray:
    """Expand a 1-value or one-per-global-node list to this tile's nodes."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 1:
        return np.full(nloc, float(arr[0]))
    return arr[glb_index].copy()


class Component:
    """Base class of every model component.

    Subclasses set :attr:`fields` (output name -> flat per-node array) and
    implement :meth:`calls`. Constructors take ``(spec_object, ctx)``.
    """

    #: Output fields in NFTsim's order: name -> flat array (or 1-element array).
    fields: dict
    #: What a checkpoint does with each ndarray attribute not allocated through
    #: :meth:`Context.alloc`: attribute name -> a layout it is saved in (``nodes``,
    #: ``rows``, ``ghosted``, ``tile``) or ``param`` / ``scratch`` / ``gathered``
    #: (not saved); merged over the class hierarchy (:mod:`parnft.model.state`).
    #: An undeclared array makes checkpointing fail.
    checkpoint_arrays: dict = {}

    def calls(self, stage: str) -> list[Call]:
        """Kernel calls of this component in ``stage`` (one of :data:`STAGES`)."""
        return []

    def wave_fields(self) -> list:
        """Ghosted arrays whose frame must be exchanged after the propagator stage."""
        return []

    def boundary_fills(self, boundary, edges) -> list[Call]:
        """Calls filling this component's ghosts on the tile's global edges.

        Run after every halo exchange (and in the one-rank loop after the
        periodic wrap), the same calls at any rank count. ``boundary`` is the
        grid's :class:`~parnft.boundary.BoundarySpec`, ``edges``
        :attr:`parnft.parallel.tiling.Tiling.edges`. A component with ghosted
        state builds them with :func:`parnft.boundary.calls.field_fills`.
        """
        return []

    def boundary_primes(self, boundary, edges) -> list[Call]:
        """Calls filling the edge ghosts of every stored level once, before the first step."""
        return []

    def gathers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Fields this component reads at every global node.

        Returns
        -------
        list of (local, glob)
            ``local`` is a flat float64 field of this tile, ``glob`` a flat array
            of all ``Nodes`` values in global node order
            (:meth:`Context.global_field`). On several ranks the solver refreshes
            ``glob`` from every rank's ``local`` after each step's propagator
            stage, so the component's calls read the latest values; on one rank
            ``glob`` is ``local`` and nothing is copied.
        """
        return []


def config_problem(spec: ModelSpec, loc, key: str, value, rule: str, fix: str) -> ConfigError:
    """A :class:`ConfigError` for one problem found while building the model."""
    line = int(loc.get(key.split(":")[-1].strip(), 0)) if loc else 0
    return ConfigError([Problem(spec.path, line, key, str(value), rule, fix)])
