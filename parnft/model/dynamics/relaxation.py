"""Relaxation: the reference member of the population family (first-order low-pass).

    tau ds/dt = g * inp - s,     Q = Q0 + s

One state variable ``s`` [s^-1] relaxing to the gain ``g`` times the input
(the population's summed dendritic potentials, or nu*phi without dendrites).
Its exact solution for a constant input u is
``s(t) = g u + (s(0) - g u) exp(-t / tau)``, which the tests compare with;
classical RK4 has local error O((dt/tau)^5) and is stable for dt/tau < 2.78.
"""

from __future__ import annotations

from ...kernels import inline
from ..declare import Dynamics, Param, Var


@inline
def rhs(s, inp, p):
    """ds/dt = (g inp - s) / tau with p = (tau, g, Q0)."""
    return ((p[1] * inp - s[0]) / p[0],)


@inline
def rate(s, p):
    """Q = Q0 + s."""
    return p[2] + s[0]


KIND = Dynamics(
    name="Relaxation",
    params=(
        Param("tau", "s", 0.01, lo=0.0, lo_open=True, doc="relaxation time"),
        Param("g", "s^-1 V^-1", 1.0, doc="gain from the input to s"),
        Param("Q0", "s^-1", 0.0, doc="rate offset"),
    ),
    state=(Var("s", "s^-1", 0.0, doc="rate above Q0"),),
    rhs=rhs,
    rate=rate,
    equation="tau ds/dt = g*inp - s;  Q = Q0 + s",
    input_unit="V",
    timescale=lambda p: p["tau"],
    steps_per_timescale=10.0,
    reference="first-order linear low-pass; exact solution s(t) = g u + (s0 - g u) exp(-t/tau)",
)
