"""Start-up: the cached libm probe, numba cache loads without the refresh, lazy imports.

References: the probe's own answer (:func:`probe_libm`, run here) for the
cache; Python's ``-X importtime`` list of the modules a ``parnft run``
process imported; the CSV layout of :data:`parnft.bench.provenance.COLUMNS`.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from parnft.bench import startup as st
from parnft.bench.provenance import COLUMNS, append_rows, read_rows
from parnft.config import parse_config, read_config
from parnft.kernels import libm_check as lc
from parnft.launch import SINGLETON_MCA

REPO = Path(__file__).resolve().parents[2]
MODEL = """Start-up test model: one E population with a Wave propagator.
Time: 0.002 Deltat: 1e-4
Nodes: 64
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.24
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769
Population 2: drive
 Length: 0.24
 Stimulus: White - Onset: 0 Mean: 1 ASD: 1e-5
Propagator 1: Wave - Tau: 0 Range: 0.086 gamma: 116
Propagator 2: Map - Tau: 0
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 1e-3
Output: Node: All Start: 0.001 Interval: 1e-4
Population: 1.Q
"""


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty user cache folder and a fresh probe answer."""
    monkeypatch.setenv("PARNFT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PARNFT_LIBM_PROBE", raising=False)
    lc.agrees_with_libm.cache_clear()
    yield tmp_path / "cache"
    lc.agrees_with_libm.cache_clear()


def test_probe_answer_is_cached_and_read_back(cache, monkeypatch):
    """First call probes and stores; a later process-level call reads the file."""
    truth = lc.probe_libm()
    key = lc.probe_key()
    assert key is not None  # glibc with /proc/self/maps: the CI machine
    assert lc.agrees_with_libm() is truth
    path = cache / "libm" / f"{key}.json"
    assert json.loads(path.read_text()) == {"key": key, "agrees": truth}
    # the cached answer is what is used (the probe is skipped): flip it and look
    path.write_text(json.dumps({"key": key, "agrees": not truth}))
    lc.agrees_with_libm.cache_clear()
    monkeypatch.setattr(lc, "probe_libm", lambda: pytest.fail("probe ran despite the cache"))
    assert lc.agrees_with_libm() is (not truth)


def test_forced_probe_and_bad_cache_fall_back_to_the_probe(cache, monkeypatch):
    truth = lc.probe_libm()
    key = lc.probe_key()
    path = cache / "libm" / f"{key}.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"key": key, "agrees": not truth}))
    monkeypatch.setenv("PARNFT_LIBM_PROBE", "always")
    assert lc.agrees_with_libm() is truth
    lc.agrees_with_libm.cache_clear()
    monkeypatch.delenv("PARNFT_LIBM_PROBE")
    for junk in ("{not json", json.dumps({"key": "other", "agrees": not truth}),
                 json.dumps({"key": key, "agrees": "yes"})):
        path.write_text(junk)
        lc.agrees_with_libm.cache_clear()
        assert lc.agrees_with_libm() is truth
        assert json.loads(path.read_text()) == {"key": key, "agrees": truth}


def test_key_follows_the_libm_file_and_is_none_when_unknown(cache, monkeypatch, tmp_path):
    key = lc.probe_key()
    assert lc.probe_key() == key  # stable within a machine state
    other = tmp_path / "libm.so.6"
    other.write_bytes(b"another build")
    monkeypatch.setattr(lc, "_mapped_libm", lambda: str(other))
    assert lc.probe_key() not in (None, key)
    monkeypatch.setattr(lc, "_mapped_libm", lambda: None)
    assert lc.probe_key() is None
    assert lc.agrees_with_libm() is lc.probe_libm()
    assert not (cache / "libm").exists()  # nothing stored without a key


def test_numba_cache_loads_skip_the_context_refresh(tmp_path):
    """A cached function loads (a cache hit, right result) without numba's refresh."""
    mod = tmp_path / "jitmod.py"
    mod.write_text("from numba import njit\n\n@njit(cache=True)\ndef f(x):\n"
                   "    return x * 2.0 + 1.0\n")
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "import parnft.codegen\nimport jitmod\n"
            "print(jitmod.f(3.0), sum(jitmod.f.stats.cache_hits.values()), "
            "'numba.np.npyimpl' in sys.modules)\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), NUMBA_CACHE_DIR=str(tmp_path / "nc"))

    def child():
        res = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env,
                             capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
        return res.stdout.split()

    assert child() == ["7.0", "0", "True"]   # compiled (numba refreshed to compile)
    assert child() == ["7.0", "1", "False"]  # loaded, no refresh


def _importtime(argv, cwd):
    res = subprocess.run([sys.executable, "-X", "importtime", "-m", "parnft", *argv],
                         cwd=cwd, env=dict(os.environ, PYTHONPATH=str(REPO)),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return {ln.split("|")[-1].strip() for ln in res.stderr.splitlines()
            if ln.startswith("import time:")}


def test_run_imports_no_analysis_plotting_or_netcdf(tmp_path):
    conf = tmp_path / "m.conf"
    conf.write_text(MODEL)
    argv = ["run", str(conf), "-o", str(tmp_path / "m.h5"), "-q"]
    _importtime(argv, tmp_path)  # compiles the loop (or loads it)
    mods = _importtime(argv, tmp_path)
    assert {"numpy", "numba", "h5py", "mpi4py.MPI", "parnft.solver"} <= mods
    heavy = {m for m in mods if m.split(".")[0] in ("matplotlib", "xarray", "netCDF4", "pandas")
             or m.startswith(("parnft.analysis", "parnft.plots"))}
    assert not heavy
    assert "numba.np.npyimpl" not in mods  # every kernel came from the cache unrefreshed


def test_one_step_variant_and_singleton_env(tmp_path):
    conf = tmp_path / "m.conf"
    conf.write_text(MODEL)
    spec = read_config(str(conf))
    one = parse_config(st.one_step_text(spec), path=str(conf))
    assert one.time.steps == 1 and one.grid.nodes == spec.grid.nodes
    assert one.output.start == 0.0  # Start 0.001 lay beyond the one step
    env = st.singleton_env({"PMIX_RANK": "1", "OMPI_COMM_WORLD_SIZE": "2", "SLURM_PROCID": "0",
                            "OMPI_ALLOW_RUN_AS_ROOT": "1", "PATH": "/bin",
                            "PYTHONDONTWRITEBYTECODE": "1"})
    assert env == {"OMPI_ALLOW_RUN_AS_ROOT": "1", "PATH": "/bin", "NUMBA_NUM_THREADS": "1",
                   **SINGLETON_MCA}  # launcher variables, byte-code switch gone; singleton MPI


def test_bench_startup_columns(tmp_path, monkeypatch, capsys):
    """``parnft bench --startup 1``: the columns are filled and consistent."""
    from parnft.cli import main

    monkeypatch.setenv("PYTHONPATH", str(REPO))
    conf = tmp_path / "m.conf"
    conf.write_text(MODEL)
    path = tmp_path / "b.csv"
    assert main(["bench", str(conf), "--csv", str(path), "--no-stream", "--startup", "1"]) == 0
    (row,) = read_rows(str(path))
    floor, start, excess = (float(row[k]) for k in ("import_floor_s", "startup_s",
                                                     "startup_excess_s"))
    assert 0 < floor and 0 < start
    # one pair: its difference. Each column is written with 6 significant digits
    # (provenance ``{:.6g}``), a relative rounding of at most 5e-6 per column.
    assert excess == pytest.approx(start - floor, abs=5e-6 * (start + floor + abs(excess)))
    assert float(row["load1"]) >= 0
    assert float(row["import_floor_cpu_s"]) > 0 and float(row["startup_cpu_s"]) > 0
    assert "import floor" in capsys.readouterr().out


def test_old_csv_header_is_extended(tmp_path):
    path = tmp_path / "old.csv"
    old = COLUMNS[:-6]
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(old)
        w.writerow(["x"] * len(old))
    append_rows(str(path), [{"config": "new", "startup_s": 1.25}])
    rows = read_rows(str(path))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["config"] == "x" and rows[0]["startup_s"] == ""
    assert rows[1]["config"] == "new" and rows[1]["startup_s"] == "1.25"
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="not parnft bench's columns"):
        append_rows(str(bad), [{"config": "new"}])
