"""The Coombes-Byrne next-generation mass: the QIF mean field with conductance synapses.

Byrne, Avitabile & Coombes, Phys Rev E 99:012313 (2019); the node equations
as coded in The Virtual Brain (tvb_library/tvb/simulator/models/
infinite_theta.py, ``CoombesByrne``; notes ``model-families.md`` 1.10), here in
SI units with the membrane time constant tau restored (the dimensionless
equations are those with tau = 1 s)::

    r' = (Delta/(pi tau) + 2 r V) / tau - g r
    V' = (eta + V^2 - (pi tau r)^2) / tau + (v_syn - V) g
    tau_s^2 g'' + 2 tau_s g' + g = kappa pi (local * r + I)

r is the rate [s^-1] (emitted as Q), V the mean potential (dimensionless),
g the synaptic conductance [s^-1] behind an alpha synapse (TVB's
alpha = tau/tau_s). TVB's docstring writes -g r^2 in r'; its code, and the
derivation from conductance synapses, have -g r (used here). ``local`` and
the input I (a rate, the sum of the couplings' nu*phi) drive the synapse as
in :mod:`.qif`. Defaults are TVB's (Delta = 0.5, alpha = 0.95, v_syn = -10,
kappa = 1, eta = 20) with tau = 10 ms, so tau_s = tau/0.95.

Integration: classical RK4, input held over the step; the step check asks 20
steps per min(tau, tau_s).
"""

from __future__ import annotations

import math

from parnft.kernels import inline
from parnft.model.declare import Dynamics, Param, Var, positive

PI = math.pi


@inline
def rhs(s, inp, p):
    """p = (tau, tau_s, kappa, eta, Delta, v_syn, local); s = (r, V, g, g')."""
    r, v, g, dg = s[0], s[1], s[2], s[3]
    tau, tau_s, kappa, eta, delta, v_syn, local = p[0], p[1], p[2], p[3], p[4], p[5], p[6]
    ptr = PI * tau * r
    dr = (delta / (PI * tau) + 2.0 * r * v) / tau - g * r
    dv = (eta + v * v - ptr * ptr) / tau + (v_syn - v) * g
    ddg = (kappa * PI * (local * r + inp) - g - 2.0 * tau_s * dg) / (tau_s * tau_s)
    return (dr, dv, dg, ddg)


@inline
def rate(s, p):
    """Q = r."""
    return s[0]


def timescale(p: dict) -> float:
    """min(tau, tau_s) [s]."""
    return min(p["tau"], p["tau_s"])


KIND = Dynamics(
    name="CoombesByrne",
    params=(
        positive("tau", "s", 10e-3, "membrane time constant"),
        positive("tau_s", "s", 10e-3 / 0.95, "synaptic time constant (TVB: alpha = tau/tau_s)"),
        Param("kappa", "1", 1.0, 0.0, math.inf, doc="synaptic strength"),
        Param("eta", "1", 20.0, doc="centre of the Lorentzian excitabilities"),
        positive("Delta", "1", 0.5, "half width of the Lorentzian excitabilities"),
        Param("v_syn", "1", -10.0, doc="synaptic reversal potential (< 0: shunting inhibition)"),
        Param("local", "1", 1.0, 0.0, math.inf,
              doc="weight of the node's own rate in its synaptic drive"),
    ),
    state=(
        Var("r", "s^-1", 10.0, "population rate"),
        Var("V", "1", -1.0, "mean membrane potential"),
        Var("g", "s^-1", 0.0, "synaptic conductance"),
        Var("dg", "s^-2", 0.0, "d g/dt"),
    ),
    rhs=rhs,
    rate=rate,
    equation=("r' = (Delta/(pi tau) + 2 r V)/tau - g r; V' = (eta + V^2 - (pi tau r)^2)/tau + "
              "(v_syn - V) g; tau_s^2 g'' + 2 tau_s g' + g = kappa pi (local r + I); Q = r"),
    input_unit="s^-1",
    timescale=timescale,
    steps_per_timescale=20.0,
    reference=("Byrne, Avitabile & Coombes, Phys Rev E 99:012313 (2019); TVB CoombesByrne "
               "(infinite_theta.py), -g r as coded (model-families.md 1.10)"),
)

