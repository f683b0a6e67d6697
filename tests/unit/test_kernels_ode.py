"""Dendrite and harmonic kernels against closed-form solutions.

The step response of (1/(ab)) y'' + (1/a + 1/b) y' + y = P (y(0) = y'(0) = 0,
P constant) is y(t) = P [1 - (b e^{-a t} - a e^{-b t})/(b - a)] for a != b and
P [1 - (1 + a t) e^{-a t}] for a == b. RK4 converges at order 4 to it; the
exact-integral kernels reproduce it to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.kernels.ode import (
    dendrite_integral_step,
    dendrite_step,
    harmonic_integral_step,
    harmonic_step,
)


def step_response(a, b, t, p=1.0):
    if a == b:
        return p * (1.0 - (1.0 + a * t) * math.exp(-a * t))
    return p * (1.0 - (b * math.exp(-a * t) - a * math.exp(-b * t)) / (b - a))


def run_dendrite_rk4(a, b, dt, t_end, p=1.0):
    v, dv, drive = np.zeros(3), np.zeros(3), np.full(3, p)
    f, g = 1.0 / a + 1.0 / b, a * b
    for n in range(int(round(t_end / dt))):
        dendrite_step(v, dv, drive, f, g, dt, n)
    return v[0]


@pytest.mark.parametrize("a,b", [(83.0, 769.0), (50.0, 200.0), (100.0, 100.0)])
def test_dendrite_rk4_converges_at_fourth_order(a, b):
    t_end = 0.02
    exact = step_response(a, b, t_end)
    errs = [abs(run_dendrite_rk4(a, b, dt, t_end) - exact) for dt in (2e-4, 1e-4, 5e-5)]
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(2)]
    assert all(3.7 < o < 4.3 for o in orders), (errs, orders)
    assert errs[1] < 1e-7


@pytest.mark.parametrize("a,b", [(83.0, 769.0), (60.0, 60.0)])
def test_dendrite_integral_is_exact_for_constant_drive(a, b):
    dt = 1e-3  # large step: the exact solution does not care
    v, dv, p_old, drive = np.zeros(2), np.zeros(2), np.full(2, 1.0), np.full(2, 1.0)
    for n in range(40):
        dendrite_integral_step(v, dv, p_old, drive, a, b, dt, n)
        assert v[0] == pytest.approx(step_response(a, b, (n + 1) * dt), rel=1e-12, abs=1e-15)


def test_dendrite_integral_is_exact_for_a_ramp():
    # P(t) = t: y = t - F + (particular decay); compare with RK4 at a tiny step
    a, b, dt = 80.0, 300.0, 1e-3
    v, dv, p_old, drive = np.zeros(1), np.zeros(1), np.zeros(1), np.zeros(1)
    for n in range(30):
        drive[0] = (n + 1) * dt
        dendrite_integral_step(v, dv, p_old, drive, a, b, dt, n)
    ref_v, ref_dv = 0.0, 0.0
    h = dt / 2000
    for m in range(30 * 2000):
        def f(y, yd, t):
            return yd, ((t - y) - (1 / a + 1 / b) * yd) * a * b
        t = m * h
        k1 = f(ref_v, ref_dv, t)
        k2 = f(ref_v + h / 2 * k1[0], ref_dv + h / 2 * k1[1], t + h / 2)
        k3 = f(ref_v + h / 2 * k2[0], ref_dv + h / 2 * k2[1], t + h / 2)
        k4 = f(ref_v + h * k3[0], ref_dv + h * k3[1], t + h)
        ref_v += h / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        ref_dv += h / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
    assert v[0] == pytest.approx(ref_v, rel=1e-9)


def _harmonic_run(kernel, gamma, dt, steps, q=1.0):
    nloc = 2
    phi, dphi, out = np.zeros(nloc), np.zeros(nloc), np.zeros(nloc)
    hist = np.full((1, nloc), q)
    ptr = np.zeros(1, dtype=np.int64)
    tau = np.zeros(nloc, dtype=np.int64)
    if kernel is harmonic_step:
        for n in range(steps):
            harmonic_step(phi, dphi, out, hist, ptr, tau, gamma * gamma, 2.0 / gamma, dt, n)
    else:
        q_old = np.full(nloc, q)
        for n in range(steps):
            harmonic_integral_step(phi, dphi, q_old, out, hist, ptr, tau, gamma, dt, n)
    return out[0]


@pytest.mark.parametrize("kernel,rel", [(harmonic_step, 1e-6), (harmonic_integral_step, 1e-12)])
def test_harmonic_step_response(kernel, rel):
    # (1/g^2) phi'' + (2/g) phi' + phi = 1, phi(0) = phi'(0) = 0: critically damped
    gamma, dt, steps = 116.0, 1e-4, 300
    exact = step_response(gamma, gamma, steps * dt)
    assert _harmonic_run(kernel, gamma, dt, steps) == pytest.approx(exact, rel=rel)
