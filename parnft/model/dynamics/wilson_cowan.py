"""Wilson-Cowan excitatory-inhibitory pair as a population kind (rate form and 1972 form).

Rosetta ladder rung 4 (Castaldo et al., Physics Reports 2026, section 5;
notes ``model-families.md`` 1.6). ``form: rate``, the paper's rate form
(eq. WILCOcore)::

    tau_x x' = -x + S_x(w_xx x - w_xy y + P_x + I)
    tau_y y' = -y + S_y(w_yx x - w_yy y + P_y)

``form: 1972``, the original with the refractory factor (Wilson & Cowan,
Biophys J 12:1, 1972; its c1..c4, P, Q are w_xx, w_xy, w_yx, w_yy, P_x, P_y)::

    tau_x x' = -x + (k_x - r_x x) S_x(w_xx x - w_xy y + P_x + I)
    tau_y y' = -y + (k_y - r_y y) S_y(w_yx x - w_yy y + P_y),   k = sup S

I is the population's input (the sum of its couplings' nu*phi, or of its
dendrites' potentials; dimensionless), entering inside the excitatory
sigmoid ("we drive only the excitatory population"). The sigmoid is a
choice: ``logistic`` S(u) = 1/(1 + exp(-rho (u - theta))), maximum 1 (the
paper's AUTO code wcnmm.f90; its table's 2 e0/(...) with e0 = 1 would give
maximum 2, notes 1.11 item 3), or ``shifted`` S(u) - 1/(1 + exp(rho theta)),
so that S(0) = 0 (Wilson & Cowan 1972); sup S is 1 or 1 - 1/(1 + exp(rho theta)).

Defaults: the paper's Fig. 5(a) set (w = 12, 12, 12, 2; P_y = -6; rho = 1,
theta = 0, logistic), with tau = 10 ms. The 1972 limit cycle is
``form: 1972 sigmoid: shifted w_xx: 16 w_xy: 12 w_yx: 15 w_yy: 3 rho_x: 1.3
theta_x: 4 rho_y: 2 theta_y: 3.7 P_x: 1.25 P_y: 0`` (r = 1): 25 Hz at tau = 8 ms.

The activity x (a fraction, dimensionless) leaves as the rate Q = Qmax x.

Integration: classical RK4, input held over the step; the step check asks 20
steps per min(tau) (the linearised rates reach a few 1/tau: the sigmoid gain
times the weights, w_xx rho_x/4 = 5.2 at the 1972 set).
"""

from __future__ import annotations

import math

from parnft.kernels import inline
from parnft.kernels.exact_exp import exp_inline
from parnft.model.declare import Choice, Dynamics, Param, Var


@inline
def sigmoid(u, rho, theta, shifted):
    """logistic 1/(1 + exp(-rho (u - theta))), minus 1/(1 + exp(rho theta)) when ``shifted``."""
    s = 1.0 / (1.0 + exp_inline(-rho * (u - theta)))
    if shifted != 0.0:
        s = s - 1.0 / (1.0 + exp_inline(rho * theta))
    return s


@inline
def gate(a, rho, theta, shifted, refr, form):
    """The factor before S: 1 (rate form) or sup S - r a (1972 form)."""
    if form == 0.0:
        return 1.0
    k = 1.0
    if shifted != 0.0:
        k = 1.0 - 1.0 / (1.0 + exp_inline(rho * theta))
    return k - refr * a


@inline
def rhs(s, inp, p):
    """p = (tau_x, tau_y, w_xx, w_xy, w_yx, w_yy, P_x, P_y, rho_x, theta_x, rho_y, theta_y,
    r_x, r_y, Qmax, sigmoid, form)."""
    x, y = s[0], s[1]
    sh, form = p[15], p[16]
    sx = sigmoid(p[2] * x - p[3] * y + p[6] + inp, p[8], p[9], sh)
    sy = sigmoid(p[4] * x - p[5] * y + p[7], p[10], p[11], sh)
    gx = gate(x, p[8], p[9], sh, p[12], form)
    gy = gate(y, p[10], p[11], sh, p[13], form)
    return ((-x + gx * sx) / p[0], (-y + gy * sy) / p[1])


@inline
def rate(s, p):
    """Q = Qmax x."""
    return p[14] * s[0]


def timescale(p: dict) -> float:
    """min(tau_x, tau_y) [s]."""
    return min(p["tau_x"], p["tau_y"])


def _param(name, unit, default, doc, positive=False):
    if positive:
        return Param(name, unit, default, 0.0, math.inf, lo_open=True, doc=doc)
    return Param(name, unit, default, doc=doc)


KIND = Dynamics(
    name="WilsonCowan",
    params=(
        _param("tau_x", "s", 10e-3, "excitatory time constant", True),
        _param("tau_y", "s", 10e-3, "inhibitory time constant", True),
        _param("w_xx", "1", 12.0, "E -> E weight (c1)"),
        _param("w_xy", "1", 12.0, "I -> E weight, enters with a minus sign (c2)"),
        _param("w_yx", "1", 12.0, "E -> I weight (c3)"),
        _param("w_yy", "1", 2.0, "I -> I weight, enters with a minus sign (c4)"),
        _param("P_x", "1", 0.0, "constant drive of E (P)"),
        _param("P_y", "1", -6.0, "constant drive of I (Q)"),
        _param("rho_x", "1", 1.0, "sigmoid slope of E (a_e)", True),
        _param("theta_x", "1", 0.0, "sigmoid threshold of E"),
        _param("rho_y", "1", 1.0, "sigmoid slope of I (a_i)", True),
        _param("theta_y", "1", 0.0, "sigmoid threshold of I"),
        Param("r_x", "1", 1.0, 0.0, math.inf, doc="refractory period of E / tau_x (form 1972)"),
        Param("r_y", "1", 1.0, 0.0, math.inf, doc="refractory period of I / tau_y (form 1972)"),
        _param("Qmax", "s^-1", 100.0, "rate emitted at x = 1 (Q = Qmax x)", True),
        Choice("sigmoid", ("logistic", "shifted"), "logistic",
               doc="logistic (max 1) or shifted (S(0) = 0, Wilson-Cowan 1972)"),
        Choice("form", ("rate", "1972"), "rate",
               doc="rate: -x + S(...); 1972: -x + (sup S - r x) S(...)"),
    ),
    state=(Var("x", "1", 0.0, "excitatory activity"), Var("y", "1", 0.0, "inhibitory activity")),
    rhs=rhs,
    rate=rate,
    equation=("tau_x x' = -x + g_x S_x(w_xx x - w_xy y + P_x + I); tau_y y' = -y + g_y "
              "S_y(w_yx x - w_yy y + P_y); g = 1 (form rate) or sup S - r x (form 1972); "
              "Q = Qmax x"),
    input_unit="1",
    timescale=timescale,
    steps_per_timescale=20.0,
    reference=("Castaldo et al., Physics Reports 2026, section 5 (eq. WILCOcore; Fig. 5 set of "
               "tab:bif-params, pclus/auto-tutorial src/WilsonCowan/wcnmm.f90); Wilson & Cowan, "
               "Biophys J 12:1 (1972) (model-families.md 1.6)"),
)
