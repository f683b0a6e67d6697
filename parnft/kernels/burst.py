"""Thalamic burst firing response (NFTsim's BurstResponse), STUDY.md section 2.5.

The population's soma potential V (sum of its dendrites) drives a firing rate
whose threshold is modulated by two slow variables, the low-threshold calcium
activation x~ and the h-current variable h~:

    i_b = -gX (V_eff - V_x) / 3,   i_a = i_b - gH (V_eff - V_k)
    theta(x~, h~) = (i_c - 3 i_b x~ + (i_b - i_a) h~) / mu
    x_inf = max(0, a_x Q_max / (1 + exp(-(V - theta(x~, h~)) / sigma)))
    dx~/dt = (x_inf - x~) / tau_x,   dh~/dt = (3 x~ - h~) / tau_h
    Q = Q_max / (1 + exp(-(V - theta(x~_new, h~_new)) / sigma))

with V_eff = -0.066 V, V_x = 0.14 V, V_k = -0.095 V. x_inf is computed once
from the old x~, h~ and held over the step; (x~, h~) advance by one classical
RK4 step (STUDY.md section 3.3). The conductances gX and gH may ramp linearly
in time (:func:`conductance_ramp`).

Stability: the x~/h~ system is linear with eigenvalues -1/tau_x and -1/tau_h
over a step, so RK4 is stable for dt < 2.78 min(tau_x, tau_h) (a few hundred
ms in practice; never binding next to the dendrite bound dt * beta < 2.78).
"""

from __future__ import annotations

import math

from . import kernel
from .firing import advance_ring, soma_potential

#: Effective reversal potential [V] (NFTsim's constant, from the Matlab scripts).
V_EFF = -0.066
#: Calcium (T-current) reversal potential [V].
V_X = 0.14
#: Potassium (H-current) reversal potential [V].
V_K = -0.095

#: Number of entries of a packed conductance ramp: (g1, g2, t1, t2, t3, t4).
RAMP_LEN = 6


@kernel
def conductance_ramp(cur, ramp, t):
    """Value of a ramped conductance at time ``t`` [s].

    ``ramp`` = (g1, g2, t1, t2, t3, t4). With g2 == g1 or t <= t1 the value
    ``cur`` is kept. Otherwise

        g = g1 + (t - t1)(g2 - g1)/(t2 - t1)    on (t1, t2]
        g = g2                                  on (t2, t3]
        g = g2 - (t - t3)(g2 - g1)/(t4 - t3)    on (t3, t4]
        g = g1                                  after t4

    evaluated with NFTsim's association. Pointwise, no stability bound.
    """
    g1 = ramp[0]
    g2 = ramp[1]
    t1 = ramp[2]
    t2 = ramp[3]
    t3 = ramp[4]
    t4 = ramp[5]
    if t <= t1 or g2 == g1:
        return cur
    if t > t1 and t <= t2:
        return g1 + (t - t1) * (g2 - g1) / (t2 - t1)
    if t > t2 and t <= t3:
        return g2
    if t > t3 and t <= t4:
        return g2 - ((t - t3) * (g2 - g1) / (t4 - t3))
    if t > t4:
        return g1
    return cur


@kernel
def fire_burst(vd, v, hist, ptr, q_out, xt, ht, modtheta, gx, gh, gx_ramp, gh_ramp,
               sigma, qmax, ic, taux, tauh, ax, mu, dt, n):
    """One step of the burst firing response at every node, in place.

    Order (NFTsim): ring pointer k <- k + 1; ramp gX, gH at t = n dt; soma
    V = ((0 + V_1) + V_2) + ...; theta_tmp and x_inf from the old x~, h~; one
    RK4 step of

        dx~/dt = (x_inf - x~) / tau_x,   dh~/dt = (3 x~ - h~) / tau_h

    with x_inf held constant; modtheta = theta(x~, h~) from the new values;
    Q = Q_max / (1 + exp(-(V - modtheta)/sigma)) written to ``hist[k]`` and
    ``q_out``. Stable for dt < 2.78 min(tau_x, tau_h).

    Parameters
    ----------
    vd : ndarray (ndend, nloc)
        Dendritic potentials of the population, in connection order.
    v, q_out : ndarray (nloc,)
        Soma potential and firing rate outputs.
    hist : ndarray (H, nloc)
        Firing-rate history ring; ``ptr`` its 1-element int64 pointer.
    xt, ht, modtheta : ndarray (nloc,)
        x~, h~ and the modulated threshold.
    gx, gh : ndarray (1,)
        Current conductances (one value for the whole population).
    gx_ramp, gh_ramp : ndarray (6,)
        Packed ramps (g1, g2, t1, t2, t3, t4), see :func:`conductance_ramp`.
    sigma, qmax, ic, taux, tauh, ax, mu, dt : float
        Parameters and the step [s].
    n : int
        Step number (1 on the first step), so t = n dt as NFTsim's counter.
    """
    k = advance_ring(ptr, hist.shape[0])
    t = n * dt
    gx[0] = conductance_ramp(gx[0], gx_ramp, t)
    gh[0] = conductance_ramp(gh[0], gh_ramp, t)
    ib = -gx[0] * (V_EFF - V_X) / 3.0
    ia = ib - gh[0] * (V_EFF - V_K)
    ib3 = 3.0 * ib
    iba = ib - ia
    h2 = dt * 0.5
    h6 = dt / 6.0
    for i in range(v.shape[0]):
        s = soma_potential(vd, i)
        v[i] = s
        x0 = xt[i]
        y0 = ht[i]
        theta = ((ic - ib3 * x0) + iba * y0) / mu
        xinf = qmax / (1.0 + math.exp(-(s - theta) / sigma)) * ax
        if xinf < 0.0:
            xinf = 0.0
        k1x = (xinf - x0) / taux
        k1y = (3.0 * x0 - y0) / tauh
        xa = x0 + h2 * k1x
        ya = y0 + h2 * k1y
        k2x = (xinf - xa) / taux
        k2y = (3.0 * xa - ya) / tauh
        xa = x0 + h2 * k2x
        ya = y0 + h2 * k2y
        k3x = (xinf - xa) / taux
        k3y = (3.0 * xa - ya) / tauh
        xa = x0 + dt * k3x
        ya = y0 + dt * k3y
        k4x = (xinf - xa) / taux
        k4y = (3.0 * xa - ya) / tauh
        x1 = x0 + h6 * (((k1x + 2.0 * k2x) + 2.0 * k3x) + k4x)
        y1 = y0 + h6 * (((k1y + 2.0 * k2y) + 2.0 * k3y) + k4y)
        xt[i] = x1
        ht[i] = y1
        mt = ((ic - ib3 * x1) + iba * y1) / mu
        modtheta[i] = mt
        q = qmax / (1.0 + math.exp(-(s - mt) / sigma))
        hist[k, i] = q
        q_out[i] = q
