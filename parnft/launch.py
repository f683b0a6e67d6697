"""How a ``parnft`` process starts MPI: fast defaults for a singleton (no MPI call here).

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
"""

from __future__ import annotations

import os
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
