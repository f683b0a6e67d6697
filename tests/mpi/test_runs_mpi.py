"""Whole runs under MPI: same numbers at every rank count; config errors on every rank.

Run with ``mpiexec -n N python -m mpi4py -m pytest --with-mpi -m mpi tests/mpi``
(N = 1, 2, 4 in CI).
"""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.cli import main
from tests.malformed_cases import CASES as NFT_CASES
from tests.malformed_dynamics import DYNAMICS_CASES

CASES = NFT_CASES + DYNAMICS_CASES

MODEL = """Rank-independence model: Wave + noise on a {nx} x {ny} torus.
Time: 0.01 Deltat: 1e-4
Nodes: {nodes} Longside nodes: {nx}
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.2
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769
Population 2: noise
 Length: 0.2
 Stimulus: Superimpose: 2
  Stimulus: White - Mean: 1 StdDev: 0.5
  Stimulus: PulseRect - Onset: 0.001 Node: 7 Amplitude: 50 Width: 2e-3
Propagator 1: {wave} - Tau: 2e-4 Range: 0.1 gamma: 100
Propagator 2: Map - Tau: 3e-4
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 2e-3
Output: Node: All Interval: 2e-4
Population: 1.Q
Dendrite:
Propagator: 1.phi
Coupling:
"""


@pytest.mark.mpi
@pytest.mark.parametrize("halo", ["overlap", "blocking"])
@pytest.mark.parametrize("wave", ["Wave", "WaveLegacy"])
@pytest.mark.parametrize("nx,ny", [(10, 7), (5, 13), (9, 9)])
def test_any_rank_count_gives_identical_fields(shared_dir, wave, nx, ny, halo):
    comm = MPI.COMM_WORLD
    conf = os.path.join(shared_dir, f"m-{wave}-{nx}x{ny}.conf")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(MODEL.format(nx=nx, ny=ny, nodes=nx * ny, wave=wave))
    comm.Barrier()
    par = os.path.join(shared_dir, f"par-{wave}-{nx}x{ny}-{halo}.h5")
    run(conf, par, comm=comm, progress=False, halo=halo)
    if comm.rank == 0:
        ser = os.path.join(shared_dir, f"ser-{wave}-{nx}x{ny}-{halo}.h5")
        run(conf, ser, comm=MPI.COMM_SELF, progress=False)
        with h5py.File(par) as a, h5py.File(ser) as b:
            assert a.attrs["nranks"] == comm.size and a.attrs["complete"]
            assert a.attrs["halo_mode"] == (halo if comm.size > 1 else "none (local wrap)")
            for key in ("pop.1.q", "propagator.1.phi"):
                assert a[key].shape == (50, ny, nx)
                np.testing.assert_array_equal(a[key][()], b[key][()])
            assert np.ptp(a["propagator.1.phi"][-1]) > 0  # the noise did reach the field
    comm.Barrier()


@pytest.mark.mpi
def test_config_errors_are_raised_on_every_rank_with_exit_code_2(shared_dir, capsys):
    comm = MPI.COMM_WORLD
    codes = []
    for name, text, _line, _needle in CASES:
        path = os.path.join(shared_dir, f"{name}.conf")
        if comm.rank == 0:
            with open(path, "w") as f:
                f.write(text)
        comm.Barrier()
        codes.append(main(["validate", path]))
    assert codes == [2] * len(CASES)
    everyone = comm.allgather(codes)
    assert all(c == codes for c in everyone)


@pytest.mark.mpi
@pytest.mark.parametrize("fmt", ["h5-gather", "output"])
def test_gathered_writers_match_the_serial_run(shared_dir, monkeypatch, fmt):
    """Without MPI in h5py (a laptop's pip install) rank 0 gathers and writes;
    NFTsim text output is gathered too. Both equal the 1-rank result."""
    import parnft.io.hdf5 as hdf5
    from parnft.io.nftsim_text import read_output

    comm = MPI.COMM_WORLD
    monkeypatch.setattr(hdf5, "mpi_h5py", lambda: False)
    conf = os.path.join(shared_dir, "g.conf")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(MODEL.format(nx=10, ny=7, nodes=70, wave="Wave"))
    comm.Barrier()
    ext = ".h5" if fmt == "h5-gather" else ".output"
    par = os.path.join(shared_dir, "par" + ext)
    run(conf, par, comm=comm, progress=False)
    if comm.rank == 0:
        ser = os.path.join(shared_dir, "ser" + ext)
        run(conf, ser, comm=MPI.COMM_SELF, progress=False)
        if ext == ".h5":
            with h5py.File(par) as a, h5py.File(ser) as b:
                assert a.attrs["writer"] == ("serial" if comm.size > 1 else "serial")
                np.testing.assert_array_equal(a["propagator.1.phi"][()],
                                              b["propagator.1.phi"][()])
        else:
            a, b = read_output(par), read_output(ser)
            assert a.names == b.names and a.nodes == b.nodes
            np.testing.assert_array_equal(a.data, b.data)
    comm.Barrier()


RAMP = """Single-valued outputs (a Ramp dendrite's beta) over several tiles.
Time: 0.01 Deltat: 1e-4
Nodes: 16
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.5
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: Ramp - alpha: 83 beta: 769 alpha2: 60 beta2: 500
    t1: 0.001 t2: 0.004 t3: 0.006 t4: 0.009
  Dendrite 2: alpha: 83 beta: 769
Population 2: drive
 Length: 0.5
 Stimulus: White - Mean: 1 StdDev: 0.5
Propagator 1: Map - Tau: 1e-4
Propagator 2: Map - Tau: 0
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 2e-3
Output: Node: {nodes} Interval: 2e-4
Population: 1
Dendrite: 1
Propagator: 1
Coupling:
"""


@pytest.mark.mpi
@pytest.mark.parametrize("nodes", ["All", "16 3 9"])
@pytest.mark.parametrize("ext", [".h5", ".output", ".nc"])
def test_single_valued_fields_at_any_rank_count(shared_dir, nodes, ext):
    import xarray  # noqa: F401  (open_dataset needs it)

    from parnft import open_dataset
    from parnft.io.nftsim_text import read_output

    comm = MPI.COMM_WORLD
    tag = nodes.replace(" ", "-")
    conf = os.path.join(shared_dir, f"ramp-{tag}.conf")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(RAMP.format(nodes=nodes))
    comm.Barrier()
    par = os.path.join(shared_dir, f"ramp-par-{tag}{ext}")
    run(conf, par, comm=comm, progress=False)
    if comm.rank == 0:
        ser = os.path.join(shared_dir, f"ramp-ser-{tag}{ext}")
        run(conf, ser, comm=MPI.COMM_SELF, progress=False)
        if ext == ".output":
            a, b = read_output(par), read_output(ser)
            assert a.names == b.names and a.nodes == b.nodes
            np.testing.assert_array_equal(a.data, b.data)
            assert "Dendrite.1.beta" in a.names
        elif ext == ".h5":
            a, b = open_dataset(par), open_dataset(ser)
            for key in b.data_vars:
                np.testing.assert_array_equal(a[key].values, b[key].values)
            beta = a["dendrite.1.beta"].values
            assert beta.ndim == 1 and np.all(np.isfinite(beta))
            assert beta[0] == 769 and beta.min() < 769  # it ramped
        else:
            import netCDF4

            with netCDF4.Dataset(par) as a, netCDF4.Dataset(ser) as b:
                for key in b.variables:
                    np.testing.assert_array_equal(a[key][:], b[key][:])
    comm.Barrier()


@pytest.mark.mpi
@pytest.mark.timeout(120)
def test_uneven_tiles_flush_buffers_at_the_same_steps(shared_dir, monkeypatch):
    """Ranks with different tile sizes agree on the buffer length (collective writes).

    The buffer is sized so the largest tile holds 20 samples; a smaller tile
    alone would choose more, and the ranks would flush at different steps.
    """
    import parnft.outputs
    from parnft.parallel.tiling import block_range, choose_dims

    comm = MPI.COMM_WORLD
    nx, ny = 17, 10
    py, px = choose_dims(comm.size, (ny, nx))
    cols = [(b - a) * (d - c) for a, b in (block_range(ny, py, i) for i in range(py))
            for c, d in (block_range(nx, px, j) for j in range(px))]
    monkeypatch.setattr(parnft.outputs, "BUFFER_BYTES", 8 * max(cols) * 2 * 20)
    conf = os.path.join(shared_dir, "uneven.conf")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(MODEL.format(nx=nx, ny=ny, nodes=nx * ny, wave="Wave"))
    comm.Barrier()
    par = os.path.join(shared_dir, "uneven-par.h5")
    run(conf, par, comm=comm, progress=False)
    if comm.rank == 0:
        ser = os.path.join(shared_dir, "uneven-ser.h5")
        run(conf, ser, comm=MPI.COMM_SELF, progress=False)
        with h5py.File(par, "r") as a, h5py.File(ser, "r") as b:
            assert a["time"].shape == (50,) and a.attrs["samples_written"] == 50
            for key in ("pop.1.q", "propagator.1.phi"):
                np.testing.assert_array_equal(a[key][...], b[key][...])
    comm.Barrier()
