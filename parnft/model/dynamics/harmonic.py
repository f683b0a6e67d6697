"""Harmonic oscillators as population kinds: the undamped push-pull pair and the damped one.

The first two rungs of the Rosetta ladder (Castaldo, de Palma Aristides,
Clusella, Garcia-Ojalvo & Ruffini, Physics Reports 2026, section 2; notes
``model-families.md`` 1.2-1.3). The complex state z = x + iy is kept as two
real state variables; the population's input F (the sum of its couplings'
nu*phi, or of its dendrites' potentials) forces one component, and the
emitted rate Q is one component (``output``):

    undamped:  dz/dt = i omega z + F        (x' = -omega y + F_x,  y' = omega x + F_y)
    damped:    dz/dt = (alpha + i omega) z + F

Fixed points under constant real forcing F (``drive: x``): z* = iF/omega
(undamped; the paper's text prints (-F_x/omega, 0), a misprint, notes 1.11
item 1) and z* = -F/(alpha + i omega) (damped). The damped oscillator's
steady response to F0 e^{i Omega t} is F0 e^{i Omega t}/(i Omega - alpha - i omega).

Units: z is a rate [s^-1] so that Q = x (or y) needs no scale; F is in s^-2.

Integration: classical RK4 with the input held over the step (the framework's
scheme). For the linear system the amplification per step is the RK4
polynomial R(lambda dt); with lambda dt on the imaginary axis its modulus is
1 - (omega dt)^6/144 + ..., and the step check asks dt <= 1/(100 f) with
f = |alpha + i omega|/(2 pi) (the paper's guidance for the DHO, section 2.2).
"""

from __future__ import annotations

import math

from parnft.kernels import inline
from parnft.model.declare import Choice, Dynamics, Param, Var

REFERENCE = ("Castaldo et al., 'A Rosetta Stone of neural mass models', Physics Reports 2026 "
             "(arXiv 2512.10982), section 2.1-2.2; z* = iF/omega corrects the text's "
             "(-F_x/omega, 0) (model-families.md 1.2, 1.11)")

OMEGA = Param("omega", "s^-1", 2.0 * math.pi * 10.0, 0.0, math.inf, lo_open=True,
              doc="angular frequency of the free oscillation")
ALPHA = Param("alpha", "s^-1", -10.0, -math.inf, 0.0,
              doc="growth rate of the free oscillation (alpha < 0 decays; 0 is undamped)")
OUTPUT = Choice("output", ("x", "y"), "x", doc="component of z emitted as the rate Q")
DRIVE = Choice("drive", ("x", "y"), "x", doc="component of z the input forces")
STATE = (Var("x", "s^-1", 0.0, "Re z"), Var("y", "s^-1", 0.0, "Im z"))


@inline
def rhs_undamped(s, inp, p):
    """x' = -omega y + F_x, y' = omega x + F_y; p = (omega, output, drive)."""
    x, y = s[0], s[1]
    omega = p[0]
    fx = inp if p[2] == 0.0 else 0.0
    fy = inp - fx
    return (-omega * y + fx, omega * x + fy)


@inline
def rhs_damped(s, inp, p):
    """x' = alpha x - omega y + F_x, y' = omega x + alpha y + F_y.

    p = (alpha, omega, output, drive).
    """
    x, y = s[0], s[1]
    alpha, omega = p[0], p[1]
    fx = inp if p[3] == 0.0 else 0.0
    fy = inp - fx
    return (alpha * x - omega * y + fx, omega * x + alpha * y + fy)


@inline
def rate_undamped(s, p):
    """Q = x or y (``output``)."""
    return s[0] if p[1] == 0.0 else s[1]


@inline
def rate_damped(s, p):
    """Q = x or y (``output``)."""
    return s[0] if p[2] == 0.0 else s[1]


def period(p: dict) -> float:
    """2 pi / |alpha + i omega| [s]: the step check asks 100 steps per period."""
    return 2.0 * math.pi / math.hypot(p.get("alpha", 0.0), p["omega"])


HARMONIC = Dynamics(
    name="HarmonicOscillator",
    params=(OMEGA, OUTPUT, DRIVE),
    state=STATE,
    rhs=rhs_undamped,
    rate=rate_undamped,
    equation="dz/dt = i omega z + F, z = x + i y; F = input on x (drive: x) or on y; Q = x or y",
    input_unit="s^-2",
    timescale=period,
    steps_per_timescale=100.0,
    reference=REFERENCE,
)

DAMPED = Dynamics(
    name="DampedOscillator",
    params=(ALPHA, OMEGA, OUTPUT, DRIVE),
    state=STATE,
    rhs=rhs_damped,
    rate=rate_damped,
    equation="dz/dt = (alpha + i omega) z + F, z = x + i y; F = input on x or y; Q = x or y",
    input_unit="s^-2",
    timescale=period,
    steps_per_timescale=100.0,
    reference=REFERENCE,
)

KIND = DAMPED
KINDS = (HARMONIC, DAMPED)
