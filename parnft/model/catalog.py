"""The catalogue of built-in component kinds: imports every member module once.

Importing a member module runs its ``@register`` lines
(:mod:`parnft.model.registry`); this module imports all of them at its top,
so :func:`lookup` and :func:`kinds` see every built-in kind, and no member
module ever imports this one (no import cycle). A new built-in kind is one
module plus one line in the import list below.
"""

from __future__ import annotations

from . import (  # noqa: F401  (imported for their @register lines)
    bursting,
    couplings,
    couplings_time,
    dendrite_ramp,
    dendrites,
    firing,
    glutamate,
    plasticity,
    propagators,
    stimuli,
    stimuli_nftsim,
    stimuli_pulses,
)
from .registry import registered


def lookup(family: str, name: str) -> type:
    """The class registered as ``name`` in ``family``; KeyError lists the known names."""
    table = registered(family)
    try:
        return table[name]
    except KeyError:
        known = ", ".join(sorted(table))
        raise KeyError(f"no {family} kind {name!r} (known: {known})") from None


def kinds(family: str) -> tuple[str, ...]:
    """Names registered in ``family``."""
    return tuple(sorted(registered(family)))
