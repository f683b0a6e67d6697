"""STREAM-triad memory bandwidth, measured by a compiled loop (one core per rank).

The triad ``a[i] = b[i] + s * c[i]`` is timed on three float64 arrays that are
each at least four times the last-level cache (STREAM's rule), so every pass
streams from main memory. The best of the passes run in about ``seconds`` is
kept, as STREAM does. Bytes are counted as STREAM counts them: 24 per element
(read ``b`` and ``c``, write ``a``). A cached write also reads its line first
(write-allocate), so the memory bus carries 32 bytes per element; both figures
are returned (:class:`TriadResult`), and the STREAM one is the reference line
of the roofline (:mod:`parnft.bench.roofline`).

On several ranks :func:`triad_gbs_ranks` runs the triad on every rank at the
same time (after a barrier), so each rank sees the bandwidth it gets while the
others stream too, as during a run of the simulation.
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass

import numpy as np
from numba import njit

#: Bytes per element of the triad counted as STREAM does (2 reads, 1 write).
TRIAD_BYTES = 24
#: Bytes per element on the bus with write-allocate (the written line is read first).
TRIAD_BYTES_WA = 32
#: Last-level cache assumed when the system does not say.
DEFAULT_LLC_BYTES = 32 << 20


@njit(cache=True, fastmath=False, error_model="numpy", boundscheck=False)
def _triad(a, b, c, s):
    for i in range(a.shape[0]):
        a[i] = b[i] + s * c[i]


@njit(cache=True, fastmath=False, error_model="numpy", boundscheck=False)
def _first_touch(a, b, c):
    for i in range(a.shape[0]):
        a[i] = 1.0
        b[i] = 2.0
        c[i] = 0.5


def llc_bytes() -> int:
    """Size of the largest CPU cache in bytes (from ``/sys``), or 32 MiB if unknown."""
    best = 0
    root = "/sys/devices/system/cpu/cpu0/cache"
    try:
        entries = os.listdir(root)
    except OSError:
        return DEFAULT_LLC_BYTES
    for name in entries:
        try:
            with open(os.path.join(root, name, "size")) as fh:
                text = fh.read().strip().upper()
        except OSError:
            continue
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
        digits = text.rstrip("KMG")
        if digits.isdigit():
            best = max(best, int(digits) * mult)
    return best or DEFAULT_LLC_BYTES


def default_length() -> int:
    """Elements per array: 4 x the last-level cache in float64, at least 2**22."""
    return max(4 * llc_bytes() // 8, 1 << 22)


@dataclass
class TriadResult:
    """One triad measurement (this rank).

    Attributes
    ----------
    gbs : float
        Bandwidth in GB/s (1e9 bytes) counting 24 bytes per element (STREAM).
    gbs_write_allocate : float
        The same pass counted with write-allocate, 32 bytes per element.
    n : int
        Elements per array.
    passes : int
        Timed passes; the fastest one gives the bandwidth.
    best_s : float
        Seconds of the fastest pass.
    """

    gbs: float
    gbs_write_allocate: float
    n: int
    passes: int
    best_s: float

    def as_dict(self) -> dict:
        """The fields as a plain dict (for JSON)."""
        return asdict(self)


def triad(n: int | None = None, seconds: float = 0.3, min_passes: int = 5,
          max_passes: int = 50) -> TriadResult:
    """Measure the STREAM-triad bandwidth of this process.

    Parameters
    ----------
    n : int, optional
        Elements per array; default :func:`default_length` (4 x the LLC each).
    seconds : float
        Time budget of the timed passes (the first-touch set-up comes on top:
        0.5 to 1 s for 3 x 128 MiB on a VM: page faults).
    min_passes, max_passes : int
        Bounds on the number of timed passes.

    Returns
    -------
    TriadResult

    Raises
    ------
    ValueError
        If ``n`` < 1 or the triad result is wrong (a broken measurement).
    """
    n = default_length() if n is None else int(n)
    if n < 1:
        raise ValueError(f"triad arrays need at least one element, got n={n}")
    a, b, c = np.empty(n), np.empty(n), np.empty(n)
    _first_touch(a, b, c)
    scalar = 3.0
    _triad(a, b, c, scalar)  # compile (or load) and warm the pages
    best = np.inf
    passes = 0
    t_end = time.perf_counter() + seconds
    while passes < min_passes or (passes < max_passes and time.perf_counter() < t_end):
        t0 = time.perf_counter()
        _triad(a, b, c, scalar)
        best = min(best, time.perf_counter() - t0)
        passes += 1
    if not (a[0] == 2.0 + scalar * 0.5 and a[-1] == a[0]):
        raise ValueError("STREAM triad produced a wrong result: measurement discarded")
    return TriadResult(gbs=TRIAD_BYTES * n / best / 1e9,
                       gbs_write_allocate=TRIAD_BYTES_WA * n / best / 1e9,
                       n=n, passes=passes, best_s=float(best))


def triad_gbs(n: int | None = None, seconds: float = 0.3) -> float:
    """STREAM-triad bandwidth of this process in GB/s (24 bytes per element).

    Parameters
    ----------
    n : int, optional
        Elements per array (default: 4 x the last-level cache each).
    seconds : float
        Time budget of the timed passes.

    Returns
    -------
    float
        Best-pass bandwidth, 1e9 bytes per second.
    """
    return triad(n, seconds).gbs


def triad_gbs_ranks(comm, n: int | None = None, seconds: float = 0.3) -> list[float]:
    """Run the triad on every rank of ``comm`` at once; every rank gets all results.

    Parameters
    ----------
    comm : mpi4py communicator
        The ranks of the benchmark job (collective call).
    n : int, optional
        Elements per array on each rank.
    seconds : float
        Time budget of each rank's timed passes.

    Returns
    -------
    list of float
        GB/s of each rank (STREAM counting) in rank order, measured while all
        ranks streamed together. Their sum is the bandwidth of the job; a
        rank's value is the limit of that rank during a run.
    """
    comm.Barrier()
    gbs = triad(n, seconds).gbs
    return [float(g) for g in comm.allgather(gbs)]
