"""Rendered job scripts run on a real SLURM (private cluster on localhost).

A 2-rank single-run job (``srun --mpi=pmix``) of a small config must complete,
append one CSV row (2 ranks, this config, positive times) and write an HDF5
file equal, bit for bit, to a 1-rank ``parnft run`` of the same config. A
3-task sweep array must give three rows and three outputs, the task whose
value equals the base config's reproducing the 1-rank run bit for bit and the
others differing from it.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import parnft
from parnft.bench.provenance import config_sha
from parnft.config import read_config

HERE = Path(__file__).resolve().parent
CONF = HERE / "small.conf"
PARNFT = str(Path(sys.executable).with_name("parnft"))
TIMEOUT = 180  # s per job; SLURM kills a job at its own --time-limit (5 min)
GAMMAS = ("20", "30", "40")  # the sweep; 30 is small.conf's value


def _parnft(*args: str, cwd: Path) -> str:
    res = subprocess.run([PARNFT, *args], cwd=cwd, env=dict(os.environ), capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0, f"parnft {' '.join(args)} failed:\n{res.stderr}"
    return res.stdout


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    """A 1-rank ``parnft run`` of small.conf (also compiles the loop for the jobs)."""
    out = tmp_path_factory.mktemp("ref") / "ref.h5"
    _parnft("run", "-q", str(CONF), "-o", str(out), cwd=out.parent)
    return out


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _job_log(cwd: Path) -> str:
    return "\n".join(f"--- {p.name} ---\n{p.read_text(errors='replace')}"
                     for p in sorted(cwd.glob("*.out")))


def _assert_completed(slurm, states: dict, cwd: Path) -> None:
    bad = {k: (v.get("JobState"), v.get("ExitCode")) for k, v in states.items()
           if v.get("JobState") != "COMPLETED" or v.get("ExitCode") != "0:0"}
    assert not bad, f"jobs did not complete: {bad}\n{_job_log(cwd)}\n{slurm.logs()}"


def _same_data(a: Path, b: Path) -> list[str]:
    """Names of the data variables (and coordinates) that differ between two files."""
    da, db = parnft.open_dataset(str(a)), parnft.open_dataset(str(b))
    try:
        assert set(da.data_vars) == set(db.data_vars)
        names = [*da.data_vars, *da.coords]
        return [n for n in names if da[n].dtype != db[n].dtype
                or not np.array_equal(da[n].values, db[n].values)]
    finally:
        da.close()
        db.close()


def _check_row(row: dict, conf: Path, ranks: int, cwd: Path) -> None:
    spec = read_config(conf)
    assert row["ranks"] == str(ranks)
    px, py = (int(v) for v in row["procs"].split("x"))
    assert px * py == ranks
    assert (cwd / row["config"]).resolve() == conf.resolve()  # as the job named it
    assert row["config_sha"] == config_sha(conf.read_text())
    assert int(row["nodes"]) == spec.grid.nodes == 144
    assert int(row["steps"]) == 100
    for col in ("wall_s", "compute_s", "node_steps_per_s", "node_steps_per_s_per_rank",
                "max_rss_mb"):
        assert float(row[col]) > 0, (col, row[col])
    for col in ("halo_s", "output_s", "compile_s"):
        assert float(row[col]) >= 0, (col, row[col])
    assert float(row["compute_s"]) <= float(row["wall_s"]) * 1.01
    assert len(row["rss_mb_per_rank"].split(";")) == ranks


def test_two_rank_job_writes_csv_row_and_hdf5(slurm, reference, tmp_path):
    """A rendered single-run job on 2 ranks (srun --mpi=pmix) completes with its outputs."""
    script = tmp_path / "job.sbatch"
    _parnft("jobs", "render", "single", str(CONF), "--tasks-per-node", "2",
            "--launcher", "srun", "--time-limit", "5", "--job-name", "parnft-test",
            "--outdir", "out", "--no-stream", "--parnft", PARNFT, "-o", str(script),
            cwd=tmp_path)
    job = slurm.submit(script, cwd=tmp_path)
    states = slurm.wait(job, timeout=TIMEOUT)
    _assert_completed(slurm, states, tmp_path)
    assert (tmp_path / f"parnft-test-{job}.out").exists()

    rows = _rows(tmp_path / "out" / "bench.csv")
    assert len(rows) == 1
    _check_row(rows[0], CONF, ranks=2, cwd=tmp_path)
    assert rows[0]["series"] == "single"
    assert f"job={job}" in rows[0]["label"]

    h5 = tmp_path / "out" / "small.h5"
    with parnft.open_dataset(str(h5)) as ds:
        phi = ds["propagator.1.phi"]
        assert phi.dims == ("time", "y", "x")
        assert phi.shape == (25, 12, 12)  # Time / Interval samples, 12 x 12 nodes
        assert ds.attrs["complete"] in (True, 1)
        assert np.isfinite(phi.values).all()
        assert np.ptp(phi.values) > 0  # the pulse made a wave
    assert _same_data(h5, reference) == []


def test_sweep_array_three_tasks(slurm, reference, tmp_path):
    """A 3-task array sweeping Propagator.1.gamma: three rows, three outputs."""
    script = tmp_path / "sweep.sbatch"
    _parnft("jobs", "render", "sweep", str(CONF), "--sweep",
            "Propagator.1.gamma=" + ",".join(GAMMAS), "--tasks-per-node", "1",
            "--time-limit", "5", "--job-name", "parnft-sweep", "--outdir", "out",
            "--no-stream", "--parnft", PARNFT, "-o", str(script), cwd=tmp_path)
    assert "#SBATCH --array=0-2" in script.read_text()
    job = slurm.submit(script, cwd=tmp_path)
    states = slurm.wait(job, ntasks=3, timeout=TIMEOUT)
    _assert_completed(slurm, states, tmp_path)
    assert sorted(states) == [f"{job}_{i}" for i in range(3)]

    out = tmp_path / "out"
    for task, gamma in enumerate(GAMMAS):
        conf = out / f"small-task{task}.conf"
        assert read_config(conf).propagators[0].gamma == float(gamma)
        rows = _rows(out / f"bench-task{task}.csv")
        assert len(rows) == 1
        _check_row(rows[0], conf, ranks=1, cwd=tmp_path)
        assert f"task={task} Propagator.1.gamma={gamma}" in rows[0]["label"]
        with parnft.open_dataset(str(out / f"small-task{task}.h5")) as ds:
            assert ds["propagator.1.phi"].shape == (25, 12, 12)
            assert f"gamma: {gamma}" in ds.attrs["config_text"]
    # the task with the base value is the reference run; the others are not
    assert _same_data(out / "small-task1.h5", reference) == []
    assert _same_data(out / "small-task0.h5", reference) == ["propagator.1.phi"]
    assert _same_data(out / "small-task2.h5", reference) == ["propagator.1.phi"]
    # one CSV for the whole sweep
    _parnft("jobs", "collect", str(out), "-o", str(tmp_path / "sweep.csv"), cwd=tmp_path)
    rows = _rows(tmp_path / "sweep.csv")
    assert [r["label"].split("task=")[1] for r in rows] == [
        f"{t} Propagator.1.gamma={g}" for t, g in enumerate(GAMMAS)]


def test_weak_series_with_mpirun(slurm, reference, tmp_path):
    """A rendered weak series (1 and 2 ranks, 12x12 nodes each) launched by mpirun."""
    script = tmp_path / "weak.sbatch"
    _parnft("jobs", "render", "weak", str(CONF), "--nodes-per-rank", "12x12",
            "--ranks", "1,2", "--tasks-per-node", "2", "--launcher", "mpirun",
            "--time-limit", "5", "--job-name", "parnft-weak", "--outdir", "out",
            "--no-stream", "--parnft", PARNFT, "-o", str(script), cwd=tmp_path)
    job = slurm.submit(script, cwd=tmp_path)
    _assert_completed(slurm, slurm.wait(job, timeout=TIMEOUT), tmp_path)
    rows = _rows(tmp_path / "out" / "bench.csv")
    assert [(r["series"], r["ranks"], r["procs"], r["nodes"]) for r in rows] == [
        ("weak", "1", "1x1", "144"), ("weak", "2", "2x1", "288")]
    for r in rows:
        assert float(r["nodes_per_rank"]) == 144
        assert int(r["steps"]) == 100
        assert float(r["wall_s"]) > 0 and float(r["node_steps_per_s"]) > 0
        assert f"job={job}" in r["label"]
