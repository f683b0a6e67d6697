"""``parnft sweep`` on one rank: tables, failures, the index, loop reuse, exit codes.

References: each member's output against ``parnft.api.run`` of the member's
config (bitwise, every dataset); the members a static round robin gives each
group, written out by hand; numba's own count of compilations of the
generated loop.
"""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from mpi4py import MPI

import parnft
from parnft.api import run
from parnft.cli import main
from parnft.ensemble import member_table, run_ensemble
from parnft.errors import ConfigError
from parnft.parallel.ensemble import assign_members, check_group_size, split_groups
from tests.mpi.test_sweep_mpi import MODEL, _same


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "m.conf"
    path.write_text(MODEL)
    return str(path)


def test_round_robin_assignment_and_group_sizes():
    assert [assign_members(8, 3, g) for g in range(3)] == [[0, 3, 6], [1, 4, 7], [2, 5]]
    assert assign_members(2, 4, 3) == []
    assert check_group_size(4, 2) == 2 and check_group_size(4, 4) == 1
    for bad in (3, 0, -1):
        with pytest.raises(ConfigError, match="--ranks-per-member"):
            check_group_size(4, bad)
    g = split_groups(MPI.COMM_SELF, 1)
    assert (g.index, g.count, g.size, g.comm.Get_size()) == (0, 1, 1, 1)
    g.free()
    g.free()  # idempotent


def test_member_table_sources(tmp_path):
    keys, rows = member_table(["Coupling.2.nu=1,2", "Propagator.1.gamma=100,116"], None)
    assert keys == ["Coupling.2.nu", "Propagator.1.gamma"]
    assert rows == [["1", "100"], ["1", "116"], ["2", "100"], ["2", "116"]]
    csv = tmp_path / "p.csv"
    csv.write_text("# a comment\nCoupling.2.nu, Propagator.1.gamma\n1e-3, 100\n\n2e-3,116\n")
    assert member_table([], str(csv)) == (keys, [["1e-3", "100"], ["2e-3", "116"]])
    with pytest.raises(ConfigError, match="not both"):
        member_table(["Coupling.2.nu=1"], str(csv))
    with pytest.raises(ConfigError, match="either"):
        member_table([], None)
    with pytest.raises(ConfigError, match="--set 'nu'"):
        member_table(["nu"], None)


def test_members_match_their_runs_and_share_one_loop(conf, tmp_path, monkeypatch):
    """Values differ, structure does not: the loop is compiled (or loaded) once."""
    import numba.core.dispatcher as D

    loads = []
    numba_compile = D.Dispatcher.compile

    def counting(self, sig):
        if self.py_func.__name__ == "advance":
            loads.append(self.py_func.__module__)
        return numba_compile(self, sig)

    monkeypatch.setattr(D.Dispatcher, "compile", counting)
    out = str(tmp_path / "out")
    keys, rows = member_table(["Coupling.2.nu=1e-3,2e-3,3e-3"], None)
    index, res = run_ensemble(conf, keys, rows, MPI.COMM_SELF, outdir=out)
    assert [r.status for r in res] == ["ok"] * 3
    assert len(loads) <= 1  # once per process (0 when an earlier test loaded it)
    for r in res:
        ref = str(tmp_path / f"ref{r.member}.h5")
        run(os.path.join(out, r.conf), ref, comm=MPI.COMM_SELF, progress=False)
        assert _same(os.path.join(out, r.file), ref) == []
    ds = parnft.open_dataset(index)
    assert ds["pop.1.q"].dims == ("member", "time", "y", "x")
    np.testing.assert_array_equal(ds["Coupling.2.nu"].values, [1e-3, 2e-3, 3e-3])
    a = ds["pop.1.q"].values
    assert not np.array_equal(a[0], a[1])  # the value reached the loop


def test_cli_exit_codes_and_the_index(conf, tmp_path, capsys):
    out = str(tmp_path / "o")
    assert main(["sweep", conf, "--set", "Coupling.2.nu=1e-3,2e-3", "-o", out, "-q"]) == 0
    with h5py.File(os.path.join(out, "index.h5"), "r") as f:
        assert f.attrs["parnft_kind"] == "ensemble-index" and f.attrs["complete"]
        assert f.attrs["members_ok"] == 2 and f.attrs["members_failed"] == 0
        assert [s.decode() for s in f["status"][()]] == ["ok", "ok"]
    out2 = str(tmp_path / "o2")
    code = main(["sweep", conf, "--set", "Coupling.2.nu=1e-3,abc,2e-3", "-o", out2, "-q"])
    assert code == 3
    err = capsys.readouterr().err
    assert "1 of 3 members failed" in err and "nu = abc" in err
    ds = parnft.open_dataset(os.path.join(out2, "index.h5"))
    assert list(ds["status"].values) == ["ok", "failed", "ok"]
    assert ds["Coupling.2.nu"].dtype == object  # 'abc' is no number: kept as text
    assert np.isnan(ds["pop.1.q"].values[1]).all()
    assert not os.path.exists(os.path.join(out2, "member-0001.h5"))


def test_command_errors_run_nothing(conf, tmp_path, capsys):
    out = str(tmp_path / "never")
    assert main(["sweep", conf, "--set", "Coupling.9.nu=1,2", "-o", out]) == 2
    assert "matches no key" in capsys.readouterr().err
    assert main(["sweep", conf, "--set", "Coupling.2.nu=1,2", "-R", "2", "-o", out]) == 2
    assert "--ranks-per-member 2" in capsys.readouterr().err
    assert main(["sweep", conf, "--set", "Coupling.2.nu=1,2", "--procs", "2x1", "-o", out]) == 2
    assert "--procs 2x1: a member runs on --ranks-per-member 1" in capsys.readouterr().err
    broken = tmp_path / "broken.conf"
    broken.write_text(MODEL.replace("Sigma: 0.0038", "Sigma: -1"))
    assert main(["sweep", str(broken), "--set", "Coupling.2.nu=1,2", "-o", out]) == 2
    assert not os.path.exists(out)
