"""MPI calls from compiled code: a small binding to the library mpi4py loaded.

The compiled step loop (:mod:`parnft.codegen`) starts and completes the halo
messages, and allgathers the fields of all-to-all couplings, without returning
to Python. It does so through six C entry points of the MPI library that
mpi4py already loaded into this process (no second copy, no C compiler):

=====================  =====================================================
symbol                 used for
=====================  =====================================================
``MPI_Startall``       start the persistent halo requests (built by mpi4py)
``MPI_Waitall``        complete them
``MPI_Allgatherv``     all-to-all couplings' fields (Matrix, BCM-Spatial)
``MPI_Wtime``          the ``halo`` seconds of the run statistics
``MPI_Win_sync``       order loads and stores of the shared-memory halo
                       window (:mod:`parnft.parallel.shm`)
``MPI_Error_string``   (Python only) the text of an error code
=====================  =====================================================

Each is registered with LLVM under a parnft name (``parnft_MPI_Startall``, ...)
by :func:`load` and declared as a numba external function, so compiled code
refers to the symbol by *name*, never to an address: the generated loop stays
cacheable on disk (``cache=True``), and a new process resolves the name again
when it loads the cache. No communicator, datatype or request handle is ever a
compile-time constant; they travel as run-time arguments (arrays of handles
that mpi4py gives, ``Prequest.handle``, ``Comm.handle``, ``Datatype.handle``).
The only ABI facts are the sizes of a request, status, communicator and
datatype handle, taken from mpi4py (``MPI._sizeof``); they choose the numpy
dtypes of the handle arrays (so the compiled signatures, and numba's cache
keys, follow the ABI).

Nothing here touches ``MPI.COMM_WORLD``. Errors come back as MPI error codes
(mpi4py makes every communicator ``ERRORS_RETURN``); the compiled loop stores
the first non-zero code in its state array and returns, and the solver raises.
"""

from __future__ import annotations

import ctypes
import os

import numpy as np
from mpi4py import MPI
from numba import njit, types

from ..errors import ParnftError

__all__ = ["ABI", "REQUEST_DTYPE", "STATUS_BYTES", "HANDLE_DTYPE", "NativeMPIError", "load",
           "find_library", "startall", "waitall", "allgatherv", "wtime", "win_sync",
           "sched_yield",
           "error_string"]

#: Library names mpi4py's ABI loader tries, in its order (``mpi4py/_mpiabi.py``).
LIBRARY_NAMES = ("libmpi.so.40", "libmpi.so.12", "libmpi_abi.so.1", "libmpi.so",
                 "libmpich.so.12", "libmpich.so")
#: Basename prefixes accepted when scanning ``/proc/self/maps`` (prefix match only:
#: ``libhdf5_openmpi.so`` must never be taken for the MPI library).
MAPS_PREFIXES = ("libmpi.so", "libmpich.so", "libmpi_abi.so")
SYMBOLS = ("MPI_Startall", "MPI_Waitall", "MPI_Allgatherv", "MPI_Wtime", "MPI_Win_sync")


def _uint(nbytes: int):
    if nbytes == 8:
        return np.uint64, types.uint64
    if nbytes == 4:
        return np.uint32, types.uint32
    raise ParnftError(f"unsupported MPI handle size {nbytes} bytes (expected 4 or 8)")


#: numpy dtype of an array of ``MPI_Request`` handles.
REQUEST_DTYPE = _uint(MPI._sizeof(MPI.Request))[0]
#: ``sizeof(MPI_Status)`` of this MPI (24 with Open MPI 4, 20 with MPICH).
STATUS_BYTES = int(MPI._sizeof(MPI.Status))
if MPI._sizeof(MPI.Comm) != MPI._sizeof(MPI.Datatype):
    raise ImportError("parnft.parallel.native: MPI_Comm and MPI_Datatype differ in size")
#: numpy dtype of the array holding ``[datatype handle, communicator handle]``.
HANDLE_DTYPE, _HANDLE = _uint(MPI._sizeof(MPI.Comm))
#: The ABI facts compiled code depends on (written into generated sources).
ABI = (f"request {MPI._sizeof(MPI.Request)} B, status {STATUS_BYTES} B, "
       f"handle {MPI._sizeof(MPI.Comm)} B")

_startall = types.ExternalFunction("parnft_MPI_Startall", types.int32(types.int32, types.voidptr))
_waitall = types.ExternalFunction("parnft_MPI_Waitall",
                                  types.int32(types.int32, types.voidptr, types.voidptr))
_allgatherv = types.ExternalFunction(
    "parnft_MPI_Allgatherv",
    types.int32(types.voidptr, types.int32, _HANDLE, types.voidptr, types.voidptr, types.voidptr,
                _HANDLE, _HANDLE))
_wtime = types.ExternalFunction("parnft_MPI_Wtime", types.float64())
_win_sync = types.ExternalFunction("parnft_MPI_Win_sync", types.int32(_HANDLE))
_sched_yield = types.ExternalFunction("parnft_sched_yield", types.int32())


class NativeMPIError(ParnftError):
    """The MPI library cannot be called from compiled code (the solver then steps from Python)."""


def find_library(names=LIBRARY_NAMES, maps: str = "/proc/self/maps"):
    """The MPI library already loaded in this process, as a ``ctypes.CDLL``.

    Tries ``names`` with ``RTLD_NOLOAD`` (only a library already mapped is
    returned, never a second copy), then the basenames of ``maps`` that start
    with one of :data:`MAPS_PREFIXES`.

    Raises
    ------
    NativeMPIError
        When no mapped library exports every symbol of :data:`SYMBOLS`.
    """
    mode = getattr(os, "RTLD_NOLOAD", 4) | os.RTLD_LAZY
    tried = []
    paths = list(names)
    try:
        with open(maps) as fh:
            for line in fh:
                path = line.split()[-1] if len(line.split()) >= 6 else ""
                if os.path.basename(path).startswith(MAPS_PREFIXES) and path not in paths:
                    paths.append(path)
    except OSError:
        pass
    for name in paths:
        try:
            lib = ctypes.CDLL(name, mode=mode)
        except OSError:
            tried.append(name)
            continue
        if all(hasattr(lib, s) for s in SYMBOLS):
            return lib
        tried.append(name)
    raise NativeMPIError(
        "cannot find the MPI library that mpi4py loaded (tried " + ", ".join(tried)
        + "); compiled code cannot call MPI, so the halo exchange runs from Python "
        "(slower on small tiles); fix: make libmpi.so.40 (Open MPI) or libmpi.so.12 (MPICH) "
        "findable, e.g. on LD_LIBRARY_PATH")


_LOADED: list = []


def load(names=LIBRARY_NAMES, maps: str = "/proc/self/maps") -> str:
    """Register the MPI entry points with LLVM (once per process); return the library's name.

    ``$PARNFT_NATIVE_MPI=0`` refuses (the Python path is then used).

    Raises
    ------
    NativeMPIError
        When disabled, or when :func:`find_library` finds no MPI library.
    """
    if os.environ.get("PARNFT_NATIVE_MPI", "1").strip() in ("0", "no", "off", "false"):
        raise NativeMPIError("MPI calls from compiled code disabled by PARNFT_NATIVE_MPI=0")
    if _LOADED:
        return _LOADED[0]
    import llvmlite.binding as ll

    lib = find_library(names, maps)
    for sym in SYMBOLS:
        ll.add_symbol("parnft_" + sym, ctypes.cast(getattr(lib, sym), ctypes.c_void_p).value)
    libc = ctypes.CDLL(None)  # the process's C library: sched_yield for waits that spin
    ll.add_symbol("parnft_sched_yield", ctypes.cast(libc.sched_yield, ctypes.c_void_p).value)
    _LOADED.append(str(lib._name))
    return _LOADED[0]


def error_string(code: int) -> str:
    """The MPI library's text for error ``code``."""
    try:
        return MPI.Get_error_string(int(code))
    except Exception:  # noqa: BLE001 - an unknown code has no text
        return f"MPI error {code}"


# -- compiled entry points (cache=True: they name symbols, hold no address) ----------

@njit(cache=True)
def startall(h, lo, hi):
    """``MPI_Startall`` on the requests ``h[lo:hi]``; returns the MPI error code."""
    if hi <= lo:
        return 0
    return _startall(hi - lo, h[lo:hi].ctypes)


@njit(cache=True)
def waitall(h, lo, hi, statuses):
    """``MPI_Waitall`` on the requests ``h[lo:hi]`` (statuses: ``(hi-lo) * STATUS_BYTES`` bytes)."""
    if hi <= lo:
        return 0
    return _waitall(hi - lo, h[lo:hi].ctypes, statuses.ctypes)


@njit(cache=True)
def allgatherv(send, recv, counts, displs, handles):
    """``MPI_Allgatherv`` of float64 ``send`` into ``recv`` (``handles = [MPI_DOUBLE, comm]``)."""
    return _allgatherv(send.ctypes, send.shape[0], handles[0], recv.ctypes, counts.ctypes,
                       displs.ctypes, handles[0], handles[1])


@njit(cache=True)
def wtime():
    """``MPI_Wtime()``: seconds."""
    return _wtime()


@njit(cache=True)
def win_sync(win):
    """``MPI_Win_sync(win)`` (a window handle); returns the MPI error code."""
    return _win_sync(win)


@njit(cache=True)
def sched_yield():
    """``sched_yield()`` of the C library: let another process of this core run."""
    return _sched_yield()


@njit(cache=True)
def halo_begin(h, nrecv, statuses, state):
    """Before packing: complete the sends of the previous exchange (their buffers are reused).

    ``state = [receives pending, sends open, first error]``. Sends complete
    here, not when the receives do, so the rank that is ahead never waits for
    the other to take its data.
    """
    if state[1] != 0:
        err = waitall(h, nrecv, h.shape[0], statuses)
        if err != 0 and state[2] == 0:
            state[2] = err
        state[1] = 0


@njit(cache=True)
def halo_post(h, state):
    """After packing: start every receive and send (receives first in ``h``)."""
    err = startall(h, 0, h.shape[0])
    if err != 0 and state[2] == 0:
        state[2] = err
    state[0] = 1


@njit(cache=True)
def halo_complete(h, nrecv, statuses, state):
    """Complete the receives of the exchange in flight; True when there was one (unpack then)."""
    if state[0] == 0:
        return False
    err = waitall(h, 0, nrecv, statuses)
    if err != 0 and state[2] == 0:
        state[2] = err
    state[0] = 0
    state[1] = 1 if h.shape[0] > nrecv else 0
    return True


@njit(cache=True)
def gather(send, recv, counts, displs, handles, state):
    """One field's ``MPI_Allgatherv`` (see :func:`allgatherv`), first error kept in ``state[2]``."""
    err = allgatherv(send, recv, counts, displs, handles)
    if err != 0 and state[2] == 0:
        state[2] = err
