"""netCDF output under MPI: collective (mpio) and gathered files equal a 1-rank run.

Run with ``mpiexec -n N python -m mpi4py -m pytest --with-mpi -m mpi tests/mpi/test_netcdf.py``
(any N).
"""

from __future__ import annotations

import os

import h5py
import netCDF4
import numpy as np
import pytest
from mpi4py import MPI

import parnft.io.hdf5
from parnft.api import run
from tests.refdata import missing

MODEL = """netCDF rank-independence model: Wave + noise on a 10 x 7 torus.
Time: 0.01 Deltat: 1e-4
Nodes: 70 Longside nodes: 10
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.2
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: Ramp - alpha: 83 beta: 769 alpha2: 60 beta2: 500 t1: 2e-3 t2: 4e-3 t3: 6e-3 t4: 8e-3
  Dendrite 2: alpha: 83 beta: 769
Population 2: noise
 Length: 0.2
 Stimulus: Superimpose: 2
  Stimulus: White - Mean: 1 StdDev: 0.5
  Stimulus: PulseRect - Onset: 0.001 Node: 7 Amplitude: 50 Width: 2e-3
Propagator 1: Wave - Tau: 2e-4 Range: 0.1 gamma: 100
Propagator 2: Map - Tau: 3e-4
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 2e-3
Output: Node: {nodes} Interval: 2e-4
Population: 1.Q
Dendrite: 1 2
Propagator: 1.phi
Coupling:
"""
#: Attributes that legitimately differ between the parallel and the 1-rank file.
RUN_ATTRS = {"nranks", "process_grid", "tile_bounds", "writer", "created", "history",
             "timings_per_rank"}


def _compare(par: str, ser: str, mode: str, size: int) -> None:
    with netCDF4.Dataset(par) as a, netCDF4.Dataset(ser) as b:
        assert a.nranks == size and a.complete == 1
        assert a.writer == ("mpio-collective" if mode == "collective" and size > 1 else "serial")
        assert {k: len(v) for k, v in a.dimensions.items()} == \
            {k: len(v) for k, v in b.dimensions.items()}
        assert set(a.ncattrs()) == set(b.ncattrs())
        for k in set(a.ncattrs()) - RUN_ATTRS:
            np.testing.assert_array_equal(a.getncattr(k), b.getncattr(k), err_msg=k)
        assert list(a.variables) == list(b.variables)
        for name, va in a.variables.items():
            vb = b[name]
            assert va.dimensions == vb.dimensions, name
            assert {k: va.getncattr(k) for k in va.ncattrs()} == \
                {k: vb.getncattr(k) for k in vb.ncattrs()}, name
            np.testing.assert_array_equal(va[:], vb[:], err_msg=name)
        assert a["dendrite_1_beta"].dimensions == ("time",)
        assert np.ptp(a["propagator_1_phi"][-1]) > 0  # the noise did reach the field


@pytest.mark.mpi
@pytest.mark.parametrize("nodes", ["All", "1 7 10 33 61 70"], ids=["all", "list"])
@pytest.mark.parametrize("mode", ["collective", "gather"])
def test_netcdf_at_any_rank_count_equals_one_rank(shared_dir, monkeypatch, mode, nodes):
    comm = MPI.COMM_WORLD
    if mode == "collective" and not h5py.get_config().mpi:
        missing("h5py has no MPI support (setup.sh builds it against parallel HDF5)")
    if mode == "gather":
        monkeypatch.setattr(parnft.io.hdf5, "mpi_h5py", lambda: False)
    tag = f"{mode}-{'all' if nodes == 'All' else 'list'}"
    conf = os.path.join(shared_dir, f"{tag}.conf")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(MODEL.format(nodes=nodes))
    comm.Barrier()
    par = os.path.join(shared_dir, f"par-{tag}.nc")
    run(conf, par, comm=comm, progress=False)
    err = None
    if comm.rank == 0:
        ser = os.path.join(shared_dir, f"ser-{tag}.nc")
        run(conf, ser, comm=MPI.COMM_SELF, progress=False)
        try:
            _compare(par, ser, mode, comm.size)
        except AssertionError as exc:  # reported on every rank, so none waits
            err = f"{type(exc).__name__}: {exc}"
    err = comm.bcast(err, root=0)
    assert err is None, err
