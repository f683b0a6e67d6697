"""MPI ping-pong of the halo messages' sizes: latency and bandwidth of the exchange.

A halo exchange (:class:`parnft.parallel.halo.HaloExchange`) sends one message
per neighbour direction, carrying the border strips of all exchanged fields:
``ghost x side x nfields x 8`` bytes, with ``side`` the tile's ``lx`` (north,
south) or ``ly`` (west, east) and ``nfields = 2`` per wave propagator (phi and
its source Q), see :func:`halo_message_bytes`. The ping-pong sends messages of
those sizes back and forth between two ranks; half the fastest round trip (each
one is timed) is the one-way time ``t(n)`` (on a shared machine most round trips
wait for a descheduled rank; the fastest shows the transport), and a fit of
``t = a + n / b`` gives the latency ``a`` [s] and the bandwidth ``b`` [bytes/s]
used by the scaling model (:mod:`parnft.bench.model`).
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import asdict, dataclass, field

import numpy as np

#: Tile sides of the default size sweep (square tiles), around typical tiles.
FIT_SIDES = (8, 32, 128, 512, 2048)
_TAG = 7300


def halo_message_bytes(loc_shape, nfields: int, ghost: int = 1,
                       corners: bool = False) -> dict[str, int]:
    """Bytes of each halo message of a tile.

    Parameters
    ----------
    loc_shape : (int, int)
        Tile shape ``(ly, lx)`` (interior nodes).
    nfields : int
        Fields exchanged together (2 per wave propagator).
    ghost : int
        Ghost width in cells (parnft uses 1).
    corners : bool
        Include the 4 diagonal messages (9-point stencil, ``WaveLegacy``).

    Returns
    -------
    dict
        Direction (``N, S, W, E`` and ``NW, NE, SW, SE``) to message bytes.
    """
    ly, lx = (int(s) for s in loc_shape)
    nf, g = int(nfields), int(ghost)
    out = {"N": g * lx * nf * 8, "S": g * lx * nf * 8, "W": g * ly * nf * 8,
           "E": g * ly * nf * 8}
    if corners:
        out.update({d: g * g * nf * 8 for d in ("NW", "NE", "SW", "SE")})
    return out


def sim_halo(sim) -> tuple[int, bool]:
    """``(nfields, corners)`` of the halo of a built :class:`~parnft.solver.Simulation`."""
    fields = sim.wave_fields
    return 2 * len(fields), any(bool(c) for *_, c in fields)


def fit_sizes(nfields: int, loc_shape=None, sides=FIT_SIDES) -> list[int]:
    """Message sizes (bytes) for the fit: strips of square tiles of ``sides``, plus the tile's own.

    Parameters
    ----------
    nfields : int
        Fields per message.
    loc_shape : (int, int), optional
        A real tile: its two strip sizes are added.
    sides : sequence of int
        Tile sides of the sweep.
    """
    sizes = {8 * int(nfields) * int(s) for s in sides}
    if loc_shape is not None:
        sizes |= set(halo_message_bytes(loc_shape, nfields).values())
    return sorted(s for s in sizes if s > 0)


def fit_latency_bandwidth(sizes, times) -> tuple[float, float]:
    """Fit ``t = a + n / b`` to one-way times, weighting relative errors equally.

    Parameters
    ----------
    sizes : array_like
        Message sizes in bytes (at least two distinct).
    times : array_like
        One-way times in seconds.

    Returns
    -------
    (a, b) : tuple of float
        Latency [s] (not below 0) and bandwidth [bytes/s] (``inf`` when the
        times do not grow with the size).
    """
    n = np.asarray(sizes, dtype=float)
    t = np.asarray(times, dtype=float)
    if n.shape != t.shape or np.unique(n).size < 2:
        raise ValueError("the fit needs times for at least two distinct message sizes")
    w = 1.0 / np.maximum(t, 1e-12)  # least squares on t/t_i: relative residuals
    design = np.column_stack([np.ones_like(n), n]) * w[:, None]
    (a, slope), *_ = np.linalg.lstsq(design, t * w, rcond=None)
    a = max(float(a), 0.0)
    b = float("inf") if slope <= 0 else 1.0 / float(slope)
    return a, b


@dataclass
class PingPongResult:
    """One-way times of the message sizes and their fit ``t = a + n / b``."""

    sizes: list = field(default_factory=list)
    times: list = field(default_factory=list)
    latency_s: float = 0.0
    bandwidth_bps: float = 0.0
    ranks: tuple = (0, 1)

    def predict(self, nbytes) -> np.ndarray:
        """One-way time [s] of messages of ``nbytes`` by the fit."""
        return self.latency_s + np.asarray(nbytes, dtype=float) / self.bandwidth_bps

    def as_dict(self) -> dict:
        """Plain dict (JSON)."""
        d = asdict(self)
        d["ranks"] = list(self.ranks)
        return d


def pingpong(comm, sizes, trials: int = 3, seconds: float = 0.02, peer: int = 1) -> PingPongResult:
    """Ping-pong ``sizes`` bytes between rank 0 and ``peer`` of ``comm`` (collective).

    Parameters
    ----------
    comm : mpi4py communicator
        At least two ranks; ranks other than 0 and ``peer`` only wait.
    sizes : sequence of int
        Message sizes in bytes (multiples of 8 are exact; others round up).
    trials : int
        Timed rounds per size (after one warm-up round); the fastest single
        round trip of all rounds gives the one-way time.
    seconds : float
        Approximate time of one trial of one size.
    peer : int
        The partner of rank 0.

    Returns
    -------
    PingPongResult
        The same on every rank.

    Raises
    ------
    ValueError
        On a communicator of one rank or a bad ``peer``.
    """
    size, rank = comm.Get_size(), comm.Get_rank()
    if size < 2:
        raise ValueError("a ping-pong needs a communicator of at least 2 ranks "
                         f"(this one has {size}); run under mpiexec -n 2")
    if not 0 < peer < size:
        raise ValueError(f"peer must be a rank in 1..{size - 1}, got {peer}")
    sizes = [int(s) for s in sizes]
    times = []
    comm.Barrier()
    for nbytes in sizes:
        buf = np.zeros(max(1, -(-nbytes // 8)))
        reps = 2  # warm-up round: opens the path and calibrates the repetitions
        best = np.inf
        for trial in range(trials + 1):
            if rank == 0:
                buf[:] = trial
                clock = time.perf_counter
                t_all = clock()
                for _ in range(reps):  # each round trip timed: the fastest is undisturbed
                    t0 = clock()
                    comm.Send(buf, dest=peer, tag=_TAG)
                    comm.Recv(buf, source=peer, tag=_TAG)
                    best = min(best, (clock() - t0) / 2) if trial else best
                el = (clock() - t_all) / (2 * reps)
                if not np.all(buf == trial + reps):
                    raise RuntimeError("ping-pong message corrupted")
                if not trial:
                    calibrated = int(min(1000, max(3, seconds / (2 * max(el, 1e-7)))))
            elif rank == peer:
                for _ in range(reps):
                    comm.Recv(buf, source=0, tag=_TAG)
                    buf += 1.0
                    comm.Send(buf, dest=0, tag=_TAG)
            if trial == 0:
                reps = comm.bcast(calibrated if rank == 0 else None)
        times.append(best)
    result = None
    if rank == 0:
        a, b = fit_latency_bandwidth(sizes, times)
        result = PingPongResult(sizes, [float(t) for t in times], a, b, (0, peer))
    return comm.bcast(result)


def halo_pingpong(comm, loc_shape, nfields: int, **kw) -> PingPongResult:
    """Ping-pong of the halo message sizes of a tile (and a sweep around them for the fit).

    Parameters
    ----------
    comm : mpi4py communicator
        At least two ranks (collective).
    loc_shape : (int, int)
        Tile shape ``(ly, lx)``.
    nfields : int
        Fields per message (:func:`sim_halo`).
    **kw
        Passed to :func:`pingpong`.
    """
    return pingpong(comm, fit_sizes(nfields, loc_shape), **kw)


def pingpong_path(csv_path) -> str:
    """Where a ping-pong result goes next to a benchmark CSV: ``<stem>.pingpong.json``."""
    root, _ = os.path.splitext(str(csv_path))
    return root + ".pingpong.json"


def save_pingpong(result: PingPongResult, path) -> str:
    """Write ``result`` as JSON to ``path`` (e.g. :func:`pingpong_path`); returns the path."""
    d = result.as_dict()
    if not math.isfinite(d["bandwidth_bps"]):
        d["bandwidth_bps"] = None
    with open(path, "w") as fh:
        json.dump(d, fh, indent=1)
    return str(path)


def load_pingpong(path) -> PingPongResult:
    """Read a result written by :func:`save_pingpong`."""
    with open(path) as fh:
        d = json.load(fh)
    bw = d.get("bandwidth_bps")
    return PingPongResult(list(d["sizes"]), list(d["times"]), float(d["latency_s"]),
                          math.inf if bw is None else float(bw), tuple(d.get("ranks", (0, 1))))
