"""The catalogue of built-in component kinds: the member modules, imported when needed.

Importing a member module runs its ``@register`` lines
(:mod:`parnft.model.registry`). The modules of the kinds that NFTsim's
common models use are imported with this module (the import list below); the others
(:data:`MORE`) are imported the first time :func:`lookup` misses a name or
:func:`kinds` lists a family, so a run of an EI or EIRS model does not import
(and define the numba dispatchers of) bursting, plasticity, pulse trains,
... (about 25 ms of start-up, measured 2026-12-03). No member module ever
imports this one (no import cycle). A new built-in kind is one module plus
one line, in the import list or in :data:`MORE`.
"""

from __future__ import annotations

import importlib

from . import (  # noqa: F401  (imported for their @register lines)
    couplings,
    dendrites,
    firing,
    propagators,
    stimuli,
    stimuli_nftsim,
)
from .registry import registered

#: Member modules imported on the first name that the core kinds do not have.
MORE = (
    "bursting",
    "couplings_time",
    "dendrite_ramp",
    "glutamate",
    "plasticity",
    "stimuli_pulses",
)


def import_all() -> None:
    """Import every member module (idempotent), so every built-in kind is registered."""
    for name in MORE:
        importlib.import_module(f"{__package__}.{name}")


def lookup(family: str, name: str) -> type:
    """The class registered as ``name`` in ``family``; KeyError lists the known names."""
    table = registered(family)
    if name not in table:
        import_all()
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise KeyError(f"no {family} kind {name!r} (known: {known})") from None


def kinds(family: str) -> tuple[str, ...]:
    """Names registered in ``family`` (every built-in kind and any imported one)."""
    import_all()
    return tuple(sorted(registered(family)))
