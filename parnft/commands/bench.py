"""``parnft bench``: timed runs with provenance, scaling series and their plots.

* ``[mpiexec -n R] parnft bench CONF ... [--repeat N] [--csv FILE]``: run each
  config on the job's ranks and append one CSV row per run (rank 0).
* ``parnft bench --strong|--weak --ranks 1,2,4 CONF ...``: launch the series,
  one MPI job per run (rank counts interleaved over the repeats).
* ``parnft bench CONF --startup N``: also time N pairs of the import floor and
  a one-step ``parnft run`` process, measured alternately in this invocation.
* ``parnft bench plot FILE.csv [--out DIR]``: speed-up, efficiency and
  roofline PNGs.
"""

from __future__ import annotations

import argparse
import sys

from . import parse_procs_option, world
from .run import add_run_options

ORDER = 40
DEFAULT_CSV = "benchmarks/results/bench.csv"


def _print_rows(rows) -> None:
    for r in rows:
        if r.get("startup_s") not in (None, ""):
            print(f"{r['config']}: start-up {r['startup_s']:.3f} s (one-step `parnft run` "
                  f"process) against an import floor of {r['import_floor_s']:.3f} s: "
                  f"+{r['startup_excess_s']:.3f} s (medians; CPU {r['startup_cpu_s']:.3f} "
                  f"against {r['import_floor_cpu_s']:.3f} s; load {r['load1']:.2f})")
        frac = r.get("bandwidth_fraction")
        extra = f", {100 * frac:.1f}% of STREAM triad" if isinstance(frac, float) else ""
        print(f"{r['config']}: {r['ranks']} rank(s) ({r['procs']}), {r['nodes']} nodes x "
              f"{r['steps']} steps in {r['wall_s']:.3f} s = {r['node_steps_per_s']:.3g} "
              f"node-steps/s ({r['node_steps_per_s_per_rank']:.3g} per rank; compute "
              f"{r['compute_s']:.3f}, halo {r['halo_s']:.3f}"
              f"{' via ' + r['halo_transport'] if r.get('halo_transport') else ''}, "
              f"output {r['output_s']:.3f} s; "
              f"compile {r['compile_s']:.2f} s){extra}")


def cmd_bench(args) -> int:
    """Dispatch: plot, a series, or timed runs on this job's ranks."""
    from ..bench.resize import parse_grid
    from ..errors import ConfigError

    if args.configs and args.configs[0] == "plot":
        return _plot(args)
    if not args.configs:
        raise ConfigError("parnft bench: give at least one .conf file (or `plot FILE.csv`)")
    if args.strong or args.weak:
        from ..bench.series import parse_ranks, run_series

        kind = "strong" if args.strong else "weak"
        codes = run_series(
            kind, args.configs, parse_ranks(args.ranks or "1,2"), args.csv,
            nodes_per_rank=parse_grid(args.nodes_per_rank) if args.nodes_per_rank else None,
            grid=parse_grid(args.grid) if args.grid else None, repeat=args.repeat,
            time=args.time, halo=args.halo, label=args.label,
            launcher=args.launcher, timeout=args.timeout)
        bad = [c for c in codes if c != 0]
        if bad:
            print(f"parnft bench: {len(bad)} of {len(codes)} runs failed (exit codes {bad})",
                  file=sys.stderr)
            return 1
        print(args.csv)
        _project(args.csv)
        return 0
    from ..bench.provenance import append_rows
    from ..bench.runner import bench_config
    from ..model.plugins import load_plugin

    for f in getattr(args, "plugin", None) or ():
        load_plugin(f)  # every rank, before any collective call
    comm = world()
    grid = parse_grid(args.grid) if args.grid else None
    procs = parse_procs_option(args.procs)
    for conf in args.configs:
        rows = bench_config(conf, comm, repeat=args.repeat, time=args.time, grid=grid,
                            out=args.output, procs=procs, halo=args.halo, rng=args.rng,
                            label=args.label, series=args.series,
                            stream=not args.no_stream, pingpong=comm.Get_size() > 1,
                            startup=args.startup)
        if comm.Get_rank() == 0:
            append_rows(args.csv, rows)
            _print_rows(rows)
            _save_pingpong(rows, args.csv)
    return 0


def _save_pingpong(rows, csv_path) -> None:
    """Keep the halo ping-pong fit next to the CSV (the scaling model reads it)."""
    pp = next((r["_pingpong"] for r in rows if r.get("_pingpong") is not None), None)
    if pp is None:
        return
    from ..bench.pingpong import pingpong_path, save_pingpong

    path = save_pingpong(pp, pingpong_path(csv_path))
    print(f"halo ping-pong: latency {pp.latency_s * 1e6:.2f} us, bandwidth "
          f"{pp.bandwidth_bps / 1e9:.2f} GB/s -> {path}")


def _project(csv_path) -> None:
    """After a series: project 64-1024 ranks from the CSV and the ping-pong fit."""
    import os

    from ..bench.model import model_from_csv
    from ..bench.pingpong import load_pingpong, pingpong_path

    pp_path = pingpong_path(csv_path)
    if not os.path.exists(pp_path):
        print("no halo ping-pong next to the CSV (run a series with 2+ ranks): "
              "no scaling projection", file=sys.stderr)
        return
    pp = load_pingpong(pp_path)
    res = model_from_csv(csv_path, pp.latency_s, pp.bandwidth_bps)
    for key in ("csv", "json"):
        if isinstance(res, dict) and key in res:
            print(res[key])


def _plot(args) -> int:
    from ..errors import ConfigError

    if len(args.configs) != 2:
        raise ConfigError("usage: parnft bench plot FILE.csv [--out DIR]")
    from ..bench.plot import plot_results

    for path in plot_results(args.configs[1], args.out or "benchmarks/results"):
        print(path)
    return 0


def register(sub) -> None:
    """Add the ``bench`` subcommand."""
    b = sub.add_parser("bench", help="timed runs with provenance (CSV), scaling series, plots",
                       description=__doc__.split("\n\n", 1)[1])
    b.add_argument("configs", nargs="*", metavar="CONF",
                   help=".conf files to time (or: plot FILE.csv)")
    b.add_argument("--repeat", type=int, default=1, help="timed runs per config (default 1)")
    b.add_argument("--csv", default=DEFAULT_CSV, help=f"CSV to append to (default {DEFAULT_CSV})")
    b.add_argument("--time", type=float, help="simulated time [s] instead of the config's")
    b.add_argument("--grid", metavar="NXxNY", help="resize the grid at the same cell spacing")
    b.add_argument("-o", "--output", help="keep the last run's output file here")
    b.add_argument("--label", default="", help="free text copied into the rows")
    b.add_argument("--series", default="single", choices=("single", "strong", "weak"),
                   help=argparse.SUPPRESS)
    b.add_argument("--no-stream", action="store_true",
                   help="skip the STREAM-triad measurement (no bandwidth fraction)")
    b.add_argument("--startup", type=int, default=0, metavar="N",
                   help="also time N alternating pairs of the import floor (numpy, numba, "
                   "h5py, mpi4py with MPI) and a one-step `parnft run` process (columns "
                   "import_floor_s, startup_s, startup_excess_s; default 0: not measured)")
    add_run_options(b)
    g = b.add_argument_group("scaling series (one MPI job per run, rank counts interleaved)")
    kind = g.add_mutually_exclusive_group()
    kind.add_argument("--strong", action="store_true", help="same grid on --ranks")
    kind.add_argument("--weak", action="store_true", help="--nodes-per-rank on each rank")
    g.add_argument("--ranks", help="rank counts, e.g. 1,2,4 (default 1,2)")
    g.add_argument("--nodes-per-rank", metavar="NXxNY", help="tile size of a weak series")
    g.add_argument("--launcher", help="MPI launcher (default $PARNFT_LAUNCHER or mpiexec), "
                   "e.g. 'srun --mpi=pmix'")
    g.add_argument("--timeout", type=float, help="seconds per launched job")
    pl = b.add_argument_group("plot")
    pl.add_argument("--out", help="folder for the PNGs of `bench plot`")
    b.set_defaults(func=cmd_bench)
