"""Registries of component kinds: one line per kind, one module per family member.

Usage in a component module::

    @register("propagator", "Wave")
    class Wave(Component): ...

The solver looks kinds up here by the name the ``.conf`` file uses, so a new
kind (a new propagator, a new firing response, a new stimulus) needs no change
to the solver.
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


def lookup(family: str, name: str) -> type:
    """The class registered as ``name`` in ``family``; KeyError lists the known names."""
    _load_builtin()
    try:
        return _REGISTRY[family][name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY[family]))
        raise KeyError(f"no {family} kind {name!r} (known: {known})") from None


def kinds(family: str) -> tuple[str, ...]:
    """Names registered in ``family``."""
    _load_builtin()
    return tuple(sorted(_REGISTRY[family]))


def _load_builtin() -> None:
    # importing the modules runs their @register lines
    from . import bursting, dendrite_ramp, stimuli_pulses  # noqa: F401, I001
    from . import couplings, dendrites, firing, propagators, stimuli  # noqa: F401
    from . import couplings_time, glutamate, plasticity  # noqa: F401
