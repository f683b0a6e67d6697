"""``parnft validate model.conf [-n RANKS]``: check a config and summarise the model."""

from __future__ import annotations

from . import world
from .run import add_plugin_option

ORDER = 20


def cmd_validate(args) -> int:
    """Print the model summary on rank 0, or raise the config's problems (exit 2)."""
    from ..api import load_spec
    from ..config.summary import describe

    comm = world()
    spec = load_spec(args.config, comm, args.plugin or ())
    if comm.Get_rank() == 0:
        print(describe(spec, nranks=args.nranks or comm.Get_size()))
    return 0


def register(sub) -> None:
    """Add the ``validate`` subcommand."""
    v = sub.add_parser("validate", help="check a .conf file and summarise the model")
    v.add_argument("config")
    v.add_argument("-n", "--nranks", type=int, help="ranks for the memory estimate")
    add_plugin_option(v)
    v.set_defaults(func=cmd_validate)
