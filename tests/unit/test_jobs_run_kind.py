"""``parnft jobs render run``: a long run across allocations (issue #15 item 4).

The rendered script must ask SLURM for a signal before the limit and for
requeueing, run ``parnft run --checkpoint-every``, requeue itself on exit code
75 and pass ``--resume`` when a checkpoint is there. The script is run here
twice outside SLURM (``mpirun`` launcher, a stand-in ``scontrol`` on PATH that
records the requeue): the first pass is stopped at step 40 by the test hook
(as a SLURM signal would) and must requeue; the second must resume and give
an output equal byte for byte to an uninterrupted run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.errors import ConfigError
from parnft.jobs import JobOptions, render
from tests.checkpoint_tools import assert_same_files

REPO = Path(__file__).resolve().parents[2]
SMALL = REPO / "tests" / "slurm" / "small.conf"


def test_run_kind_lines_and_errors(tmp_path):
    text = render(JobOptions("run", [str(SMALL)], tasks_per_node=4, time_limit="02:00:00",
                             checkpoint_every="10min", signal="USR1@240"))
    f = tmp_path / "job.sbatch"
    f.write_text(text)
    assert subprocess.run(["bash", "-n", str(f)]).returncode == 0
    lines = text.splitlines()
    for want in ("#SBATCH --signal=USR1@240", "#SBATCH --requeue",
                 "#SBATCH --open-mode=append", "NTASKS=${SLURM_NTASKS:-4}",
                 'if [ "$rc" -eq 75 ]; then', '  scontrol requeue "${SLURM_JOB_ID}"'):
        assert want in lines, want
    assert "--checkpoint-every 10min" in text and '"${resume[@]}"' in text
    first_cmd = lines.index("set -euo pipefail")
    assert all(i < first_cmd for i, ln in enumerate(lines) if ln.startswith("#SBATCH"))
    for bad in (dict(signal="USR1@x"), dict(checkpoint_every="soon")):
        with pytest.raises(ConfigError):
            render(JobOptions("run", [str(SMALL)], **bad))
    with pytest.raises(ConfigError, match="exactly one config"):
        render(JobOptions("run", [str(SMALL), str(SMALL)]))


@pytest.mark.timeout(240)
def test_run_script_requeues_on_75_and_resumes_bitwise(tmp_path):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "scontrol").write_text('#!/bin/bash\necho "$@" >> "$REQUEUED"\n')
    (fake / "parnft").write_text(f'#!/bin/bash\nexec {sys.executable} -m parnft "$@"\n')
    for f in fake.iterdir():
        f.chmod(0o755)
    script = tmp_path / "job.sbatch"
    script.write_text(render(JobOptions("run", [str(SMALL)], tasks_per_node=1,
                                        launcher="mpirun", outdir="out",
                                        parnft=str(fake / "parnft"), checkpoint_every="25")))
    env = dict(os.environ, PATH=f"{fake}:{os.environ['PATH']}", SLURM_JOB_ID="7",
               REQUEUED=str(tmp_path / "requeued"), PARNFT_TEST_SIGNAL_AT="40")
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
