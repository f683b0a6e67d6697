"""Harmonic, damped and Stuart-Landau kinds against their analytic solutions.

Sources (Castaldo et al., Physics Reports 2026, sections 2-3; model-families.md
1.2-1.4 and 3): the forced undamped oscillator's fixed point z* = iF/omega
(derived from the paper's equations; its text prints (-F_x/omega, 0)), the
damped one's z* = -F/(alpha + i omega), the driven steady amplitude
|F0|/sqrt(alpha^2 + (Omega - omega)^2), and the Stuart-Landau cycle
r* = sqrt(alpha/gamma), Omega = omega - beta alpha/gamma, Hopf at alpha = 0.

Integration: the RK4 of rosetta_tools on the kinds' compiled right-hand
sides, the input held over each step. Tolerances are a few times the RK4
error bounds stated at each test (error per unit time ~ |lambda|^5 dt^4/120).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.model.dynamics.harmonic import KIND as HO
from parnft.model.dynamics.stuart_landau import KIND as SL
from tests.validation import rosetta_tools as rt

OMEGA = 2.0 * math.pi * 10.0


# ------------------------------------------------------------------ undamped
@pytest.mark.parametrize("drive", ["x", "y"])
def test_undamped_forced_orbit_circles_z_star(drive):
    """z(t) = z* + (z0 - z*) e^{i omega t} with z* = iF/omega for F = F_x (drive x) or i F_y."""
    f = 50.0
    force = f if drive == "x" else 1j * f
    z_star = 1j * force / OMEGA
    p = rt.params(HO, alpha=0.0, omega=OMEGA, drive=drive)
    assert np.abs(rt.rhs_array(HO, (z_star.real, z_star.imag), f, p)).max() <= 1e-13
    dt, steps = 1e-4, 10000                       # 1 s, omega dt = 0.0063
    z0 = 0.3 + 0.1j
    _, out = rt.integrate(HO, (z0.real, z0.imag), p, dt, steps, inp=f, every=10)
    t = np.arange(out.shape[0]) * 10 * dt
    exact = z_star + (z0 - z_star) * np.exp(1j * OMEGA * t)
    # RK4 phase error omega t (omega dt)^4/120 ~ 1e-9 of |z0 - z*| over 1 s
    assert np.abs(out[:, 0] + 1j * out[:, 1] - exact).max() <= 1e-8 * abs(z0 - z_star)
    # the text's (-F_x/omega, 0) is not a fixed point
    if drive == "x":
        assert np.abs(rt.rhs_array(HO, (-f / OMEGA, 0.0), f, p)).max() > 1.0


def test_undamped_output_choice():
    for out, j in (("x", 0), ("y", 1)):
        p = rt.params(HO, alpha=0.0, omega=OMEGA, output=out)
        assert HO.rate((1.5, -2.5), p) == (1.5, -2.5)[j]


# ------------------------------------------------------------------ damped
def test_damped_constant_forcing_fixed_point():
    alpha, f = -10.0, 50.0
    p = rt.params(HO, alpha=alpha, omega=OMEGA)
    final, _ = rt.integrate(HO, (0.0, 0.0), p, 1e-4, 40000, inp=f, every=40000)
    z_star = -f / (alpha + 1j * OMEGA)
    # transient e^{alpha t} = e^{-40} ~ 4e-18 after 4 s; RK4 fixed point is exact
    assert abs(complex(*final) - z_star) <= 1e-12 * abs(z_star)


@pytest.mark.parametrize("big_omega", [2.0 * math.pi * 9.0, OMEGA, 2.0 * math.pi * 12.0])
def test_damped_steady_amplitude_under_rotating_forcing(big_omega):
    """F0 e^{i Omega t} = F0 cos(Omega t) on x plus i F0 sin(Omega t) on y (two runs, linear).

    The steady response is F0 e^{i Omega t}/(i Omega - alpha - i omega), of
    amplitude |F0|/sqrt(alpha^2 + (Omega - omega)^2). Each run holds its input
    at the mid-step value (second order in Omega dt: 3e-7 relative at
    dt = 2e-5 s); the transient has decayed as e^{-30} after 3 s.
    """
    alpha, f0, dt, steps = -10.0, 40.0, 2e-5, 200000
    tmid = (np.arange(steps) + 0.5) * dt
    runs = []
    forcing = (("x", f0 * np.cos(big_omega * tmid)), ("y", f0 * np.sin(big_omega * tmid)))
    for drive, force in forcing:
        p = rt.params(HO, alpha=alpha, omega=OMEGA, drive=drive)
        _, out = rt.integrate(HO, (0.0, 0.0), p, dt, steps, inp=force, every=50)
        runs.append(out[:, 0] + 1j * out[:, 1])
    z = runs[0] + runs[1]
    t = np.arange(z.size) * 50 * dt
    tail = t > 3.0
    amp = f0 / math.hypot(alpha, big_omega - OMEGA)
    exact = f0 * np.exp(1j * big_omega * t[tail]) / (1j * big_omega - alpha - 1j * OMEGA)
    assert np.abs(np.abs(z[tail]) / amp - 1.0).max() <= 2e-6
    assert np.abs(z[tail] - exact).max() <= 2e-6 * amp


# ------------------------------------------------------------------ Stuart-Landau
@pytest.mark.parametrize("alpha,gamma,beta", [(20.0, 5.0, 0.5), (5.0, 0.05, -0.02),
                                              (40.0, 10.0, 0.0)])
def test_stuart_landau_limit_cycle(alpha, gamma, beta):
    """Radius sqrt(alpha/gamma) and angular frequency omega - beta alpha/gamma.

    RK4 at dt = 1e-4 s from z0 = 0.1 r*; after 3 s (the radius reaches r*
    within ln(10)/alpha <= 0.5 s, then relaxes at 2 alpha: >= 25 e-folds) the
    radius holds to 1e-8 relative and the frequency from upward zero crossings
    of x over the last second to 1e-6.
    """
    p = rt.params(SL, alpha=alpha, omega=OMEGA, gamma=gamma, beta=beta)
    r_star, big_omega = math.sqrt(alpha / gamma), OMEGA - beta * alpha / gamma
    dt = 1e-4
    _, out = rt.integrate(SL, (0.1 * r_star, 0.0), p, dt, 40000)
    tail = out[30000:]
    radius = np.hypot(tail[:, 0], tail[:, 1])
    assert np.abs(radius / r_star - 1.0).max() <= 1e-8
    period = rt.mean_period(tail[:, 0], dt, level=0.0)
    assert 2.0 * math.pi / period == pytest.approx(big_omega, rel=1e-6)


def test_stuart_landau_hopf_at_alpha_zero():
    """Bisection on max Re lambda of the origin's Jacobian (finite differences) over alpha."""
    def growth(alpha):
        p = rt.params(SL, alpha=alpha, omega=OMEGA, gamma=1.0, beta=0.3)
        return rt.max_real_eig(SL, (1e-9, 1e-9), 0.0, p).real

    alpha_h = rt.bisect(growth, -3.0, 2.0, 1e-10)
    assert abs(alpha_h) <= 1e-8
    p = rt.params(SL, alpha=0.0, omega=OMEGA, gamma=1.0, beta=0.3)
    assert rt.max_real_eig(SL, (1e-9, 1e-9), 0.0, p).imag == pytest.approx(OMEGA, rel=1e-8)


def test_stuart_landau_below_hopf_decays():
    p = rt.params(SL, alpha=-5.0, omega=OMEGA, gamma=1.0, beta=0.0)
    final, _ = rt.integrate(SL, (1.0, 0.0), p, 1e-4, 20000, every=20000)
    # |z| <= e^{-5 t} = e^{-10} at t = 2 s (the cubic term only speeds the decay)
    assert math.hypot(*final) <= math.exp(-10.0)
