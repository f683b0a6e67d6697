"""``parnft jobs``: SLURM batch scripts for runs, scaling series and sweeps.

* ``parnft jobs render KIND CONF... [options] [-o job.sbatch]``: write a batch
  script (``single``, ``strong``, ``weak`` or ``sweep``; a sweep as a job
  array or, with ``--mode ensemble``, one ``parnft sweep`` job) to stdout or a
  file.
* ``parnft jobs config BASE.conf (--set KEY=VALUE | --task I --params FILE)
  -o OUT.conf``: a config with values replaced by key path (what a sweep's
  array task runs); prints the settings.
* ``parnft jobs collect CSV|DIR ... -o ALL.csv``: join the per-task CSV files
  of a sweep into one.
"""

from __future__ import annotations

import sys
from pathlib import Path

ORDER = 60


def _ranks(text: str) -> list[int]:
    from ..errors import ConfigError

    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise ConfigError(f"parnft jobs render: --ranks {text!r}: expected integers "
                          "separated by commas, e.g. 1,2,4") from None


def cmd_render(args) -> int:
    """Render a batch script to ``args.output`` or stdout."""
    from ..jobs import JobOptions, render

    opts = JobOptions(
        kind=args.kind, configs=args.configs, nodes=args.nodes,
        tasks_per_node=args.tasks_per_node, time_limit=args.time_limit,
        partition=args.partition, account=args.account, job_name=args.job_name,
        module_lines=args.module_line, launcher=args.launcher, srun_mpi=args.srun_mpi,
        launcher_args=args.launcher_args, outdir=args.outdir, csv=args.csv,
        parnft=args.parnft, repeat=args.repeat, sim_time=args.sim_time, grid=args.grid,
        procs=args.procs, halo=args.halo, label=args.label, no_stream=args.no_stream,
        ranks=_ranks(args.ranks) if args.ranks else None,
        nodes_per_rank=args.nodes_per_rank, sweep=args.sweep, params=args.params,
        array_limit=args.array_limit, mode=args.mode,
        ranks_per_member=args.ranks_per_member, sbatch=args.sbatch, workdir=args.workdir,
        check=not args.no_check, checkpoint_every=args.checkpoint_every,
        signal=args.signal)
    text = render(opts)
    if args.output and args.output != "-":
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
        Path(args.output).chmod(0o755)
        print(args.output, file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_config(args) -> int:
    """Write a config with values replaced; print the settings (``KEY=VALUE ...``)."""
    from ..errors import ConfigError
    from ..jobs import sweep as sw

    values: dict[str, str] = {}
    if args.task is not None or args.params:
        if args.task is None or not args.params:
            raise ConfigError("parnft jobs config: --task and --params go together "
                              "(row TASK of the parameter list)")
        text = sys.stdin.read() if args.params == "-" else None
        keys, rows = sw.read_table("<stdin>" if text is not None else args.params, text)
        if not 0 <= args.task < len(rows):
            raise ConfigError(f"parnft jobs config: --task {args.task}: the parameter list "
                              f"has {len(rows)} rows (tasks 0..{len(rows) - 1})")
        values.update(zip(keys, rows[args.task], strict=True))
    for item in args.set:
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ConfigError(f"parnft jobs config: --set {item!r}: expected KEY=VALUE, "
                              "e.g. --set Propagator.1.gamma=116")
        values[key.strip()] = value
    try:
        base = Path(args.config).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"parnft jobs config: {args.config}: cannot read it "
                          f"({exc.strerror}); check the path") from None
    text = sw.set_values(base, values, where=args.config)
    from ..config import parse_config

    parse_config(text, path=args.output or args.config)  # the variant must be valid
    if args.output and args.output != "-":
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text)
        print(" ".join(f"{k}={' '.join(v.split())}" for k, v in values.items()))
    else:
        sys.stdout.write(text)
    return 0


def cmd_collect(args) -> int:
    """Join CSV files with the same header into ``args.output``."""
    from ..jobs.collect import collect

    n = collect(args.inputs, args.output)
    print(f"{args.output}: {n} rows", file=sys.stderr)
    return 0


def register(sub) -> None:
    """Add the ``jobs`` subcommand (``render``, ``config``, ``collect``)."""
    from ..jobs.options import KINDS, LAUNCHERS

    j = sub.add_parser("jobs", help="SLURM batch scripts: render, sweep configs, collect CSVs",
                       description=__doc__.split("\n\n", 1)[1])
    jsub = j.add_subparsers(dest="jobs_command", required=True)

    r = jsub.add_parser("render", help="write a SLURM batch script (docs/jobs.md)")
    r.add_argument("kind", choices=KINDS, help="single | strong | weak | sweep | run")
    r.add_argument("configs", nargs="+", metavar="CONF", help=".conf file(s)")
    r.add_argument("-o", "--output", help="write the script here (default: stdout)")
    a = r.add_argument_group("allocation")
    a.add_argument("-N", "--nodes", type=int, default=1, help="nodes (default 1)")
    a.add_argument("-n", "--tasks-per-node", type=int, default=1,
                   help="MPI ranks per node (default 1)")
    a.add_argument("-t", "--time-limit", default="01:00:00",
                   help="wall-clock limit, HH:MM:SS or D-HH:MM:SS (default 01:00:00)")
    a.add_argument("-p", "--partition", help="SLURM partition")
    a.add_argument("-A", "--account", help="SLURM account")
    a.add_argument("-J", "--job-name", help="job name (default parnft-KIND)")
    a.add_argument("--sbatch", action="append", default=[], metavar="OPTION",
                   help="another #SBATCH option, e.g. --sbatch=--mem=4G (repeatable)")
    a.add_argument("--workdir", help="#SBATCH --chdir (default: where sbatch is run)")
    e = r.add_argument_group("environment and launcher")
    e.add_argument("--module-line", action="append", default=[], metavar="LINE",
                   help="shell line before parnft runs, e.g. 'module load openmpi/4.1' "
                   "or 'source ~/parnft/.venv/bin/activate' (repeatable, in order)")
    e.add_argument("--launcher", choices=LAUNCHERS, default="srun",
                   help="srun (default) or mpirun")
    e.add_argument("--srun-mpi", default="pmix",
                   help="srun --mpi=TYPE (default pmix; 'default' leaves it to the cluster)")
    e.add_argument("--launcher-args", default="", metavar="ARGS",
                   help="more launcher arguments, e.g. '--cpu-bind=cores'")
    e.add_argument("--parnft", help="parnft command on the cluster (default: the one "
                   "beside this Python, else parnft on PATH)")
    o = r.add_argument_group("outputs")
    o.add_argument("--outdir", help="output folder (default runs/JOB_NAME)")
    o.add_argument("--csv", help="CSV of the rows (default OUTDIR/bench.csv; a sweep "
                   "writes OUTDIR/bench-taskI.csv per task)")
    o.add_argument("--label", default="", help="label of the rows (default: the job name)")
    b = r.add_argument_group("what runs (passed to parnft bench)")
    b.add_argument("--repeat", type=int, default=1, help="timed runs per point (default 1)")
    b.add_argument("--sim-time", type=float, metavar="T",
                   help="simulated time [s] instead of the config's (bench --time)")
    b.add_argument("--grid", metavar="NXxNY", help="resize the grid (bench --grid)")
    b.add_argument("--procs", metavar="PXxPY", help="process grid (single, sweep)")
    b.add_argument("--halo", choices=("auto", "overlap", "blocking"), default="auto")
    b.add_argument("--no-stream", action="store_true", help="skip the STREAM measurement")
    c = r.add_argument_group("long runs (KIND run; docs/checkpoint.md)")
    c.add_argument("--checkpoint-every", default="15min", metavar="N|TIME",
                   help="parnft run --checkpoint-every (default 15min)")
    c.add_argument("--signal", default="USR1@180", metavar="[B:]SIG@SECONDS",
                   help="#SBATCH --signal=B:SIG@SECONDS: the script gets SIG (USR1, TERM, "
                   "INT or XCPU) this long before the limit and passes it on to the ranks, "
                   "which checkpoint and stop; then it requeues (default USR1@180)")
    s = r.add_argument_group("series and sweeps")
    s.add_argument("--ranks", help="rank counts of strong/weak, e.g. 1,2,4 (default: "
                   "powers of two up to all tasks)")
    s.add_argument("--nodes-per-rank", metavar="NXxNY", help="tile size of a weak series")
    s.add_argument("--sweep", action="append", default=[], metavar="KEY=v1,v2,...",
                   help="sweep a config value by key path, e.g. Propagator.1.gamma=100,116 "
                   "(repeatable: every combination)")
    s.add_argument("--params", metavar="FILE", help="parameter list: a header line of key "
                   "paths, then one row of values per array task")
    s.add_argument("--array-limit", type=int, help="most array tasks at once")
    s.add_argument("--mode", choices=("array", "ensemble"), default="array",
                   help="sweep as a job array, one task per row (default), or as one "
                   "ensemble job running parnft sweep on all tasks")
    s.add_argument("-R", "--ranks-per-member", type=int, default=1, metavar="R",
                   help="ensemble: ranks per member (default 1; divides the task count)")
    r.add_argument("--no-check", action="store_true",
                   help="do not read the configs now (paths valid only on the cluster)")
    r.set_defaults(func=cmd_render)

    c = jsub.add_parser("config", help="a config with values replaced by key path")
    c.add_argument("config", help="base .conf file")
    c.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="replace a value, e.g. Propagator.1.gamma=116 (repeatable)")
    c.add_argument("--task", type=int, help="row of --params to apply (0-based)")
    c.add_argument("--params", metavar="FILE", help="parameter list ('-': stdin)")
    c.add_argument("-o", "--output", help="write the config here and print the settings "
                   "(default: the config to stdout)")
    c.set_defaults(func=cmd_config)

    k = jsub.add_parser("collect", help="join per-task CSV files into one")
    k.add_argument("inputs", nargs="+", metavar="CSV|DIR", help="CSV files or folders")
    k.add_argument("-o", "--output", required=True, help="joined CSV")
    k.set_defaults(func=cmd_collect)
