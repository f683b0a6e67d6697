"""Kernels of couplings whose strength follows a prescribed function of time.

DiffArctan (STUDY.md section 2.9): a smooth rise and fall of nu,

    D(t)  = atan((t - t_half_up) / delta) - atan((t - t_half_down) / delta)
    nu(t) = nu_min + (nu_max - nu_min) (D(t) - m) / (M - m)

with m and M the minimum and maximum of D over the run (computed once, see
:func:`diff_arctan_range`). The coupling's clock advances by dt each step
(accumulated, as NFTsim) before nu is evaluated, then P = nu (.) phi.
Pointwise and explicit: no stability bound.
"""

from __future__ import annotations

import math

from . import kernel


@kernel
def diff_arctan(t, delta, t_up, t_down):
    """D(t) = atan((t - t_up)/delta) - atan((t - t_down)/delta). Pointwise."""
    return math.atan((t - t_up) / delta) - math.atan((t - t_down) / delta)


def diff_arctan_range(delta: float, t_up: float, t_down: float, total: float) -> tuple:
    """Exact ``(min, max)`` of D(t) over ``0 <= t <= total``.

    D'(t) = delta / (delta^2 + (t - t_up)^2) - delta / (delta^2 + (t - t_down)^2)
    vanishes only where (t - t_up)^2 = (t - t_down)^2, i.e. at the midpoint
    t_mid = (t_up + t_down) / 2 (for t_up != t_down). So the extrema over the
    closed interval are among D(0), D(total) and D(t_mid) when t_mid lies
    inside it. NFTsim instead samples D at the integer seconds
    0, 1, ..., ceil(Time) - 1 only (STUDY.md section 9.7).
    """
    ts = [0.0, float(total)]
    mid = 0.5 * (t_up + t_down)
    if 0.0 < mid < total:
        ts.append(mid)
    vals = [diff_arctan(t, delta, t_up, t_down) for t in ts]
    return min(vals), max(vals)


@kernel
def couple_diff_arctan(nu, phi, drive, clock, nu_min, nu_max, delta, t_up, t_down,
                       d_min, d_max, dt, n):
    """Advance the clock by dt, set nu(t) (uniform over nodes), then P = nu (.) phi.

    nu = nu_min + (nu_max - nu_min) ((D(t) - m) / (M - m)) with m = ``d_min``,
    M = ``d_max``; evaluated in NFTsim's association. Explicit and pointwise:
    no stability bound.
    """
    t = clock[0] + dt
    clock[0] = t
    d = diff_arctan(t, delta, t_up, t_down)
    value = nu_min + (nu_max - nu_min) * ((d - d_min) / (d_max - d_min))
    for i in range(nu.shape[0]):
        nu[i] = value
    for i in range(phi.shape[0]):
        drive[i] = nu[i] * phi[i]
