"""Harmonic oscillator (undamped and damped) as a population kind.

The first two rungs of the Rosetta ladder (Castaldo, de Palma Aristides,
Clusella, Garcia-Ojalvo & Ruffini, Physics Reports 2026, sections 2.1-2.2;
notes ``model-families.md`` 1.2-1.3), one kind: the undamped push-pull pair
is alpha = 0 (the default), the damped oscillator alpha < 0. The complex
state z = x + iy is kept as two real state variables; the population's input
F (the sum of its couplings' nu*phi, or of its dendrites' potentials) forces
the component chosen by ``drive``, and the emitted rate Q is the component
chosen by ``output``::

    dz/dt = (alpha + i omega) z + F
    x' = alpha x - omega y + F_x,    y' = omega x + alpha y + F_y

Fixed points under constant forcing: z* = -F/(alpha + i omega), i.e.
z* = iF/omega when undamped (the paper's text prints (-F_x/omega, 0) for a
real F, a misprint, notes 1.11 item 1). The steady response to F0 e^{i Omega t}
is F0 e^{i Omega t}/(i Omega - alpha - i omega), of amplitude
|F0|/sqrt(alpha^2 + (Omega - omega)^2).

Units: z is a rate [s^-1] so that Q = x (or y) needs no scale; F is in s^-2.

Integration: classical RK4 with the input held over the step. With
lambda dt = (alpha + i omega) dt small, the amplification per step is the
RK4 polynomial R(lambda dt) (on the imaginary axis |R| = 1 - (omega dt)^6/144
+ ...); the step check asks dt <= 1/(100 f) with f = |alpha + i omega|/(2 pi)
(the paper's guidance for the DHO, section 2.2).
"""

from __future__ import annotations

import math

from parnft.kernels import inline
from parnft.model.declare import Choice, Dynamics, Param, Var

REFERENCE = ("Castaldo et al., 'A Rosetta Stone of neural mass models', Physics Reports 2026 "
             "(arXiv 2512.10982), sections 2.1-2.2; z* = iF/omega corrects the text's "
             "(-F_x/omega, 0) (model-families.md 1.2, 1.11)")


@inline
def rhs(s, inp, p):
    """x' = alpha x - omega y + F_x, y' = omega x + alpha y + F_y.

    p = (alpha, omega, output, drive); F = inp on x (drive 0) or on y (drive 1).
    """
    x, y = s[0], s[1]
    alpha, omega = p[0], p[1]
    fx = inp if p[3] == 0.0 else 0.0
    fy = inp - fx
    return (alpha * x - omega * y + fx, omega * x + alpha * y + fy)


@inline
def rate(s, p):
    """Q = x or y (``output``)."""
    return s[0] if p[2] == 0.0 else s[1]


def period(p: dict) -> float:
    """2 pi / |alpha + i omega| [s]: the step check asks 100 steps per period."""
    return 2.0 * math.pi / math.hypot(p["alpha"], p["omega"])


KIND = Dynamics(
    name="HarmonicOscillator",
    params=(
        Param("alpha", "s^-1", 0.0, -math.inf, 0.0,
              doc="growth rate of the free oscillation (0: undamped; < 0: damped)"),
        Param("omega", "s^-1", 2.0 * math.pi * 10.0, 0.0, math.inf, lo_open=True,
              doc="angular frequency of the free oscillation"),
        Choice("output", ("x", "y"), "x", doc="component of z emitted as the rate Q"),
        Choice("drive", ("x", "y"), "x", doc="component of z the input forces"),
    ),
    state=(Var("x", "s^-1", 0.0, "Re z"), Var("y", "s^-1", 0.0, "Im z")),
    rhs=rhs,
    rate=rate,
    equation=("dz/dt = (alpha + i omega) z + F, z = x + i y; F = input on x (drive: x) or "
              "on y; Q = x or y (output)"),
    input_unit="s^-2",
    timescale=period,
    steps_per_timescale=100.0,
    reference=REFERENCE,
)
