"""Start-up cost: a one-step ``parnft run`` process against the import floor.

The *import floor* is the wall-clock time of a Python process that only
imports what every parnft run needs and cannot avoid: numpy, numba, h5py and
mpi4py with MPI initialised (:data:`FLOOR_CODE`). The *start-up* is the
wall-clock time of a whole ``python -m parnft run`` process of a one-step
variant of the config (same model, ``Time`` = one ``Deltat``), its loop
already in the disk cache. Both are measured by the same process, alternating
(floor, run, floor, run, ...), so machine drift hits both alike; the excess
of each pair is the cost parnft adds on top of its libraries
(``startup_excess_s``, the median over the pairs). The children's CPU time
(user + system, from ``getrusage``) is kept beside the wall time: on a shared
machine the wall time includes waiting for a core, the CPU time does not.

The children run as MPI singletons: the launcher's variables (``OMPI_*``
other than the permission switches, ``PMIX_*``, ``PMI_*``, ``PRTE_*``,
``SLURM_*``) are removed from their environment, so a child does not try to
join the job that measures it. ``PYTHONDONTWRITEBYTECODE`` is removed too: the
untimed warm-up pair writes the byte code (of parnft and of its libraries) that
a user's second run loads, as the import floor's libraries have theirs from
their installation.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..launch import singleton_defaults

#: What the import floor process runs.
FLOOR_CODE = ("import numpy, numba, h5py\n"
              "from mpi4py import MPI\n"
              "MPI.COMM_WORLD.Barrier()\n")
#: Launcher variables a singleton child must not inherit (by prefix).
_LAUNCHER_PREFIXES = ("OMPI_", "PMIX_", "PMI_", "PRTE_", "SLURM_", "HYDRA_", "MPI_LOCALRANKID")
#: Open MPI switches that only permit things and are kept.
_KEEP = ("OMPI_ALLOW_RUN_AS_ROOT", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM",
         "OMPI_MCA_rmaps_base_oversubscribe")


@dataclass
class Startup:
    """Medians of ``repeat`` alternating measurements [s].

    Attributes
    ----------
    import_floor : float
        Median wall time of the import-floor process.
    startup : float
        Median wall time of the one-step ``parnft run`` process.
    excess : float
        Median of ``startup - import_floor`` over the pairs.
    floors, runs : list of float
        Every measurement, in order.
    floor_cpu, startup_cpu : float
        Median CPU seconds (user + system) of the two processes.
    """

    import_floor: float
    startup: float
    excess: float
    floors: list
    runs: list
    floor_cpu: float = float("nan")
    startup_cpu: float = float("nan")


def singleton_env(env: dict | None = None) -> dict:
    """``env`` (default ``os.environ``) without the MPI launcher's variables.

    With :func:`parnft.launch.singleton_defaults` applied, so the floor's
    MPI initialisation is the one a ``parnft`` singleton gets.
    """
    env = dict(os.environ if env is None else env)
    for k in list(env):
        if k.startswith(_LAUNCHER_PREFIXES) and k not in _KEEP:
            del env[k]
    # the untimed warm-up pair writes the .pyc files a user's second run would load
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("NUMBA_NUM_THREADS", "1")
    singleton_defaults(env)  # what `parnft` itself sets, so the floor starts MPI alike
    return env


def one_step_text(spec) -> str:
    """Config text of ``spec`` simulating one step (``Time`` = ``Deltat``)."""
    from .resize import variant_text

    return variant_text(spec, time=spec.time.deltat)


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(argv: list[str], env: dict, cwd: str | None = None) -> tuple[float, float]:
    """``(wall, cpu)`` seconds of one child process (run in ``cwd``); RunError if it fails.

    ``python -m`` puts the current folder first on ``sys.path``: to time the
    tree ``PYTHONPATH`` names, run the child in a folder without a ``parnft``.
    """
    c0 = _children_cpu()
    wall = _wall(argv, env, cwd)
    return wall, _children_cpu() - c0


def _wall(argv: list[str], env: dict, cwd: str | None = None) -> float:
    t0 = time.perf_counter()
    res = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    t1 = time.perf_counter()
    if res.returncode != 0:
        from ..errors import RunError

        raise RunError(f"start-up measurement: {' '.join(argv)} failed with exit code "
                       f"{res.returncode}:\n{res.stderr[-2000:]}")
    return t1 - t0


def measure_startup(spec, repeat: int = 5, python: str | None = None) -> Startup:
    """Time the import floor and a one-step run of ``spec``, alternating ``repeat`` times.

    A first untimed pair warms the page cache and compiles (or checks) the
    one-step variant's loop, so the timed runs load it from the disk cache as
    a user's second run would.

    Parameters
    ----------
    spec : ModelSpec
        The model; its one-step variant is written to a scratch folder.
    repeat : int
        Timed pairs (at least 1).
    python : str, optional
        Interpreter of the children (default: this one).

    Returns
    -------
    Startup
    """
    python = python or sys.executable
    env = singleton_env()
    with tempfile.TemporaryDirectory(prefix="parnft-startup-") as tmp:
        conf = Path(tmp) / (Path(spec.path).stem + "-1step.conf")
        conf.write_text(one_step_text(spec))
        floor_argv = [python, "-c", FLOOR_CODE]
        run_argv = [python, "-m", "parnft", "run", str(conf), "-o",
                    str(Path(tmp) / "out.h5"), "-q"]
        _wall(floor_argv, env)
        _wall(run_argv, env)
        floors, runs, fcpu, rcpu = [], [], [], []
        for _ in range(max(1, repeat)):
            for walls, cpus, argv in ((floors, fcpu, floor_argv), (runs, rcpu, run_argv)):
                w, c = timed(argv, env)
                walls.append(w)
                cpus.append(c)
    return Startup(statistics.median(floors), statistics.median(runs),
                   statistics.median(r - f for f, r in zip(floors, runs, strict=True)),
                   floors, runs, statistics.median(fcpu), statistics.median(rcpu))
