"""The ``parnft`` command: run, validate, plot; exit codes; output files."""

from __future__ import annotations

import os
import subprocess
import sys

import h5py
import numpy as np
import pytest

from parnft import open_dataset
from parnft.cli import main
from parnft.io.nftsim_text import read_output
from tests.malformed_cases import BASE, CASES

SMALL = BASE.replace("Time: 0.01", "Time: 0.02")


@pytest.fixture
def conf(tmp_path):
    p = tmp_path / "small.conf"
    p.write_text(SMALL)
    return p


def test_validate_ok_prints_summary(conf, capsys):
    assert main(["validate", str(conf), "-n", "4"]) == 0
    out = capsys.readouterr().out
    assert "Courant" in out and "4 ranks" in out and "Wave" in out


@pytest.mark.parametrize("case", CASES[::5], ids=lambda c: c[0])
def test_validate_reports_problem_with_line_and_exits_2(case, tmp_path, capsys):
    name, text, line, needle = case
    p = tmp_path / f"{name}.conf"
    p.write_text(text)
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr().err
    hits = [ln for ln in err.splitlines() if f":{line}:" in ln and needle in ln]
    assert hits, err


def test_run_writes_complete_self_describing_hdf5(conf, tmp_path):
    out = tmp_path / "run.h5"
    assert main(["run", "-q", str(conf), "-o", str(out)]) == 0
    with h5py.File(out) as f:
        assert f.attrs["complete"]
        assert f.attrs["config_text"] == SMALL
        assert f.attrs["nranks"] == 1
        assert f["time"].attrs["units"] == "s"
    ds = open_dataset(out)
    assert set(ds.data_vars) >= {"pop.1.q", "propagator.1.phi"}
    samples = 100  # Time 0.02 s, Interval 2e-4 s: every second step
    assert ds.sizes["time"] == samples
    np.testing.assert_allclose(ds["time"].values, np.arange(1, samples + 1) * 2e-4, rtol=1e-12)
    np.testing.assert_array_equal(ds["node"].values, [1, 2])


def test_text_and_hdf5_outputs_agree(conf, tmp_path):
    h5, txt = tmp_path / "a.h5", tmp_path / "a.output"
    assert main(["run", "-q", str(conf), "-o", str(h5)]) == 0
    assert main(["run", "-q", str(conf), "-o", str(txt)]) == 0
    ds = open_dataset(h5)
    t = read_output(txt)
    _, phi = t.trace("Propagator.1.phi")
    # the text file holds 15 significant digits
    np.testing.assert_allclose(phi, ds["propagator.1.phi"].values.reshape(len(phi), -1),
                               rtol=1e-14)


def test_plot_makes_a_png(conf, tmp_path):
    h5, png = tmp_path / "a.h5", tmp_path / "a.png"
    assert main(["run", "-q", str(conf), "-o", str(h5)]) == 0
    assert main(["plot", str(h5), "--trace", "propagator.1.phi", "--out", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 5000


def test_console_script_and_module_exit_codes(conf, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text(SMALL.replace("gamma: 100", "gamma: 1e9"))
    r = subprocess.run([sys.executable, "-m", "parnft", "validate", str(bad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert "Courant" in r.stderr and "bad.conf:" in r.stderr
    out = tmp_path / "never.h5"
    r = subprocess.run([sys.executable, "-m", "parnft", "run", str(bad), "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert not out.exists()  # no half-written output


@pytest.mark.parametrize("name", ["e-erps.conf", "eirs-corticothalamic.conf"])
def test_shipped_example_configs_validate(name, capsys):
    from tests.refdata import REPO

    assert main(["validate", str(REPO / "configs" / name)]) == 0
    assert "Courant" in capsys.readouterr().out


def test_validate_under_mpiexec_exits_2_on_every_rank(tmp_path):
    import shutil

    mpiexec = shutil.which("mpiexec")
    assert mpiexec, "mpiexec must be installed (setup.sh)"
    bad = tmp_path / "bad.conf"
    bad.write_text(SMALL.replace("Nodes: 16", "Nodes: 15"))
    r = subprocess.run([mpiexec, "-n", "4", sys.executable, "-m", "parnft", "validate",
                        str(bad)], capture_output=True, text=True, timeout=120,
                       # os.environ lacks the variables MPI_Init set in this process;
                       # inheriting those would confuse the child mpiexec
                       env=dict(os.environ))
    assert r.returncode == 2, r.stderr
    # rank 0 reports once; every rank exits with the same code, nobody aborts
    assert r.stderr.count("perfect square") == 1
    assert "MPI_ABORT" not in r.stderr
