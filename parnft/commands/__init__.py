"""Subcommands of the ``parnft`` command line, one module each.

Every module in this package that defines ``register(sub)`` is a
subcommand: ``register`` receives argparse's subparsers object, adds its
parser and sets ``func`` (a callable ``func(args) -> int``) as the default.
Modules are discovered at start-up (listed by their ``ORDER``, default 100,
then name), so a new command is one new file here.
Only the command layer touches ``MPI.COMM_WORLD`` (through :func:`world`).
"""

from __future__ import annotations

import importlib
import pkgutil


def world():
    """``MPI.COMM_WORLD``: the communicator of the whole job (imported lazily)."""
    from mpi4py import MPI

    return MPI.COMM_WORLD


def parse_procs_option(text: str | None):
    """``--procs PXxPY`` as a tuple, or None when not given."""
    if not text:
        return None
    from ..parallel.tiling import parse_procs

    return parse_procs(text)


def is_root() -> bool:
    """True on rank 0 of the job (the rank that prints and draws)."""
    return world().Get_rank() == 0


def command_modules() -> list:
    """The subcommand modules of this package, in name order."""
    mods = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "register"):
            mods.append(mod)
    return sorted(mods, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))
