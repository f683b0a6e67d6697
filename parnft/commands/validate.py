"""``parnft validate model.conf [-n RANKS] [-o OUT] [--force]``: check a config and its needs.

Prints the model summary, the warnings (legal but probably unintended
values) and the preflight report (memory per rank, output size, int64
counts, estimated run time; :mod:`parnft.config.preflight`) on rank 0. A
model that does not fit is refused with exit 5 (``--force``: report only).
A model this command accepts raises no configuration error in ``parnft run``.
"""

from __future__ import annotations

from . import world
from .run import add_plugin_option

ORDER = 20


def _validate(conf: str, nranks: int, out: str | None, fmt: str | None, force: bool) -> str:
    """The text ``validate`` prints; ConfigError or ResourceError when refused."""
    from ..api import default_output, output_format
    from ..config import read_config
    from ..config.preflight import enforce, preflight
    from ..config.summary import describe

    spec = read_config(conf)
    fmt = output_format(out, fmt) if out else (fmt or "hdf5")
    report = preflight(spec, nranks, out or default_output(conf, fmt), fmt)
    if report.estimate.tile is None:
        from ..errors import ConfigError

        raise ConfigError(f"{conf}: {nranks} ranks cannot tile the {spec.grid.longside} x "
                          f"{spec.grid.shortside} grid (a rank needs at least one node per "
                          "direction); fix: use fewer ranks (-n)")
    enforce(report, force)
    lines = [describe(spec, nranks=nranks)]
    lines += [f"warning: {w}" for w in spec.warnings]
    lines += report.lines()
    return "\n".join(lines)


def cmd_validate(args) -> int:
    """Print the summary on rank 0, or raise the problems (exit 2) or the refusal (exit 5)."""
    from ..parallel.comm import bcast_result

    comm = world()
    from ..model.plugins import load_plugin

    for f in args.plugin or ():
        load_plugin(f)  # every rank: rank 0 reads their kinds
    text = bcast_result(comm, _validate, args.config, args.nranks or comm.Get_size(),
                        args.output, args.format, args.force)
    if comm.Get_rank() == 0:
        print(text)
    return 0


def register(sub) -> None:
    """Add the ``validate`` subcommand."""
    v = sub.add_parser("validate", help="check a .conf file, summarise the model and its needs")
    v.add_argument("config")
    v.add_argument("-n", "--nranks", type=int, help="ranks for the memory estimate "
                   "(default: the ranks of this job)")
    v.add_argument("-o", "--output", help="the run's output file, for the disk-space check "
                   "(default: <config>.h5)")
    v.add_argument("--format", choices=("hdf5", "nftsim", "netcdf"))
    v.add_argument("--force", action="store_true", help="report, but do not refuse, a model "
                   "that does not fit in memory or on disk")
    add_plugin_option(v)
    v.set_defaults(func=cmd_validate)
