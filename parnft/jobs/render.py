"""Fill the SLURM batch templates (``parnft/jobs/templates``) from job options.

Templates are bash files with ``{{name}}`` placeholders: the header shared by
all kinds (``header.sh``) and one body per kind. :func:`render` checks the
:class:`~parnft.jobs.options.JobOptions` and fills them. User text goes into
the script quoted: paths in double quotes (so ``$SCRATCH``-style variables of
the job's environment still expand), labels single-quoted, module lines as
given (they are shell lines by design).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from .options import JobOptions, check, command_line, default_parnft
from .sbatch import parse_signal
from .sweep import format_table

TEMPLATES = Path(__file__).with_name("templates")
_SUMMARY = {
    "single": "each config once on all tasks, with its HDF5 output",
    "strong": "strong scaling, the same grid on each rank count",
    "weak": "weak scaling, the same tile size on each rank count",
    "sweep": "parameter sweep as a job array, one task per parameter set",
    "sweep-ensemble": "parameter sweep as one ensemble (parnft sweep): groups of ranks "
                      "run the members side by side",
    "run": "one long parnft run across allocations: checkpointed on a signal before "
           "the limit, requeued, resumed",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def dq(text: str) -> str:
    """``text`` in double quotes for bash: ``$VAR`` expands, nothing else is special."""
    return '"' + re.sub(r'(["\\`])', r"\\\1", str(text)) + '"'


def _bench_options(o: JobOptions) -> str:
    opts = [f"--repeat {o.repeat}", f"--halo {o.halo}"]
    if o.sim_time is not None:
        opts.append(f"--time {o.sim_time!r}")
    if o.grid:
        opts.append(f"--grid {shlex.quote(o.grid)}")
    if o.procs:
        opts.append(f"--procs {shlex.quote(o.procs)}")
    if o.no_stream:
        opts.append("--no-stream")
    return " " + " ".join(opts)


def _sweep_options(o: JobOptions) -> str:
    """Options of ``parnft sweep`` in an ensemble job (besides table, R and output)."""
    opts = [f"--halo {o.halo}"]
    if o.procs:
        opts.append(f"--procs {shlex.quote(o.procs)}")
    return " " + " ".join(opts)


def _fill(template: str, values: dict[str, str]) -> str:
    def sub(m):
        if m.group(1) not in values:
            raise KeyError(f"template placeholder {m.group(0)} has no value")
        return values[m.group(1)]

    return _PLACEHOLDER.sub(sub, template)


def render(o: JobOptions, command: str | None = None) -> str:
    """The batch script of a job.

    Parameters
    ----------
    o : JobOptions
        The job; every value is checked.
    command : str, optional
        The command line that rendered it, recorded in the script's header.

    Returns
    -------
    str
        The script (bash, ``#SBATCH`` lines first).

    Raises
    ------
    ConfigError
        For an unknown kind or launcher, a malformed value, rank counts the
        allocation cannot hold, or a config (or sweep variant) that is not valid.
    """
    ranks, points, keys, rows = check(o)
    ensemble = o.kind == "sweep" and o.mode == "ensemble"
    body_name = "sweep-ensemble" if ensemble else o.kind
    name = o.job_name or f"parnft-{o.kind}"
    outdir = o.outdir or f"runs/{name}"
    if o.csv:
        csv = dq(o.csv)
    elif o.kind == "sweep" and not ensemble:
        csv = '"$OUT/bench-task${SLURM_ARRAY_TASK_ID:-0}.csv"'
    else:
        csv = '"$OUT/bench.csv"'
    lines = []
    if o.partition:
        lines.append(f"#SBATCH --partition={o.partition}")
    if o.account:
        lines.append(f"#SBATCH --account={o.account}")
    if o.workdir:
        lines.append(f"#SBATCH --chdir={o.workdir}")
    if o.kind == "sweep" and not ensemble:
        limit = f"%{o.array_limit}" if o.array_limit else ""
        lines.append(f"#SBATCH --array=0-{len(rows) - 1}{limit}")
    sig, lead = parse_signal(o.signal) if o.kind == "run" else ("", 0)
    if o.kind == "run":  # signalled before the limit, requeued on exit 75 (checkpoint.md)
        # B:: the batch shell gets the signal and hands it to the launcher; SLURM's
        # default (every job step) misses the ranks that mpirun starts itself
        lines += [f"#SBATCH --signal=B:{sig}@{lead}", "#SBATCH --requeue",
                  "#SBATCH --open-mode=append"]
    lines += [f"#SBATCH {s}" for s in o.sbatch]
    if o.launcher == "srun":
        launcher = "srun" + ("" if o.srun_mpi == "default" else f" --mpi={o.srun_mpi}")
    else:
        launcher = "mpirun"
    largs = " ".join(shlex.quote(a) for a in shlex.split(o.launcher_args or ""))
    header = _fill((TEMPLATES / "header.sh").read_text(), {
        "kind": o.kind, "summary": _SUMMARY[body_name],
        "command": " ".join((command or command_line(o)).split("\n")),
        "version": _version(), "job_name": name, "nodes": str(o.nodes),
        "tasks_per_node": str(o.tasks_per_node), "time_limit": o.time_limit,
        "log": "%x-%A_%a.out" if o.kind == "sweep" and not ensemble else "%x-%j.out",
        "sbatch_lines": "\n".join(lines) if lines else "# (no partition/account set)",
        "module_lines": "\n".join(o.module_lines) if o.module_lines else "# (none)",
        "parnft": dq(o.parnft or default_parnft()), "outdir": dq(outdir), "csv": csv,
        "launcher": launcher, "launcher_echo": launcher,
        "launcher_args": largs + " " if largs else "",
    })
    body = _fill((TEMPLATES / f"{body_name}.sh").read_text(), {
        "header": header.rstrip("\n"),
        "ntasks": str(o.nodes * o.tasks_per_node),
        "configs": "\n".join(f"  {dq(c)}" for c in o.configs),
        "config": dq(o.configs[0]),
        "ranks": " ".join(map(str, ranks or [])),
        "points": "\n".join(f'  "{r} {g} {p}"' for r, g, p in points),
        "nodes_per_rank": o.nodes_per_rank or "",
        "table": format_table(keys, rows) if rows else "",
        "bench_options": _bench_options(o),
        "label": shlex.quote(o.label or name),
        "ranks_per_member": str(o.ranks_per_member),
        "sweep_options": _sweep_options(o),
        "checkpoint_every": shlex.quote(o.checkpoint_every),
        "run_options": (f" --procs {shlex.quote(o.procs)}" if o.procs else "")
        + f" --halo {o.halo}",
        "stop_signal": sig, "lead": f"{lead} s",
        "launcher": launcher, "launcher_args": largs + " " if largs else "",
    })
    return body


def _version() -> str:
    from .._version import __version__

    return __version__
