"""Issue #15 with real processes: SIGKILL at any moment, SIGTERM to one rank of four.

``parnft run`` runs as a subprocess (tests/reliability_tools.py, the MODEL of
8 x 8 nodes with a Wave, white noise and a pulse). SIGKILL is injected by the
hook ``PARNFT_TEST_KILL_AT`` while the second checkpoint is being written
(before its ``complete`` marker, before its rename) and between checkpoints
after a flush (``step:K``): ``--resume`` must then finish with every dataset
identical to an uninterrupted run's. SIGTERM to one rank of a 4-rank run: all
ranks checkpoint one step and exit with code 75 within seconds; the
checkpoint resumes on 3 ranks and on 1, both byte-identical.
"""

from __future__ import annotations

import os
import shutil
import signal
import time

import h5py
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.errors import EXIT_CHECKPOINTED, EXIT_CODES
from parnft.io.checkpoint import checkpoint_dir
from tests.checkpoint_tools import assert_same_files, resume
from tests.reliability_tools import INTERVAL, Job, model

#: 401 steps, 200 samples; checkpoints every 40 steps.
SHORT = (2 * 200 + 1) * INTERVAL / 2
EVERY = ["--checkpoint-every", "40"]


@pytest.fixture(scope="module")
def short_ref(tmp_path_factory):
    d = tmp_path_factory.mktemp("ref")
    conf = model(d / "m.conf", SHORT)
    out, _ = run(conf, str(d / "ref.h5"), comm=MPI.COMM_SELF, progress=False)
    return conf, out


@pytest.mark.timeout(240)
@pytest.mark.parametrize("point", ["before-complete:2", "before-rename:2", "step:130"])
def test_sigkill_then_resume_is_byte_identical(tmp_path, short_ref, point):
    conf, ref = short_ref
    out = str(tmp_path / "out.h5")
    job = Job(conf, out, extra=EVERY, env={"PARNFT_TEST_KILL_AT": point})
    assert job.wait(timeout=120) == -signal.SIGKILL, job.stderr
    names = sorted(os.listdir(checkpoint_dir(out)))
    if point.startswith("step:"):  # killed after flushing samples past the checkpoint
        assert names[-1] == "step-0000000120.h5"
        with h5py.File(out + ".partial", "r") as f:
            assert int(f.attrs["samples_written"]) == 65
    else:  # the second checkpoint never got its final name
        assert [n for n in names if n.startswith("step-")] == ["step-0000000040.h5"]
        assert ".step-0000000080.h5.tmp" in names
    assert os.path.exists(out + ".lock")  # left by the killed run: taken over
    assert_same_files(resume(conf, out, every=40), ref)


@pytest.mark.timeout(300)
def test_sigterm_to_one_rank_of_four_checkpoints_all_and_resumes_on_three_and_one(tmp_path):
    conf = model(tmp_path / "m.conf", 1.0)  # 1e4 steps: still running when signalled
    out = str(tmp_path / "out.h5")
    job = Job(conf, out, n=4, extra=["--checkpoint-every", "1h"])
    job.wait_for("flushed")
    ranks = job.wait_ranks()
    assert len(ranks) == 4
    t0 = time.monotonic()
    job.signal(signal.SIGTERM, which=[2])
    rc = job.wait(timeout=60)
    waited = time.monotonic() - t0
    assert rc == EXIT_CHECKPOINTED == 75 and 75 in EXIT_CODES, job.stderr
    assert waited < 20, f"exit took {waited:.1f} s"
    assert not job.gone_within(ranks, 10)
    with h5py.File(out + ".partial", "r") as f:
        reason = str(f.attrs["stop_reason"])
        assert reason.startswith("SIGTERM at step ")
        step = int(reason.rsplit(" ", 1)[1])
    (ckpt,) = os.listdir(checkpoint_dir(out))
    assert ckpt == f"step-{step:010d}.h5"  # one collective file: every rank's step
    with h5py.File(os.path.join(checkpoint_dir(out), ckpt), "r") as f:
        assert int(f["meta"].attrs["step"]) == step and int(f["meta"].attrs["nranks"]) == 4
    assert [ln for ln in job.lines if "continue with --resume" in ln]
    one = str(tmp_path / "one.h5")
    shutil.copy(out + ".partial", one + ".partial")
    shutil.copytree(checkpoint_dir(out), checkpoint_dir(one))
    ref, _ = run(conf, str(tmp_path / "ref.h5"), comm=MPI.COMM_SELF, progress=False)
    job3 = Job(conf, out, n=3, extra=["--resume"])
    assert job3.wait(timeout=180) == 0, job3.stderr
    assert_same_files(out, ref)
    assert_same_files(resume(conf, one, comm=MPI.COMM_SELF), ref)
