"""netCDF-4 output (``parnft run model.conf -o x.nc``): CF layout, equal to the HDF5 output."""

from __future__ import annotations

import h5py
import netCDF4
import numpy as np
import pytest
import xarray as xr

from parnft.cli import main
from parnft.io.netcdf import NetCDFWriter, nc_name
from tests.malformed_cases import BASE

NODES = BASE
ALL = BASE.replace("Output: Node: 1 2", "Output: Node: All")
#: Dendrite 1 as a Ramp: its output ``beta`` is one value shared by every node.
RAMP = ALL.replace("  Dendrite 1: alpha: 83 beta: 769",
                   "  Dendrite 1: Ramp - alpha: 83 beta: 769 alpha2: 60 beta2: 500 "
                   "t1: 0.002 t2: 0.004 t3: 0.006 t4: 0.008")
TRACES = ("pop.1.q", "dendrite.1.v", "propagator.1.phi", "coupling.2.nu")
NT = 50  # Time 0.01 s, Interval 2e-4 s


def _run_both(tmp_path, text, name="m"):
    conf = tmp_path / f"{name}.conf"
    conf.write_text(text)
    nc, h5 = tmp_path / f"{name}.nc", tmp_path / f"{name}.h5"
    assert main(["run", "-q", str(conf), "-o", str(nc)]) == 0
    assert main(["run", "-q", str(conf), "-o", str(h5)]) == 0
    return nc, h5


@pytest.mark.parametrize("text,dims", [(NODES, ("time", "node")), (ALL, ("time", "y", "x"))],
                         ids=["node-list", "all-nodes"])
def test_netcdf_equals_hdf5_output(tmp_path, text, dims):
    nc, h5 = _run_both(tmp_path, text)
    with netCDF4.Dataset(nc) as d, h5py.File(h5) as f:
        want = {"time": NT, "y": 4, "x": 4} | ({"node": 2} if "node" in dims else {})
        assert {k: len(v) for k, v in d.dimensions.items()} == want
        np.testing.assert_array_equal(d["time"][:], f["time"][()])
        assert d["time"].units == "s"
        for key in TRACES:
            v = d[nc_name(key)]
            assert v.dimensions == dims
            assert v.units == f[key].attrs["units"]
            assert v.nftsim_name == f[key].attrs["nftsim_name"]
            assert v.parnft_key == key
            np.testing.assert_array_equal(v[:].data, f[key][()])
        if "node" in dims:
            for c in ("node", "node_x", "node_y"):
                np.testing.assert_array_equal(d[c][:], f[c][()])
        for k in ("config_text", "parnft_version", "git_sha", "nranks", "tile_bounds",
                  "topology", "writer", "nodes", "deltat", "output_interval_steps"):
            assert d.getncattr(k) == f.attrs[k], k
        np.testing.assert_array_equal(d.process_grid, f.attrs["process_grid"])
        assert d.complete == 1 and f.attrs["complete"]
        assert d.config_text == text


@pytest.mark.parametrize("engine", ["netcdf4", "h5netcdf"])
@pytest.mark.parametrize("text", [NODES, ALL], ids=["node-list", "all-nodes"])
def test_xarray_opens_the_file(tmp_path, engine, text):
    nc, h5 = _run_both(tmp_path, text)
    with xr.open_dataset(nc, engine=engine) as ds, h5py.File(h5) as f:
        assert set(ds.data_vars) == {nc_name(k) for k in TRACES}
        assert ds["time"].dtype == np.float64  # seconds, not decoded to datetimes
        np.testing.assert_array_equal(ds["time"].values, np.arange(1, NT + 1) * 2e-4)
        phi = ds["propagator_1_phi"]
        assert phi.attrs["units"] == "s^-1"
        np.testing.assert_array_equal(phi.values, f["propagator.1.phi"][()])
        if text is NODES:
            assert {"node_x", "node_y", "node"} <= set(phi.coords)
            np.testing.assert_array_equal(ds["node"].values, [1, 2])
        else:
            assert phi.dims == ("time", "y", "x")
        assert ds.attrs["Conventions"] == "CF-1.10" and ds.attrs["complete"] == 1


@pytest.mark.parametrize("text", [NODES, ALL], ids=["node-list", "all-nodes"])
def test_cf_attributes(tmp_path, text):
    conf = tmp_path / "m.conf"
    conf.write_text(text)
    nc = tmp_path / "m.nc"
    assert main(["run", "-q", str(conf), "-o", str(nc)]) == 0
    with netCDF4.Dataset(nc) as d:
        assert d.Conventions == "CF-1.10"
        for a in ("title", "source", "history", "created", "config_path"):
            assert d.getncattr(a)
        t = d["time"]
        assert (t.units, t.standard_name, t.axis) == ("s", "time", "T") and t.long_name
        assert (d["x"].axis, d["y"].axis) == ("X", "Y")
        # cell centres in metres (parnft.io.coords): (i + 1/2) Length / Longside
        dx = d.dx
        assert d["x"].units == "m" and d["x"].grid_spacing == dx > 0
        np.testing.assert_allclose(d["x"][:], (np.arange(d.dimensions["x"].size) + 0.5) * dx)
        for name, v in d.variables.items():
            assert "." not in name
            assert v.units and v.long_name
            if name not in ("time", "x", "y", "node", "node_x", "node_y", "node_number"):
                assert v.nftsim_name == v.long_name and v.cell_methods == "time: point"
                if "node" in v.dimensions:
                    assert v.coordinates == "node_x node_y"


def test_shared_trace_is_one_value_per_sample(tmp_path):
    nc, h5 = _run_both(tmp_path, RAMP, "ramp")
    with netCDF4.Dataset(nc) as d, h5py.File(h5) as f:
        beta = d["dendrite_1_beta"]
        assert beta.dimensions == ("time",) and beta.units == "s^-1"
        np.testing.assert_array_equal(beta[:], f["dendrite.1.beta"][:])
        assert beta[0] == 769.0 and beta[-1] != 769.0


def test_aborted_run_is_marked_incomplete(tmp_path):
    from mpi4py import MPI

    from parnft.config import parse_config
    from parnft.solver import Simulation

    sim = Simulation(parse_config(ALL), MPI.COMM_SELF)
    nc = tmp_path / "aborted.nc"
    w = NetCDFWriter(str(nc), sim, MPI.COMM_SELF)
    sim.run(w, steps=10)
    w.close(None, complete=False)
    with netCDF4.Dataset(nc) as d:
        assert d.complete == 0 and "timings_per_rank" not in d.ncattrs()
        assert np.all(np.isfinite(d["pop_1_q"][:5]))
