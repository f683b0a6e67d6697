"""Glutamate kernels of NFTsim's GlutamateResponse (STUDY.md section 2.5).

The synaptic-cleft glutamate concentration of a neural population obeys, per
node,

    d glu / dt = Lambda phi_exc - glu / tGlu

where phi_exc is the sum of the fields phi (of the previous step) of the
population's excitatory afferent propagators, held constant over the step.
One RK4 step per time step in NFTsim's form (STUDY.md section 3.3), with
NFTsim's positivity guard evaluated at every stage: if glu + dt * rate < 0
the rate is replaced by -glu (a decay of rate 1 per second, whatever tGlu).

The kernels are called in the population stage as ``glu_clear``, one
``glu_add`` per excitatory afferent (connection order, so
phi_exc = ((0 + phi_1) + phi_2) + ...), then ``glu_step``.
"""

from __future__ import annotations

from . import kernel

#: glu(0) [mol/L], as NFTsim.
GLU_INIT = 1.0e-6


@kernel
def glu_clear(exc, n):
    """Reset the excitatory drive: phi_exc = 0 at every node. Pointwise, no stability bound."""
    for i in range(exc.shape[0]):
        exc[i] = 0.0


@kernel
def glu_add(exc, phi, n):
    """Accumulate one excitatory afferent: phi_exc += phi at every node. Pointwise."""
    for i in range(exc.shape[0]):
        exc[i] = exc[i] + phi[i]


@kernel
def glu_rate(glu, drive, tglu, dt):
    """Rate (Lambda phi_exc) - glu / tGlu, or -glu when glu + dt * rate < 0. Pointwise."""
    r = drive - glu / tglu
    if glu + r * dt < 0.0:
        r = -glu
    return r


@kernel
def glu_step(glu, exc, lam, tglu, dt, n):
    """One RK4 step of d glu/dt = Lambda phi_exc - glu / tGlu at every node.

    Stages glu + (dt/2) k1, glu + (dt/2) k2, glu + dt k3, update
    glu + (dt/6)(((k1 + 2 k2) + 2 k3) + k4); each stage applies the
    positivity guard of :func:`glu_rate`. Fourth order; stable for
    dt / tGlu below about 2.78 (RK4 on a linear decay), and the guard keeps
    glu >= 0 for any drive.
    """
    h2 = dt * 0.5
    h6 = dt / 6.0
    for i in range(glu.shape[0]):
        y0 = glu[i]
        d = lam * exc[i]
        k1 = glu_rate(y0, d, tglu, dt)
        k2 = glu_rate(y0 + h2 * k1, d, tglu, dt)
        k3 = glu_rate(y0 + h2 * k2, d, tglu, dt)
        k4 = glu_rate(y0 + dt * k3, d, tglu, dt)
        glu[i] = y0 + h6 * (((k1 + 2.0 * k2) + 2.0 * k3) + k4)
