"""``parnft sweep`` on 4 ranks: every member is bitwise its own ``parnft run``.

Run with ``mpiexec -n 4 python -m mpi4py -m pytest --with-mpi -m mpi
tests/mpi/test_sweep_mpi.py`` (it needs at least 4 ranks). Eight members of
an 8 x 8 model on 4 ranks, with 1 and with 2 ranks per member: each member's
HDF5 datasets are compared bit for bit with a run of the member's config by
:func:`parnft.api.run` on a communicator of R ranks (what ``parnft run`` does
on R ranks), and one member with a bad value (Sigma = -1, a ConfigError) and
one that diverges (a 1e308 pulse, a RunError on the rank whose tile holds it)
fail alone, with their errors in the index, while the others run.
"""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.cli import main
from parnft.errors import RunError

MODEL = """Sweep test model: Wave + noise + a pulse on an 8 x 8 torus.
Time: 0.004 Deltat: 1e-4
Nodes: 64
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.16
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769
Population 2: noise
 Length: 0.16
 Stimulus: Superimpose: 2
  Stimulus: White - Mean: 1 StdDev: 0.5
  Stimulus: PulseRect - Onset: 0.001 Node: 7 Amplitude: 50 Width: 2e-3
Propagator 1: Wave - Tau: 2e-4 Range: 0.1 gamma: 100
Propagator 2: Map - Tau: 3e-4
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 2e-3
Output: Node: All Interval: 2e-4
Population: 1.Q
Dendrite:
Propagator: 1.phi
Coupling:
"""
TABLE = """Coupling.2.nu, Population.1.Firing.Sigma, Population.2.Stimulus.2.Amplitude, \
Population.2.Stimulus.2.Onset
1e-3, 0.0038, 50, 0.001
1.5e-3, 0.0038, 50, 0.001
2e-3, 0.0038, 50, 0.001
2e-3, -1, 50, 0.001
2.5e-3, 0.0038, 50, 0.001
3e-3, 0.0038, 1e308, 0.0035
3.5e-3, 0.004, 50, 0.002
4e-3, 0.0038, 80, 0.001
"""
BAD, DIVERGES = 3, 5


def _datasets(path: str) -> dict:
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return out


def _same(a: str, b: str) -> list[str]:
    """Names of datasets that differ (bitwise) between files ``a`` and ``b``."""
    da, db = _datasets(a), _datasets(b)
    if set(da) != set(db):
        return [f"dataset names {sorted(da)} != {sorted(db)}"]
    return [k for k in da if da[k].dtype != db[k].dtype or da[k].shape != db[k].shape
            or da[k].tobytes() != db[k].tobytes()]


@pytest.mark.mpi(min_size=4)
@pytest.mark.parametrize("ranks_per_member", [1, 2])
def test_members_are_bitwise_their_own_runs(shared_dir, ranks_per_member):
    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    assert size % 2 == 0, "run on an even number of ranks (4 in CI)"
    conf = os.path.join(shared_dir, f"m{ranks_per_member}.conf")
    table = os.path.join(shared_dir, f"t{ranks_per_member}.csv")
    out = os.path.join(shared_dir, f"out{ranks_per_member}")
    if rank == 0:
        with open(conf, "w") as f:
            f.write(MODEL)
        with open(table, "w") as f:
            f.write(TABLE)
    comm.Barrier()
    code = main(["sweep", conf, "--table", table, "-R", str(ranks_per_member), "-o", out, "-q"])
    assert code == 3  # two members failed, on purpose
    index = os.path.join(out, "index.h5")
    # the references: each member's config run on R ranks, groups as in the sweep
    group = comm.Split(rank // ranks_per_member, rank)
    ngroups = size // ranks_per_member
    bad = []
    try:
        for i in range(rank // ranks_per_member, 8, ngroups):
            if i in (BAD, DIVERGES):
                continue
            mconf = os.path.join(out, f"member-{i:04d}.conf")
            ref = os.path.join(shared_dir, f"ref{ranks_per_member}-{i}.h5")
            run(mconf, ref, comm=group, progress=False)
            if group.Get_rank() == 0:
                diff = _same(os.path.join(out, f"member-{i:04d}.h5"), ref)
                bad += [f"member {i}: {d}" for d in diff]
    finally:
        group.Free()
    bad = [b for part in comm.allgather(bad) for b in part]
    assert not bad
    if rank == 0:
        import parnft

        ds = parnft.open_dataset(index)
        assert ds.sizes["member"] == 8
        status = list(ds["status"].values)
        assert status == ["ok" if i not in (BAD, DIVERGES) else "failed" for i in range(8)]
        assert list(ds["exit_code"].values) == [0, 0, 0, 2, 0, 3, 0, 0]
        assert "Sigma must be > 0" in ds["error"].values[BAD]
        assert "not finite" in ds["error"].values[DIVERGES]
        np.testing.assert_array_equal(ds["Coupling.2.nu"].values,
                                      [1e-3, 1.5e-3, 2e-3, 2e-3, 2.5e-3, 3e-3, 3.5e-3, 4e-3])
        assert ds.attrs["ranks_per_member"] == ranks_per_member and ds.attrs["complete"]
        for i in (0, 7):
            with h5py.File(os.path.join(out, f"member-{i:04d}.h5"), "r") as f:
                np.testing.assert_array_equal(ds["pop.1.q"].values[i], f["pop.1.q"][()])
        assert np.isnan(ds["pop.1.q"].values[BAD]).all()
        if ranks_per_member == 1:  # the diverged member's error is its own run's
            with pytest.raises(RunError) as err:
                run(os.path.join(out, f"member-{DIVERGES:04d}.conf"),
                    os.path.join(shared_dir, "div.h5"), comm=MPI.COMM_SELF, progress=False)
            # the same message (a run also names its partial file, which differs)
            mine = str(err.value).split("; the samples so far")[0]
            assert mine == ds["error"].values[DIVERGES].split("; the samples so far")[0]
    comm.Barrier()


@pytest.mark.mpi(min_size=2)
def test_rank_count_not_a_multiple_is_a_config_error_on_every_rank(shared_dir, capsys):
    comm = MPI.COMM_WORLD
    conf = os.path.join(shared_dir, "m.conf")
    if comm.Get_rank() == 0:
        with open(conf, "w") as f:
            f.write(MODEL)
    comm.Barrier()
    r = comm.Get_size() + 1
    assert main(["sweep", conf, "--set", "Coupling.2.nu=1e-3,2e-3", "-R", str(r), "-q",
                 "-o", os.path.join(shared_dir, "x")]) == 2
    if comm.Get_rank() == 0:
        assert f"--ranks-per-member {r}" in capsys.readouterr().err
    assert not os.path.exists(os.path.join(shared_dir, "x"))
