"""The stop path: signals set a flag; the ranks agree on it at chunk boundaries.

A signal handler must not touch MPI, HDF5 or the simulation state, so
:class:`StopSignals` only records the signal. The time loop
(:meth:`parnft.solver.Simulation.run`) advances in chunks whose boundaries are
*agreement points*, the same steps on every rank; at each one
:meth:`RunControl.agree` makes one small ``Allreduce`` that decides, for all
ranks at once:

- whether to stop (some rank holds a signal: the highest signal number wins),
- whether to flush the sample buffers now (some rank has gone
  :data:`FLUSH_SECONDS` without a flush), and
- the length of the next chunk, in steps: the smallest over the ranks of the
  steps each expects to run in :data:`CHUNK_SECONDS`, so that a signal is
  honoured within about a second on every rank;
- whether to write a checkpoint now (some rank's clock says the
  ``--checkpoint-every`` wall-time interval has passed), so every rank
  checkpoints the same step (``docs/checkpoint.md``).

Because every input to the next chunk length is reduced, the agreement points
are identical on every rank whatever the wall time does; the results of a run
do not depend on them (chunking never changes a number).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time as _time
from dataclasses import dataclass

import numpy as np

__all__ = ["CHUNK_SECONDS", "FLUSH_SECONDS", "STOP_SIGNALS", "Decision", "RunControl",
           "StopSignals", "catch_signals"]

#: Signals that ask a run to stop cleanly (SLURM sends SIGTERM at the time limit,
#: ``--signal=USR1@T`` before it; SIGXCPU is the CPU-time limit of ``ulimit -t``).
STOP_SIGNALS = tuple(s for s in (getattr(signal, n, None) for n in
                                 ("SIGTERM", "SIGINT", "SIGUSR1", "SIGXCPU")) if s is not None)
#: Target wall time of one chunk between agreement points [s] (``$PARNFT_CHUNK_SECONDS``).
CHUNK_SECONDS = 0.25
#: Longest wall time between two flushes of the sample buffers [s] (``$PARNFT_FLUSH_SECONDS``).
FLUSH_SECONDS = 30.0
#: Bounds of the chunk length in steps.
MIN_CHUNK, MAX_CHUNK = 1, 1 << 20


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class StopSignals:
    """Record stop signals instead of dying on them (this process only, no MPI).

    The first signal of :data:`STOP_SIGNALS` is recorded in :attr:`signum`. A
    second SIGINT (Ctrl-C twice) restores the default action and re-sends
    itself, so a run that cannot stop cleanly (e.g. a rank stuck outside the
    time loop) still dies at once, and ``mpiexec`` then ends the job. Other
    repeated signals are only recorded: the kernel repeats SIGXCPU every
    second past the soft CPU limit, and a forwarded SIGTERM may arrive twice.
    """

    def __init__(self):
        self.signum = 0
        self._old: dict = {}

    def _handler(self, signum, frame) -> None:  # noqa: ARG002 - signal API
        if self.signum and signum == signal.SIGINT:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signum = self.signum or int(signum)

    def install(self) -> bool:
        """Install the handlers (main thread only); False when they could not be."""
        if threading.current_thread() is not threading.main_thread():
            return False
        for s in STOP_SIGNALS:
            self._old[s] = signal.signal(s, self._handler)
        return True

    def restore(self) -> None:
        """Put back the handlers found by :meth:`install`."""
        for s, h in self._old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        self._old.clear()


@contextlib.contextmanager
def catch_signals():
    """``with catch_signals() as sig:`` stop signals only set ``sig.signum`` inside."""
    sig = StopSignals()
    sig.install()
    try:
        yield sig
    finally:
        sig.restore()


@dataclass(frozen=True)
class Decision:
    """What every rank does at an agreement point."""

    #: Signal number to stop on, 0 to go on.
    signum: int = 0
    #: Flush the sample buffers now (wall-time bound reached on some rank).
    flush: bool = False
    #: Write a checkpoint now (the wall-clock checkpoint interval passed on some rank).
    checkpoint: bool = False


class RunControl:
    """Agreement points of the time loop (collective at :meth:`agree`).

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm or None
        The simulation's ranks; None or one rank: no communication.
    signals : StopSignals, optional
        Where signals are recorded; None: the run is never stopped.
    chunk_seconds, flush_seconds : float, optional
        :data:`CHUNK_SECONDS` and :data:`FLUSH_SECONDS` by default (or their
        environment variables).
    first : int
        Length of the first chunk in steps.
    checkpoint_seconds : float, optional
        Wall-clock interval between checkpoints; None: no wall-clock checkpoints.

    Notes
    -----
    The loop asks :meth:`steps_left` how far it may go, reports what it did
    with :meth:`advance` and calls :meth:`agree` when :attr:`due`. Every rank
    must call :meth:`agree` at the same step: :attr:`due` depends only on
    step counts and on earlier agreed values, never on this rank's clock.
    """

    def __init__(self, comm=None, signals: StopSignals | None = None, *,
                 chunk_seconds: float | None = None, flush_seconds: float | None = None,
                 first: int = 16, checkpoint_seconds: float | None = None):
        self.comm = comm if comm is not None and comm.Get_size() > 1 else None
        self.signals = signals
        self.chunk_seconds = (_env_float("PARNFT_CHUNK_SECONDS", CHUNK_SECONDS)
                              if chunk_seconds is None else chunk_seconds)
        self.flush_seconds = (_env_float("PARNFT_FLUSH_SECONDS", FLUSH_SECONDS)
                              if flush_seconds is None else flush_seconds)
        self.chunk = max(MIN_CHUNK, int(first))
        self.left = self.chunk
        self.agreements = 0
        self._t_chunk = _time.perf_counter()
        self._t_flush = self._t_chunk
        self.checkpoint_seconds = checkpoint_seconds
        self._t_ckpt = self._t_chunk

    def steps_left(self) -> int:
        """Steps the loop may run before the next agreement point."""
        return self.left

    @property
    def due(self) -> bool:
        """True when the loop has reached the agreement point (same step on every rank)."""
        return self.left <= 0

    def advance(self, steps: int) -> None:
        """Account for ``steps`` steps done."""
        self.left -= int(steps)

    def flushed(self) -> None:
        """The buffers were just flushed (restarts the wall-time bound)."""
        self._t_flush = _time.perf_counter()

    def checkpointed(self) -> None:
        """A checkpoint was just written (restarts the checkpoint interval)."""
        self._t_ckpt = _time.perf_counter()

    def request_stop(self, signum: int) -> None:
        """Make this step an agreement point; stop there on ``signum`` if non-zero.

        Every rank must call it at the same step (the point is agreed); a rank
        passing 0 only makes the point. Used by the tests' fault hooks.
        """
        if signum and self.signals is not None:
            self.signals.signum = self.signals.signum or int(signum)
        self.left = 0

    def _proposal(self, now: float) -> int:
        """Steps this rank expects to run in ``chunk_seconds`` (at most 4 times the last)."""
        el = now - self._t_chunk
        if el <= 0:
            return min(MAX_CHUNK, 4 * self.chunk)
        guess = int(self.chunk * self.chunk_seconds / el)
        return int(min(MAX_CHUNK, 4 * self.chunk, max(MIN_CHUNK, guess)))

    def agree(self, step: int | None = None) -> Decision:  # noqa: ARG002 - for callers' logs
        """Decide stop, flush and the next chunk length, the same on every rank (collective)."""
        now = _time.perf_counter()
        sig = self.signals.signum if self.signals is not None else 0
        late = now - self._t_flush >= self.flush_seconds
        ckpt = self.checkpoint_seconds is not None and \
            now - self._t_ckpt >= self.checkpoint_seconds
        prop = self._proposal(now)
        if self.comm is not None:
            from mpi4py import MPI

            buf = np.array([sig, int(late), -prop, int(ckpt)], dtype=np.int64)
            self.comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.MAX)
            sig, late, prop, ckpt = int(buf[0]), bool(buf[1]), int(-buf[2]), bool(buf[3])
        self.chunk = prop
        self.left = prop
        self.agreements += 1
        self._t_chunk = _time.perf_counter()
        return Decision(signum=int(sig), flush=bool(late), checkpoint=bool(ckpt))
