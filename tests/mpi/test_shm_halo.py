"""The shared-memory halo transport (parnft.parallel.shm) against MPI messages.

Run e.g. ``mpiexec -n 4 python -m mpi4py -m pytest --with-mpi tests/mpi/test_shm_halo.py``.
The ghost frames must be the same bits through either transport, the choice
must be the same on every rank, and a refusal must reach every rank (no hang).
"""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.errors import ParnftError
from parnft.parallel import HaloExchange, Tiling, shm
from tests.mpi.test_halo import _check, _fill
from tests.mpi.test_runs_mpi import MODEL


def _model_conf(comm, folder, name, nx, ny) -> str:
    """The rank-independence model (Wave + noise) on an nx x ny torus, written by rank 0."""
    conf = os.path.join(folder, f"{name}.conf")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(MODEL.format(nx=nx, ny=ny, nodes=nx * ny, wave="Wave"))
    comm.Barrier()
    return conf


@pytest.mark.mpi(min_size=2)
def test_auto_takes_shared_memory_when_all_ranks_share_a_node(monkeypatch):
    monkeypatch.delenv("PARNFT_HALO_TRANSPORT", raising=False)
    comm = MPI.COMM_WORLD
    assert shm.one_node(comm)  # the test machine: every rank on one node
    with Tiling(comm, (9, 2 * comm.size + 1)) as t:
        with HaloExchange(t, 2) as h:
            assert h.transport == "shm" and h.shm is not None
            assert h.handles.size == 0  # no MPI requests at all
        monkeypatch.setenv("PARNFT_HALO_TRANSPORT", "mpi")
        with HaloExchange(t, 2) as h:
            assert h.transport == "mpi" and h.shm is None and h.handles.size > 0


@pytest.mark.mpi
def test_one_rank_has_nothing_to_send_and_takes_no_window():
    with Tiling(MPI.COMM_SELF, (5, 4)) as t, HaloExchange(t, 1, transport="shm") as h:
        assert h.transport == "mpi" and h.shm is None  # local wraps only
        f = _fill(t, 1)
        h.exchange(f)
        _check(t, f, 1, False)


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("corners", [False, True])
def test_many_exchanges_through_both_parity_slots_match_mpi(corners):
    """50 exchanges of changing data, both transports side by side: identical ghosts."""
    comm = MPI.COMM_WORLD
    rng = np.random.default_rng(7 + comm.rank)
    for dims in (None, (1, comm.size), (comm.size, 1)):
        with Tiling(comm, (2 * comm.size + 1, 2 * comm.size + 3), dims) as t, \
                HaloExchange(t, 3, corners=corners, transport="shm") as a, \
                HaloExchange(t, 3, corners=corners, transport="mpi") as b:
            assert (a.transport, b.transport) == ("shm", "mpi")
            ly, lx = t.loc_shape
            for step in range(50):
                inner = rng.standard_normal((3, ly, lx))
                fa = [np.pad(x, 1, constant_values=np.nan) for x in inner]
                fb = [x.copy() for x in fa]
                if step % 2:  # overlap pattern: read the interior while the messages fly
                    a.start(fa)
                    b.start(fb)
                    a.wait()
                    b.wait()
                else:
                    a.exchange(fa)
                    b.exchange(fb)
                for x, y in zip(fa, fb, strict=True):
                    np.testing.assert_array_equal(x, y)
                    assert not np.isnan(x[1:-1, 0]).any() and not np.isnan(x[0, 1:-1]).any()


@pytest.mark.mpi(min_size=2)
def test_a_pending_exchange_is_completed_by_free():
    comm = MPI.COMM_WORLD
    with Tiling(comm, (6, 2 * comm.size)) as t:
        h = HaloExchange(t, 1, transport="shm")
        f = _fill(t, 1)
        h.start(f)
        h.free()  # collective; completes the messages in flight first
        assert not h.pending and h.shm.win is None
        h.free()  # idempotent


@pytest.mark.mpi(min_size=2)
def test_a_rank_that_cannot_use_shared_memory_makes_every_rank_take_mpi(monkeypatch):
    comm = MPI.COMM_WORLD
    real = shm.one_node
    monkeypatch.setattr(shm, "one_node", lambda c: real(c) and c.rank != 1)
    with Tiling(comm, (7, 2 * comm.size)) as t, HaloExchange(t, 2) as h:
        assert h.transport == "mpi"  # the same on every rank: no rank waits on a window
        f = _fill(t, 2)
        h.exchange(f)
        _check(t, f, 2, False)
    with Tiling(comm, (7, 2 * comm.size)) as t:
        with pytest.raises(ParnftError, match="spans? more than one shared-memory node|"
                                              "not on every rank"):
            HaloExchange(t, 2, transport="shm")  # raised on every rank, not only rank 1


@pytest.mark.mpi(min_size=2)
def test_insisting_on_shm_without_native_mpi_is_a_clear_error_on_every_rank(monkeypatch):
    monkeypatch.setenv("PARNFT_NATIVE_MPI", "0")
    comm = MPI.COMM_WORLD
    with Tiling(comm, (5, 2 * comm.size)) as t:
        with pytest.raises(ParnftError, match="PARNFT_HALO_TRANSPORT=shm.*disabled by "
                                              "PARNFT_NATIVE_MPI=0.*fix:"):
            HaloExchange(t, 1, transport="shm")
        with HaloExchange(t, 1) as h:  # auto falls back quietly
            assert h.transport == "mpi"


@pytest.mark.mpi
def test_unknown_transport_names_the_variable_and_the_choices(monkeypatch):
    monkeypatch.setenv("PARNFT_HALO_TRANSPORT", "carrier-pigeon")
    with Tiling(MPI.COMM_WORLD, (4, 4 * MPI.COMM_WORLD.size)) as t:
        with pytest.raises(ParnftError, match="PARNFT_HALO_TRANSPORT.*'carrier-pigeon'.*"
                                              "auto, mpi, shm"):
            HaloExchange(t, 1)


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("halo", ["overlap", "blocking"])
def test_whole_runs_are_bitwise_the_same_through_either_transport(shared_dir, monkeypatch,
                                                                  halo):
    """A Wave + noise model (the rank-independence model) run both ways, compared bit for bit."""
    comm = MPI.COMM_WORLD
    conf = _model_conf(comm, shared_dir, "transport", 9, 9)
    outs = {}
    for transport in ("mpi", "shm"):
        monkeypatch.setenv("PARNFT_HALO_TRANSPORT", transport)
        outs[transport] = os.path.join(shared_dir, f"transport-{transport}-{halo}.h5")
        run(conf, outs[transport], comm=comm, progress=False, halo=halo)
    if comm.rank == 0:
        with h5py.File(outs["mpi"]) as a, h5py.File(outs["shm"]) as b:
            for key in ("pop.1.q", "propagator.1.phi"):
                np.testing.assert_array_equal(a[key][()], b[key][()])
            assert np.ptp(a["propagator.1.phi"][-1]) > 0
    comm.Barrier()


@pytest.mark.mpi(min_size=2)
def test_auto_halo_mode_is_blocking_through_shared_memory_and_overlap_otherwise(
        shared_dir, monkeypatch):
    from parnft.config import read_config
    from parnft.solver import Simulation

    comm = MPI.COMM_WORLD
    conf = _model_conf(comm, shared_dir, "auto-mode", 8, 6)
    spec = read_config(conf)
    for transport, mode in (("auto", "blocking"), ("mpi", "overlap")):
        monkeypatch.setenv("PARNFT_HALO_TRANSPORT", transport)
        sim = Simulation(spec, comm)  # halo="auto" by default
        try:
            assert sim.halo_mode == mode and sim.halo_transport is None  # plans not built yet
            sim.run(steps=3)
            assert sim.halo_transport == ("shm" if transport == "auto" else "mpi")
        finally:
            sim.close()
    sim = Simulation(spec, comm, halo="overlap")  # an explicit mode is kept
    try:
        assert sim.halo_mode == "overlap"
    finally:
        sim.close()
