"""Wilson-Cowan excitatory-inhibitory pairs as population kinds.

Rosetta ladder rung 4 (Castaldo et al., Physics Reports 2026, section 5;
notes ``model-families.md`` 1.6), in two forms.

``WilsonCowan``, the paper's rate form (eq. WILCOcore)::

    tau_x x' = -x + S_x(w_xx x - w_xy y + P_x + I)
    tau_y y' = -y + S_y(w_yx x - w_yy y + P_y)

``WilsonCowan1972``, the original form with the refractory factor
(Wilson & Cowan, Biophys J 12:1, 1972)::

    tau_e e' = -e + (k_e - r_e e) S_e(c1 e - c2 i + P_e + I)
    tau_i i' = -i + (k_i - r_i i) S_i(c3 e - c4 i + P_i)

I is the population's input (the sum of its couplings' nu*phi, or of its
dendrites' potentials; dimensionless), entering inside the excitatory
sigmoid ("we drive only the excitatory population"). The sigmoid is a
choice: ``logistic`` S(u) = 1/(1 + exp(-rho (u - theta))), maximum 1 (the
paper's AUTO code wcnmm.f90; the table's 2 e0/(...) with e0 = 1 would give
maximum 2, notes 1.11 item 3), or ``shifted`` S(u) - 1/(1 + exp(rho theta)),
so that S(0) = 0 (Wilson & Cowan 1972). In the 1972 form k = sup S:
1 for ``logistic``, 1 - 1/(1 + exp(rho theta)) for ``shifted``.

The activities x, e (fractions, dimensionless) leave as the rate
Q = Qmax x (or Qmax e).

Integration: classical RK4, input held over the step; the step check asks 20
steps per min(tau) (the linearised rates reach a few 1/tau: the sigmoid gain
times the weights, c1 rho_e/4 = 5.2 at the 1972 set).
"""

from __future__ import annotations

import math

from parnft.kernels import inline
from parnft.model.declare import Choice, Dynamics, Param, Var

SIGMOIDS = ("logistic", "shifted")


@inline
def sigmoid(u, rho, theta, shifted):
    """logistic 1/(1 + exp(-rho (u - theta))), minus 1/(1 + exp(rho theta)) when ``shifted``."""
    s = 1.0 / (1.0 + math.exp(-rho * (u - theta)))
    if shifted != 0.0:
        s = s - 1.0 / (1.0 + math.exp(rho * theta))
    return s


@inline
def ceiling(rho, theta, shifted):
    """sup S: 1 (logistic) or 1 - 1/(1 + exp(rho theta)) (shifted)."""
    if shifted != 0.0:
        return 1.0 - 1.0 / (1.0 + math.exp(rho * theta))
    return 1.0


# ---------------------------------------------------------------- rate form
@inline
def rhs_rate(s, inp, p):
    """p = (tau_x, tau_y, w_xx, w_xy, w_yx, w_yy, P_x, P_y, rho_x, theta_x, rho_y, theta_y,
    Qmax, sigmoid)."""
    x, y = s[0], s[1]
    sx = sigmoid(p[2] * x - p[3] * y + p[6] + inp, p[8], p[9], p[13])
    sy = sigmoid(p[4] * x - p[5] * y + p[7], p[10], p[11], p[13])
    return ((sx - x) / p[0], (sy - y) / p[1])


@inline
def rate_rate(s, p):
    """Q = Qmax x."""
    return p[12] * s[0]


def _tmin(names):
    def timescale(p: dict) -> float:
        """min(tau) [s]."""
        return min(p[n] for n in names)
    return timescale


def _param(name, unit, default, doc, positive=False):
    if positive:
        return Param(name, unit, default, 0.0, math.inf, lo_open=True, doc=doc)
    return Param(name, unit, default, doc=doc)


RATE_FORM = Dynamics(
    name="WilsonCowan",
    params=(
        _param("tau_x", "s", 10e-3, "excitatory time constant", True),
        _param("tau_y", "s", 10e-3, "inhibitory time constant", True),
        _param("w_xx", "1", 12.0, "E -> E weight"),
        _param("w_xy", "1", 12.0, "I -> E weight (enters with a minus sign)"),
        _param("w_yx", "1", 12.0, "E -> I weight"),
        _param("w_yy", "1", 2.0, "I -> I weight (enters with a minus sign)"),
        _param("P_x", "1", 0.0, "constant drive of E"),
        _param("P_y", "1", -6.0, "constant drive of I"),
        _param("rho_x", "1", 1.0, "sigmoid slope of E", True),
        _param("theta_x", "1", 0.0, "sigmoid threshold of E"),
        _param("rho_y", "1", 1.0, "sigmoid slope of I", True),
        _param("theta_y", "1", 0.0, "sigmoid threshold of I"),
        _param("Qmax", "s^-1", 100.0, "rate emitted at x = 1 (Q = Qmax x)", True),
        Choice("sigmoid", SIGMOIDS, "logistic", doc="logistic (max 1) or shifted (S(0) = 0)"),
    ),
    state=(Var("x", "1", 0.0, "excitatory activity"), Var("y", "1", 0.0, "inhibitory activity")),
    rhs=rhs_rate,
    rate=rate_rate,
    equation=("tau_x x' = -x + S_x(w_xx x - w_xy y + P_x + I); "
              "tau_y y' = -y + S_y(w_yx x - w_yy y + P_y); Q = Qmax x"),
    input_unit="1",
    timescale=_tmin(("tau_x", "tau_y")),
    steps_per_timescale=20.0,
    reference=("Castaldo et al., Physics Reports 2026, section 5, eq. WILCOcore; parameters of "
               "Fig. 5 (tab:bif-params, pclus/auto-tutorial src/WilsonCowan/wcnmm.f90)"),
)


# ---------------------------------------------------------------- 1972 form
@inline
def rhs_1972(s, inp, p):
    """p = (tau_e, tau_i, c1, c2, c3, c4, P_e, P_i, a_e, theta_e, a_i, theta_i, r_e, r_i,
    Qmax, sigmoid)."""
    e, i = s[0], s[1]
    sh = p[15]
    se = sigmoid(p[2] * e - p[3] * i + p[6] + inp, p[8], p[9], sh)
    si = sigmoid(p[4] * e - p[5] * i + p[7], p[10], p[11], sh)
    ke = ceiling(p[8], p[9], sh)
    ki = ceiling(p[10], p[11], sh)
    return ((-e + (ke - p[12] * e) * se) / p[0], (-i + (ki - p[13] * i) * si) / p[1])


@inline
def rate_1972(s, p):
    """Q = Qmax e."""
    return p[14] * s[0]


ORIGINAL = Dynamics(
    name="WilsonCowan1972",
    params=(
        _param("tau_e", "s", 8e-3, "excitatory time constant", True),
        _param("tau_i", "s", 8e-3, "inhibitory time constant", True),
        _param("c1", "1", 16.0, "E -> E weight"),
        _param("c2", "1", 12.0, "I -> E weight (minus sign)"),
        _param("c3", "1", 15.0, "E -> I weight"),
        _param("c4", "1", 3.0, "I -> I weight (minus sign)"),
        _param("P_e", "1", 1.25, "constant drive of E (P of the 1972 paper)"),
        _param("P_i", "1", 0.0, "constant drive of I (Q of the 1972 paper)"),
        _param("a_e", "1", 1.3, "sigmoid slope of E", True),
        _param("theta_e", "1", 4.0, "sigmoid threshold of E"),
        _param("a_i", "1", 2.0, "sigmoid slope of I", True),
        _param("theta_i", "1", 3.7, "sigmoid threshold of I"),
        Param("r_e", "1", 1.0, 0.0, math.inf, doc="refractory period of E, in units of tau_e"),
        Param("r_i", "1", 1.0, 0.0, math.inf, doc="refractory period of I, in units of tau_i"),
        _param("Qmax", "s^-1", 100.0, "rate emitted at e = 1 (Q = Qmax e)", True),
        Choice("sigmoid", SIGMOIDS, "shifted", doc="shifted (S(0) = 0, 1972) or logistic"),
    ),
    state=(Var("e", "1", 0.0, "excitatory active fraction"),
           Var("i", "1", 0.0, "inhibitory active fraction")),
    rhs=rhs_1972,
    rate=rate_1972,
    equation=("tau_e e' = -e + (k_e - r_e e) S_e(c1 e - c2 i + P_e + I); "
              "tau_i i' = -i + (k_i - r_i i) S_i(c3 e - c4 i + P_i); k = sup S; Q = Qmax e"),
    input_unit="1",
    timescale=_tmin(("tau_e", "tau_i")),
    steps_per_timescale=20.0,
    reference=("Wilson & Cowan, Biophys J 12:1 (1972); limit-cycle set c = 16, 12, 15, 3, "
               "a_e = 1.3, theta_e = 4, a_i = 2, theta_i = 3.7, r = 1, P = 1.25 "
               "(model-families.md 1.6)"),
)

KIND = ORIGINAL
KINDS = (RATE_FORM, ORIGINAL)
