"""MPI from compiled code (parnft.parallel.native): Startall/Waitall, Allgatherv, the exchange loop.

Run with ``mpiexec -n N python -m mpi4py -m pytest --with-mpi -m mpi
tests/mpi/test_native_halo.py`` (N = 1, 2, 4; more ranks than cores is fine).
The expected values are exact: integers carried by the messages, and the
periodic padding of the global grid (``numpy.take`` with wrapped indices).
"""

from __future__ import annotations

import logging
import os

import numpy as np
import pytest
from mpi4py import MPI
from numba import njit

from parnft.codegen import Exchange, compile_loop, plan_loop
from parnft.kernels import kernel
from parnft.model.base import Call
from parnft.parallel import Tiling, native
from parnft.parallel.allgather import Allgather
from parnft.parallel.halo import HaloExchange

native.load()


@njit
def _ring_rounds(rounds, handles, statuses, sbuf, rbuf, rank, seen):
    """``rounds`` times: send ``1000 * round + rank``, Startall, Waitall; keep what arrived."""
    err = 0
    for r in range(rounds):
        sbuf[0] = 1000.0 * r + rank
        err |= native.startall(handles, 0, handles.shape[0])
        err |= native.waitall(handles, 0, handles.shape[0], statuses)
        seen[r] = rbuf[0]
    return err


@pytest.mark.mpi
def test_startall_waitall_on_persistent_requests_made_by_mpi4py():
    """A ring on a Cartesian communicator: every round brings the left neighbour's value."""
    with Tiling(MPI.COMM_WORLD, (4, 4 * MPI.COMM_WORLD.size), (MPI.COMM_WORLD.size, 1)) as t:
        comm = t.comm.Dup()
        left, right = t.neighbours["W"], t.neighbours["E"]
        sbuf, rbuf = np.zeros(1), np.full(1, -1.0)
        reqs = [comm.Recv_init(rbuf, left, 3), comm.Send_init(sbuf, right, 3)]
        handles = np.array([q.handle for q in reqs], dtype=native.REQUEST_DTYPE)
        guard = 16  # bytes past the statuses MPI must not touch (numba-mpi's 20-byte overrun)
        statuses = np.full(len(reqs) * native.STATUS_BYTES + guard, 0xAB, dtype=np.uint8)
        seen = np.zeros(50)
        err = _ring_rounds(50, handles, statuses, sbuf, rbuf, t.rank, seen)
        for q in reqs:
            q.Free()
        comm.Free()
        assert err == 0
        np.testing.assert_array_equal(seen, 1000.0 * np.arange(50) + left)
        assert (statuses[-guard:] == 0xAB).all()


@pytest.mark.mpi
def test_requests_to_proc_null_complete_at_once():
    """Persistent requests to MPI.PROC_NULL: no error, nothing received, no hang."""
    comm = MPI.COMM_WORLD.Dup()
    sbuf, rbuf = np.arange(4.0), np.full(4, -7.0)
    reqs = [comm.Recv_init(rbuf, MPI.PROC_NULL, 1), comm.Send_init(sbuf, MPI.PROC_NULL, 1)]
    handles = np.array([q.handle for q in reqs], dtype=native.REQUEST_DTYPE)
    statuses = np.zeros(2 * native.STATUS_BYTES, dtype=np.uint8)
    seen = np.zeros(3)
    err = _ring_rounds(3, handles, statuses, sbuf, rbuf, comm.rank, seen)
    for q in reqs:
        q.Free()
    comm.Free()
    assert err == 0
    np.testing.assert_array_equal(rbuf, -7.0)


@njit
def _gather_once(send, recv, counts, displs, handles, state):
    native.gather(send, recv, counts, displs, handles, state)


@pytest.mark.mpi
def test_allgatherv_from_compiled_code_equals_mpi4py():
    """Uneven tiles of a 5 x 7 grid, gathered by compiled code, then put in global order."""
    comm = MPI.COMM_WORLD
    with Tiling(comm, (5, 7)) as t:
        loc = (t.glb_index().ravel() * 1.5 + 0.25).astype(np.float64)
        glob = np.zeros(35)
        ag = Allgather(t, [(loc, glob)])
        op = ag.ops[0]
        _gather_once(op.local, op.recv, ag.counts, ag.displs, ag.handles, ag.state)
        if op.perm is not None:
            np.take(op.recv, op.perm, out=op.glob)
        assert ag.state[2] == 0
        np.testing.assert_array_equal(glob, np.arange(35) * 1.5 + 0.25)
        ag.free()


@kernel
def stamp(f, cur, gidx, n):
    """Interior of level ``cur[0]`` = global node index + 1000 * step (a test field)."""
    c = cur[0]
    ly = f.shape[1] - 2
    lx = f.shape[2] - 2
    for y in range(ly):
        for x in range(lx):
            f[c, y + 1, x + 1] = gidx[y, x] + 1000.0 * n + 0.5 * c


def _expected(t, n, c, ny, nx):
    g = np.arange(ny * nx, dtype=np.float64).reshape(ny, nx) + 1000.0 * n + 0.5 * c
    (y0, x0), (ly, lx) = t.loc_start, t.loc_shape
    return g[np.ix_(np.arange(y0 - 1, y0 + ly + 1) % ny, np.arange(x0 - 1, x0 + lx + 1) % nx)]


@pytest.mark.mpi
@pytest.mark.parametrize("transport", ["mpi", "shm"])
@pytest.mark.parametrize("mode", ["blocking", "overlap"])
@pytest.mark.parametrize("glb,procs", [((6, 8), None), ((5, 9), "row"), ((7, 4), "col")])
def test_generated_exchange_loop_fills_ghosts_like_the_periodic_grid(glb, procs, mode,
                                                                     transport):
    """The codegen exchange (pack, Startall/Waitall or shared memory, unpack, local wraps)."""
    comm = MPI.COMM_WORLD
    ny, nx = glb
    dims = {None: None, "row": (comm.size, 1), "col": (1, comm.size)}[procs]
    if dims is not None and (dims[0] > nx or dims[1] > ny):
        pytest.skip("grid too small for this process grid")
    with Tiling(comm, glb, dims) as t:
        ly, lx = t.loc_shape
        gidx = t.glb_index().astype(np.float64)
        a = np.full((1, ly + 2, lx + 2), -1.0)
        b = np.full((1, ly + 2, lx + 2), -2.0)
        cur = np.zeros(1, dtype=np.int64)
        halo = HaloExchange(t, 2, corners=True, transport=transport)
        assert halo.transport == (transport if halo.plan.shape[0] or comm.size > 1 else "mpi")
        calls = [Call(stamp, (a, cur, gidx)), Call(stamp, (b, cur, gidx))]
        ex = Exchange(mode, halo, [(a, cur), (b, cur)], None, [], native.ABI)
        plan = plan_loop(calls, [], sample=False, exchange=ex)
        fn = compile_loop(plan)
        scal = (np.array(plan.floats), np.array(plan.ints, dtype=np.int64))
        zero = np.zeros(1, dtype=np.int64)
        for n0, k in ((0, 3), (3, 1), (4, 5)):  # chunks of 3, 1 and 5 steps
            done, _ = fn(k, n0, 0, 1, zero, 0, 1, *scal, *plan.arrays)
            assert done == k and halo.state[2] == 0
        if halo.pending:  # overlap: the last step's exchange is still in flight
            halo.wait([a[0], b[0]])
        halo.free()
        np.testing.assert_array_equal(a[0], _expected(t, 9, 0, ny, nx))
        np.testing.assert_array_equal(b[0], _expected(t, 9, 0, ny, nx))


@pytest.mark.mpi
def test_missing_mpi_library_is_a_clear_parnft_error():
    """No MPI library found: NativeMPIError (a ParnftError) naming what was tried and the fix."""
    with pytest.raises(native.NativeMPIError, match=r"libnotthere\.so\.7.*fix: make libmpi"):
        native.find_library(names=("libnotthere.so.7",), maps=os.devnull)


MODEL = """Wave + noise on a 9 x 6 torus (native and Python-driven exchange must agree).
Time: 0.004 Deltat: 1e-4
Nodes: 54 Longside nodes: 9
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
 Stimulus: White - Mean: 1 StdDev: 0.5
Propagator 1: Wave - Tau: 2e-4 Range: 0.1 gamma: 100
Propagator 2: Map - Tau: 3e-4
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 2e-3
Output: Node: All Interval: 1e-4
Population: 1.Q
Propagator: 1.phi
"""


def _fields(spec, comm):
    from parnft.outputs import MemoryWriter
    from parnft.solver import Simulation

    sim = Simulation(spec, comm)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    native_name, nloops = sim.native_mpi, len(sim._loops)
    sim.close()
    return native_name, nloops, w["propagator.1.phi"]


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("where", ["every rank", "last rank"])
def test_python_fallback_when_native_mpi_is_unavailable(monkeypatch, caplog, where):
    """load() failing (anywhere): a warning, two loops per step from Python on every rank,
    bitwise the same fields."""
    from parnft.config import parse_config

    spec = parse_config(MODEL)
    comm = MPI.COMM_WORLD
    name, nloops, fast = _fields(spec, comm)
    assert name is not None and nloops == 1

    def refuse():
        raise native.NativeMPIError("cannot find the MPI library (test)")

    if where == "every rank" or comm.rank == comm.size - 1:
        monkeypatch.setattr(native, "load", refuse)
    logger = logging.getLogger("parnft")
    monkeypatch.setattr(logger, "propagate", True)
    with caplog.at_level(logging.WARNING, logger="parnft"):
        name, nloops, slow = _fields(spec, comm)
    assert name is None and nloops == 2
    if comm.rank == 0:
        assert "halo exchange from Python" in caplog.text and "(test)" in caplog.text
    np.testing.assert_array_equal(fast.view(np.uint64), slow.view(np.uint64))
    assert np.ptp(fast) > 0
