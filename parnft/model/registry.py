"""Registries of component kinds: one line per kind, one module per family member.

Usage in a component module::

    @register("propagator", "Wave")
    class Wave(Component): ...

The solver looks kinds up by the name the ``.conf`` file uses
(:func:`parnft.model.catalog.lookup`, which imports the built-in member
modules), so a new kind (a new propagator, a new firing response, a new
stimulus) needs no change to the solver. This module imports nothing of
parnft: member modules import it, never the other way round.
"""

from __future__ import annotations

FAMILIES = ("propagator", "coupling", "dendrite", "firing", "stimulus")

_REGISTRY: dict[str, dict[str, type]] = {f: {} for f in FAMILIES}


def register(family: str, *names: str):
    """Class decorator: register a component class under ``names`` in ``family``."""
    if family not in _REGISTRY:
        raise ValueError(f"unknown component family {family!r}; known: {FAMILIES}")

    def deco(cls):
        for name in names:
            _REGISTRY[family][name] = cls
        return cls

    return deco


def registered(family: str) -> dict[str, type]:
    """The live name -> class table of ``family`` (filled by imported modules)."""
    if family not in _REGISTRY:
        raise ValueError(f"unknown component family {family!r}; known: {FAMILIES}")
    return _REGISTRY[family]
