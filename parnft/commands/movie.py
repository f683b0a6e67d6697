"""``parnft movie run.h5 [--trace T] [--out x.gif] [--fps 10] [--every 1]``."""

from __future__ import annotations

from . import is_root

ORDER = 32


def cmd_movie(args) -> int:
    """Write the movie on rank 0 and print its path and frame count."""
    from ..plots import write_movie

    if is_root():
        pic = write_movie(args.file, args.trace, out=args.out, fps=args.fps,
                          every=args.every, start=args.start, stop=args.stop, dpi=args.dpi,
                          vmax=args.vmax)
        print(f"{pic.path} ({pic.frames} frames)")
    return 0


def register(sub) -> None:
    """Add the ``movie`` subcommand."""
    p = sub.add_parser(
        "movie", help="GIF or MP4 movie of a field, spatial mean removed",
        description="One frame per sample (or per --every samples) of a whole-grid trace "
        "(Output: Node: All), spatial mean removed, one colour scale for the whole movie. "
        "GIF always works (pillow); MP4 needs ffmpeg.")
    p.add_argument("file", help="run output: parnft .h5/.nc or NFTsim .output")
    p.add_argument("--trace", help="trace, e.g. propagator.1.phi (default: the first "
                   "whole-grid trace)")
    p.add_argument("--out", help="movie path, .gif or .mp4 (default: <file>.gif)")
    p.add_argument("--fps", type=float, default=10.0, help="frames per second (default 10)")
    p.add_argument("--every", type=int, default=1,
                   help="one frame every N samples (default 1)")
    p.add_argument("--start", type=float, help="first time [s] (default: first sample)")
    p.add_argument("--stop", type=float, help="last time [s] (default: last sample)")
    p.add_argument("--dpi", type=int, default=80,
                   help="resolution: dots per inch of the 5.2-inch wide frame (default 80)")
    p.add_argument("--vmax", type=float, help="colour scale +-VMAX, stronger values "
                   "saturate (default: the largest deviation in the movie)")
    p.set_defaults(func=cmd_movie)
