"""Strong and weak scaling series: one launch of ``parnft bench`` per rank count.

A series is driven from one (non-MPI) process: for each rank count it runs
``<launcher> -n R python -m parnft bench CONF --series strong|weak ...`` and
the child appends its rows to the same CSV. Strong series keep the config's
grid; weak series give every rank ``--nodes-per-rank NXxNY`` nodes, on the
process grid parnft would choose for R ranks (so the tiles are exactly that
size). Rank counts beyond the host's physical cores are still run, and the
rows say ``oversubscribed=true``.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

from ..errors import ConfigError


def parse_ranks(text: str) -> list[int]:
    """``"1,2,4"`` -> ``[1, 2, 4]`` (positive, distinct, in the given order)."""
    try:
        ranks = [int(t) for t in str(text).split(",") if t.strip()]
    except ValueError:
        ranks = []
    if not ranks or min(ranks) < 1 or len(set(ranks)) != len(ranks):
        raise ConfigError(f"--ranks {text!r}: expected distinct positive integers separated "
                          "by commas, e.g. --ranks 1,2,4")
    return ranks


def weak_grid(nranks: int, per_rank: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Global grid and process grid of a weak-scaling point.

    Parameters
    ----------
    nranks : int
    per_rank : (nx, ny)
        Tile size, long side first.

    Returns
    -------
    grid : (nx, ny)
        Global grid, long side first.
    procs : (px, py)
        Process grid (x extent first, as ``--procs``).
    """
    from ..parallel.tiling import choose_dims

    tx, ty = per_rank
    # the process grid parnft picks for this many ranks on a square-ish grid of tiles
    py, px = choose_dims(nranks, (ty * nranks, tx * nranks))
    nx, ny = tx * px, ty * py
    if ny > nx:  # the long side must be x: swap the process grid
        px, py = py, px
        nx, ny = tx * px, ty * py
    return (nx, ny), (px, py)


def launcher_argv(launcher: str | None, nranks: int) -> list[str]:
    """The MPI launcher command for ``nranks`` ranks.

    ``launcher`` (or ``$PARNFT_LAUNCHER``) is a command such as ``mpiexec``,
    ``mpirun --oversubscribe`` or ``srun --mpi=pmix``; ``-n R`` is appended.
    """
    cmd = launcher or os.environ.get("PARNFT_LAUNCHER") or "mpiexec"
    return shlex.split(cmd) + ["-n", str(nranks)]


def run_series(kind: str, configs: list[str], ranks: list[int], csv: str, *,
               nodes_per_rank: tuple[int, int] | None = None,
               grid: tuple[int, int] | None = None, repeat: int = 1,
               time: float | None = None, halo: str = "auto", label: str = "",
               launcher: str | None = None, extra: list[str] | None = None,
               timeout: float | None = None) -> list[int]:
    """Launch the series and return the exit codes (one per child job).

    With ``repeat > 1`` the rank counts are interleaved, one timed run per
    child (1, 2, 4, 1, 2, 4, ... ranks), so that a drift of the machine's speed
    during the series (on a shared VM, 10-15 % over minutes) affects every
    rank count alike instead of biasing speed-up and efficiency.

    Parameters
    ----------
    kind : {"strong", "weak"}
    configs : list of str
    ranks : list of int
    csv : str
        CSV file the children append to.
    nodes_per_rank : (nx, ny), optional
        Tile size of a weak series (required for ``weak``).
    grid : (nx, ny), optional
        Global grid of a strong series (default: the config's).
    repeat : int
        Timed runs per config and rank count, interleaved as above.
    time, halo, label :
        Passed to every child ``parnft bench``.
    launcher : str, optional
        MPI launcher (default ``$PARNFT_LAUNCHER`` or ``mpiexec``).
    extra : list of str, optional
        More options for the children.
    timeout : float, optional
        Seconds per child before it is killed.
    """
    if kind not in ("strong", "weak"):
        raise ConfigError(f"unknown series {kind!r}; use strong or weak")
    if kind == "weak" and nodes_per_rank is None:
        raise ConfigError("a weak series needs --nodes-per-rank NXxNY (tile size per rank)")
    codes = []
    runs = [(conf, r) for conf in configs for _ in range(repeat) for r in ranks]
    for conf, r in runs:
        args = [sys.executable, "-m", "parnft", "bench", conf, "--series", kind,
                "--csv", csv, "--repeat", "1", "--halo", halo]
        if label:
            args += ["--label", label]
        if time is not None:
            args += ["--time", repr(time)]
        if kind == "weak":
            (nx, ny), (px, py) = weak_grid(r, nodes_per_rank)
            args += ["--grid", f"{nx}x{ny}", "--procs", f"{px}x{py}"]
        elif grid is not None:
            args += ["--grid", f"{grid[0]}x{grid[1]}"]
        args += list(extra or [])
        cmd = launcher_argv(launcher, r) + args
        print("+ " + shlex.join(cmd), file=sys.stderr, flush=True)
        try:
            rc = subprocess.run(cmd, env=dict(os.environ), timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            rc = 124
        codes.append(rc)
    return codes
