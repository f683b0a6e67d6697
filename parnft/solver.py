"""The simulation: build the model on this rank's tile and run the time loop.

One code path for any rank count: a single process is a 1-rank run whose
halo exchange is a periodic copy of the tile onto itself, done inside the
compiled loop. On several ranks a step is two compiled calls with the halo
wait between them (:mod:`parnft.parallel`): in overlap mode the first does
everything that reads no ghost cell (couplings, populations, and the wave
stencils' inner nodes) while messages fly, the second the tile's outer ring of
each wave (:func:`split_at_halo`); fields that all-to-all couplings read at
every node (:meth:`~parnft.model.base.Component.gathers`) are allgathered after
each step.

Within a compiled call, consecutive kernels that have a strip form run
together over strips of grid rows that stay in cache (:func:`strip_rows`,
:func:`parnft.codegen.fuse_groups`); every node gets the same operations in the
same order, so results are bitwise those of kernel-by-kernel sweeps.

Each step runs NFTsim's stages (STUDY.md section 2.2): couplings (read phi of
the previous step), populations (dendrites, soma, firing; stimuli), propagators
(read the delayed Q of this step), halo exchange, then output sampling.
"""

from __future__ import annotations

import os
import time as _time
from dataclasses import dataclass, replace

import numpy as np

from .codegen import array_id, compile_loop, plan_loop
from .config.spec import ModelSpec
from .errors import Interrupted, ParnftError, RunError
from .kernels.wave import wave_fill_periodic
from .model.base import STAGES, Call, Context
from .model.populations import make_population
from .model.propagators import make_propagator
from .model.registry import lookup
from .outputs import OutputPlan
from .parallel.stop import RunControl

HALO_MODES = ("overlap", "blocking")


class _Allgather:
    """One ``Allgatherv`` per gathered field into its global array (global node order).

    Rank r's tile arrives at displacement ``sum of earlier tiles' sizes`` (from
    :meth:`~parnft.parallel.tiling.Tiling.tile_bounds`); a precomputed
    permutation puts the nodes in global order, unless the rank-tile order is
    already the global one (one column of tiles). Buffers are built once.
    """

    def __init__(self, tiling, pairs: list):
        from mpi4py import MPI

        nx = tiling.glb_shape[1]
        bounds = tiling.tile_bounds()
        counts = tuple((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in bounds)
        displs = tuple(int(d) for d in np.cumsum((0,) + counts[:-1]))
        order = np.concatenate([(np.arange(y0, y1)[:, None] * nx + np.arange(x0, x1)).ravel()
                                for y0, y1, x0, x1 in bounds])
        self.comm = tiling.comm
        self.perm = None if np.array_equal(order, np.arange(order.size)) else np.argsort(order)
        self.recv = None if self.perm is None else np.empty(order.size)
        self.ops = []
        for loc, glob in pairs:
            if (loc.dtype != np.float64 or glob.dtype != np.float64 or not loc.flags.c_contiguous
                    or loc.size != counts[tiling.rank] or glob.shape != (order.size,)):
                raise ParnftError("a gathered field must be a flat float64 array of this tile "
                                  "paired with one of every node")
            rbuf = glob if self.perm is None else self.recv
            self.ops.append(([loc, MPI.DOUBLE], [rbuf, (counts, displs), MPI.DOUBLE], glob))

    def __call__(self) -> None:
        for sbuf, rbuf, glob in self.ops:
            self.comm.Allgatherv(sbuf, rbuf)
            if self.perm is not None:
                np.take(self.recv, self.perm, out=glob)


#: Nodes per strip of the cache-blocked step (:func:`strip_rows`); ``$PARNFT_STRIP_NODES``
#: overrides it, and 0 makes the whole tile one strip (each kernel sweeps the tile in turn).
STRIP_NODES = 4096


def strip_rows(loc_shape: tuple[int, int], nodes: int | None = None) -> tuple[int, int, int]:
    """``(ly, lx, rows)``: the tile and the grid rows per strip.

    A strip holds about ``nodes`` nodes (default ``$PARNFT_STRIP_NODES`` or
    :data:`STRIP_NODES`; whole rows, at least one), so the few dozen per-node
    arrays a step touches stay in the core's L2 cache while every kernel of
    the step passes over the strip. ``nodes = 0``: the whole tile is one strip.
    """
    target = int(os.environ.get("PARNFT_STRIP_NODES", STRIP_NODES)) if nodes is None else nodes
    ly, lx = loc_shape
    if target <= 0:
        return ly, lx, max(ly, 1)
    return ly, lx, max(1, min(ly, target // max(lx, 1)))


def split_at_halo(calls: list[Call], ghosted: list) -> tuple[list[Call], list[Call]]:
    """The step's calls before and after the halo wait, for the overlap mode.

    A call that reads none of the ``ghosted`` arrays runs before the wait. A
    stencil with an inner/frame form runs its inner nodes (in strips) before
    the wait and its outer ring, then its ``after`` calls, after the wait. A
    stencil without one, and every call after it, runs after the wait.
    """
    ghost_ids = {array_id(a) for a in ghosted}
    first, frames, rest = [], [], []
    for c in calls:
        reads_ghosts = bool({array_id(a) for a in c.args if isinstance(a, np.ndarray)} & ghost_ids)
        splittable = c.ranged is not None and c.ranged.inner is not None
        if rest or (reads_ghosts and not splittable):
            rest.append(c)
        elif reads_ghosts:
            r = c.ranged
            first.append(Call(c.kernel, c.args,
                              replace(r, kernel=r.inner, after=(), inner=None, frame=())))
            frames += list(r.frame) + list(r.after)
        else:
            first.append(c)
    return first, frames + rest


class _Loop:
    """A compiled loop over some of the step's calls, with its argument arrays."""

    def __init__(self, calls: list[Call], records: list | None, strip=None):
        plan = plan_loop(calls, records or [], sample=records is not None, strip=strip)
        self.fn = compile_loop(plan)
        self.arrays = plan.arrays
        self.scalars = (np.array(plan.floats, dtype=np.float64),
                        np.array(plan.ints, dtype=np.int64))

    def __call__(self, sim, nsteps: int):
        o = sim.outputs
        return self.fn(nsteps, sim.n, o.skip, o.every, o.tsteps, o.row, o.nrows,
                       *self.scalars, *self.arrays)


@dataclass
class RunStats:
    """Wall-clock seconds spent per phase of a run (this rank)."""

    build: float = 0.0
    compile: float = 0.0
    compute: float = 0.0
    halo: float = 0.0
    output: float = 0.0
    steps: int = 0


class Simulation:
    """A model built on one rank's tile, ready to run.

    Parameters
    ----------
    spec : ModelSpec
        The validated model (:func:`parnft.read_config`).
    comm : mpi4py communicator, optional
        Ranks sharing the grid; None runs on this process alone.
    procs : tuple of int, optional
        Process grid ``(px, py)``; chosen automatically when None.
    rng : {"counter", "nftsim"}
        White-noise generator: parnft's counter-based one, or NFTsim's
        mt19937_64 stream reproduced bit for bit (``docs/rng.md``).
    halo : {"overlap", "blocking"}
        Halo exchange on several ranks (``docs/parallel.md``).
    strip_nodes : int, optional
        Nodes per cache-blocking strip (:func:`strip_rows`); results do not
        depend on it.
    """

    def __init__(self, spec: ModelSpec, comm=None, procs=None, rng: str = "counter",
                 halo: str = "overlap", strip_nodes: int | None = None):
        t0 = _time.perf_counter()
        from .parallel.tiling import Tiling

        self.spec = spec
        if rng not in ("counter", "nftsim"):
            raise ParnftError(f"unknown rng {rng!r}; use 'counter' or 'nftsim'")
        if halo not in HALO_MODES:
            raise ParnftError(f"unknown halo mode {halo!r}; use one of {', '.join(HALO_MODES)}")
        self.halo_mode = halo
        self.strip_nodes = strip_nodes
        if comm is None:
            from mpi4py import MPI

            comm = MPI.COMM_SELF
        self.tiling = Tiling(comm, spec.grid.shape, procs)
        self.comm = self.tiling.comm
        self.stats = RunStats()
        self.ctx = ctx = Context(spec=spec, dt=spec.time.deltat, glb_shape=spec.grid.shape,
                                 loc_shape=tuple(self.tiling.loc_shape),
                                 loc_start=tuple(self.tiling.loc_start), rng=rng)
        ctx.gatherer = self.tiling
        for p in spec.populations:
            ctx.populations[p.index] = make_population(p, ctx)
        for pr in spec.propagators:
            ctx.propagators[pr.index] = make_propagator(pr, ctx, lookup("propagator", pr.kind))
        for cp in spec.couplings:
            ctx.couplings[cp.index] = lookup("coupling", cp.kind)(cp, ctx)
        for pop in ctx.populations.values():
            pop.build(ctx)
        self.components = (list(ctx.couplings.values()) + list(ctx.populations.values())
                           + list(ctx.propagators.values()))
        self.wave_fields = [f for c in self.components for f in c.wave_fields()]
        # all-to-all inputs: gathered on several ranks; on one rank glob is the field itself
        self.gathers = [] if self.local_halo else [g for c in self.components
                                                   for g in c.gathers()]
        self.outputs = OutputPlan(spec, ctx, self)
        self.n = 0
        self._loops = None
        self.stats.build = _time.perf_counter() - t0

    @property
    def local_halo(self) -> bool:
        """True when every tile neighbour is the tile itself (one rank): fill in the loop."""
        return self.tiling.size == 1

    @property
    def needs_exchange(self) -> bool:
        """True when wave fields' ghost frames or gathered fields travel every step."""
        return not self.local_halo and bool(self.wave_fields or self.gathers)

    def stage_calls(self, stages) -> list[Call]:
        """Kernel calls of ``stages``, in stage order, then component order."""
        return [call for stage in stages for c in self.components for call in c.calls(stage)]

    def step_calls(self) -> list[Call]:
        """All kernel calls of one step, in stage order (the one-rank loop body)."""
        calls = self.stage_calls(STAGES[:-1])
        if self.local_halo:
            calls += [Call(wave_fill_periodic, (phi, q, cur)) for phi, q, cur, _ in
                      self.wave_fields]
        return calls

    def _compile(self) -> None:
        """Build the compiled loop(s) and fill the initial ghost frames (once)."""
        if self._loops is not None:
            return
        t0 = _time.perf_counter()
        recs = self.outputs.records()
        self._halo = self._gather = None
        strip = strip_rows(self.ctx.loc_shape, self.strip_nodes)
        if not self.needs_exchange:
            self._loops = [_Loop(self.step_calls(), recs, strip)]
            for phi, q, cur, _ in self.wave_fields:
                wave_fill_periodic(phi, q, cur, 0)
        else:
            from .parallel.halo import HaloExchange

            # overlap: everything that needs no ghost cell runs while messages fly
            calls = self.stage_calls(STAGES[:-1])
            if self.halo_mode == "overlap":
                first, second = split_at_halo(calls, [a for phi, q, *_ in self.wave_fields
                                                      for a in (phi, q)])
            else:
                first, second = calls, []
            self._loops = [_Loop(first, None, strip), _Loop(second, recs, strip)]
            if self.wave_fields:
                corners = any(c for *_, c in self.wave_fields)
                self._halo = HaloExchange(self.tiling, 2 * len(self.wave_fields),
                                          corners=corners)
                self._halo.exchange(self._ghosted())
            if self.gathers:
                self._gather = _Allgather(self.tiling, self.gathers)
                self._gather()
        for loop in self._loops:
            loop(self, 0)  # compiles, or loads from the disk cache, without advancing
        self.stats.compile = _time.perf_counter() - t0

    def _ghosted(self) -> list:
        """The current level of every wave field (their frames are exchanged)."""
        fields = []
        for phi, q, cur, _ in self.wave_fields:
            fields += [phi[cur[0]], q[cur[0]]]
        return fields

    def _step_exchanging(self) -> int:
        """One step on several ranks: ghost-free work, halo wait, the rest; returns rows."""
        pre, post = self._loops
        halo = self._halo
        t0 = _time.perf_counter()
        pre(self, 1)
        t1 = _time.perf_counter()
        if halo is not None and self.halo_mode == "overlap":
            halo.wait()  # messages started at the end of the previous step
        t2 = _time.perf_counter()
        _, row = post(self, 1)
        t3 = _time.perf_counter()
        if halo is not None and self.halo_mode == "overlap":
            halo.start(self._ghosted())
        elif halo is not None:
            halo.exchange(self._ghosted())
        if self._gather is not None:
            self._gather()  # the next step's couplings read this step's fields
        t4 = _time.perf_counter()
        self.stats.compute += (t1 - t0) + (t3 - t2)
        self.stats.halo += (t2 - t1) + (t4 - t3)
        return row

    def run(self, writer=None, progress=None, steps: int | None = None,
            control=None) -> RunStats:
        """Advance to the end (or by ``steps``), sampling outputs into ``writer``.

        Parameters
        ----------
        writer : object with ``write(tsteps, blocks)``, optional
            Receives each full buffer of samples (see :mod:`parnft.outputs`).
        progress : callable(n, total), optional
            Called between compiled chunks.
        steps : int, optional
            Number of steps to advance; default: up to ``spec.time.steps``.
        control : parnft.parallel.stop.RunControl, optional
            Agreement points (the same steps on every rank): stop on a signal,
            flush on the wall-time bound, next chunk length. Default: one
            that never stops.

        Raises
        ------
        parnft.errors.Interrupted
            On every rank at the same step, after flushing the buffers, when a
            rank received a stop signal (:mod:`parnft.parallel.stop`).
        """
        self._compile()
        total = self.spec.time.steps
        end = total if steps is None else min(total, self.n + steps)
        ctl = control if control is not None else RunControl(self.comm)
        if self._halo is not None and self.halo_mode == "overlap" and self.n < end:
            self._halo.start(self._ghosted())
        while self.n < end:
            self._run_chunk(min(end - self.n, max(1, ctl.steps_left())), ctl)
            if self.outputs.row == self.outputs.nrows or self.n >= end:
                self._flush(writer, ctl)
            if self.n % 64 == 0 or len(self._loops) == 1 or self.n >= end:
                self._check_finite()
            if ctl.due and self.n < end:
                self._agreement_point(writer, ctl)
            if progress is not None:
                progress(self.n, total)
        if self._halo is not None and self.halo_mode == "overlap" and self._halo.pending:
            self._halo.wait()
        self.stats.steps = self.n
        return self.stats

    def _run_chunk(self, todo: int, ctl) -> None:
        """Up to ``todo`` steps; stops early when the sample buffer fills."""
        o = self.outputs
        if len(self._loops) == 2:
            o.row = self._step_exchanging()
            done = 1
        else:
            t0 = _time.perf_counter()
            done, o.row = self._loops[0](self, todo)
            self.stats.compute += _time.perf_counter() - t0
        self.n += done
        ctl.advance(done)

    def _flush(self, writer, ctl) -> None:
        t0 = _time.perf_counter()
        self.outputs.flush(writer)
        ctl.flushed()
        self.stats.output += _time.perf_counter() - t0

    def _agreement_point(self, writer, ctl) -> None:
        """Collective: flush on the wall-time bound; flush and raise on a stop signal."""
        d = ctl.agree(self.n)
        if d.flush or d.signum:
            self._flush(writer, ctl)
        if d.signum:
            if self._halo is not None and self._halo.pending:
                self._halo.wait()
            raise Interrupted(d.signum, self.n)

    def close(self) -> None:
        """Free the halo plan and the tiling's communicators (collective). Idempotent."""
        halo = getattr(self, "_halo", None)
        if halo is not None:
            if halo.pending:
                halo.wait()
            halo.free()
            self._halo = None
        if self.tiling.comm is not None:
            self.tiling.free()

    def _check_finite(self) -> None:
        for pop in self.ctx.populations.values():
            if not np.all(np.isfinite(pop.q)):
                bad = int(np.flatnonzero(~np.isfinite(pop.q))[0])
                node = int(self.ctx.glb_index[bad]) + 1
                raise RunError(
                    f"{self.spec.path}: population {pop.index} firing rate is not finite at "
                    f"node {node}, t = {self.n * self.ctx.dt:.6g} s (step {self.n}); the model "
                    "diverged: check the Courant number, Deltat against the dendrite rates, "
                    "and the coupling strengths")
