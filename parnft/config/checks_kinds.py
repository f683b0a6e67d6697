"""Validation rules that belong to one kind of object (a firing response, a coupling, ...).

These rules used to be found only when the model was built (``parnft run``
then stopped with a configuration error that ``parnft validate`` had not
reported). They are applied by :func:`parnft.config.checks.check`, so that a
model ``validate`` accepts is one the model classes can build. Each rule
names the class that relies on it; the classes keep no copy.

The table :data:`KIND_RULES` maps ``(family, kind)`` to one function
``rule(checker, obj, label)``; a new kind with its own rules adds one function
and one line here.
"""

from __future__ import annotations

import math

MAX_PULSES = 2**32 - 1  # NFTsim's unsigned pulse count (parnft.model.stimuli_pulses)


def _fin(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def glutamate_response(c, p, lab: str) -> None:
    """GlutamateResponse (parnft.model.glutamate): tGlu > 0 when Lambda != 0.

    NFTsim's glutamate equation divides by tGlu; Lambda defaults to 0.
    """
    f = p.firing
    lam = f.params.get("Lambda", 0.0)
    if not _fin(lam) or lam == 0.0:
        return
    tglu = f.params.get("tGlu")
    if "tGlu" not in f.loc:
        c.add(f.loc.get("Lambda", f.loc.get("Firing", c.top)), f"{lab}: tGlu", "",
              "a GlutamateResponse with a non-zero Lambda needs 'tGlu:' (NFTsim divides by it)",
              f"add 'tGlu: <seconds>', e.g. tGlu: 30e-3, to {lab}")
    elif _fin(tglu) and tglu <= 0:
        c.add(f.loc["tGlu"], f"{lab}: tGlu", tglu, "tGlu must be > 0 when Lambda is non-zero "
              "(NFTsim divides by it)", "give 'tGlu: <seconds>', e.g. tGlu: 30e-3")


def bursting(c, p, lab: str) -> None:
    """Bursting (parnft.model.bursting): taux, tauh and mu divide the burst equations."""
    f = p.firing
    for key in ("taux", "tauh", "mu"):
        v = f.params.get(key)
        if key in f.loc and _fin(v) and v == 0.0:
            c.add(f.loc[key], f"{lab}: {key}", v, f"{key} divides the burst equations",
                  f"give a non-zero {key}")


def diff_arctan(c, cp, lab: str) -> None:
    """DiffArctan (parnft.model.couplings_time): delta != 0 and t_half_up != t_half_down."""
    prm = cp.params
    delta = prm.get("delta")
    if "delta" in cp.loc and _fin(_first(delta)) and _first(delta) == 0.0:
        c.add(cp.loc["delta"], f"{lab}: delta", 0.0, "DiffArctan delta must be non-zero",
              "give the rise time scale delta > 0")
    up, down = _first(prm.get("t_half_up")), _first(prm.get("t_half_down"))
    if "t_half_up" in cp.loc and "t_half_down" in cp.loc and _fin(up) and up == down:
        c.add(cp.loc["t_half_down"], f"{lab}: t_half_down", down, "t_half_up must differ "
              "from t_half_down (nu would be constant and NFTsim divides by the range)",
              "give t_half_up < t_half_down")
        return
    total = c.spec.time.time
    if not all(_fin(v) for v in (_first(delta), up, down, total)) or _first(delta) == 0.0:
        return
    lo, hi = arctan_range(_first(delta), up, down, total)
    if not hi - lo > 0:
        c.add(cp.loc["delta"], f"{lab}: delta, t_half_up, t_half_down",
              f"{_first(delta):.6g}, {up:.6g}, {down:.6g}", "D(t) = atan((t - t_half_up)/delta)"
              " - atan((t - t_half_down)/delta) does not change over 0..Time (nu is scaled by "
              "its range, which is 0)", "give t_half_up and t_half_down near 0..Time and a "
              "delta on that time scale")


def arctan_range(delta: float, up: float, down: float, total: float) -> tuple[float, float]:
    """``(min, max)`` of D(t) over ``0 <= t <= total``, as parnft.kernels.coupling_time.

    D' vanishes only at ``(up + down) / 2``, so the extremes are among D(0),
    D(total) and D at that midpoint when it lies inside.
    """
    ts = [0.0, float(total)]
    mid = 0.5 * (up + down)
    if 0.0 < mid < total:
        ts.append(mid)
    vals = [math.atan((t - up) / delta) - math.atan((t - down) / delta) for t in ts]
    return min(vals), max(vals)


def plastic(c, cp, lab: str) -> None:
    """CaDP, BCM, BCM-Spatial (parnft.model.plasticity): a finite non-zero initial nu.

    CaDP and BCM take one initial ``nu`` (the per-node count rule of the
    checks does not apply to them); BCM-Spatial's count is checked there.
    """
    if "nu" not in cp.loc or not cp.nu:
        return
    if cp.kind != "BCM-Spatial" and len(cp.nu) != 1:
        c.add(cp.loc["nu"], f"{lab}: nu", cp.nu, f"{cp.kind} takes one initial nu "
              f"({len(cp.nu)} given)", "give 'nu: <number>'")
        return
    nu0 = cp.nu[0]
    if _fin(nu0) and nu0 == 0.0:
        c.add(cp.loc["nu"], f"{lab}: nu", nu0, f"{cp.kind} needs a non-zero initial nu "
              "(its threshold divides by it)", "give the initial synaptic strength, "
              "e.g. nu: 13e-6")


def pulse_sigmoid(c, s, lab: str) -> None:
    """PulseSigmoid (parnft.model.stimuli_pulses): Sigma > 0; several pulses need a Period."""
    sigma = s.params.get("Sigma")
    if "Sigma" in s.loc and _fin(sigma) and sigma <= 0:
        c.add(s.loc["Sigma"], f"{lab}: Sigma", sigma, "Sigma must be > 0",
              "give a positive Sigma (or omit it: max(Width/16, Deltat))")
    pulses = s.params.get("Pulses", 1.0)
    if "Period" in s.loc or "Frequency" in s.loc or not _fin(pulses):
        return
    if int(min(max(pulses, 0.0), MAX_PULSES)) > 1:
        c.add(s.loc["Pulses"], f"{lab}: Pulses", pulses, "several PulseSigmoid pulses need a "
              "Period or Frequency", "add 'Period:' or 'Frequency:', or set 'Pulses: 1'")


def burst(c, s, lab: str) -> None:
    """Burst (parnft.model.stimuli_pulses): both frequencies non-zero."""
    for key in ("Burst Frequency", "Oscillation Frequency"):
        v = s.params.get(key)
        if key in s.loc and _fin(v) and v == 0.0:
            c.add(s.loc[key], f"{lab}: {key}", v, f"{key} must be non-zero",
                  f"give a positive {key}")


def _first(v):
    return v[0] if isinstance(v, tuple) and v else v


#: (family, kind) -> rule(checker, object, label). Families: "firing" (the
#: population is passed), "coupling", "stimulus" (one series).
KIND_RULES = {
    ("firing", "GlutamateResponse"): glutamate_response,
    ("firing", "Bursting"): bursting,
    ("coupling", "DiffArctan"): diff_arctan,
    ("coupling", "CaDP"): plastic,
    ("coupling", "BCM"): plastic,
    ("coupling", "BCM-Spatial"): plastic,
    ("stimulus", "PulseSigmoid"): pulse_sigmoid,
    ("stimulus", "Burst"): burst,
}


def apply(c, family: str, kind: str, obj, label: str) -> None:
    """Apply the rule of ``(family, kind)``, if there is one."""
    rule = KIND_RULES.get((family, kind))
    if rule is not None:
        rule(c, obj, label)
