"""The Jansen-Rit cortical column as one population kind (six ODEs).

Rosetta ladder rung 5 (NMM1; Castaldo et al., Physics Reports 2026, section 6,
eq. nmm1-JR; written out in pclus/auto-tutorial src/Jansen/jrnmm.f90;
Jansen & Rit, Biol Cybern 73:357, 1995; notes ``model-families.md`` 1.7)::

    y0'' = A a S(y1 - y2)            - 2 a y0' - a^2 y0
    y1'' = A a (p + C2 S(C1 y0))     - 2 a y1' - a^2 y1
    y2'' = B b C4 S(C3 y0)           - 2 b y2' - b^2 y2
    S(v) = 2 e0 / (1 + exp(r (v0 - v))),     C_k = c_k C

y0 is the pyramidal cells' output PSP onto both interneuron pools, y1 and y2
the excitatory and inhibitory PSPs on the pyramidal cells; y1 - y2 is the
pyramidal membrane potential (the EEG-like signal). The kind's state is
(y0, v, y2) and their rates, with v = y1 - y2 (so the EEG-like signal is an
output field; y1 = v + y2, and v'' = y1'' - y2'': the same six ODEs in other
coordinates). The population's input is
the drive p [s^-1] (the sum of its couplings' nu*phi, e.g. a constant or noisy
stimulus and the propagated pyramidal rate of other columns); the emitted
rate is Q = S(y1 - y2), the pyramidal firing rate.

Defaults are Jansen & Rit's (SI units): A = 3.25 mV, a = 100 s^-1,
B = 22 mV, b = 50 s^-1, C = 135, (c1..c4) = (1, 0.8, 0.25, 0.25),
e0 = 2.5 s^-1, r = 0.56 mV^-1, v0 = 6 mV. With them the fixed point loses
stability in Hopf bifurcations at p = 89.83 and 315.70 s^-1 (Grimbert &
Faugeras 2006; tests/validation/test_rosetta_jansen_rit.py recomputes both).

Integration: classical RK4, input held over the step. The step check asks
10 steps per 1/max(a, b) (RK4 is stable to |lambda dt| ~ 2.8; the synapses'
double poles sit at -a and -b).
"""

from __future__ import annotations

import math

from parnft.kernels import inline
from parnft.kernels.exact_exp import exp_inline
from parnft.model.declare import Dynamics, Param, Var, positive


@inline
def sigmoid(v, e0, r, v0):
    """S(v) = 2 e0 / (1 + exp(r (v0 - v)))."""
    return 2.0 * e0 / (1.0 + exp_inline(r * (v0 - v)))


@inline
def rhs(s, inp, p):
    """p = (A, a, B, b, C, c1, c2, c3, c4, e0, r, v0); s = (y0, v, y2, y0', v', y2').

    v = y1 - y2; y1'' is formed as written above and v'' = y1'' - y2''.
    """
    y0, v, y2, z0, zv, z2 = s[0], s[1], s[2], s[3], s[4], s[5]
    y1 = v + y2
    z1 = zv + z2
    amp_e, a, amp_i, b, c = p[0], p[1], p[2], p[3], p[4]
    e0, r, v0 = p[9], p[10], p[11]
    sp = sigmoid(v, e0, r, v0)
    se = sigmoid(p[5] * c * y0, e0, r, v0)
    si = sigmoid(p[7] * c * y0, e0, r, v0)
    d0 = amp_e * a * sp - 2.0 * a * z0 - a * a * y0
    d1 = amp_e * a * (inp + p[6] * c * se) - 2.0 * a * z1 - a * a * y1
    d2 = amp_i * b * (p[8] * c * si) - 2.0 * b * z2 - b * b * y2
    return (z0, zv, z2, d0, d1 - d2, d2)


@inline
def rate(s, p):
    """Q = S(y1 - y2), the pyramidal firing rate."""
    return sigmoid(s[1], p[9], p[10], p[11])


def timescale(p: dict) -> float:
    """1 / max(a, b) [s]."""
    return 1.0 / max(p["a"], p["b"])


KIND = Dynamics(
    name="JansenRit",
    params=(
        positive("A", "V", 3.25e-3, "excitatory PSP amplitude"),
        positive("a", "s^-1", 100.0, "excitatory synaptic rate (double pole at -a)"),
        positive("B", "V", 22e-3, "inhibitory PSP amplitude"),
        positive("b", "s^-1", 50.0, "inhibitory synaptic rate (double pole at -b)"),
        Param("C", "1", 135.0, 0.0, math.inf, doc="connectivity constant"),
        Param("c1", "1", 1.0, 0.0, math.inf, doc="C1/C: pyramidal -> excitatory interneurons"),
        Param("c2", "1", 0.8, 0.0, math.inf, doc="C2/C: excitatory interneurons -> pyramidal"),
        Param("c3", "1", 0.25, 0.0, math.inf, doc="C3/C: pyramidal -> inhibitory interneurons"),
        Param("c4", "1", 0.25, 0.0, math.inf, doc="C4/C: inhibitory interneurons -> pyramidal"),
        positive("e0", "s^-1", 2.5, "half the maximal firing rate"),
        positive("r", "V^-1", 560.0, "sigmoid steepness"),
        Param("v0", "V", 6e-3, doc="potential at half the maximal rate"),
    ),
    state=(
        Var("y0", "V", 0.0, "pyramidal output PSP (onto the interneurons)"),
        Var("v", "V", 0.0, "y1 - y2: pyramidal membrane potential (EEG-like signal)"),
        Var("y2", "V", 0.0, "inhibitory PSP on the pyramidal cells"),
        Var("dy0", "V s^-1", 0.0, "d y0/dt"),
        Var("dv", "V s^-1", 0.0, "d v/dt"),
        Var("dy2", "V s^-1", 0.0, "d y2/dt"),
    ),
    rhs=rhs,
    rate=rate,
    equation=("y0'' = A a S(y1 - y2) - 2a y0' - a^2 y0; y1'' = A a (p + C2 S(C1 y0)) - 2a y1' - "
              "a^2 y1; y2'' = B b C4 S(C3 y0) - 2b y2' - b^2 y2; S(v) = 2e0/(1 + exp(r(v0 - v))); "
              "p = input; state y0, v = y1 - y2, y2 and rates; Q = S(v)"),
    input_unit="s^-1",
    timescale=timescale,
    steps_per_timescale=10.0,
    reference=("Jansen & Rit, Biol Cybern 73:357 (1995); Castaldo et al., Physics Reports 2026, "
               "eq. nmm1-JR; pclus/auto-tutorial src/Jansen/jrnmm.f90"),
)

