"""Options of a rendered job and their checks (``parnft jobs render``).

:class:`JobOptions` holds what a user chooses; :func:`check` validates every
value before anything is written and returns what the templates need (rank
counts, weak-scaling points, the sweep table). Configs are read now, with the
same benchmark variant the job will run (``--sim-time``, ``--grid``, each weak
point, each sweep row), so a mistake shows at render time instead of after
the job waited in the queue.
"""

from __future__ import annotations

import math
import os
import re
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from parnft.errors import ConfigError

from . import sweep as sw
from .sbatch import TIME, limit_seconds, parse_signal

KINDS = ("single", "strong", "weak", "sweep", "run")
LAUNCHERS = ("srun", "mpirun")
#: How a sweep runs: a job array (one task per row) or one ensemble job (``parnft sweep``).
MODES = ("array", "ensemble")
_NAME = re.compile(r"^[A-Za-z0-9_.+-]+$")


def default_parnft() -> str:
    """The ``parnft`` beside the running Python (a venv's), else ``parnft`` on PATH."""
    exe = Path(os.path.abspath(sys.executable)).with_name("parnft")
    return str(exe) if exe.exists() else "parnft"


@dataclass
class JobOptions:
    """Everything a rendered job needs; see ``parnft jobs render --help``.

    Attributes
    ----------
    kind : str
        ``single``, ``strong``, ``weak``, ``sweep`` or ``run``.
    configs : list of str
        ``.conf`` files (a sweep takes exactly one, its base config).
    nodes, tasks_per_node : int
        The allocation: ``--nodes`` and ``--ntasks-per-node``.
    time_limit : str
        sbatch ``--time`` (e.g. ``01:00:00`` or ``2-00:00:00``).
    partition, account, job_name : str or None
        sbatch settings (job name default ``parnft-<kind>``).
    module_lines : list of str
        Shell lines run before parnft (``module load ...``, ``source venv``).
    launcher : str
        ``srun`` (with ``--mpi=<srun_mpi>``) or ``mpirun``.
    srun_mpi : str
        srun's MPI plugin (``pmix`` default); ``default`` leaves the flag out.
    launcher_args : str
        More arguments for the launcher, shell words.
    outdir : str or None
        Folder of the outputs (default ``runs/<job name>``).
    csv : str or None
        CSV file of the rows (default ``<outdir>/bench.csv``, one file per
        task for a sweep: ``<outdir>/bench-task<I>.csv``).
    parnft : str or None
        The parnft command (default: the one beside this Python).
    repeat, sim_time, grid, procs, halo, label, no_stream :
        Passed to ``parnft bench`` (``--repeat``, ``--time``, ``--grid``,
        ``--procs``, ``--halo``, ``--label``, ``--no-stream``).
    ranks : list of int or None
        Rank counts of a strong/weak series (default: 1, 2, 4, ... up to the
        allocation's task count, and that count).
    nodes_per_rank : str or None
        Tile size ``NXxNY`` of a weak series.
    sweep : list of str
        ``KEY=v1,v2,...`` options of a sweep (Cartesian product).
    params : str or None
        Parameter list file of a sweep (header line of keys, one row per task).
    array_limit : int or None
        Most array tasks running at once (``--array=0-N%LIMIT``).
    mode : str
        A sweep as a job ``array`` (default: one array task per row, each a
        ``parnft bench``) or as one ``ensemble`` job: a single launch of
        ``parnft sweep`` on all tasks, in groups of ``ranks_per_member``.
    ranks_per_member : int
        Ranks per member of an ensemble (must divide the task count).
    sbatch : list of str
        More ``#SBATCH`` options, verbatim (``--mem=4G``, ``--constraint=x``).
    workdir : str or None
        ``#SBATCH --chdir``: where relative paths start (default: the folder
        ``sbatch`` was called from).
    check : bool
        Read every config (and each sweep/weak variant) now, so mistakes show
        before the job queues.
    checkpoint_every, signal : str
        A ``run`` job (one long ``parnft run`` across allocations): its
        ``--checkpoint-every`` and the ``#SBATCH --signal`` that asks it to
        checkpoint and stop before the limit, ``[B:]SIG[@SECONDS]``
        (:func:`parnft.jobs.sbatch.parse_signal`; rendered with ``B:``, the
        script passes the signal on; docs/checkpoint.md).
    """

    kind: str
    configs: list[str]
    nodes: int = 1
    tasks_per_node: int = 1
    time_limit: str = "01:00:00"
    partition: str | None = None
    account: str | None = None
    job_name: str | None = None
    module_lines: list[str] = field(default_factory=list)
    launcher: str = "srun"
    srun_mpi: str = "pmix"
    launcher_args: str = ""
    outdir: str | None = None
    csv: str | None = None
    parnft: str | None = None
    repeat: int = 1
    sim_time: float | None = None
    grid: str | None = None
    procs: str | None = None
    halo: str = "auto"
    label: str = ""
    no_stream: bool = False
    ranks: list[int] | None = None
    nodes_per_rank: str | None = None
    sweep: list[str] = field(default_factory=list)
    params: str | None = None
    array_limit: int | None = None
    mode: str = "array"
    ranks_per_member: int = 1
    sbatch: list[str] = field(default_factory=list)
    workdir: str | None = None
    check: bool = True
    checkpoint_every: str = "15min"
    signal: str = "USR1@180"


def _fail(option: str, value, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"parnft jobs render: {option} {value!r}: {problem}; {fix}")


def _check_basic(o: JobOptions) -> None:
    if o.kind not in KINDS:
        raise _fail("KIND", o.kind, "unknown job kind", f"use one of {', '.join(KINDS)}")
    if o.launcher not in LAUNCHERS:
        raise _fail("--launcher", o.launcher, "unknown launcher", "use srun or mpirun")
    if not re.fullmatch(r"[a-z0-9_]+", o.srun_mpi or ""):
        raise _fail("--srun-mpi", o.srun_mpi, "not an MPI plugin name",
                    "use pmix (default), pmi2, pmix_v4, ... as `srun --mpi=list` shows, "
                    "or default to leave the flag out")
    for opt, v in (("--nodes", o.nodes), ("--tasks-per-node", o.tasks_per_node),
                   ("--repeat", o.repeat)):
        if not isinstance(v, int) or v < 1:
            raise _fail(opt, v, "must be a positive integer", "e.g. 1, 2, 16")
    if not TIME.match(o.time_limit or ""):
        raise _fail("--time-limit", o.time_limit, "not a SLURM time",
                    "use MINUTES, HH:MM:SS or D-HH:MM:SS, e.g. 00:30:00")
    for opt, v in (("--partition", o.partition), ("--account", o.account),
                   ("--job-name", o.job_name)):
        if v is not None and not _NAME.match(v):
            raise _fail(opt, v, "contains characters SLURM names do not have",
                        "use letters, digits and _ . + -")
    if o.halo not in ("auto", "overlap", "blocking"):
        raise _fail("--halo", o.halo, "unknown halo mode", "use auto, overlap or blocking")
    if o.sim_time is not None and not (math.isfinite(o.sim_time) and o.sim_time > 0):
        raise _fail("--sim-time", o.sim_time, "must be a positive number of seconds",
                    "e.g. 0.1")
    if o.array_limit is not None and o.array_limit < 1:
        raise _fail("--array-limit", o.array_limit, "must be >= 1", "e.g. 4")
    for line in o.sbatch:
        if not line.startswith("--") or "\n" in line:
            raise _fail("--sbatch", line, "not one sbatch option",
                        "give it as --name=value, e.g. --sbatch=--mem=4G")
    if o.workdir is not None and (not o.workdir or re.search(r"\s", o.workdir)):
        raise _fail("--workdir", o.workdir, "#SBATCH --chdir takes one path without spaces",
                    "use a path without blanks (or submit from that folder instead)")
    if any("\n" in m for m in o.module_lines):
        raise _fail("--module-line", "...", "one line per option", "repeat the option")
    if not o.configs:
        raise _fail("CONF", "", "no config given", "name at least one .conf file")
    if o.kind == "sweep" and len(o.configs) != 1:
        raise _fail("CONF", " ".join(o.configs), "a sweep takes exactly one base config",
                    "render one sweep per base config")
    if o.kind == "run":
        from ..io.checkpoint import parse_interval

        if len(o.configs) != 1:
            raise _fail("CONF", " ".join(o.configs), "a run job takes exactly one config",
                        "render one run job per config")
        parse_interval(o.checkpoint_every)
        lead = parse_signal(o.signal)[1]
        if lead >= limit_seconds(o.time_limit):
            raise _fail("--signal", o.signal, f"the warning would come {lead} s before a "
                        f"time limit of {o.time_limit}, i.e. at the start of every "
                        "allocation, so the run would never advance",
                        "give a lead time well below --time-limit")
    if o.kind != "sweep" and (o.sweep or o.params):
        raise _fail("--sweep/--params", " ".join(o.sweep) or o.params,
                    f"only a sweep job takes them, not {o.kind}", "use KIND sweep")
    _check_mode(o)
    if o.kind == "weak" and o.grid:
        raise _fail("--grid", o.grid, "a weak series sets the grid per point",
                    "give --nodes-per-rank NXxNY instead")
    if o.kind == "weak" and o.procs:
        raise _fail("--procs", o.procs, "a weak series sets the process grid per point",
                    "leave --procs out")
    if o.kind == "strong" and o.procs:
        raise _fail("--procs", o.procs, "a strong series runs several rank counts",
                    "leave --procs out (parnft picks the process grid per rank count)")
    if o.kind != "weak" and o.nodes_per_rank:
        raise _fail("--nodes-per-rank", o.nodes_per_rank, "only a weak series takes it",
                    "use KIND weak")
    if o.kind not in ("strong", "weak") and o.ranks:
        raise _fail("--ranks", o.ranks, f"a {o.kind} job runs on all its tasks",
                    "set --nodes and --tasks-per-node instead")
    stems = [Path(c).stem for c in o.configs]
    if len(set(stems)) != len(stems):
        raise _fail("CONF", " ".join(o.configs), "two configs share a file name, so their "
                    "outputs would overwrite each other", "rename one of them")


def _check_mode(o: JobOptions) -> None:
    """A sweep's mode and the options only one mode takes."""
    if o.mode not in MODES:
        raise _fail("--mode", o.mode, "unknown sweep mode", "use array or ensemble")
    if o.kind != "sweep" and (o.mode != "array" or o.ranks_per_member != 1):
        raise _fail("--mode/--ranks-per-member", o.mode, f"only a sweep job takes them, "
                    f"not {o.kind}", "use KIND sweep")
    if o.mode != "ensemble":
        if o.ranks_per_member != 1:
            raise _fail("--ranks-per-member", o.ranks_per_member, "only an ensemble sweep "
                        "takes it", "add --mode ensemble")
        return
    r, total = o.ranks_per_member, o.nodes * o.tasks_per_node
    if not isinstance(r, int) or r < 1 or total % r:
        raise _fail("--ranks-per-member", r, f"must divide the allocation's {total} tasks "
                    f"({o.nodes} node(s) x {o.tasks_per_node})",
                    "choose a divisor, or change --nodes/--tasks-per-node")
    for opt, bad in (("--array-limit", o.array_limit is not None), ("--repeat", o.repeat != 1),
                     ("--sim-time", o.sim_time is not None), ("--grid", bool(o.grid)),
                     ("--csv", bool(o.csv)), ("--no-stream", o.no_stream),
                     ("--label", bool(o.label))):
        if bad:
            raise _fail(opt, getattr(o, opt[2:].replace("-", "_"), ""),
                        "an ensemble runs parnft sweep, which does not take it (members "
                        "run the config as given and write no bench rows)",
                        "leave it out, or use --mode array")


def _ranks(o: JobOptions) -> list[int]:
    total = o.nodes * o.tasks_per_node
    if not o.ranks:
        r, out = 1, []
        while r < total:
            out.append(r)
            r *= 2
        return out + [total]
    if len(set(o.ranks)) != len(o.ranks) or min(o.ranks) < 1:
        raise _fail("--ranks", ",".join(map(str, o.ranks)), "needs distinct positive counts",
                    "e.g. --ranks 1,2,4")
    if max(o.ranks) > total:
        raise _fail("--ranks", ",".join(map(str, o.ranks)),
                    f"more ranks than the allocation's {total} tasks "
                    f"({o.nodes} node(s) x {o.tasks_per_node})",
                    f"raise --nodes/--tasks-per-node to at least {max(o.ranks)} tasks")
    return list(o.ranks)


def _read(conf: str, time=None, grid=None, where: str = ""):
    """Validate a config (or its benchmark variant) now; skipped for ``$VAR`` paths."""
    path = os.path.expandvars(conf)
    if "$" in path:
        return None
    from parnft.bench.resize import bench_spec

    try:
        return bench_spec(path, time, grid)
    except ConfigError as exc:
        raise ConfigError(f"parnft jobs render: config {conf}{where} is not valid "
                          f"(the job would fail):\n{exc}") from None


def sweep_rows(o: JobOptions) -> tuple[list[str], list[list[str]]]:
    """The sweep table of ``o`` (from ``--sweep`` or ``--params``), checked.

    Every row is applied to the base config and read, so a key path that
    matches nothing or a value that breaks a rule (e.g. the Courant number) is
    reported now, naming the task and its settings.

    Returns
    -------
    keys : list of str
    rows : list of list of str
    """
    if bool(o.sweep) == bool(o.params):
        raise _fail("--sweep/--params", o.sweep or o.params or "",
                    "a sweep needs exactly one source of parameter sets",
                    "give --sweep KEY=v1,v2,... (repeatable) or --params FILE")
    keys, rows = sw.sweep_table(o.sweep) if o.sweep else sw.read_table(o.params)
    if o.check:
        base = os.path.expandvars(o.configs[0])
        if "$" not in base:
            from parnft.config import parse_config

            try:
                text = Path(base).read_text(encoding="utf-8")
            except OSError as exc:
                raise _fail("CONF", base, f"cannot read it ({exc.strerror})",
                            "check the path") from None
            for i, row in enumerate(rows):
                setting = " ".join(f"{k}={v}" for k, v in zip(keys, row, strict=True))
                try:
                    spec = parse_config(sw.set_values(text, dict(zip(keys, row, strict=True)),
                                                      where=base), path=base)
                    if o.sim_time is not None or o.grid:
                        from parnft.bench.resize import parse_grid, variant_text

                        grid = parse_grid(o.grid) if o.grid else None
                        parse_config(variant_text(spec, o.sim_time, grid), path=base)
                except ConfigError as exc:
                    raise ConfigError(f"parnft jobs render: sweep task {i} ({setting}) "
                                      f"on {base}:\n{exc}") from None
    return keys, rows


def _check_configs(o: JobOptions, ranks: list[int] | None) -> list[tuple[int, str, str]]:
    """Read the configs now; return the weak-series points (ranks, grid, procs)."""
    from parnft.bench.resize import parse_grid
    from parnft.parallel.tiling import choose_dims, parse_procs

    grid = parse_grid(o.grid) if o.grid else None
    procs = parse_procs(o.procs) if o.procs else None
    points: list[tuple[int, str, str]] = []
    if o.kind == "weak":
        from parnft.bench.series import weak_grid

        if not o.nodes_per_rank:
            raise _fail("--nodes-per-rank", "", "a weak series needs the tile size",
                        "give --nodes-per-rank NXxNY, e.g. 512x512")
        tile = parse_grid(o.nodes_per_rank)
        for r in ranks or []:
            (nx, ny), (px, py) = weak_grid(r, tile)
            points.append((r, f"{nx}x{ny}", f"{px}x{py}"))
    total = o.nodes * o.tasks_per_node
    for conf in o.configs:
        if not o.check:
            continue
        if o.kind == "weak":
            for r, g, _ in points:
                _read(conf, o.sim_time, parse_grid(g), f" on the {g} grid of {r} ranks")
            continue
        spec = _read(conf, o.sim_time, grid)
        if spec is None or o.kind == "sweep":
            continue
        for r in ranks or [total]:
            try:
                choose_dims(r, spec.grid.shape, procs)
            except ConfigError as exc:
                raise ConfigError(f"parnft jobs render: config {conf} on {r} ranks: "
                                  f"{exc}") from None
    return points


def check(o: JobOptions):
    """Validate ``o``; return ``(ranks, points, keys, rows)`` for the templates.

    Returns
    -------
    ranks : list of int or None
        Rank counts of a strong/weak series.
    points : list of (int, str, str)
        Weak series: ranks, global grid ``NXxNY``, process grid ``PXxPY``.
    keys, rows : list
        Sweep table (empty for other kinds).

    Raises
    ------
    ConfigError
        Naming the option, its value, the problem and the fix.
    """
    _check_basic(o)
    ranks = _ranks(o) if o.kind in ("strong", "weak") else None
    points = _check_configs(o, ranks)
    keys, rows = sweep_rows(o) if o.kind == "sweep" else ([], [])
    return ranks, points, keys, rows


def command_line(o: JobOptions) -> str:
    """The ``parnft jobs render`` command that renders ``o`` (non-default options only)."""
    words = ["parnft", "jobs", "render", o.kind, *o.configs]
    flags = {"nodes": "--nodes", "tasks_per_node": "--tasks-per-node",
             "time_limit": "--time-limit", "partition": "--partition",
             "account": "--account", "job_name": "--job-name", "launcher": "--launcher",
             "srun_mpi": "--srun-mpi", "launcher_args": "--launcher-args",
             "outdir": "--outdir", "csv": "--csv", "parnft": "--parnft",
             "repeat": "--repeat", "sim_time": "--sim-time", "grid": "--grid",
             "procs": "--procs", "halo": "--halo", "label": "--label",
             "nodes_per_rank": "--nodes-per-rank", "params": "--params",
             "array_limit": "--array-limit", "workdir": "--workdir", "mode": "--mode",
             "ranks_per_member": "--ranks-per-member",
             "checkpoint_every": "--checkpoint-every", "signal": "--signal"}
    default = JobOptions(o.kind, o.configs)
    for name, flag in flags.items():
        v = getattr(o, name)
        if v != getattr(default, name) and v is not None:
            v = repr(v) if isinstance(v, float) else str(v)
            words += [f"{flag}={v}"] if v.startswith("-") else [flag, v]
    if o.ranks:
        words += ["--ranks", ",".join(map(str, o.ranks))]
    for flag, values in (("--module-line", o.module_lines), ("--sbatch", o.sbatch),
                         ("--sweep", o.sweep)):
        for v in values:
            words.append(f"{flag}={v}" if v.startswith("-") else flag)
            if not v.startswith("-"):
                words.append(v)
    if o.no_stream:
        words.append("--no-stream")
    if not o.check:
        words.append("--no-check")
    return shlex.join(words)
