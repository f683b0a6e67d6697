"""FitzHugh-Nagumo as a parnft population kind: a plugin file (docs/models/write-your-own.md).

    tau dV/dt = V - V^3/3 - W + I,      I = I0 + k * inp
    tau dW/dt = eps (V + a - b W)
    Q = Qmax / (1 + exp(-V / sigma))

FitzHugh (1961), Biophys. J. 1, 445; the classic values a = 0.7, b = 0.8,
eps = 0.08 (with I0 = 0.5 the rest state is unstable and (V, W) runs on a
relaxation limit cycle of about 36.5 tau). Load it with
``parnft run model.conf --plugin fitzhugh_nagumo.py`` or ``Plugin: fitzhugh_nagumo.py``.
"""

import math

from numba import njit

from parnft.model.declare import Dynamics, Param, Var


@njit(inline="always")
def rhs(s, inp, p):
    """(dV/dt, dW/dt) with p = (tau, a, b, eps, I0, k, Qmax, sigma)."""
    v, w = s
    tau, a, b, eps, i0, k = p[0], p[1], p[2], p[3], p[4], p[5]
    drive = i0 + k * inp
    return ((v - v * v * v / 3.0 - w + drive) / tau, eps * (v + a - b * w) / tau)


@njit(inline="always")
def rate(s, p):
    """Q = Qmax / (1 + exp(-V / sigma))."""
    return p[6] / (1.0 + math.exp(-s[0] / p[7]))


KIND = Dynamics(
    name="FitzHughNagumo",
    params=(
        Param("tau", "s", 0.01, lo=0.0, lo_open=True, doc="time unit of the model"),
        Param("a", "1", 0.7, doc="recovery offset"),
        Param("b", "1", 0.8, lo=0.0, doc="recovery self-coupling"),
        Param("eps", "1", 0.08, lo=0.0, lo_open=True, doc="recovery rate over the V rate"),
        Param("I0", "1", 0.5, doc="constant drive"),
        Param("k", "V^-1", 1.0, doc="gain of the population's input"),
        Param("Qmax", "s^-1", 100.0, lo=0.0, doc="maximum firing rate"),
        Param("sigma", "1", 0.5, lo=0.0, lo_open=True, doc="width of the rate sigmoid"),
    ),
    state=(Var("V", "1", -1.0, doc="fast (voltage-like) variable"),
           Var("W", "1", 1.0, doc="slow recovery variable")),
    rhs=rhs,
    rate=rate,
    equation="tau V' = V - V^3/3 - W + I0 + k*inp;  tau W' = eps (V + a - b W);  "
             "Q = Qmax / (1 + exp(-V/sigma))",
    input_unit="V",
    timescale=lambda p: p["tau"],
    steps_per_timescale=20.0,
    reference="FitzHugh 1961, Biophys. J. 1:445",
)
