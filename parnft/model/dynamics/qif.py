"""The QIF mean field (Montbrio, Pazo & Roxin 2015) with a second-order synapse.

Rosetta ladder rung 6 (NMM2; Castaldo et al., Physics Reports 2026, section 7,
eq. nmm2-ING; notes ``model-families.md`` 1.8). The mean field of quadratic
integrate-and-fire neurons with Lorentzian excitabilities (centre eta, width
Delta), in SI units with the Delta/(pi tau) convention of the paper's AUTO
code (pclus/auto-tutorial src/ING/ing.f90; the printed equation has Delta in
its place, notes 1.11 item 2)::

    r' = (Delta/(pi tau) + 2 r v) / tau
    v' = (eta + v^2 - (pi tau r)^2) / tau + J s
    tau_s^2 s'' + 2 tau_s s' + s = local * r + I

r is the population rate [s^-1] (emitted as Q), v the mean membrane potential
(dimensionless), s the synaptic activation [s^-1], an alpha synapse (NFTsim's
dendrite with alpha = beta = 1/tau_s, unit gain). J is signed: J < 0 is
inhibition. ``local`` is the weight of the node's own rate in its synaptic
drive; I, the population's input (the sum of its couplings' nu*phi), is a
rate that reaches v through the same synapse. With local = 1 and I = 0 a node
is the paper's ING motif (tau = 7.5 ms, tau_s = 2 ms, J = -20, Delta = 1; the
defaults); with local = 0 the self-inhibition can be carried by a propagator
(a Map with nu = 1 gives the same model, up to the O(Deltat) lag of an input held
over the step; a Wave propagator makes it a field).

With tau = 1 s, local = 1, J = 15, Delta = 1, the fixed points are those of
Montbrio, Pazo & Roxin 2015 (eta = -5: r = 0.08113, 0.47298, 1.03060;
bistable for eta in (-5.7435, -3.1361)); s = r at a fixed point, so the
synapse does not move them.

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
    """p = (tau, tau_s, J, eta, Delta, local); s = (r, v, s, s')."""
    r, v, syn, dsyn = s[0], s[1], s[2], s[3]
    tau, tau_s, coupling, eta, delta, local = p[0], p[1], p[2], p[3], p[4], p[5]
    ptr = PI * tau * r
    dr = (delta / (PI * tau) + 2.0 * r * v) / tau
    dv = (eta + v * v - ptr * ptr) / tau + coupling * syn
    dd = ((local * r + inp) - syn - 2.0 * tau_s * dsyn) / (tau_s * tau_s)
    return (dr, dv, dsyn, dd)


@inline
def rate(s, p):
    """Q = r."""
    return s[0]


def timescale(p: dict) -> float:
    """min(tau, tau_s) [s]."""
    return min(p["tau"], p["tau_s"])


KIND = Dynamics(
    name="QIF",
    params=(
        positive("tau", "s", 7.5e-3, "membrane time constant"),
        positive("tau_s", "s", 2e-3, "synaptic time constant (alpha synapse)"),
        Param("J", "1", -20.0, doc="synaptic weight, signed (< 0: inhibition)"),
        Param("eta", "1", 0.0, doc="centre of the Lorentzian excitabilities (the paper's I)"),
        positive("Delta", "1", 1.0, "half width of the Lorentzian excitabilities"),
        Param("local", "1", 1.0, 0.0, math.inf,
              doc="weight of the node's own rate in its synaptic drive"),
    ),
    state=(
        Var("r", "s^-1", 10.0, "population rate"),
        Var("v", "1", -1.0, "mean membrane potential"),
        Var("s", "s^-1", 10.0, "synaptic activation"),
        Var("ds", "s^-2", 0.0, "d s/dt"),
    ),
    rhs=rhs,
    rate=rate,
    equation=("r' = (Delta/(pi tau) + 2 r v)/tau; v' = (eta + v^2 - (pi tau r)^2)/tau + J s; "
              "tau_s^2 s'' + 2 tau_s s' + s = local r + I; Q = r"),
    input_unit="s^-1",
    timescale=timescale,
    steps_per_timescale=20.0,
    reference=("Montbrio, Pazo & Roxin, Phys Rev X 5:021028 (2015); Castaldo et al., Physics "
               "Reports 2026, eq. nmm2-ING with the Delta/(pi tau) of pclus/auto-tutorial "
               "src/ING/ing.f90 (model-families.md 1.8)"),
)

