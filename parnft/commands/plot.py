"""``parnft plot run.h5 [--trace T] [--times ...] [--out x.png]``."""

from __future__ import annotations

from . import is_root

ORDER = 30


def cmd_plot(args) -> int:
    """Draw the PNG on rank 0 and print its path."""
    from ..plots import plot_run

    if is_root():
        print(plot_run(args.file, trace=args.trace, times=args.times, out=args.out))
    return 0


def register(sub) -> None:
    """Add the ``plot`` subcommand."""
    pl = sub.add_parser("plot", help="PNG of field snapshots (or node traces) of a run")
    pl.add_argument("file", help="parnft HDF5 file")
    pl.add_argument("--trace", help="dataset, e.g. propagator.1.phi (default: first)")
    pl.add_argument("--times", help="comma-separated times [s] for snapshots")
    pl.add_argument("--out", help="PNG path (default: <file>.png)")
    pl.set_defaults(func=cmd_plot)
