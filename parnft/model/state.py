"""The model's state: every array a checkpoint saves, found and classified (no MPI, no I/O).

A bitwise restart must capture every number that one step carries to the
next (``docs/checkpoint.md``). Two sources say which arrays those are:

* the registry :attr:`parnft.model.base.Context.state`, filled by
  :meth:`~parnft.model.base.Context.alloc` (``role`` state / param / scratch,
  ``layout`` nodes / rows / scalar);
* for arrays a component allocates itself, its class attribute
  :attr:`~parnft.model.base.Component.checkpoint_arrays` (merged over the
  class hierarchy): attribute name -> one of :data:`SAVED` (state, saved in
  that layout) or :data:`NOT_SAVED` (rebuilt from the config, or overwritten
  before it is read); for a list or tuple attribute the role applies to every
  array in it (a kernel's argument tuple of per-node parameter maps).

:func:`model_state` walks every component's attributes (sub-objects such as
dendrites, firing responses and stimulus series included) and every array the
compiled loop reads. An array that is neither registered, nor declared, nor a
view or alias of one that is, raises :class:`CheckpointError`: a new kind that
forgets to declare an array cannot silently lose it in a restart.

Layouts of saved arrays (global layout in the file: owned nodes only, so a
checkpoint of R ranks loads on any other rank count):

``nodes``    ``(nloc,)`` per node of the tile -> ``(ny, nx)``
``rows``     ``(k, nloc)`` k rows per node (a history ring) -> ``(k, ny, nx)``
``ghosted``  ``(levels, ly + 2, lx + 2)`` with a ghost frame -> ``(levels, ny, nx)``;
             the frame is refilled by a halo exchange after loading
``tile``     any shape, the same on every rank (a ring pointer, a clock, an
             mt19937_64 generator state) -> saved once, as is
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ParnftError

#: Layouts of arrays a checkpoint saves.
SAVED = ("nodes", "rows", "ghosted", "tile")
#: Roles of arrays it does not save: ``param`` (rebuilt from the config), ``scratch``
#: (written before it is read in every step), ``gathered`` (every node's copy of a
#: field, refilled by the allgather after a restore).
NOT_SAVED = ("param", "scratch", "gathered")
_LAYOUT_OF_ALLOC = {"nodes": "nodes", "rows": "rows", "scalar": "tile"}


class CheckpointError(ParnftError):
    """The model state cannot be saved or restored exactly (a bug in a component).

    Raised when an array of a component is neither registered nor declared
    (:attr:`~parnft.model.base.Component.checkpoint_arrays`), or when a saved
    array does not fit the layout declared for it.
    """

    exit_code = 1


@dataclass(frozen=True)
class StateArray:
    """One saved array of this tile.

    Attributes
    ----------
    name : str
        The same on every rank and rank count: ``<owner>/<name>`` for a
        registered array (``population.2/hist``), ``<owner>:<attribute>`` for a
        declared one (``propagator.1:buf_phi``, ``population.3:series.0:state``).
    layout : str
        One of :data:`SAVED`.
    array : ndarray
        The live array (restored in place: the compiled loop holds it).
    """

    name: str
    layout: str
    array: np.ndarray


def declared(obj) -> dict:
    """``checkpoint_arrays`` of ``obj``'s class, merged from the base classes down."""
    out: dict = {}
    for cls in reversed(type(obj).__mro__):
        out.update(cls.__dict__.get("checkpoint_arrays", {}) or {})
    return out


def _roots(ctx) -> list[tuple[str, object]]:
    """The top-level components with their canonical owner names."""
    roots = [(f"population.{k}", p) for k, p in sorted(ctx.populations.items())]
    roots += [(f"propagator.{k}", p) for k, p in sorted(ctx.propagators.items())]
    roots += [(f"coupling.{k}", c) for k, c in sorted(ctx.couplings.items())]
    return roots


def _walkable(value) -> bool:
    """True for objects whose attributes may hold model arrays (components, parts)."""
    mod = type(value).__module__ or ""
    return hasattr(value, "__dict__") and mod.startswith("parnft.model") \
        and type(value).__name__ not in ("Context", "Dynamics")


def _base_ids(arr: np.ndarray):
    a = arr
    while isinstance(a, np.ndarray):
        yield id(a)
        a = a.base


def objects(ctx) -> list:
    """Every component of the model and every part of one (dendrites, series, ...)."""
    w = _Walk(ctx)
    for path, comp in _roots(ctx):
        w.component(path, comp)
    return w.objects


def canonicalize(ctx) -> None:
    """Call ``before_checkpoint()`` of every object that has one (every rank, same step).

    A component whose per-rank representation of a state may differ while
    meaning the same (the polar cache of :mod:`parnft.model.stimuli_nftsim`)
    brings it into one canonical form there, so every rank saves the same bits.
    """
    for obj in objects(ctx):
        hook = getattr(obj, "before_checkpoint", None)
        if callable(hook):
            hook()


def after_restore(ctx) -> None:
    """Call ``after_restore()`` of every object that has one (after the ghost frames' refill).

    The inverse of a :func:`canonicalize` hook that moved state out of a place
    a checkpoint does not save (the absorbing edges' ghost cells,
    :meth:`parnft.model.propagators.Wave.after_restore`).
    """
    for obj in objects(ctx):
        hook = getattr(obj, "after_restore", None)
        if callable(hook):
            hook()


class _Walk:
    def __init__(self, ctx):
        self.ctx = ctx
        self.known: dict[int, str] = {}  # id -> role or layout of a classified array
        self.saved: list[StateArray] = []
        self.loose: list[tuple[str, np.ndarray]] = []  # undeclared: must be aliases
        self.root_ids = {id(c) for _, c in _roots(ctx)}
        self.seen: set[int] = set()
        self.objects: list = []

    def classify(self, name: str, arr: np.ndarray, kind: str) -> None:
        if id(arr) in self.known:
            return
        if kind not in SAVED + NOT_SAVED:
            raise CheckpointError(f"{name}: unknown checkpoint role {kind!r}; use one of "
                                  f"{', '.join(SAVED + NOT_SAVED)}")
        self.known[id(arr)] = kind
        if kind in SAVED:
            self.saved.append(StateArray(name, kind, arr))

    def registry(self) -> None:
        for (owner, name), slot in self.ctx.state.items():
            kind = slot.role if slot.role != "state" else _LAYOUT_OF_ALLOC[slot.layout]
            self.classify(f"{owner}/{name}", slot.array, kind)

    def component(self, path: str, obj) -> None:
        if id(obj) in self.seen:
            return
        self.seen.add(id(obj))
        self.objects.append(obj)
        decl = declared(obj)
        for attr, value in sorted(vars(obj).items()):
            where = f"{path}:{attr}"  # registry names are owner/name: no clash
            if isinstance(value, np.ndarray):
                if attr in decl:
                    self.classify(where, value, decl[attr])
                else:
                    self.loose.append((f"{type(obj).__name__}.{attr} ({where})", value))
            elif attr in decl and isinstance(value, (list, tuple)):
                self.every(where, value, decl[attr])  # e.g. a kernel's argument tuple
            else:
                self.nested(where, value)

    def every(self, path: str, value, kind: str) -> None:
        """Classify every array in the (nested) list or tuple ``value`` as ``kind``."""
        for k, v in enumerate(value):
            if isinstance(v, np.ndarray):
                self.classify(f"{path}.{k}", v, kind)
            elif isinstance(v, (list, tuple)):
                self.every(f"{path}.{k}", v, kind)

    def nested(self, path: str, value) -> None:
        if isinstance(value, np.ndarray):
            self.loose.append((path, value))
        elif isinstance(value, (list, tuple)):
            for k, v in enumerate(value):
                self.nested(f"{path}.{k}", v)
        elif isinstance(value, dict):
            for k, v in value.items():
                self.nested(f"{path}.{k}", v)
        elif _walkable(value) and id(value) not in self.root_ids:
            self.component(path, value)

    def is_known(self, arr: np.ndarray) -> bool:
        return any(i in self.known for i in _base_ids(arr))


def model_state(ctx, loop_arrays=(), solver_arrays=()) -> list[StateArray]:
    """Every array of the model a checkpoint saves, in a rank-independent order.

    Parameters
    ----------
    ctx : parnft.model.base.Context
        The built model (its registry and components).
    loop_arrays : iterable of ndarray
        Every array the compiled loop reads or writes; each must be known.
    solver_arrays : iterable of ndarray
        Arrays the solver owns (output buffers, halo buffers): not saved.

    Returns
    -------
    list of StateArray
        Sorted by name.

    Raises
    ------
    CheckpointError
        Naming each array that is neither registered nor declared, nor a view of
        such an array.
    """
    w = _Walk(ctx)
    w.registry()
    for path, comp in _roots(ctx):
        w.component(path, comp)
    for arr in solver_arrays:
        w.known.setdefault(id(arr), "scratch")
    bad = [name for name, arr in w.loose if not w.is_known(arr)]
    bad += [f"an array of shape {a.shape} read by the compiled loop" for a in loop_arrays
            if isinstance(a, np.ndarray) and not w.is_known(a)]
    if bad:
        raise CheckpointError(
            "cannot checkpoint this model exactly: these arrays are neither registered "
            "(Context.alloc) nor declared in their class's checkpoint_arrays: "
            + "; ".join(sorted(set(bad)))
            + "; fix: declare each as state (nodes, rows, ghosted, tile) or as param, "
            "scratch or gathered (parnft/model/state.py)")
    names = [s.name for s in w.saved]
    if len(set(names)) != len(names):
        raise CheckpointError("duplicate state names: "
                              f"{sorted({n for n in names if names.count(n) > 1})}")
    return sorted(w.saved, key=lambda s: s.name)


def global_shape(s: StateArray, glb_shape: tuple[int, int], loc_shape: tuple[int, int]):
    """Shape of ``s`` in the file (global layout), checking its local shape fits its layout."""
    ny, nx = glb_shape
    ly, lx = loc_shape
    a = s.array
    ok = {"nodes": a.shape == (ly * lx,),
          "rows": a.ndim == 2 and a.shape[1] == ly * lx,
          "ghosted": a.ndim == 3 and a.shape[1:] == (ly + 2, lx + 2),
          "tile": True}[s.layout]
    if not ok:
        raise CheckpointError(f"{s.name}: shape {a.shape} does not fit layout {s.layout!r} "
                              f"on a {ly} x {lx} tile")
    return {"nodes": (ny, nx), "rows": (a.shape[0], ny, nx),
            "ghosted": (a.shape[0], ny, nx), "tile": a.shape}[s.layout]


def tile_view(s: StateArray, loc_shape: tuple[int, int]) -> np.ndarray:
    """The owned part of ``s`` shaped like its global hyperslab (a view: writable)."""
    ly, lx = loc_shape
    a = s.array
    if s.layout == "nodes":
        v = a.reshape(ly, lx)
    elif s.layout == "rows":
        v = a.reshape(a.shape[0], ly, lx)
    elif s.layout == "ghosted":
        v = a[:, 1:-1, 1:-1]
    else:
        v = a
    if not np.shares_memory(v, a):
        raise CheckpointError(f"{s.name}: not contiguous, cannot be restored in place")
    return v
