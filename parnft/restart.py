"""Checkpoint and restart of a :class:`~parnft.solver.Simulation` (docs/checkpoint.md).

:class:`Restartable` gives the simulation what a bitwise restart needs: the
list of every array a checkpoint saves, found and checked by
:func:`parnft.model.state.model_state`; writing it at a flush boundary
(collectively, through the :class:`~parnft.io.checkpoint.CheckpointWriter`
the run sets as ``sim.checkpoints``); and loading it on any rank count, then
refilling the ghost frames of both Wave levels and the gathered fields, so
the next step runs exactly the code of an uninterrupted one. The solver calls
these at its chunk boundaries (:meth:`parnft.solver.Simulation._chunk_boundary`).
"""

from __future__ import annotations

import logging
import os
import time as _time

import numpy as np

from .kernels.wave import wave_fill_periodic
from .model.base import STAGES, GhostFill
from .model.state import after_restore, canonicalize, model_state

log = logging.getLogger("parnft")


def test_hooks() -> dict:
    """Steps named by the tests' fault hooks (chunks end there; see docs/checkpoint.md).

    ``PARNFT_TEST_SIGNAL_AT=K``: at step K rank 0 behaves as if SIGTERM had
    arrived; ``PARNFT_TEST_KILL_AT=step:K``: at step K, after flushing, SIGKILL.
    """
    out = {}
    sig = os.environ.get("PARNFT_TEST_SIGNAL_AT", "")
    kill = os.environ.get("PARNFT_TEST_KILL_AT", "")
    if sig.isdigit():
        out["signal"] = int(sig)
    if kill.startswith("step:") and kill[5:].isdigit():
        out["kill"] = int(kill[5:])
    return out


class Restartable:
    """Checkpoint methods of :class:`parnft.solver.Simulation` (a mixin: uses its state).

    Expects ``ctx``, ``tiling``, ``outputs``, ``stats``, ``n``, ``wave_fields``,
    ``local_halo``, ``_loops``, ``_halo``, ``_gather``, ``_compile``,
    ``_ghosted``, ``checkpoints``, ``_state`` and ``_saved_at``.
    """

    def state_arrays(self) -> list:
        """Every array a checkpoint saves (:func:`parnft.model.state.model_state`), checked.

        Raises :class:`~parnft.model.state.CheckpointError` when an array of the
        model or of the compiled loop is neither registered nor declared.
        """
        if self._state is None:
            self._compile()
            solver = [a for t in self.outputs.traces for a in (t.buf, t.idx)]
            solver.append(self.outputs.tsteps)
            plans = [self._halo, self._gather, *self._fill_halos.values()]
            plans += [getattr(h, "shm", None) for h in plans]  # shared-memory tables
            for obj in plans:
                for v in (vars(obj).values() if obj is not None else ()):
                    items = v if isinstance(v, (list, tuple)) else [v]
                    solver += [a for a in items if isinstance(a, np.ndarray)]
            # the edge fills' constant side lists (parnft.boundary.calls); their fields
            # are the model's own arrays, classified by the registry
            edge_calls = [e for c in self.stage_calls(STAGES[:-1]) if isinstance(c, GhostFill)
                          for e in c.edges]
            solver += [a for c in self.fills + self._primes + edge_calls for a in c.args
                       if isinstance(a, np.ndarray) and a.dtype.kind in "iu"]
            loop = [a for lp in self._loops for a in lp.arrays]
            self._state = model_state(self.ctx, loop, solver)
        return self._state

    def save_checkpoint(self) -> str:
        """Write the state at this step (collective; at a flush boundary); returns the path."""
        if self._saved_at is not None and self._saved_at[0] == self.n:
            return self._saved_at[1]  # this step is already saved
        t0 = _time.perf_counter()
        if self.outputs.row:
            raise RuntimeError("checkpoint with samples still buffered")
        canonicalize(self.ctx)
        path = self.checkpoints.write(self.n, self.state_arrays(), {
            "time": self.n * self.ctx.dt, "samples_written": int(self.outputs.written),
            "nranks": self.tiling.size, "process_grid": np.asarray(self.tiling.dims)})
        dt = _time.perf_counter() - t0
        self._saved_at = (self.n, path)
        self.stats.checkpoint += dt
        if self.tiling.rank == 0:
            log.info("checkpoint at step %d: %s (%.3g s)", self.n, path, dt)
        return path

    def restore(self, path: str, meta: dict) -> None:
        """Load checkpoint ``path`` (every rank its hyperslabs), refill ghosts, go on from it.

        ``meta`` is the checkpoint's ``/meta`` (:func:`parnft.io.checkpoint.find_checkpoint`).
        """
        from .io.checkpoint import read_state

        entries = self.state_arrays()  # compiles: the loops exist, the halo plan too
        read_state(path, entries, self.ctx.glb_shape, self.ctx.loc_shape, self.ctx.loc_start)
        self.n = int(meta["step"])
        self.outputs.row = 0
        self.outputs.written = int(meta["samples_written"])
        self._saved_at = (self.n, path)
        self._refill_ghosts()
        after_restore(self.ctx)

    def _refill_ghosts(self) -> None:
        """Ghost frames of both wave levels and gathered fields, from the owned nodes."""
        for phi, q, cur, _ in self.wave_fields:
            if self.local_halo:
                for lev in (cur[0], 1 - cur[0]):
                    wave_fill_periodic(phi, q, np.array([lev], dtype=np.int64), 0)
        if self._halo is not None:
            if self._halo.pending:
                self._halo.wait(self._ghosted())
            for other in (False, True):
                fields = []
                for phi, q, cur, _ in self.wave_fields:
                    lev = 1 - cur[0] if other else cur[0]
                    fields += [phi[lev], q[lev]]
                self._halo.exchange(fields)
        self._fill_edges(self._primes)  # non-periodic edges: from the owned nodes
        if self._gather is not None:
            self._gather()
