"""``parnft snapshot run.h5 [--trace T] [--times 0.042,0.052] [--out x.png]``."""

from __future__ import annotations

from . import is_root

ORDER = 31


def cmd_snapshot(args) -> int:
    """Draw the snapshots on rank 0 and print the picture's path."""
    from ..plots import plot_snapshots

    if is_root():
        pic = plot_snapshots(args.file, args.trace, args.times, out=args.out,
                             ncols=args.cols, common_scale=args.common_scale)
        print(pic.path)
    return 0


def register(sub) -> None:
    """Add the ``snapshot`` subcommand."""
    p = sub.add_parser(
        "snapshot", help="the whole field at chosen times, spatial mean removed",
        description="One panel per time: the field of a whole-grid trace (Output: Node: "
        "All) at the nearest sample, minus its spatial mean, as in NFTsim's Fig 7.")
    p.add_argument("file", help="run output: parnft .h5/.nc or NFTsim .output")
    p.add_argument("--trace", help="trace, e.g. propagator.1.phi (default: the first "
                   "whole-grid trace)")
    p.add_argument("--times", help="comma-separated times [s] (default: four, evenly "
                   "spaced over the record)")
    p.add_argument("--cols", type=int, default=4, help="panels per row (default 4)")
    p.add_argument("--common-scale", action="store_true",
                   help="one colour scale for all panels (default: one per panel)")
    p.add_argument("--out", help="picture path, .png/.svg/.pdf (default: "
                   "<file>-snapshot.png)")
    p.set_defaults(func=cmd_snapshot)
