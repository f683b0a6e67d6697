"""Issue #12 items 1-3 at 4 ranks, through ``mpiexec -n 4`` subprocesses.

F1 (signals and kills left unreadable files), F2 (SIGINT to one rank hung the
job forever), F3 (two runs on one path both exited 0 with 43 % wrong values),
F13 (four tracebacks for one bad path). The ranks agree on a signal at the
same step, flush, close collectively and exit with 128 + the signal; no rank
is left 30 s after the signal. Samples are compared bit for bit with a
one-process run (results do not depend on the rank count).
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.reliability_tools import Job, assert_prefix, model, read, reference

N = 4


def _check_partial(tmp_path, out, name: str | None) -> None:
    part = read(f"{out}.partial")
    a = part["attrs"]
    n = int(a["samples_written"])
    assert not a["complete"] and n > 0 and int(a["nranks"]) == N
    if name is not None:
        assert str(a["stop_reason"]).startswith(f"{name} at step ")
        step = int(str(a["stop_reason"]).rsplit(" ", 1)[1])
        assert n == step // 2 and part["time"].shape == (n,)
    assert_prefix(part, reference(tmp_path, n), n)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("sig,which", [(signal.SIGTERM, [2]), (signal.SIGINT, None),
                                       (signal.SIGTERM, None), (signal.SIGINT, [0])],
                         ids=["TERM-rank2", "INT-all", "TERM-all", "INT-rank0"])
def test_signal_to_ranks_stops_all_cleanly(tmp_path, sig, which):
    out = tmp_path / "out.h5"
    job = Job(model(tmp_path / "long.conf", 50.0), out, n=N)
    job.wait_for("flushed", count=2)
    pids = job.wait_ranks()
    assert len(pids) == N
    t0 = time.monotonic()
    job.signal(sig, which)
    rc = job.wait(timeout=30)
    assert rc == 128 + sig, job.stderr
    assert job.gone_within(pids, 30 - (time.monotonic() - t0)) == []  # none left after 30 s
    stops = [ln for ln in job.lines if "stopped by" in ln]
    assert len(stops) == 1, job.stderr  # printed once, by rank 0
    assert "Traceback" not in job.stderr
    assert not out.exists() and not (tmp_path / "out.h5.lock").exists()
    _check_partial(tmp_path, out, signal.Signals(sig).name)


@pytest.mark.timeout(300)
def test_sigterm_to_mpiexec_leaves_readable_file(tmp_path):
    """Open MPI's mpiexec forwards SIGTERM to the ranks (then SIGKILLs them after 1 s)."""
    out = tmp_path / "out.h5"
    job = Job(model(tmp_path / "long.conf", 50.0), out, n=N)
    job.wait_for("flushed", count=2)
    pids = job.wait_ranks()
    t0 = time.monotonic()
    job.p.send_signal(signal.SIGTERM)
    assert job.wait(timeout=30) != 0
    assert job.gone_within(pids, 30 - (time.monotonic() - t0)) == []
    _check_partial(tmp_path, out, None)


@pytest.mark.timeout(300)
def test_sigkill_of_the_whole_job_leaves_readable_file(tmp_path):
    out = tmp_path / "out.h5"
    job = Job(model(tmp_path / "long.conf", 50.0), out, n=N)
    job.wait_for("flushed", count=5)
    pids = job.wait_ranks()
    job.kill_all()
    job.wait(timeout=30)
    assert job.gone_within(pids, 30) == []  # nothing writes any more
    part = read(f"{out}.partial")
    n = int(part["attrs"]["samples_written"])
    assert n > 0 and not part["attrs"]["complete"] and part["time"].shape[0] >= n
    assert_prefix(part, reference(tmp_path, n), n)


@pytest.mark.timeout(300)
def test_second_writer_is_refused_and_first_file_is_intact(tmp_path):
    """F3: the lock file stops a second run (any rank count) before it writes anything."""
    out = tmp_path / "out.h5"
    conf = model(tmp_path / "mid.conf", 1.0)  # 5000 samples
    first = Job(conf, out, n=N)
    first.wait_for("flushed")
    # hold the first run mid-way (its lock taken, its file open) while the second starts:
    # the compiled loop can finish this model before a second mpiexec is up
    first.wait_ranks()
    first.signal(signal.SIGSTOP)
    try:
        second = Job(conf, out, n=2)
        assert second.wait(timeout=120) == 4, second.stderr
    finally:
        first.signal(signal.SIGCONT)
    errs = [ln for ln in second.lines if ln.startswith("parnft:")]
    assert len(errs) == 1 and "locked" in errs[0] and str(out) in errs[0], second.stderr
    assert "Traceback" not in second.stderr
    assert first.wait(timeout=240) == 0, first.stderr
    d = read(out)
    assert d["attrs"]["complete"] and int(d["attrs"]["samples_written"]) == 5000
    assert_prefix(d, reference(tmp_path, 5000), 5000)


@pytest.mark.timeout(120)
def test_folder_as_output_is_one_line_exit_4(tmp_path):
    """F13: one line from one rank, no traceback, exit code 4."""
    (tmp_path / "dir.h5").mkdir()
    job = Job(model(tmp_path / "m.conf", 0.01), tmp_path / "dir.h5", n=N)
    assert job.wait(timeout=100) == 4, job.stderr
    errs = [ln for ln in job.lines if ln.startswith("parnft:")]  # log lines aside
    assert len(errs) == 1 and "is a folder" in errs[0], job.stderr


@pytest.mark.timeout(300)
def test_sigterm_to_one_rank_netcdf(tmp_path):
    """The same clean stop for a netCDF output written collectively by 4 ranks."""
    import netCDF4
    import numpy as np

    out = tmp_path / "out.nc"
    job = Job(model(tmp_path / "long.conf", 50.0), out, n=N)
    job.wait_for("flushed", count=2)
    job.signal(signal.SIGTERM, [1])
    assert job.wait(timeout=30) == 143, job.stderr
    with netCDF4.Dataset(f"{out}.partial") as ds:
        n = int(ds.samples_written)
        assert ds.complete == 0 and ds.stop_reason.startswith("SIGTERM at step ")
        assert n == int(ds.stop_reason.rsplit(" ", 1)[1]) // 2 > 0
        got = {"time": ds["time"][:n].filled(np.nan),
               "pop.1.q": ds["pop_1_q"][:n].filled(np.nan),
               "propagator.1.phi": ds["propagator_1_phi"][:n].filled(np.nan)}
    assert_prefix(got, reference(tmp_path, n), n)
