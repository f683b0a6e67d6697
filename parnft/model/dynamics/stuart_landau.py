"""Stuart-Landau oscillator as a population kind (the normal form of a Hopf bifurcation).

Rosetta ladder rung 3 (Castaldo et al., Physics Reports 2026, section 3;
notes ``model-families.md`` 1.4):

    dz/dt = (alpha + i omega) z - (gamma + i beta) |z|^2 z + F,   z = x + i y

    x' = alpha x - omega y - gamma (x^2 + y^2) x + beta (x^2 + y^2) y + F_x
    y' = alpha y + omega x - gamma (x^2 + y^2) y - beta (x^2 + y^2) x + F_y

For alpha > 0 and F = 0 the attracting limit cycle is the circle
r* = sqrt(alpha/gamma), run at angular frequency omega - beta alpha/gamma;
alpha = 0 is a supercritical Hopf point. The input F (sum of nu*phi of the
couplings) forces the component chosen by ``drive``; Q is the component
chosen by ``output``. A diffusive coupling G(phi - z) on a uniform sheet is
the additive input G phi with alpha replaced by alpha - G.

Units: z is a rate [s^-1] (Q = x needs no scale), so gamma and beta are in s
and F in s^-2.

Integration: classical RK4, input held over the step. The step check asks
dt <= 1/(200 f_max) (the paper's guidance, section 3), with f_max the largest
of the linear and limit-cycle frequencies and the radial relaxation rate
2 alpha, over 2 pi.
"""

from __future__ import annotations

import math

from parnft.kernels import inline
from parnft.model.declare import Choice, Dynamics, Param, Var

REFERENCE = ("Castaldo et al., 'A Rosetta Stone of neural mass models', Physics Reports 2026 "
             "(arXiv 2512.10982), section 3 (model-families.md 1.4)")


@inline
def rhs(s, inp, p):
    """The Cartesian SL equations; p = (alpha, omega, gamma, beta, output, drive)."""
    x, y = s[0], s[1]
    alpha, omega, gamma, beta = p[0], p[1], p[2], p[3]
    r2 = x * x + y * y
    fx = inp if p[5] == 0.0 else 0.0
    fy = inp - fx
    dx = alpha * x - omega * y - gamma * r2 * x + beta * r2 * y + fx
    dy = alpha * y + omega * x - gamma * r2 * y - beta * r2 * x + fy
    return (dx, dy)


@inline
def rate(s, p):
    """Q = x or y (``output``)."""
    return s[0] if p[4] == 0.0 else s[1]


def timescale(p: dict) -> float:
    """2 pi / max(|omega|, |omega - beta alpha/gamma|, 2|alpha|) [s]."""
    alpha, omega = p["alpha"], p["omega"]
    fast = max(abs(omega), 2.0 * abs(alpha), 1e-30)
    if alpha > 0.0:
        fast = max(fast, abs(omega - p["beta"] * alpha / p["gamma"]))
    return 2.0 * math.pi / fast


KIND = Dynamics(
    name="StuartLandau",
    params=(
        Param("alpha", "s^-1", 10.0, doc="distance from the Hopf point (> 0: limit cycle)"),
        Param("omega", "s^-1", 2.0 * math.pi * 10.0, doc="angular frequency at the origin"),
        Param("gamma", "s", 0.1, 0.0, math.inf, lo_open=True,
              doc="amplitude saturation (radius sqrt(alpha/gamma))"),
        Param("beta", "s", 0.0, doc="shear: frequency shift -beta |z|^2"),
        Choice("output", ("x", "y"), "x", doc="component of z emitted as the rate Q"),
        Choice("drive", ("x", "y"), "x", doc="component of z the input forces"),
    ),
    state=(Var("x", "s^-1", 1.0, "Re z"), Var("y", "s^-1", 0.0, "Im z")),
    rhs=rhs,
    rate=rate,
    equation="dz/dt = (alpha + i omega) z - (gamma + i beta)|z|^2 z + F, z = x + i y; Q = x or y",
    input_unit="s^-2",
    timescale=timescale,
    steps_per_timescale=200.0,
    reference=REFERENCE,
)

