"""A failure on one rank during a run aborts the whole MPI job quickly, with the rank named."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import h5py

from tests.malformed_cases import BASE

# Linear firing with an enormous gain and no recurrence (nu_ee = 0), driven at
# node 1 only: node 1's rate overflows to inf on the rank that owns it (rank 0);
# every other node stays exactly 0.
DIVERGES = (BASE.replace("Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340",
                         "Firing: Function: Linear a: 1e300 b: 0")
            .replace("Stimulus: PulseRect - Onset: 0 Node: 1 Amplitude: 1 Width: 1e-3",
                     "Stimulus: PulseRect - Onset: 0 Node: 1 Amplitude: 1e300 Width: 1")
            .replace("Propagator 1: Wave - Tau: 0 Range: 0.3 gamma: 100",
                     "Propagator 1: Map - Tau: 0")
            .replace("Coupling 1: Map - nu: 1e-4", "Coupling 1: Map - nu: 0"))


def test_one_failing_rank_aborts_the_job(tmp_path):
    conf = tmp_path / "diverges.conf"
    conf.write_text(DIVERGES)
    out = tmp_path / "out.h5"
    mpiexec = shutil.which("mpiexec")
    assert mpiexec, "mpiexec must be installed (setup.sh)"
    t0 = time.perf_counter()
    r = subprocess.run([mpiexec, "-n", "2", sys.executable, "-m", "parnft", "run", "-q",
                        str(conf), "-o", str(out)], capture_output=True, text=True,
                       timeout=120, env=dict(os.environ))
    elapsed = time.perf_counter() - t0
    assert r.returncode != 0
    # the failing rank names itself and the cause
    assert "parnft: rank 0: error:" in r.stderr, r.stderr
    assert "not finite at node 1," in r.stderr, r.stderr
    assert elapsed < 60
    if out.exists():  # never mistaken for a finished run
        try:
            with h5py.File(out, "r") as f:
                assert not f.attrs["complete"]
        except OSError:
            pass  # killed mid-write: unreadable, which is not a silent truncation either


def test_single_process_failure_marks_file_incomplete(tmp_path):
    from parnft.cli import main

    conf = tmp_path / "diverges.conf"
    conf.write_text(DIVERGES)
    out = tmp_path / "out.h5"
    assert main(["run", "-q", str(conf), "-o", str(out)]) == 3
    # a failed run leaves its samples beside the output: out.h5 is only ever complete
    assert not out.exists()
    with h5py.File(f"{out}.partial", "r") as f:
        assert not f.attrs["complete"]
        assert f.attrs["samples_written"] < f.attrs["samples_expected"]
        assert f["time"].shape == (f.attrs["samples_written"],)


def test_interrupted_run_file_holds_exactly_the_samples_written(tmp_path):
    """Datasets grow with each flushed buffer: a run stopped half-way leaves no padding."""
    import numpy as np
    from mpi4py import MPI

    from parnft.api import make_writer
    from parnft.config import parse_config
    from parnft.solver import Simulation

    spec = parse_config(BASE, path=str(tmp_path / "base.conf"))
    sim = Simulation(spec, MPI.COMM_SELF)
    out = str(tmp_path / "half.h5")
    writer = make_writer(out, "hdf5", sim, MPI.COMM_SELF)
    sim.outputs.nrows = 3  # flush every 3 samples, so a partial run has several buffers
    sim.run(writer, steps=spec.time.steps // 2)
    writer.close(sim.stats, complete=False)
    with h5py.File(out, "r") as f:
        n, expected = int(f.attrs["samples_written"]), int(f.attrs["samples_expected"])
        assert 0 < n < expected and not f.attrs["complete"]
        assert f["time"].shape == (n,)
        assert np.all(np.diff(f["time"][...]) > 0)
        traces = [k for k in f if isinstance(f[k], h5py.Dataset)
                  and str(f[k].attrs.get("dims", "")).startswith("time")]
        assert traces and all(f[k].shape[0] == n for k in traces)
        assert all(np.isfinite(f[k][...]).all() for k in traces)
