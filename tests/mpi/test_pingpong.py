"""Halo ping-pong: message sizes equal HaloExchange's, the fit, and a real ping-pong.

Runs at 1, 2 and 4 ranks: on 1 rank the sizes are checked against a 1-rank
tile and the ping-pong must refuse clearly; on 2+ ranks ranks 0 and 1 ping-pong
(the others wait) and every rank gets the same result.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from parnft.bench.pingpong import (
    PingPongResult,
    fit_latency_bandwidth,
    fit_sizes,
    halo_message_bytes,
    pingpong,
)
from parnft.parallel import HaloExchange, Tiling


@pytest.mark.mpi
@pytest.mark.parametrize("nfields,corners", [(2, False), (8, False), (4, True)])
def test_message_bytes_equal_halo_exchange_buffers(nfields, corners):
    """Every message HaloExchange sends has the size halo_message_bytes gives."""
    comm = MPI.COMM_WORLD
    with Tiling(comm, (24, 36)) as tiling:
        expected = halo_message_bytes(tiling.loc_shape, nfields, corners=corners)
        assert set(expected) == ({"N", "S", "W", "E", "NW", "NE", "SW", "SE"} if corners
                                 else {"N", "S", "W", "E"})
        ly, lx = tiling.loc_shape
        assert expected["N"] == lx * nfields * 8 and expected["W"] == ly * nfields * 8
        with HaloExchange(tiling, nfields, corners=corners) as halo:
            for d, buf in halo._sendbuf.items():
                assert buf.nbytes == expected[d], d
            remote = set(halo._sendbuf)
        # a 1-rank tile wraps onto itself: no messages at all
        assert remote == ({d for d in expected if tiling.neighbours[d] != tiling.rank})


@pytest.mark.mpi
def test_fit_recovers_latency_and_bandwidth():
    """Exact times t = a + n/b give back a and b; flat times give infinite bandwidth."""
    a, b = 3.5e-6, 2.5e9
    n = np.array(fit_sizes(8, (100, 60)), dtype=float)
    assert n.tolist() == sorted({8 * 8 * s for s in (8, 32, 128, 512, 2048)} | {3840, 6400})
    fa, fb = fit_latency_bandwidth(n, a + n / b)
    assert fa == pytest.approx(a, rel=1e-9) and fb == pytest.approx(b, rel=1e-9)
    fa, fb = fit_latency_bandwidth([8, 80, 800], [1e-6] * 3)
    assert fa == pytest.approx(1e-6) and fb == np.inf
    with pytest.raises(ValueError, match="two distinct"):
        fit_latency_bandwidth([64, 64], [1e-6, 2e-6])


@pytest.mark.mpi
def test_pingpong_one_rank_refuses():
    with pytest.raises(ValueError, match="at least 2 ranks"):
        pingpong(MPI.COMM_SELF, [64])


@pytest.mark.mpi(min_size=2)
def test_pingpong_two_ranks():
    """A real ping-pong: same result on every rank, times grow with the size, fit consistent."""
    comm = MPI.COMM_WORLD
    sizes = [64, 1 << 20]
    res = pingpong(comm, sizes, trials=2, seconds=0.005)
    assert isinstance(res, PingPongResult)
    every = comm.allgather((res.sizes, res.times, res.latency_s, res.bandwidth_bps))
    assert all(e == every[0] for e in every)
    assert res.sizes == sizes
    assert all(np.isfinite(t) and t > 0 for t in res.times)
    # 1 MiB takes longer than 64 bytes through any MPI transport
    assert res.times[1] > res.times[0]
    # two sizes: the fit passes through both points
    np.testing.assert_allclose(res.predict(sizes), res.times, rtol=1e-6)
    assert res.latency_s >= 0 and 0 < res.bandwidth_bps < np.inf
