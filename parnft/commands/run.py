"""``parnft run model.conf [-o out.h5]``: simulate a model and write its outputs."""

from __future__ import annotations

from . import parse_procs_option, world

ORDER = 10


def cmd_run(args) -> int:
    """Run ``args.config`` on ``COMM_WORLD``; rank 0 prints the output path."""
    from ..api import run
    from ..log import setup_logging

    comm = world()
    setup_logging(comm.Get_rank(), comm.Get_size(), args.quiet, verbose=args.verbose)
    out, _ = run(args.config, args.output, comm=comm, fmt=args.format,
                 procs=parse_procs_option(args.procs), progress=not args.quiet,
                 rng=args.rng, halo=args.halo, force=args.force,
                 plugins=args.plugin or (), checkpoint_every=args.checkpoint_every,
                 resume=args.resume)
    if comm.Get_rank() == 0 and not args.quiet:
        print(out)
    return 0


def add_run_options(r) -> None:
    """Options shared by ``run`` and the commands that run models (``bench``)."""
    r.add_argument("--procs", metavar="PXxPY", help="process grid, e.g. 4x2")
    r.add_argument("--rng", choices=("counter", "nftsim"), default="counter",
                   help="white-noise generator: counter-based (default) or NFTsim's "
                   "mt19937_64, bit for bit (see docs/rng.md)")
    r.add_argument("--halo", choices=("auto", "overlap", "blocking"), default="auto",
                   help="halo exchange on several ranks (default: auto = blocking through "
                        "shared memory on one node, overlap across nodes)")
    add_plugin_option(r)


def add_plugin_option(r) -> None:
    """``--plugin FILE`` (repeatable): a Python file of Dynamics kinds, loaded on every rank."""
    r.add_argument("--plugin", action="append", metavar="FILE",
                   help="load a plugin file defining Dynamics kinds (repeatable; see "
                   "docs/models/write-your-own.md)")


def register(sub) -> None:
    """Add the ``run`` subcommand."""
    r = sub.add_parser("run", help="simulate a model and write its outputs")
    r.add_argument("config", help="NFTsim .conf file")
    r.add_argument("-o", "--output", help="output file (.h5/.hdf5 HDF5, .output NFTsim text, "
                   ".nc netCDF; other names need --format); default: <config>.h5. Written "
                   "as <output>.partial, renamed when the run completes")
    r.add_argument("--format", choices=("hdf5", "nftsim", "netcdf"))
    add_run_options(r)
    r.add_argument("-q", "--quiet", action="store_true", help="no progress or info output")
    r.add_argument("-v", "--verbose", action="store_true",
                   help="also log every flush of the sample buffers (rank 0)")
    r.add_argument("--force", action="store_true", help="run even when the preflight "
                   "finds that memory or disk will not suffice (docs/config.md)")
    r.add_argument("--checkpoint-every", metavar="N|TIME",
                   help="write the model state to <output>.ckpt/ every N steps or every "
                   "TIME of wall clock (30s, 15min, 2h), and on SIGTERM/SIGUSR1/SIGINT, "
                   "which then exit with code 75 (docs/checkpoint.md)")
    r.add_argument("--resume", action="store_true",
                   help="continue an interrupted run from its newest valid checkpoint, "
                   "appending to <output>.partial; bitwise identical to an uninterrupted run")
    r.set_defaults(func=cmd_run)
