"""Dendrite with time-ramped rate constants (NFTsim's DendriteRamp), STUDY.md section 2.6.

The dendritic potential obeys the plain dendrite ODE

    (1/(alpha beta)) V'' + (1/alpha + 1/beta) V' + V = P

with P = nu phi held constant over the step, but alpha and beta follow a
piecewise-linear schedule of the dendrite's own clock t (t += dt each step,
accumulated as NFTsim, so t drifts from n dt by rounding):

    (alpha, beta) <- (alpha, beta) + (t - t1)(alpha2 - alpha, beta2 - beta)/(t2 - t1)
                                                                   on (t1, t2]
    (alpha, beta) <- (alpha2, beta2) - (t - t3)(alpha2 - alpha, beta2 - beta)/(t4 - t3)
                                                                   on (t3, t4]

and keep their last value elsewhere (the last ramp value before t2 until t3,
the last value before t4 afterwards, the configured values before t1). The
coefficients F = 1/alpha + 1/beta and G = alpha beta are then formed from the
current values and one RK4 step is taken (STUDY.md section 3.3), with the
same arithmetic as :func:`parnft.kernels.ode.dendrite_step`, so a flat ramp
(alpha2 = alpha, beta2 = beta) reproduces the plain dendrite bit for bit.

Stability: RK4 needs dt * max(alpha(t), beta(t)) below about 2.78 at every
time, i.e. dt * max(alpha, beta, alpha2, beta2) < 2.78. A rate ramped to
exactly 0 makes F infinite and the step undefined (NaN), as in NFTsim.
"""

from __future__ import annotations

from . import kernel
from .ode import oscillator_rk4


@kernel
def ramp_rates(rates, clock, alpha, beta, alpha2, beta2, t1, t2, t3, t4, dt):
    """Advance the clock by dt and update ``rates = [alpha(t), beta(t)]`` in place.

    Returns the new time t. Inside (t1, t2] the rates rise linearly from
    (alpha, beta) towards (alpha2, beta2); inside (t3, t4] they fall back from
    (alpha2, beta2) towards (alpha, beta); elsewhere they are left unchanged.
    Pointwise, no stability bound.
    """
    t = clock[0] + dt
    clock[0] = t
    if t > t1 and t <= t2:
        rates[0] = alpha + (t - t1) * (alpha2 - alpha) / (t2 - t1)
        rates[1] = beta + (t - t1) * (beta2 - beta) / (t2 - t1)
    elif t > t3 and t <= t4:
        rates[0] = alpha2 - (t - t3) * (alpha2 - alpha) / (t4 - t3)
        rates[1] = beta2 - (t - t3) * (beta2 - beta) / (t4 - t3)
    return t


@kernel
def dendrite_ramp_step(v, dv, drive, rates, beta_out, clock, alpha, beta, alpha2, beta2,
                       t1, t2, t3, t4, dt, n):
    """DendriteRamp (RK4): (1/G) V'' + F V' + V = P with ramped alpha(t), beta(t).

    Each step: t += dt; ramp the rates (:func:`ramp_rates`); F = 1/alpha(t) +
    1/beta(t), G = alpha(t) beta(t); one RK4 step at every node with
    P = ``drive`` held constant. ``beta_out[0]`` receives beta(t) (NFTsim's
    only output of this dendrite). Stable for
    dt * max(alpha, beta, alpha2, beta2) below about 2.78.

    Parameters
    ----------
    v, dv : ndarray (nloc,)
        V and V' (updated in place).
    drive : ndarray (nloc,)
        P = nu phi of this step.
    rates : ndarray (2,)
        Current (alpha(t), beta(t)).
    beta_out : ndarray (1,)
        Output copy of beta(t).
    clock : ndarray (1,)
        The dendrite's accumulated time [s].
    alpha, beta, alpha2, beta2, t1, t2, t3, t4, dt : float
        Ramp end points and times [s], and the step [s].
    n : int
        Step number (unused: the clock accumulates, as NFTsim's).
    """
    ramp_rates(rates, clock, alpha, beta, alpha2, beta2, t1, t2, t3, t4, dt)
    a = rates[0]
    b = rates[1]
    beta_out[0] = b
    oscillator_rk4(v, dv, drive, 1.0 / a + 1.0 / b, a * b, dt)
