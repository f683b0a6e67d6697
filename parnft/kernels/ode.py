"""Per-node second-order linear ODE kernels: dendrites and harmonic propagators.

Both are the damped oscillator

    (1/(a b)) y'' + (1/a + 1/b) y' + y = s(t)

driven by a source s held constant over the step (RK4 forms, as NFTsim) or
taken linear over the step (exact "integral" forms). RK4 is fourth order and
stable for dt * max(a, b) below about 2.78; the integral forms are exact for
piecewise-linear drive and unconditionally stable.
"""

from __future__ import annotations

import math

from numba import uint64

from . import inline, kernel
from .nodal import at


@inline
def rk4_node(s, y0, d0, a_f, g, dt, h2, h6):
    """One RK4 step of y'' = ((s - y) - a_f y') g from ``(y0, d0)``; returns ``(y1, d1)``.

    The shared core of :func:`dendrite_step` (a_f = 1/alpha + 1/beta,
    g = alpha beta) and :func:`harmonic_step` (written there in NFTsim's own
    grouping). Evaluation order matches NFTsim: stage states y + (dt/2) k,
    update y + (dt/6)(((k1 + 2 k2) + 2 k3) + k4); ``h2 = dt/2``, ``h6 = dt/6``.
    """
    k1a = d0
    k1b = ((s - y0) - a_f * d0) * g
    ya = y0 + h2 * k1a
    da = d0 + h2 * k1b
    k2a = da
    k2b = ((s - ya) - a_f * da) * g
    ya = y0 + h2 * k2a
    da = d0 + h2 * k2b
    k3a = da
    k3b = ((s - ya) - a_f * da) * g
    ya = y0 + dt * k3a
    da = d0 + dt * k3b
    k4a = da
    k4b = ((s - ya) - a_f * da) * g
    return (y0 + h6 * (((k1a + 2.0 * k2a) + 2.0 * k3a) + k4a),
            d0 + h6 * (((k1b + 2.0 * k2b) + 2.0 * k3b) + k4b))


@inline
def rk4_nodes(y, dy, src, a_f, g, dt, i0, i1):
    """:func:`rk4_node` at nodes ``i0 <= i < i1`` with source ``src[i]``, in place."""
    h2 = dt * 0.5
    h6 = dt / 6.0
    for i in range(uint64(i0), uint64(i1)):
        y1, d1 = rk4_node(src[i], y[i], dy[i], at(a_f, i), at(g, i), dt, h2, h6)
        y[i] = y1
        dy[i] = d1


@kernel
def oscillator_rk4(y, dy, src, a_f, g, dt):
    """:func:`rk4_nodes` at every node."""
    rk4_nodes(y, dy, src, a_f, g, dt, 0, y.shape[0])


@kernel
def dendrite_step(v, dv, drive, f, g, dt, n):
    """Dendrite (RK4): (1/G) V'' + F V' + V = P at every node.

    F = 1/alpha + 1/beta, G = alpha beta, P = ``drive`` (the coupling output
    nu*phi of this step) held constant over the step. RK4, local error
    O(dt^5); stable for dt * beta below about 2.78.
    """
    rk4_nodes(v, dv, drive, f, g, dt, 0, v.shape[0])


@kernel
def dendrite_step_nodes(i0, i1, v, dv, drive, f, g, dt, n):
    """:func:`dendrite_step` on nodes ``i0 <= i < i1``."""
    rk4_nodes(v, dv, drive, f, g, dt, i0, i1)


@kernel
def dendrite_coupled_nodes(i0, i1, v, dv, nu, phi, f, g, dt, n):
    """:func:`dendrite_step` driven by P = nu phi (one nu), on nodes ``i0 <= i < i1``.

    The coupling folded into the dendrite: P is formed in a register, exactly
    as ``couple_uniform`` would store it, so the results are the same bits and
    no drive array is written and read back.
    """
    h2 = dt * 0.5
    h6 = dt / 6.0
    for i in range(uint64(i0), uint64(i1)):
        y1, d1 = rk4_node(nu * phi[i], v[i], dv[i], at(f, i), at(g, i), dt, h2, h6)
        v[i] = y1
        dv[i] = d1


@kernel
def dendrite_coupled(v, dv, nu, phi, f, g, dt, n):
    """:func:`dendrite_coupled_nodes` on every node."""
    dendrite_coupled_nodes(0, v.shape[0], v, dv, nu, phi, f, g, dt, n)


@inline
def harmonic_nodes(phi, dphi, phi_out, hist, ptr, tau, g, t2, dt, i0, i1):
    """:func:`harmonic_step` on nodes ``i0 <= i < i1``."""
    nh = hist.shape[0]
    k = ptr[0]
    h2 = dt * 0.5
    h6 = dt / 6.0
    for i in range(uint64(i0), uint64(i1)):
        j = k - tau[i]
        if j < 0:
            j += nh
        q = hist[j, i]
        y0 = phi[i]
        d0 = dphi[i]
        k1a = d0
        k1b = g * ((q - t2 * d0) - y0)
        ya = y0 + h2 * k1a
        da = d0 + h2 * k1b
        k2a = da
        k2b = g * ((q - t2 * da) - ya)
        ya = y0 + h2 * k2a
        da = d0 + h2 * k2b
        k3a = da
        k3b = g * ((q - t2 * da) - ya)
        ya = y0 + dt * k3a
        da = d0 + dt * k3b
        k4a = da
        k4b = g * ((q - t2 * da) - ya)
        y1 = y0 + h6 * (((k1a + 2.0 * k2a) + 2.0 * k3a) + k4a)
        phi[i] = y1
        dphi[i] = d0 + h6 * (((k1b + 2.0 * k2b) + 2.0 * k3b) + k4b)
        phi_out[i] = y1


@kernel
def harmonic_step(phi, dphi, phi_out, hist, ptr, tau, g, t2, dt, n):
    """Harmonic propagator (RK4): phi'' = g ((Q_d - t2 phi') - phi) at every node.

    g = gamma^2, t2 = 2/gamma, Q_d = hist[(ptr - tau) mod H] the delayed
    presynaptic rate held over the step. Stable for dt * gamma below about 1.39
    (RK4 on the double pole -gamma).
    """
    harmonic_nodes(phi, dphi, phi_out, hist, ptr, tau, g, t2, dt, 0, phi.shape[0])


@kernel
def harmonic_step_nodes(i0, i1, phi, dphi, phi_out, hist, ptr, tau, g, t2, dt, n):
    """:func:`harmonic_step` on nodes ``i0 <= i < i1``."""
    harmonic_nodes(phi, dphi, phi_out, hist, ptr, tau, g, t2, dt, i0, i1)


@inline
def harmonic_integral_nodes(phi, dphi, q_old, phi_out, hist, ptr, tau, gamma, dt, i0, i1):
    """HarmonicIntegral: exact solution of the harmonic ODE for Q linear over the step.

    qdot = (Q - Q_old)/dt, a = Q_old - (2/gamma) qdot - phi_old,
    C1 = phi' - gamma a - qdot, C = C1 dt - a,
    phi = C e^{-gamma dt} + Q - (2/gamma) qdot, phi' = (C1 - gamma C) e^{-gamma dt} + qdot.
    Unconditionally stable.
    """
    nh = hist.shape[0]
    k = ptr[0]
    e = math.exp(-gamma * dt)
    two_g = 2.0 / gamma
    for i in range(uint64(i0), uint64(i1)):
        j = k - tau[i]
        if j < 0:
            j += nh
        q = hist[j, i]
        qdot = (q - q_old[i]) / dt
        a = (q_old[i] - two_g * qdot) - phi[i]
        c1 = (dphi[i] - gamma * a) - qdot
        c = c1 * dt - a
        y = (c * e + q) - two_g * qdot
        dphi[i] = (c1 - gamma * c) * e + qdot
        phi[i] = y
        q_old[i] = q
        phi_out[i] = y


@kernel
def harmonic_integral_step(phi, dphi, q_old, phi_out, hist, ptr, tau, gamma, dt, n):
    """HarmonicIntegral at every node (:func:`harmonic_integral_nodes`)."""
    harmonic_integral_nodes(phi, dphi, q_old, phi_out, hist, ptr, tau, gamma, dt, 0,
                            phi.shape[0])


@kernel
def harmonic_integral_step_nodes(i0, i1, phi, dphi, q_old, phi_out, hist, ptr, tau, gamma, dt,
                                 n):
    """HarmonicIntegral on nodes ``i0 <= i < i1``."""
    harmonic_integral_nodes(phi, dphi, q_old, phi_out, hist, ptr, tau, gamma, dt, i0, i1)


@inline
def dendrite_integral_nodes(v, dv, p_old, drive, alpha, beta, dt, i0, i1):
    """DendriteIntegral: exact solution for P linear over the step.

    pdot = (P - P_old)/dt, a = P_old - F pdot - V, F = 1/alpha + 1/beta.
    alpha != beta: C1 = (a beta - V' + pdot)/(alpha - beta), X = C1 e^{-alpha dt},
    Y = e^{-beta dt}(-C1 - a), V = X + Y + P - F pdot, V' = -alpha X - beta Y + pdot.
    alpha == beta: C1 = V' - alpha a - pdot, C = C1 dt - a,
    V = C e^{-alpha dt} + P - F pdot, V' = (C1 - alpha C) e^{-alpha dt} + pdot.
    Unconditionally stable.
    """
    f = 1.0 / alpha + 1.0 / beta
    ea = math.exp(-alpha * dt)
    eb = math.exp(-beta * dt)
    same = alpha == beta
    for i in range(uint64(i0), uint64(i1)):
        p = drive[i]
        pdot = (p - p_old[i]) / dt
        a = (p_old[i] - f * pdot) - v[i]
        if not same:
            c1 = ((a * beta - dv[i]) + pdot) / (alpha - beta)
            x = c1 * ea
            y = eb * (-c1 - a)
            v[i] = ((x + y) + p) - f * pdot
            dv[i] = ((-alpha * x) - beta * y) + pdot
        else:
            c1 = (dv[i] - alpha * a) - pdot
            c = c1 * dt - a
            v[i] = (c * ea + p) - f * pdot
            dv[i] = (c1 - alpha * c) * ea + pdot
        p_old[i] = p


@kernel
def dendrite_integral_step(v, dv, p_old, drive, alpha, beta, dt, n):
    """DendriteIntegral at every node (:func:`dendrite_integral_nodes`)."""
    dendrite_integral_nodes(v, dv, p_old, drive, alpha, beta, dt, 0, v.shape[0])


@kernel
def dendrite_integral_step_nodes(i0, i1, v, dv, p_old, drive, alpha, beta, dt, n):
    """DendriteIntegral on nodes ``i0 <= i < i1``."""
    dendrite_integral_nodes(v, dv, p_old, drive, alpha, beta, dt, i0, i1)
