"""``parnft run model.conf [-o out.h5]``: simulate a model and write its outputs."""

from __future__ import annotations

from . import parse_procs_option, world

ORDER = 10


def cmd_run(args) -> int:
    """Run ``args.config`` on ``COMM_WORLD``; rank 0 prints the output path."""
    from ..api import run
    from ..log import setup_logging

    comm = world()
    setup_logging(comm.Get_rank(), comm.Get_size(), args.quiet)
    out, _ = run(args.config, args.output, comm=comm, fmt=args.format,
                 procs=parse_procs_option(args.procs), progress=not args.quiet,
                 rng=args.rng, halo=args.halo, plugins=args.plugin or ())
    if comm.Get_rank() == 0 and not args.quiet:
        print(out)
    return 0


def add_run_options(r) -> None:
    """Options shared by ``run`` and the commands that run models (``bench``)."""
    r.add_argument("--procs", metavar="PXxPY", help="process grid, e.g. 4x2")
    r.add_argument("--rng", choices=("counter", "nftsim"), default="counter",
                   help="white-noise generator: counter-based (default) or NFTsim's "
                   "mt19937_64, bit for bit (see docs/rng.md)")
    r.add_argument("--halo", choices=("overlap", "blocking"), default="overlap",
                   help="halo exchange on several ranks (default: overlap)")
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
    r.add_argument("-o", "--output", help="output file (.h5 default, .output NFTsim text, "
                   ".nc netCDF); default: <config>.h5")
    r.add_argument("--format", choices=("hdf5", "nftsim", "netcdf"))
    add_run_options(r)
    r.add_argument("-q", "--quiet", action="store_true", help="no progress or info output")
    r.set_defaults(func=cmd_run)
