"""Command line: ``parnft run|validate|plot ...``.

Thin subcommands: each parses its options and calls an API function. Only
this module touches ``MPI.COMM_WORLD``. A user error (bad config, bad
option) exits with code 2 on every rank with the same message; an unexpected
failure on one rank prints the rank and message and aborts the whole job, so
nothing hangs.
"""

from __future__ import annotations

import argparse
import os
import sys

from .errors import ConfigError, ParnftError


def _world():
    from mpi4py import MPI

    return MPI.COMM_WORLD


def _procs(text: str | None):
    if not text:
        return None
    from .parallel.tiling import parse_procs

    return parse_procs(text)


def cmd_run(args) -> int:
    """``parnft run model.conf [-o out.h5]``."""
    from .api import run
    from .log import setup_logging

    comm = _world()
    setup_logging(comm.Get_rank(), comm.Get_size(), args.quiet)
    out, _ = run(args.config, args.output, comm=comm, fmt=args.format,
                 procs=_procs(args.procs), progress=not args.quiet, rng=args.rng,
                 halo=args.halo)
    if comm.Get_rank() == 0 and not args.quiet:
        print(out)
    return 0


def cmd_validate(args) -> int:
    """``parnft validate model.conf [-n RANKS]``: summary, or the problems (exit 2)."""
    from .api import load_spec
    from .config.summary import describe

    comm = _world()
    spec = load_spec(args.config, comm)
    if comm.Get_rank() == 0:
        print(describe(spec, nranks=args.nranks or comm.Get_size()))
    return 0


def cmd_plot(args) -> int:
    """``parnft plot run.h5 [--trace T] [--times ...] [--out x.png]``."""
    from .plots import plot_run

    if _world().Get_rank() == 0:
        print(plot_run(args.file, trace=args.trace, times=args.times, out=args.out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``parnft`` command."""
    from . import __version__

    p = argparse.ArgumentParser(prog="parnft", description="Neural field simulation on MPI "
                                "tiles; reads NFTsim .conf files unchanged.")
    p.add_argument("--version", action="version", version=f"parnft {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate a model and write its outputs")
    r.add_argument("config", help="NFTsim .conf file")
    r.add_argument("-o", "--output", help="output file (.h5 default, .output NFTsim text, "
                   ".nc netCDF); default: <config>.h5")
    r.add_argument("--format", choices=("hdf5", "nftsim", "netcdf"))
    r.add_argument("--procs", metavar="PXxPY", help="process grid, e.g. 4x2")
    r.add_argument("--rng", choices=("counter", "nftsim"), default="counter",
                   help="white-noise generator: counter-based (default) or NFTsim's "
                   "mt19937_64, bit for bit (see docs/rng.md)")
    r.add_argument("--halo", choices=("overlap", "blocking"), default="overlap",
                   help="halo exchange on several ranks (default: overlap)")
    r.add_argument("-q", "--quiet", action="store_true", help="no progress or info output")
    r.set_defaults(func=cmd_run)
    v = sub.add_parser("validate", help="check a .conf file and summarise the model")
    v.add_argument("config")
    v.add_argument("-n", "--nranks", type=int, help="ranks for the memory estimate")
    v.set_defaults(func=cmd_validate)
    pl = sub.add_parser("plot", help="PNG of field snapshots (or node traces) of a run")
    pl.add_argument("file", help="parnft HDF5 file")
    pl.add_argument("--trace", help="dataset, e.g. propagator.1.phi (default: first)")
    pl.add_argument("--times", help="comma-separated times [s] for snapshots")
    pl.add_argument("--out", help="PNG path (default: <file>.png)")
    pl.set_defaults(func=cmd_plot)
    return p


def main(argv=None) -> int:
    """Entry point of the ``parnft`` command; returns the exit code."""
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        # raised identically on every rank (validated before any collective call)
        if _world().Get_rank() == 0:
            print(f"parnft: {type(exc).__name__}:\n{exc}", file=sys.stderr)
        _finish_error(exc.exit_code, collective=True)
        return exc.exit_code
    except ParnftError as exc:
        # a failure during the run, possibly on this rank only: name the rank, abort the job
        comm = _world()
        where = f"rank {comm.Get_rank()}: " if comm.Get_size() > 1 else ""
        print(f"parnft: {where}error: {exc}", file=sys.stderr)
        _finish_error(exc.exit_code, collective=False)
        return exc.exit_code
    except Exception as exc:  # an unexpected failure, possibly on one rank only
        import traceback

        rank = _world().Get_rank()
        print(f"parnft: rank {rank}: {type(exc).__name__}: {exc}", file=sys.stderr)
        traceback.print_exc()
        _finish_error(1, collective=False)
        return 1


def _finish_error(code: int, collective: bool) -> None:
    """On several ranks a non-collective failure aborts the job so no rank hangs."""
    comm = _world()
    sys.stderr.flush()
    if comm.Get_size() > 1 and not collective:
        comm.Abort(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
