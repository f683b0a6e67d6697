"""Output sampling: which fields, which nodes, when; buffered in blocks.

The ``Output`` block of a ``.conf`` names traces such as ``Propagator: 1``
(every field of propagator 1) or ``Population: 2.Q``. Each trace is sampled
after step n when n - skip > 0 and (n - skip) is a multiple of ``every``
(NFTsim: skip = Start/dt, every = Interval/dt; the initial state is not
written). Samples fill a buffer of ``nrows`` rows inside the compiled loop;
full buffers are handed to a writer.

Trace names follow NFTsim's column names (``Pop.2.Q``, ``Propagator.1.phi``,
``Coupling.3.nu``, ``Dendrite.1.V``); :attr:`Trace.key` is the lower-case
dataset name used in HDF5 files (``pop.2.q``, ``propagator.1.phi``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config.spec import ModelSpec
from .errors import ConfigError, Problem

_KINDS = {"population": "Pop", "dendrite": "Dendrite", "propagator": "Propagator",
          "coupling": "Coupling"}
#: Upper bound of one sample buffer, bytes per rank.
BUFFER_BYTES = 32 << 20


@dataclass
class Trace:
    """One output trace on this tile.

    Attributes
    ----------
    name : str
        NFTsim column name, e.g. ``"Propagator.1.phi"``.
    src : ndarray
        The field sampled (flat per-node array, or 1 element for a global value).
    idx : ndarray of int64
        Local indices into ``src`` of the selected nodes this tile owns.
    nodes : ndarray of int64
        Their 1-based global node numbers (same order as ``idx``).
    buf : ndarray (nrows, len(idx))
        Sample buffer.
    """

    name: str
    src: np.ndarray
    idx: np.ndarray
    nodes: np.ndarray
    buf: np.ndarray | None = None
    scalar: bool = False
    #: Unit declared by the component (``Component.units``), else None (:data:`io.hdf5.UNITS`).
    unit: str | None = None

    @property
    def key(self) -> str:
        """Dataset name: the column name in lower case."""
        return self.name.lower()


def _objects(sim, family: str) -> dict:
    ctx = sim.ctx
    if family == "population":
        return ctx.populations
    if family == "propagator":
        return ctx.propagators
    if family == "coupling":
        return ctx.couplings
    return {d.spec.index: d for p in ctx.populations.values() for d in getattr(p, "dendrites", [])}


class OutputPlan:
    """Every trace of the Output block on this tile, with its sample buffers.

    Parameters
    ----------
    spec : ModelSpec
    ctx : parnft.model.base.Context
    sim : parnft.solver.Simulation
        Provides the built components.
    """

    def __init__(self, spec: ModelSpec, ctx, sim):
        out = spec.output
        dt = spec.time.deltat
        self.skip = int(round(out.start / dt))
        self.every = 1 if out.interval is None else max(1, int(round(out.interval / dt)))
        self.dt = dt
        self.total_samples = max(0, (spec.time.steps - self.skip) // self.every)
        self.traces: list[Trace] = []
        sel = list(out.nodes)
        all_nodes = len(sel) == 0
        self.all_nodes = all_nodes
        idx = ctx.local_nodes(sel)
        nodes = ctx.glb_index[idx] + 1
        for family in ("population", "dendrite", "propagator", "coupling"):
            objs = _objects(sim, family)
            for item in getattr(out, family):
                obj_id, _, fname = str(item).partition(".")
                obj = objs.get(int(obj_id))
                if obj is None:
                    raise ConfigError([Problem(spec.path, out.loc.get(family.capitalize(), 0),
                                               f"Output {family.capitalize()}", item,
                                               f"no {family} {obj_id}",
                                               "name an existing object")])
                wanted = [fname] if fname else list(obj.fields)
                for f in wanted:
                    if f not in obj.fields:
                        raise ConfigError([Problem(
                            spec.path, out.loc.get(family.capitalize(), 0),
                            f"Output {family.capitalize()}", item,
                            f"{family} {obj_id} has no output field {f!r}",
                            f"use one of {', '.join(obj.fields) or '(none)'}")])
                    src = obj.fields[f]
                    if f in getattr(obj, "scalar_fields", ()):
                        # one value for the whole grid: the owner of the first output
                        # node writes it, as that node's column
                        first = sel[0] if sel else 1
                        mine = np.flatnonzero(ctx.glb_index == first - 1)
                        t_idx = np.zeros(len(mine), dtype=np.int64)
                        t_nodes = np.full(len(mine), first, dtype=np.int64)
                    else:
                        t_idx, t_nodes = idx, nodes
                    self.traces.append(Trace(f"{_KINDS[family]}.{obj_id}.{f}", src,
                                             t_idx.copy(), t_nodes.copy(),
                                             scalar=f in getattr(obj, "scalar_fields", ()),
                                             unit=getattr(obj, "units", {}).get(f)))
        ncols = max(1, sum(len(t.idx) for t in self.traces))
        nrows = int(max(1, min(max(self.total_samples, 1), BUFFER_BYTES // (8 * ncols))))
        # every rank must flush at the same steps (the writes are collective): the
        # buffer length is the smallest over the ranks, whose tiles may differ
        comm = getattr(sim, "comm", None)
        if comm is not None and comm.Get_size() > 1:
            from mpi4py import MPI

            nrows = int(comm.allreduce(nrows, op=MPI.MIN))
        self.nrows = nrows
        for t in self.traces:
            t.buf = np.zeros((self.nrows, len(t.idx)))
        self.tsteps = np.zeros(self.nrows, dtype=np.int64)
        self.row = 0

    def records(self) -> list[tuple]:
        """``(buf, src, idx)`` of every trace, for the compiled loop."""
        return [(t.buf, t.src, t.idx) for t in self.traces]

    def flush(self, writer) -> None:
        """Hand the filled rows to ``writer.write(tsteps, blocks)`` and reset the buffer."""
        if self.row and writer is not None:
            writer.write(self.tsteps[: self.row].copy(),
                         [t.buf[: self.row] for t in self.traces])
        self.row = 0


class MemoryWriter:
    """Collects all samples in memory (tests, notebooks): ``time`` and ``data[key]``."""

    def __init__(self, plan: OutputPlan):
        self.plan = plan
        self._t: list = []
        self._d: dict = {t.key: [] for t in plan.traces}

    def write(self, tsteps, blocks) -> None:
        """Append one block of samples."""
        self._t.append(tsteps)
        for t, b in zip(self.plan.traces, blocks, strict=True):
            self._d[t.key].append(b.copy())

    @property
    def time(self) -> np.ndarray:
        """Absolute sample times [s]."""
        steps = np.concatenate(self._t) if self._t else np.zeros(0, dtype=np.int64)
        return steps * self.plan.dt

    def __getitem__(self, key: str) -> np.ndarray:
        parts = self._d[key.lower()]
        ncol = next(len(t.idx) for t in self.plan.traces if t.key == key.lower())
        return np.concatenate(parts) if parts else np.zeros((0, ncol))
