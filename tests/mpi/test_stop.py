"""parnft.parallel.stop: agreement points are the same steps on every rank.

Ranks whose steps take different wall times (rank r sleeps more) must still
agree at the same steps, stop at the same step when one rank holds a signal,
and keep the wall time between agreement points near ``chunk_seconds``.
Runs at any rank count (CI: 1, 2, 4).
"""

from __future__ import annotations

import signal
import time

import pytest
from mpi4py import MPI

from parnft.parallel.stop import RunControl, StopSignals


def _loop(ctl, steps: int, step_s: float, signal_at: int | None = None, sig=None):
    """A fake time loop: ``step_s`` seconds per step; returns (agreement steps, stop)."""
    n, points = 0, []
    while n < steps:
        todo = min(steps - n, ctl.steps_left())
        time.sleep(todo * step_s)
        n += todo
        ctl.advance(todo)
        if signal_at is not None and n >= signal_at and not sig.signum:
            sig.signum = int(signal.SIGTERM)  # what the handler records
        if ctl.due and n < steps:
            d = ctl.agree(n)
            points.append((n, ctl.steps_left(), d.flush))
            if d.signum:
                return points, (n, d.signum)
    return points, None


@pytest.mark.mpi
@pytest.mark.timeout(60)
def test_agreement_points_are_identical_on_every_rank():
    comm = MPI.COMM_WORLD
    ctl = RunControl(comm, StopSignals(), chunk_seconds=0.02, flush_seconds=0.1)
    step_s = 1e-4 * (1 + comm.rank)  # different speeds per rank
    t0 = time.perf_counter()
    points, stop = _loop(ctl, 4000, step_s)
    wall = time.perf_counter() - t0
    allp = comm.allgather(points)
    assert stop is None
    assert all(p == allp[0] for p in allp)
    assert len(points) >= 5
    # the slowest rank sets the pace: chunks near 0.02 s of its steps (grow <= 4x)
    slow = 1e-4 * comm.size
    chunks = [c for _, c, _ in points[3:]]
    assert max(chunks) * slow < 0.1, chunks
    # the wall-time flush bound (0.1 s here) is decided at agreement points
    if wall > 0.3:
        assert any(f for *_, f in points)


@pytest.mark.mpi
@pytest.mark.timeout(60)
def test_a_signal_on_one_rank_stops_every_rank_at_the_same_step():
    comm = MPI.COMM_WORLD
    sig = StopSignals()
    ctl = RunControl(comm, sig, chunk_seconds=0.01)
    last = comm.size - 1
    points, stop = _loop(ctl, 10**6, 2e-5, signal_at=500 if comm.rank == last else None,
                         sig=sig)
    stops = comm.allgather(stop)
    assert stops[0] is not None and stops[0][1] == signal.SIGTERM
    assert all(s == stops[0] for s in stops)
    assert 500 <= stops[0][0] < 500 + 4 * 800  # the next agreement point after step 500
