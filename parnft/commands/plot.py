"""``parnft plot run.h5 [--trace T] [--nodes 1,45 [--neighbours]] [--times ...] [--out x.png]``."""

from __future__ import annotations

from . import is_root

ORDER = 30


def cmd_plot(args) -> int:
    """Draw the picture on rank 0 and print its path."""
    from ..plots import plot_run

    if is_root():
        print(plot_run(args.file, trace=args.trace, times=args.times, out=args.out,
                       nodes=args.nodes, with_neighbours=args.neighbours))
    return 0


def register(sub) -> None:
    """Add the ``plot`` subcommand."""
    pl = sub.add_parser(
        "plot", help="picture of a run: node time series (--nodes) or field snapshots",
        description="Time series of chosen nodes (with --nodes, or for a node-list output) "
        "or snapshots of the whole field at --times, spatial mean removed. Reads parnft "
        ".h5/.nc files and NFTsim .output files.")
    pl.add_argument("file", help="run output: parnft .h5/.nc or NFTsim .output")
    pl.add_argument("--trace", help="trace, e.g. propagator.1.phi (default: the first)")
    pl.add_argument("--nodes", help="comma-separated 1-based node numbers: draw their "
                    "time series, e.g. 1,45")
    pl.add_argument("--neighbours", "--neighbors", action="store_true",
                    help="also draw each node's four grid neighbours (N, S, W, E)")
    pl.add_argument("--times", help="comma-separated times [s] for snapshots")
    pl.add_argument("--out", help="picture path, .png/.svg/.pdf (default: <file>.png)")
    pl.set_defaults(func=cmd_plot)
