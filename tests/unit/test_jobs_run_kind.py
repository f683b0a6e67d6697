"""``parnft jobs render run``: a long run across allocations (issue #15 item 4).

The rendered script must ask SLURM for a signal to the batch shell before the
limit (``B:``) and for requeueing, pass that signal on to the launcher, run
``parnft run --checkpoint-every``, requeue itself on exit code 75 (or when the
signal killed a rank still starting up) and pass ``--resume`` when a
checkpoint is there. The scripts run here outside SLURM (``mpirun`` launcher,
a stand-in ``scontrol`` on PATH that records the requeue): a first pass is
stopped by the test hook at step 40, or by SIGUSR1 sent to the script as
SLURM would, and must requeue; the second must resume and give an output equal
byte for byte to an uninterrupted run. On a real SLURM:
tests/slurm/test_slurm_requeue.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.errors import ConfigError
from parnft.jobs import JobOptions, render
from parnft.jobs.sbatch import limit_seconds
from tests.checkpoint_tools import assert_same_files

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "slurm" / "small.conf"
LONG = REPO / "tests" / "slurm" / "requeue.conf"


def test_run_kind_lines_and_errors(tmp_path):
    text = render(JobOptions("run", [str(SMALL)], tasks_per_node=4, time_limit="02:00:00",
                             checkpoint_every="10min", signal="USR1@240"))
    f = tmp_path / "job.sbatch"
    f.write_text(text)
    assert subprocess.run(["bash", "-n", str(f)]).returncode == 0
    lines = text.splitlines()
    # the batch shell gets the signal (B:) and passes it on to the launcher
    for want in ("#SBATCH --signal=B:USR1@240", "#SBATCH --requeue",
                 "#SBATCH --open-mode=append", "NTASKS=${SLURM_NTASKS:-4}",
                 "STOP_SIGNAL=USR1", 'trap on_stop "$STOP_SIGNAL"',
                 'if [ "$rc" -eq 75 ]; then', '  scontrol requeue "${SLURM_JOB_ID}"'):
        assert want in lines, want
    assert "--checkpoint-every 10min" in text and '"${resume[@]}"' in text
    # the header's command renders the same script
    assert "--checkpoint-every 10min --signal USR1@240" in lines[2]
    first_cmd = lines.index("set -euo pipefail")
    assert all(i < first_cmd for i, ln in enumerate(lines) if ln.startswith("#SBATCH"))
    assert "#SBATCH --signal=B:TERM@60" in render(JobOptions("run", [str(SMALL)],
                                                             signal="B:SIGTERM"))
    for bad, match in ((dict(signal="USR1@x"), "not a signal"),
                       (dict(signal="USR2@60"), "not a signal"),  # parnft run dies on it
                       (dict(signal="9@60"), "not a signal"),
                       (dict(signal="USR1@3600"), "never advance"),  # the lead >= the limit
                       (dict(time_limit="1", signal="USR1@60"), "never advance"),
                       (dict(checkpoint_every="soon"), None)):
        with pytest.raises(ConfigError, match=match):
            render(JobOptions("run", [str(SMALL)], **bad))
    with pytest.raises(ConfigError, match="exactly one config"):
        render(JobOptions("run", [str(SMALL), str(SMALL)]))


@pytest.mark.parametrize(("text", "seconds"), [
    ("1", 60), ("90", 5400), ("01:30", 90), ("02:00:00", 7200), ("2-00", 172800),
    ("2-01:30", 178200), ("1-00:00:10", 86410)])
def test_limit_seconds(text, seconds):
    assert limit_seconds(text) == seconds


def _job(tmp_path, conf, parnft_body: str, **kw):
    """A rendered run job (mpirun launcher, outside SLURM) with stand-ins on PATH.

    ``scontrol`` records its arguments in ``$REQUEUED``; ``parnft`` is a bash
    script of ``parnft_body``. Returns the script and its environment.
    """
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "scontrol").write_text('#!/bin/bash\necho "$@" >> "$REQUEUED"\n')
    (fake / "parnft").write_text(f"#!/bin/bash\n{parnft_body}\n")
    for f in fake.iterdir():
        f.chmod(0o755)
    script = tmp_path / "job.sbatch"
    script.write_text(render(JobOptions("run", [str(conf)], tasks_per_node=1,
                                        launcher="mpirun", outdir="out",
                                        parnft=str(fake / "parnft"), **kw)))
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", SLURM_JOB_ID="7",
               REQUEUED=str(tmp_path / "requeued"))
    return script, env


PARNFT = f'exec {sys.executable} -m parnft "$@"'


def _signalled(script, env, cwd, wait) -> tuple[int, str]:
    """Run the job script, call ``wait(job)``, send it SIGUSR1; its exit code and output."""
    job = subprocess.Popen(["bash", str(script)], cwd=cwd, env=env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait(job)
        job.send_signal(signal.SIGUSR1)
        log, _ = job.communicate(timeout=120)
    finally:
        if job.poll() is None:
            job.kill()
    return job.returncode, log


@pytest.mark.timeout(240)
def test_run_script_requeues_on_75_and_resumes_bitwise(tmp_path):
    script, env = _job(tmp_path, SMALL, PARNFT, checkpoint_every="25")
    env["PARNFT_TEST_SIGNAL_AT"] = "40"
    first = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=180)
    assert first.returncode == 0, first.stdout + first.stderr
    assert (tmp_path / "requeued").read_text().split() == ["requeue", "7"]
    out = tmp_path / "out" / "small.h5"
    assert not out.exists() and (tmp_path / "out" / "small.h5.ckpt").is_dir()
    del env["PARNFT_TEST_SIGNAL_AT"]
    second = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=180)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "--resume" in second.stdout + second.stderr
    assert (tmp_path / "requeued").read_text().split() == ["requeue", "7"]  # not again
    ref, _ = run(str(SMALL), str(tmp_path / "ref.h5"), comm=MPI.COMM_SELF, progress=False)
    assert_same_files(str(out), ref)


@pytest.mark.timeout(240)
def test_signal_to_the_batch_shell_reaches_parnft(tmp_path):
    """SIGUSR1 to the script (what ``--signal=B:USR1`` sends) reaches the rank via mpirun."""
    conf = tmp_path / "long.conf"  # requeue.conf, 200 000 steps: 2-5 s
    conf.write_text(LONG.read_text().replace("Time: 80 ", "Time: 20 "))
    script, env = _job(tmp_path, conf, PARNFT, checkpoint_every="30min")
    partial = tmp_path / "out" / "long.h5.partial"  # opened after parnft catches signals

    def started(job):
        t0 = time.monotonic()
        while not partial.exists() and job.poll() is None and time.monotonic() - t0 < 120:
            time.sleep(0.05)
        time.sleep(0.3)

    code, log = _signalled(script, env, tmp_path, started)
    assert code == 0, log
    assert "SIGUSR1: asking parnft to checkpoint and stop" in log
    assert "checkpointed and stopped (exit 75): requeueing job 7" in log, log
    assert (tmp_path / "requeued").read_text().split() == ["requeue", "7"]
    second = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=180)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "resumed from" in second.stderr
    ref, _ = run(str(conf), str(tmp_path / "ref.h5"), comm=MPI.COMM_SELF, progress=False)
    assert_same_files(str(tmp_path / "out" / "long.h5"), ref)


@pytest.mark.timeout(120)
def test_signal_before_parnft_catches_it_requeues(tmp_path):
    """A rank killed by the passed-on signal (still starting up): requeue, not a failure."""
    script, env = _job(tmp_path, SMALL, "exec sleep 60")  # a parnft that never catches it
    code, log = _signalled(script, env, tmp_path, lambda job: time.sleep(3))  # stand-in started
    assert code == 0, log
    assert "stopped by SIGUSR1 before parnft could checkpoint (exit 138)" in log, log
    assert (tmp_path / "requeued").read_text().split() == ["requeue", "7"]
