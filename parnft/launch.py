"""How a ``parnft`` process starts MPI and how it ends (no MPI import here).

A process started without a launcher (``parnft run model.conf`` on a
workstation, the way NFTsim is run) is an MPI *singleton*. Open MPI 4
initialises a singleton slowly, and for nothing a one-rank run needs: it
starts a helper daemon (``orted``, for ``MPI_Comm_spawn``) and brings up the
UCX point-to-point layer, together about 0.35-0.4 s of wall time against
about 0.1 s with ``ess_singleton_isolated=1`` and ``pml=ob1`` (measured here:
0.45-0.57 s default, 0.11-0.13 s with both; Open MPI 4.1.4, 2026-12-02). A
singleton sends no message to anyone, so neither the daemon nor UCX is used.

:func:`singleton_defaults` sets those two MCA parameters in the process's
environment *before* MPI is initialised, only when

* no launcher variable is present (``mpirun``/``mpiexec``/``srun`` set
  ``OMPI_COMM_WORLD_SIZE``, ``PMIX_RANK``, ``PMI_RANK``, ...),
* the user has not set them (``setdefault``), and
* ``PARNFT_MPI_DEFAULTS`` is not ``0``.

Under a launcher nothing changes: the site's and the user's MPI settings rule.
Other MPI libraries ignore ``OMPI_MCA_*`` variables.

:func:`leave` ends a ``parnft`` command's process without the interpreter's
teardown. Tearing down a process that has loaded numba, llvmlite and compiled
loops frees tens of thousands of objects one by one: 0.15-0.2 s of wall time
on a one-step run (measured here, 2026-12-03: whole process 0.88-1.42 s with
the normal exit, 0.70-0.94 s without; an import-only process spends about
0.05-0.1 s). Nothing of that work is observable: files are closed, the
Python ``atexit`` handlers (logging, ``weakref.finalize``, coverage) still
run, standard streams are flushed and MPI is finalised, then ``os._exit``.
It falls back to the normal exit while an HDF5 file is still open or netCDF4
was imported (their libraries flush open files in their own C exit
handlers), and when ``PARNFT_FAST_EXIT=0``.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import MutableMapping

#: variables any of which means "started by a launcher" (Open MPI, PMIx, PMI/Hydra, SLURM steps)
LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK", "PMIX_RANK",
                      "PMI_RANK", "PMI_SIZE", "PMI_FD", "HYDRA_CONTROL_FD", "SLURM_STEP_ID",
                      "MPI_LOCALRANKID")
#: Open MPI parameters set for a singleton (values: see the module docstring)
SINGLETON_MCA = {"OMPI_MCA_ess_singleton_isolated": "1", "OMPI_MCA_pml": "ob1"}


def launched(environ: MutableMapping[str, str] | None = None) -> bool:
    """True when the process was started by an MPI launcher (see LAUNCHER_VARIABLES)."""
    env = os.environ if environ is None else environ
    return any(v in env for v in LAUNCHER_VARIABLES)


def singleton_defaults(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set :data:`SINGLETON_MCA` in ``environ`` (default ``os.environ``) for a singleton.

    Must run before ``mpi4py.MPI`` is imported (which initialises MPI).

    Returns
    -------
    dict
        The variables this call set (empty under a launcher, when disabled,
        or when the user set them already).
    """
    env = os.environ if environ is None else environ
    if env.get("PARNFT_MPI_DEFAULTS", "1") == "0" or launched(env):
        return {}
    added = {k: v for k, v in SINGLETON_MCA.items() if k not in env}
    env.update(added)
    return added


def _open_hdf5_files() -> int:
    """HDF5 files still open in this process (0 when h5py was never imported)."""
    h5py = sys.modules.get("h5py")
    if h5py is None:
        return 0
    return h5py.h5f.get_obj_count(h5py.h5f.OBJ_ALL, h5py.h5f.OBJ_FILE)


def fast_exit_safe(environ: MutableMapping[str, str] | None = None) -> bool:
    """Whether :func:`leave` may skip the interpreter's teardown (see the module docstring)."""
    env = os.environ if environ is None else environ
    if env.get("PARNFT_FAST_EXIT", "1") == "0" or "netCDF4" in sys.modules:
        return False
    return _open_hdf5_files() == 0


def leave(code: int | None) -> None:
    """End the process with exit status ``code``, skipping the interpreter's teardown.

    Runs the Python ``atexit`` handlers, flushes ``sys.stdout`` and
    ``sys.stderr``, finalises MPI when it was initialised (``MPI_Finalize``;
    on several ranks it waits for the others, as the normal exit does), then
    calls ``os._exit``. When :func:`fast_exit_safe` is false it raises
    ``SystemExit(code)`` instead (the normal exit). Call it only as the last
    act of a command-line entry point, never from library code or tests.
    """
    code = 0 if code is None else int(code)
    if not fast_exit_safe():
        raise SystemExit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):  # closed or replaced stream
            pass
    mpi = sys.modules.get("mpi4py.MPI")
    if mpi is not None and mpi.Is_initialized() and not mpi.Is_finalized():
        mpi.Finalize()
    os._exit(code)
