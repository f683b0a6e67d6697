"""The simulation: build the model on this rank's tile and run the time loop.

One code path for any rank count: a single process is a 1-rank run whose
halo exchange is a periodic copy of the tile onto itself, done inside the
compiled loop. On several ranks the compiled loop also exchanges
(:class:`parnft.codegen.Exchange`, MPI through :mod:`parnft.parallel.native`):
in overlap mode each step first does everything that reads no ghost cell
(couplings, populations, and the wave stencils' inner nodes) while the
messages started at the end of the previous step fly, then waits, unpacks
and does the tile's outer ring of each wave (:func:`split_at_halo`), then
packs and starts the next exchange; fields that all-to-all couplings read at
every node (:meth:`~parnft.model.base.Component.gathers`) are allgathered after
each step. Python runs only between chunks of steps (:meth:`Simulation.run`,
:meth:`Simulation._chunk_boundary`). Where compiled code cannot call MPI (no
MPI library found, or ``PARNFT_NATIVE_MPI=0``) a step is two compiled calls
with the exchange between them, from Python: the same results, slower.

Within a compiled call, consecutive kernels that have a strip form run
together over strips of grid rows that stay in cache (:func:`strip_rows`,
:func:`parnft.codegen.fuse_groups`); every node gets the same operations in the
same order, so results are bitwise those of kernel-by-kernel sweeps.

Each step runs NFTsim's stages (STUDY.md section 2.2): couplings (read phi of
the previous step), populations (dendrites, soma, firing; stimuli), propagators
(read the delayed Q of this step), halo exchange, then output sampling.
"""

from __future__ import annotations

import logging
import os
import time as _time
from dataclasses import dataclass, replace

import numpy as np

from .boundary.calls import field_fills
from .codegen import Exchange, array_id, compile_lock, compile_loop, plan_loop
from .config.spec import ModelSpec
from .errors import Checkpointed, Interrupted, ParnftError, RunError
from .kernels.wave import wave_fill_periodic
from .model.base import STAGES, Call, Context, GhostFill
from .model.catalog import lookup
from .model.populations import make_population
from .model.propagators import make_propagator
from .outputs import OutputPlan
from .parallel.stop import RunControl
from .restart import Restartable, test_hooks

HALO_MODES = ("auto", "overlap", "blocking")

log = logging.getLogger("parnft")


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

    def __init__(self, calls: list[Call], records: list | None, strip=None, exchange=None):
        plan = plan_loop(calls, records or [], sample=records is not None, strip=strip,
                         exchange=exchange)
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
    checkpoint: float = 0.0
    restore: float = 0.0
    steps: int = 0


class Simulation(Restartable):
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
    halo : {"auto", "overlap", "blocking"}
        Halo exchange on several ranks (``docs/parallel.md``). ``"auto"``
        (default) is ``"blocking"`` where the halo travels through shared
        memory (:mod:`parnft.parallel.shm`: the sender copies, so there is no
        latency to hide and the split of each wave into inner nodes and frame
        only costs) and ``"overlap"`` where it travels as MPI messages;
        :attr:`halo_mode` is the mode chosen.
    strip_nodes : int, optional
        Nodes per cache-blocking strip (:func:`strip_rows`); results do not
        depend on it.
    """

    def __init__(self, spec: ModelSpec, comm=None, procs=None, rng: str = "counter",
                 halo: str = "auto", strip_nodes: int | None = None):
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
        self.tiling = Tiling(comm, spec.grid.shape, procs, periods=spec.grid.boundary.periods)
        self.comm = self.tiling.comm
        self.stats = RunStats()
        self.ctx = ctx = Context(spec=spec, dt=spec.time.deltat, glb_shape=spec.grid.shape,
                                 loc_shape=tuple(self.tiling.loc_shape),
                                 loc_start=tuple(self.tiling.loc_start), rng=rng)
        ctx.gatherer = self.tiling
        if ctx.read_maps():  # per-node maps: every rank its tile, then agree (a file
            self._agree_on_maps()  # one rank cannot see fails every rank, no hang)
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
        # physical boundaries: ghost fills on this tile's global edges, after every exchange
        bnd, edges = spec.grid.boundary, self.tiling.edges
        self.fills = [f for c in self.components for f in c.boundary_fills(bnd, edges)]
        self._primes = [f for c in self.components for f in c.boundary_primes(bnd, edges)]
        # all-to-all inputs: gathered on several ranks; on one rank glob is the field itself
        self.gathers = [] if self.local_halo else [g for c in self.components
                                                   for g in c.gathers()]
        self.outputs = OutputPlan(spec, ctx, self)
        self.n = 0
        self._loops = None
        self._halo = self._gather = None
        #: Halo plans of the mid-step ghost fills (:class:`GhostFill`), by field count.
        self._fill_halos: dict = {}
        #: The Python-driven multi-rank path: the fills between its loops (else None).
        self._py_fills = None
        self._state = self._saved_at = None
        #: Checkpoints of this run (:class:`parnft.io.checkpoint.CheckpointWriter`), or None.
        self.checkpoints = None
        #: Name of the MPI library compiled code calls, or None (steps exchange from Python).
        self.native_mpi = None
        if halo == "auto":
            self.halo_mode = self._auto_halo_mode()
        self.stats.build = _time.perf_counter() - t0

    def _auto_halo_mode(self) -> str:
        """``"blocking"`` when the halo will travel through shared memory, else ``"overlap"``.

        Collective when messages travel (the transport is agreed by every rank,
        :func:`parnft.parallel.shm.choose_transport`, as the plans will agree it).
        """
        if not self.needs_exchange:
            return "overlap"
        from .parallel.shm import choose_transport

        return "blocking" if choose_transport(self.comm, True) == "shm" else "overlap"

    def _agree_on_maps(self) -> None:
        """Raise the first rank's map reading error on every rank (collective)."""
        from .parallel.comm import agree_on_error

        agree_on_error(self.comm, self.ctx.map_error)

    @property
    def local_halo(self) -> bool:
        """True when every tile neighbour is the tile itself (one rank): fill in the loop."""
        return self.tiling.size == 1

    @property
    def needs_exchange(self) -> bool:
        """True when wave fields' ghost frames, stage fills or gathered fields travel every step."""
        return not self.local_halo and bool(self.wave_fields or self.gathers or self._has_fills())

    @property
    def halo_transport(self) -> str | None:
        """How the halo messages travel once the loop is built: ``"shm"`` or ``"mpi"``.

        None on one rank, before the first :meth:`run`, or when nothing is
        exchanged (:attr:`parnft.parallel.halo.HaloExchange.transport`).
        """
        plans = [self._halo, *self._fill_halos.values()]
        return next((h.transport for h in plans if h is not None), None)

    def _has_fills(self) -> bool:
        return any(isinstance(c, GhostFill) for c in self.stage_calls(STAGES[:-1]))

    def _bind_fills(self, calls) -> list[GhostFill]:
        """Give every :class:`GhostFill` of ``calls`` a halo plan (one per field count)."""
        from .parallel.halo import HaloExchange

        fills = [c for c in calls if isinstance(c, GhostFill)]
        bnd, edges = self.spec.grid.boundary, self.tiling.edges
        for f in fills:
            n = len(f.fields)
            if n not in self._fill_halos:
                self._fill_halos[n] = HaloExchange(self.tiling, n)
            f.halo = self._fill_halos[n]
            f.edges = [Call(k, args) for fld, cur in f.fields
                       for k, args in field_fills(bnd, edges, fld, cur)]
        return fills

    def stage_calls(self, stages) -> list[Call]:
        """Kernel calls of ``stages``, in stage order, then component order."""
        return [call for stage in stages for c in self.components for call in c.calls(stage)]

    def step_calls(self) -> list[Call]:
        """All kernel calls of one step, in stage order (the one-rank loop body)."""
        calls = self.stage_calls(STAGES[:-1])
        if self.local_halo:
            calls += [Call(wave_fill_periodic, (phi, q, cur)) for phi, q, cur, _ in
                      self.wave_fields]
            calls += self.fills
        return calls

    def _fill_edges(self, calls=None) -> None:
        """Run the boundary fills (default: :attr:`fills`) from Python, after an exchange."""
        for c in self.fills if calls is None else calls:
            c.kernel(*c.args, 0)

    def _compile(self) -> None:
        """Build the compiled loop(s) and fill the initial ghost frames (once)."""
        if self._loops is not None:
            return
        t0 = _time.perf_counter()
        recs = self.outputs.records()
        strip = strip_rows(self.ctx.loc_shape, self.strip_nodes)
        if not self.needs_exchange:
            self._bind_fills(self.step_calls())
            self._loops = [_Loop(self.step_calls(), recs, strip)]
            for phi, q, cur, _ in self.wave_fields:
                wave_fill_periodic(phi, q, cur, 0)
            self._fill_edges(self._primes)
        else:
            from .parallel.allgather import Allgather
            from .parallel.halo import HaloExchange

            # overlap: everything that needs no ghost cell runs while messages fly
            calls = self.stage_calls(STAGES[:-1])
            self._bind_fills(calls)
            if self.halo_mode == "overlap":
                first, second = split_at_halo(calls, [a for phi, q, *_ in self.wave_fields
                                                      for a in (phi, q)])
            else:
                first, second = calls, []
            if self.wave_fields:
                corners = any(c for *_, c in self.wave_fields)
                self._halo = HaloExchange(self.tiling, 2 * len(self.wave_fields),
                                          corners=corners)
                self._halo.exchange(self._ghosted())
                self._fill_edges(self._primes)
            if self.gathers:
                self._gather = Allgather(self.tiling, self.gathers)
                self._gather()
            self.native_mpi = self._load_native()
            if self.native_mpi is not None:
                from .parallel.native import ABI

                fields = [(a, cur) for phi, q, cur, _ in self.wave_fields for a in (phi, q)]
                ex = Exchange(self.halo_mode, self._halo, fields, self._gather, second, ABI,
                              fills=self.fills)
                self._loops = [_Loop(first, recs, strip, exchange=ex)]
            else:  # Python exchanges between loops: split at the mid-step fills too
                segs, self._py_fills = [[]], []
                for c in first:
                    if isinstance(c, GhostFill):
                        segs.append([])
                        self._py_fills.append(c)
                    else:
                        segs[-1].append(c)
                if any(isinstance(c, GhostFill) for c in second):
                    raise ParnftError("a mid-step ghost fill after the wave halo wait needs "
                                      "MPI calls from compiled code (native MPI)")
                tail = self.fills + second if self.halo_mode == "overlap" else second
                self._loops = [_Loop(seg, None, strip) for seg in segs] + \
                    [_Loop(tail, recs, strip)]
        for loop in self._loops:
            with compile_lock(loop.fn):  # one process compiles, the others then load
                loop(self, 0)  # compiles, or loads from the disk cache, without advancing
        self.stats.compile = _time.perf_counter() - t0

    def _load_native(self) -> str | None:
        """The MPI library compiled code will call, or None (logged): step from Python.

        Collective: every rank takes the same path (all native, or all from Python).
        """
        from mpi4py import MPI

        from .parallel.native import load

        try:
            name, why = load(), ""
        except ParnftError as err:
            name, why = None, str(err)
        if not self.comm.allreduce(name is not None, op=MPI.LAND):
            reasons = [w for w in self.comm.allgather(why) if w]
            if self.tiling.rank == 0:
                log.warning("halo exchange from Python, one step per call: %s", reasons[0])
            return None
        return name

    def _ghosted(self) -> list:
        """The current level of every wave field (their frames are exchanged)."""
        fields = []
        for phi, q, cur, _ in self.wave_fields:
            fields += [phi[cur[0]], q[cur[0]]]
        return fields

    def _step_exchanging(self) -> int:
        """One step from Python (no native MPI): ghost-free work, halo wait, the rest; rows."""
        *pres, post = self._loops
        halo = self._halo
        t0 = _time.perf_counter()
        for j, pre in enumerate(pres):
            if j:
                fill = self._py_fills[j - 1]
                fill.halo.exchange([f[int(cur[0])] for f, cur in fill.fields])
                self._fill_edges(fill.edges)
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
            self._fill_edges()
        if self._gather is not None:
            self._gather()  # the next step's couplings read this step's fields
        t4 = _time.perf_counter()
        self.stats.compute += (t1 - t0) + (t3 - t2)
        self.stats.halo += (t2 - t1) + (t4 - t3)
        return row

    def _exchange_seconds(self) -> float:
        return sum(float(o.times[0]) for o in (self._halo, self._gather,
                                                *self._fill_halos.values()) if o is not None)

    def _advance(self, todo: int) -> int:
        """Advance up to ``todo`` steps (fewer when the output buffer fills); return the count."""
        o = self.outputs
        if self._py_fills is not None:  # the Python-driven multi-rank path
            done = 0
            while done < todo:
                o.row = self._step_exchanging()
                self.n += 1
                done += 1
                if o.row == o.nrows:
                    break
            return done
        h0 = self._exchange_seconds()
        t0 = _time.perf_counter()
        done, o.row = self._loops[0](self, todo)
        el = _time.perf_counter() - t0
        dh = self._exchange_seconds() - h0
        self.stats.compute += el - dh
        self.stats.halo += dh
        self.n += done
        for obj, what in ((self._halo, "halo exchange"), (self._gather, "Allgatherv"),
                          *((h, "stage ghost fill") for h in self._fill_halos.values())):
            if obj is not None and obj.state[2] != 0:
                from .parallel.native import error_string

                raise RunError(f"{self.spec.path}: MPI error in the {what} at step {self.n}: "
                               f"{error_string(int(obj.state[2]))}")
        return done

    def _chunk_boundary(self, writer, progress, end: int, ctl) -> None:
        """Between two compiled chunks (same step on every rank): flush, check, agree, report.

        The one place where Python runs during a run; hooks that need every
        rank at the same step (collective output, checkpoints, signal
        agreement) belong here. Chunk lengths come from ``ctl``
        (:class:`~parnft.parallel.stop.RunControl`), agreed by every rank.
        """
        o = self.outputs
        self._check_finite()  # before a non-finite sample can reach the file
        hook = test_hooks()
        if self.n == hook.get("signal", -1):  # as if SIGTERM had reached rank 0 just now
            ctl.request_stop(15 if self.tiling.rank == 0 else 0)
        if self.n == hook.get("kill", -1):
            self._flush(writer, ctl)
            from .io.checkpoint import fault

            fault(os.environ["PARNFT_TEST_KILL_AT"])
        if o.row == o.nrows or self.n >= end:
            self._flush(writer, ctl)
        if ctl.due and self.n < end:
            self._agreement_point(writer, ctl)
        ck = self.checkpoints
        if ck is not None and ck.every_steps and self.n % ck.every_steps == 0 \
                and self.n < end:
            self._flush(writer, ctl)
            self.save_checkpoint()
            ctl.checkpointed()
        if progress is not None:
            progress(self.n, self.spec.time.steps)

    def _chunk_end(self, end: int, ctl) -> int:
        """Steps of the next chunk: up to the agreement point, a checkpoint or a test hook."""
        todo = min(end - self.n, max(1, ctl.steps_left()))
        ck = self.checkpoints
        if ck is not None and ck.every_steps:
            todo = min(todo, ck.every_steps - self.n % ck.every_steps)
        for at in test_hooks().values():
            if at > self.n:
                todo = min(todo, at - self.n)
        return todo

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
        halo = self._halo
        if halo is not None and self.halo_mode == "overlap" and self.n < end \
                and not halo.pending:
            halo.start(self._ghosted())  # the first step's loop waits for it
        while self.n < end:
            done = self._advance(self._chunk_end(end, ctl))
            ctl.advance(done)
            self._chunk_boundary(writer, progress, end, ctl)
        if halo is not None and halo.pending:
            halo.wait(self._ghosted())  # ghost frames complete between runs
            self._fill_edges()
        self.stats.steps = self.n
        return self.stats

    def _flush(self, writer, ctl) -> None:
        t0 = _time.perf_counter()
        self.outputs.flush(writer)
        ctl.flushed()
        self.stats.output += _time.perf_counter() - t0

    def _agreement_point(self, writer, ctl) -> None:
        """Collective: flush on the wall-time bound; flush and raise on a stop signal."""
        d = ctl.agree(self.n)
        if d.flush or d.signum or d.checkpoint:
            self._flush(writer, ctl)
        path = None
        if self.checkpoints is not None and (d.signum or d.checkpoint):
            path = self.save_checkpoint()
            ctl.checkpointed()
        if d.signum:
            if self._halo is not None and self._halo.pending:
                self._halo.wait(self._ghosted())
                self._fill_edges()
            if path is not None:
                raise Checkpointed(d.signum, self.n, path)
            raise Interrupted(d.signum, self.n)

    def close(self) -> None:
        """Free the halo plan and the tiling's communicators (collective). Idempotent."""
        halo = getattr(self, "_halo", None)
        if halo is not None:
            if halo.pending:
                halo.wait(self._ghosted())
            halo.free()
            self._halo = None
        for h in getattr(self, "_fill_halos", {}).values():
            h.free()
        self._fill_halos = {}
        gather = getattr(self, "_gather", None)
        if gather is not None:
            gather.free()
            self._gather = None
        if self.tiling.comm is not None:
            self.tiling.free()

    def _check_finite(self) -> None:
        """RunError (exit 3) when a firing rate or a buffered output sample is not finite."""
        o = self.outputs
        bad = o.first_nonfinite()
        if self.tiling.size > 1:
            # a chunk boundary is the same step on every rank: agree, so no rank is left
            # waiting in the next chunk's exchange for one that stopped
            from mpi4py import MPI

            local = bad is not None or any(not np.all(np.isfinite(p.q))
                                           for p in self.ctx.populations.values())
            if self.comm.allreduce(local, op=MPI.LOR) and not local:
                raise RunError(f"{self.spec.path}: the model diverged on another rank at "
                               f"step {self.n} (that rank names the field and node)")
        if bad is not None:
            trace, row, col = bad
            node = int(trace.nodes[col]) if len(trace.nodes) > col else 0
            step = int(o.tsteps[row])
            raise RunError(
                f"{self.spec.path}: output {trace.name} is not finite at node {node}, "
                f"t = {step * self.ctx.dt:.6g} s (step {step}); the model diverged: check the "
                "Courant number, Deltat against the dendrite rates, and the coupling strengths")
        for pop in self.ctx.populations.values():
            if not np.all(np.isfinite(pop.q)):
                bad = int(np.flatnonzero(~np.isfinite(pop.q))[0])
                node = int(self.ctx.glb_index[bad]) + 1
                raise RunError(
                    f"{self.spec.path}: population {pop.index} firing rate is not finite at "
                    f"node {node}, t = {self.n * self.ctx.dt:.6g} s (step {self.n}); the model "
                    "diverged: check the Courant number, Deltat against the dendrite rates, "
                    "and the coupling strengths")
