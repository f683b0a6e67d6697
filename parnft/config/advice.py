"""Warnings about a valid model: legal values that are probably not meant.

:func:`warnings` returns :class:`~parnft.errors.Problem` objects (file, line,
key, value, what is odd, what to do) for a model that passed every check.
They are stored in :attr:`ModelSpec.warnings <parnft.config.spec.ModelSpec>`
with the reader's own (words ignored after a value) and printed once, by
rank 0, by ``parnft validate`` and at the start of ``parnft run``. They never
stop a run. The list is in ``docs/config.md`` ("Warnings").
"""

from __future__ import annotations

from parnft.config.checks import steps_of, whole_steps
from parnft.config.spec import ModelSpec
from parnft.errors import Problem

#: A run of more steps than this gets a warning (with the preflight's time estimate).
MANY_STEPS = 10**8


def output_samples(spec: ModelSpec) -> int:
    """Samples the run writes: ``max(0, (steps - skip) // every)`` as :mod:`parnft.outputs`.

    ``skip = round(Start / Deltat)`` and ``every = max(1, round(Interval / Deltat))``
    (1 when Interval is absent).
    """
    t, o = spec.time, spec.output
    skip = whole_steps(o.start, t.deltat) or 0
    every = 1 if o.interval is None else max(1, whole_steps(o.interval, t.deltat) or 1)
    return max(0, (t.steps - skip) // every)


def _g(x: float) -> str:
    return f"{x:.6g}"


def warnings(spec: ModelSpec) -> list[Problem]:
    """Warnings for a valid ``spec`` (see the module notes), in rule order.

    Rules: Qmax <= 0 (a sigmoid or bursting population whose rate is never
    positive); Interval > Time; Tau > Time; an Output that writes no samples
    or no columns; more than :data:`MANY_STEPS` steps.
    """
    out: list[Problem] = []
    path, top = spec.path, spec.time.loc.get("Time", 1)
    t, o = spec.time, spec.output

    def add(line, key, value, rule, fix):
        out.append(Problem(path, int(line), key, value, rule, fix))

    for p in spec.populations:
        f = p.firing
        if f is None or "Qmax" not in f.loc:
            continue
        q = f.params.get("Qmax")
        if isinstance(q, float) and q <= 0:
            add(f.loc["Qmax"], f"Population {p.index} Firing: Qmax", _g(q),
                "Qmax <= 0: the firing rate is never positive (negative rates are written)",
                "give the maximum firing rate, > 0 [1/s]")
    for pr in spec.propagators:
        big = [x for x in pr.tau if x > t.time]
        if big and "Tau" in pr.loc:
            add(pr.loc["Tau"], f"Propagator {pr.index}: Tau", _g(max(big)),
                f"Tau > Time = {_g(t.time)} s: the delayed input never arrives (the run sees "
                "only the initial history)", "check the units of Tau (seconds)")
    if "Output" in o.loc:
        if o.interval is not None and o.interval > t.time:
            add(o.loc.get("Interval", o.loc["Output"]), "Output: Interval", _g(o.interval),
                f"Interval > Time = {_g(t.time)} s: the run writes no samples",
                "give an Interval shorter than Time")
        elif output_samples(spec) == 0:
            add(o.loc["Output"], "Output", "", "the run writes no samples (Start + Interval is "
                "past Time)", "lower Start or Interval, or raise Time")
        if not (o.population or o.dendrite or o.propagator or o.coupling):
            add(o.loc["Output"], "Output", "", "Output lists no Population, Dendrite, "
                "Propagator or Coupling: the file holds only times", "add e.g. 'Population: 1'")
    if t.steps > MANY_STEPS:
        add(top, "Time", _g(t.time), f"{t.steps:.3g} steps (Time / Deltat = "
            f"{steps_of(t.time, t.deltat):.3g}): a long run", "see the run-time estimate of "
            "'parnft validate'; a shorter Time or a larger Deltat is quicker")
    return out
