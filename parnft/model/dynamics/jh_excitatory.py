"""JH_excitatory: a two-field excitatory population constructed from Qin & Sheremet's abstract.

NOT the authors' equations. Qin & Sheremet (arXiv 2206.07966, 2207.02833)
describe excitatory mesoscopic fields by two variables, J (density of the
kinetic energy of sodium currents) and H (excitability, the mean of the
gating variable h); their equations were not reachable. Their abstract
states the linear properties: oscillations as progressive waves, shorter
waves with higher frequencies, slower phase speed and faster decay. This
kind is the minimal linear two-field model with exactly those properties,
the proposal of ``model-families.md`` section 2.3 ([P]); j and h are the
deviations of J and H from a uniform resting state::

    dj/dt = -gamma_J j + kappa_J h - c_x lap h + D_J lap j + F
    dh/dt = -kappa_H j - gamma_H h

kappa_J, kappa_H > 0: the push-pull loop (energy inactivates the channels,
lower excitability lowers the energy input); c_x > 0: cross-diffusive energy
transfer to the neighbours' excitability (a restoring force c_x k^2 at
wavenumber k); D_J >= 0: energy diffusion (damping D_J k^2); F: the input
(external energy, e.g. a theta drive). Q = j.

Linear dispersion relation (exact for this model, :func:`dispersion`): a mode
exp(lambda t + i k.x) has

    lambda^2 + (gamma_J + gamma_H + D_J k^2) lambda
             + (gamma_J + D_J k^2) gamma_H + kappa_H (kappa_J + c_x k^2) = 0,

    omega(k)^2 = kappa_H (kappa_J + c_x k^2) + (gamma_J + D_J k^2) gamma_H
                 - (gamma_J + gamma_H + D_J k^2)^2 / 4,
    sigma(k)   = (gamma_J + gamma_H + D_J k^2) / 2           (decay rate),

a damped Klein-Gordon wave: omega grows with k, the phase speed falls
towards sqrt(c_x kappa_H), the decay grows as k^2. On the grid k^2 is the
5-point stencil's (4/dx^2)(sin^2(k_x dx/2) + sin^2(k_y dx/2)).

Replacing this kind by the published model is this one module: its state,
parameters, right-hand side, spatial operators (``spatial``) and
:func:`dispersion`; tests and docs read them from here.

Integration: RK4 with the Laplacians of each stage's state
(:mod:`parnft.model.rk4space`). Stability (checked with the config): the
linearised step's eigenvalues in RK4's region; roughly Deltat <= 2.785 dx^2 /
(8 D_J) for the diffusion and Deltat <= dx / sqrt(c_x kappa_H) for the wave.
"""

from __future__ import annotations

import cmath
import math

from parnft.kernels import inline
from parnft.model.declare import CrossDiffusion, Diffusion, Dynamics, Param, Var

REFERENCE = ("constructed from the stated properties in the abstracts of Qin & Sheremet, arXiv "
             "2206.07966 and 2207.02833 (model-families.md 2.3, a proposal [P]); not the "
             "authors' equations")

TWO_PI_6 = 37.7  # section 2.3: kappa_J = kappa_H = 37.7 s^-1 (omega_0 = 2 pi 6 Hz)


@inline
def rhs(s, inp, p):
    """The local part; p = (gamma_J, gamma_H, kappa_J, kappa_H, c_x, D_J)."""
    j, h = s[0], s[1]
    dj = -p[0] * j + p[2] * h + inp
    dh = -p[3] * j - p[1] * h
    return (dj, dh)


@inline
def rate(s, p):
    """Q = j."""
    return s[0]


def timescale(p: dict) -> float:
    """1 / the fastest local rate: max(gamma_J, gamma_H, sqrt(kappa_J kappa_H)) [s]."""
    fast = max(p["gamma_J"], p["gamma_H"], math.sqrt(p["kappa_J"] * p["kappa_H"]), 1e-30)
    return 1.0 / fast


def dispersion(k2: float, p: dict) -> complex:
    """The root lambda = -sigma + i omega (omega >= 0) of the dispersion relation at ``k2``.

    ``p``: parameter name -> value. Returns a complex number; for an
    overdamped mode omega is 0 and sigma the slower decay rate.
    """
    b = p["gamma_J"] + p["gamma_H"] + p["D_J"] * k2
    c = (p["gamma_J"] + p["D_J"] * k2) * p["gamma_H"] + p["kappa_H"] * (p["kappa_J"]
                                                                           + p["c_x"] * k2)
    root = cmath.sqrt(b * b / 4.0 - c)
    lam = -b / 2.0 + root
    return complex(lam.real, abs(lam.imag))




KIND = Dynamics(
    name="JH_excitatory",
    params=(
        Param("gamma_J", "s^-1", 1.0, 0.0, math.inf, doc="energy relaxation rate"),
        Param("gamma_H", "s^-1", 1.0, 0.0, math.inf, doc="excitability relaxation rate"),
        Param("kappa_J", "s^-1", TWO_PI_6, 0.0, math.inf, doc="drive of j by h"),
        Param("kappa_H", "s^-1", TWO_PI_6, 0.0, math.inf, doc="inactivation of h by j"),
        Param("c_x", "m^2/s", 6.63e-5, 0.0, math.inf,
              doc="cross-diffusive energy transfer (- c_x lap h in dj/dt)"),
        Param("D_J", "m^2/s", 1e-6, 0.0, math.inf, doc="energy diffusion"),
    ),
    state=(Var("j", "1", 0.0, "J - J*: kinetic-energy density of sodium currents (deviation)"),
           Var("h", "1", 0.0, "H - H*: excitability, mean gating variable h (deviation)")),
    rhs=rhs,
    rate=rate,
    equation="dj/dt = -gamma_J j + kappa_J h - c_x lap h + D_J lap j + F; "
             "dh/dt = -kappa_H j - gamma_H h; Q = j",
    input_unit="s^-1",
    timescale=timescale,
    steps_per_timescale=10.0,
    reference=REFERENCE,
    spatial=(
        CrossDiffusion("h", "j", "c_x", -1.0, doc="- c_x lap h"),
        Diffusion("j", "D_J", doc="D_J lap j"),
    ),
)
