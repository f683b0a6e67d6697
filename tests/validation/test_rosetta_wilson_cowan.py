"""Wilson-Cowan kinds: the 1972 limit cycle and the rate form's Hopf condition.

WilsonCowan (form 1972) at the limit-cycle set of model-families.md 1.6 (c = 16, 12,
15, 3; a_e = 1.3, theta_e = 4; a_i = 2, theta_i = 3.7; r = 1; P = 1.25,
shifted sigmoid, tau_e = tau_i = 8 ms): the notes [D]
give a cycle with E in [0.1026, 0.2697] and period 4.996 tau (25.0 Hz at
tau = 8 ms), and rest at P = 0. Recomputed here (RK4, dt = tau/100 and
tau/200 agree to 1e-9): E in [0.102559, 0.269660], period 4.99589 tau. The
test asks the notes' four digits: extremes within 1e-4, period within
1e-3 tau.

WilsonCowan (form rate, the kind's defaults) at the parameters of the paper's Fig. 5(a)
(w = 12, 12, 12, 2; P_y = -6; logistic sigmoid; tau = 1): the Hopf point on
the P_x sweep found by bisection on max Re lambda of the finite-difference
Jacobian must satisfy the paper's Appendix (WC -> SL) conditions,
tr J = 0 and omega_0^2 = [(-1 + S_E' w_EE)(-1 - S_I' w_II) + S_E' S_I' w_EI w_IE]/(tau_E tau_I),
with S' from the fixed point (S' = rho S (1 - S) for the logistic).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.model.dynamics.wilson_cowan import KIND as WC
from tests.validation import rosetta_tools as rt

TAU = 8e-3
WC1972 = {"form": "1972", "sigmoid": "shifted", "w_xx": 16.0, "w_xy": 12.0, "w_yx": 15.0,
          "w_yy": 3.0, "rho_x": 1.3, "theta_x": 4.0, "rho_y": 2.0, "theta_y": 3.7,
          "r_x": 1.0, "r_y": 1.0, "P_x": 1.25, "P_y": 0.0, "tau_x": TAU, "tau_y": TAU}


def wc1972(**over):
    return rt.params(WC, **{**WC1972, **over})


def test_wc1972_limit_cycle():
    p = wc1972()
    dt = TAU / 100.0
    steps = int(round(2.0 / dt))                  # 2 s = 250 tau
    _, out = rt.integrate(WC, (0.0, 0.0), p, dt, steps)
    e = out[steps // 2:, 0]
    assert abs(e.min() - 0.1026) <= 1e-4, e.min()
    assert abs(e.max() - 0.2697) <= 1e-4, e.max()
    period = rt.mean_period(e, dt)
    assert abs(period / TAU - 4.996) <= 1e-3, period / TAU
    assert 1.0 / period == pytest.approx(25.0, abs=0.05)


def test_wc1972_cycle_surrounds_an_unstable_focus():
    p = wc1972()
    s = rt.fixed_point(WC, (0.2, 0.1), 0.0, p)
    lam = rt.max_real_eig(WC, s, 0.0, p)
    assert lam.real > 0 and lam.imag != 0
    assert 0.1026 < s[0] < 0.2697


def test_wc1972_rest_without_drive():
    p = wc1972(P_x=0.0)
    final, out = rt.integrate(WC, (0.1, 0.05), p, TAU / 100.0, 25000, every=100)
    # S(0) = 0 makes e = i = 0 a fixed point; it attracts (0.1, 0.05)
    assert abs(final[0]) < 1e-9 and abs(final[1]) < 1e-9
    assert np.ptp(out[-50:, 0]) < 1e-9


def test_rate_form_hopf_satisfies_the_papers_condition():
    def at(px):
        p = rt.params(WC, tau_x=1.0, tau_y=1.0, P_x=px)
        s = rt.fixed_point(WC, (0.7, 0.75), 0.0, p)
        return s, p

    def growth(px):
        s, p = at(px)
        return rt.max_real_eig(WC, s, 0.0, p).real

    px = rt.bisect(growth, 1.25, 1.75, 1e-10)
    s, p = at(px)
    lam = rt.max_real_eig(WC, s, 0.0, p)
    se, si = s[0] * (1.0 - s[0]), s[1] * (1.0 - s[1])         # rho = 1, S = x at rest
    w_ee, w_ei, w_ie, w_ii = 12.0, 12.0, 12.0, 2.0
    trace = (-1.0 + se * w_ee) + (-1.0 - si * w_ii)
    omega0_sq = (-1.0 + se * w_ee) * (-1.0 - si * w_ii) + se * si * w_ei * w_ie
    assert abs(trace) <= 1e-7
    assert lam.imag ** 2 == pytest.approx(omega0_sq, rel=1e-6)
    assert 1.0 < px < 2.0 and math.isfinite(lam.imag)
