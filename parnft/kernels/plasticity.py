"""Calcium-dependent plasticity kernels: CaDP, BCM and BCM-Spatial couplings.

Each synapse (one node; for BCM-Spatial one (from i, to j) pair) carries the
state (Ca, nutilde, nu', nu) and, for BCM, the NMDA gain g. At the start of
step n, from the postsynaptic glutamate glu and soma potential V of step n-1
(NFTsim's step order, STUDY.md section 2.2)::

    B = sig(glu - glu_0; B_par)                       glutamate binding
    H = (0.195 - V) sig(V - 0.0455; 62)               NMDA voltage factor
    x = xyth + x_par sig(Ca - Pth; 4e7)               potentiation rate
    y = (yth + y_par sig(Ca - Dth; 4e7)) - y_par sig(Ca - Pth; 4e7)
    yth = xyth (nu_max - nu_0) / nu_0

with sig(u; beta) = 1 / (1 + exp(-beta u)). B, H, x and y are then held over
the step (NFTsim stores them as RK4 states with zero derivative) while

    dCa/dt      = g B H - Ca / tCa     (rate := -Ca if Ca + dt * rate < 0)
    dnutilde/dt = x (nu_max - nutilde) - y nutilde
    dnu'/dt     = -2 z nu' + z^2 (nutilde - nu)
    dnu/dt      = nu'
    dg/dt       = -(g / t_BCM)(nutilde / nu - 1) + (g_0 - g) / t_rec   (BCM; 0 if nu = 0)

advance by one RK4 step in NFTsim's form (STUDY.md section 3.3). Finally the
drive P = nu (.) phi uses each synapse's own, freshly updated nu.

Stability: RK4 needs dt |lambda| below about 2.78 for every rate, i.e.
dt < 2.78 tCa, dt < 2.78 / (x + y), dt z < 1.39 (double pole -z), and
dt (nutilde / nu) < 2.78 t_BCM for BCM. The Ca clamp keeps Ca >= 0 whatever
the drive.

Parameters travel in one float array ``par`` laid out by the ``P_*`` indices.
"""

from __future__ import annotations

import math

from . import kernel

#: Layout of the ``par`` array (see :func:`parnft.model.plasticity.plasticity_params`).
P_GLU0, P_B, P_XTH, P_YTH, P_LTP, P_LTD, P_PTH, P_DTH = 0, 1, 2, 3, 4, 5, 6, 7
P_NUMAX, P_TCA, P_Z, P_G0, P_TBCM, P_TREC = 8, 9, 10, 11, 12, 13
NPAR = 14

#: Steepness of the Ca threshold sigmoids [1/(mol/L)], and the H constants.
CA_BETA = 4e7
H_REV = 195e-3
H_HALF = 45.5e-3
H_BETA = 62.0


@kernel
def sig(x, beta):
    """Logistic sigmoid 1 / (1 + exp(-beta x)), as NFTsim's ``CaDE::sig``. Pointwise."""
    return 1.0 / (1.0 + math.exp(-beta * x))


@kernel
def binding(glu, par):
    """Glutamate binding B = sig(glu - glu_0; B_par). Pointwise, no stability bound."""
    return sig(glu - par[P_GLU0], par[P_B])


@kernel
def nmda_voltage(v):
    """NMDA voltage factor H = (0.195 - V) sig(V - 0.0455; 62). Pointwise, no stability bound."""
    return (H_REV - v) * sig(v - H_HALF, H_BETA)


@kernel
def _rhs(ca, nt, dnu, nu, g, b, h, x, y, par, bcm, dt):
    """Right-hand side (dCa, dnutilde, dnu', dnu, dg) in NFTsim's association.

    The Ca guard uses the full step dt at every RK4 stage, as NFTsim.
    """
    dca = (g * b) * h - ca / par[P_TCA]
    if ca + dca * dt < 0.0:
        dca = -ca
    dnt = x * (par[P_NUMAX] - nt) - y * nt
    z = par[P_Z]
    ddnu = (-2.0 * z) * dnu + (z * z) * (nt - nu)
    dg = 0.0
    if bcm and nu != 0.0:
        dg = (-g / par[P_TBCM]) * (nt / nu - 1.0) + (par[P_G0] - g) / par[P_TREC]
    return dca, dnt, ddnu, dnu, dg


@kernel
def synapse_rk4(ca, nt, dnu, nu, g, b, h, par, bcm, dt):
    """One RK4 step of one synapse; returns the new (Ca, nutilde, nu', nu, g).

    x and y are evaluated from Ca at the start of the step and held (NFTsim's
    ``pot()``/``dep()`` before ``rk4->step()``). Stages: y + (dt/2) k1,
    y + (dt/2) k2, y + dt k3; update y + (dt/6)(((k1 + 2 k2) + 2 k3) + k4).
    """
    sp = sig(ca - par[P_PTH], CA_BETA)
    x = par[P_XTH] + par[P_LTP] * sp
    y = (par[P_YTH] + par[P_LTD] * sig(ca - par[P_DTH], CA_BETA)) - par[P_LTD] * sp
    h2 = dt * 0.5
    h6 = dt / 6.0
    a1, b1, c1, d1, e1 = _rhs(ca, nt, dnu, nu, g, b, h, x, y, par, bcm, dt)
    a2, b2, c2, d2, e2 = _rhs(ca + h2 * a1, nt + h2 * b1, dnu + h2 * c1, nu + h2 * d1,
                              g + h2 * e1, b, h, x, y, par, bcm, dt)
    a3, b3, c3, d3, e3 = _rhs(ca + h2 * a2, nt + h2 * b2, dnu + h2 * c2, nu + h2 * d2,
                              g + h2 * e2, b, h, x, y, par, bcm, dt)
    a4, b4, c4, d4, e4 = _rhs(ca + dt * a3, nt + dt * b3, dnu + dt * c3, nu + dt * d3,
                              g + dt * e3, b, h, x, y, par, bcm, dt)
    return (ca + h6 * (((a1 + 2.0 * a2) + 2.0 * a3) + a4),
            nt + h6 * (((b1 + 2.0 * b2) + 2.0 * b3) + b4),
            dnu + h6 * (((c1 + 2.0 * c2) + 2.0 * c3) + c4),
            nu + h6 * (((d1 + 2.0 * d2) + 2.0 * d3) + d4),
            g + h6 * (((e1 + 2.0 * e2) + 2.0 * e3) + e4))


@kernel
def cadp_step(ca, nt, dnu, nu, b, h, g, glu, v, phi, drive, par, bcm, dt, n):
    """CaDP (``bcm`` False, g = gNMDA constant) or BCM (``bcm`` True) coupling step.

    Per node i: B_i = sig(glu_i - glu_0; B_par), H_i from V_i (both of the
    previous step), one RK4 step of the synapse ODE (module docstring), then
    P_i = nu_i phi_i with the node's own nu (NFTsim uses nu of node 0 for
    every node). RK4 stability bound: see the module docstring.
    """
    for i in range(nu.shape[0]):
        bi = binding(glu[i], par)
        hi = nmda_voltage(v[i])
        b[i] = bi
        h[i] = hi
        ca[i], nt[i], dnu[i], nu[i], g[i] = synapse_rk4(ca[i], nt[i], dnu[i], nu[i], g[i],
                                                        bi, hi, par, bcm, dt)
        drive[i] = nu[i] * phi[i]


@kernel
def bcm_spatial_step(ca, nt, dnu, nu, b, h, g, glu, v, phi, drive, par, dt, n):
    """BCM-Spatial: one BCM synapse per (from i, to j) pair, all-to-all drive.

    State arrays are ``(N_from, N_to)``. B_ij = sig(glu_i - glu_0; B_par) uses
    the postsynaptic population's glutamate at the *from* node i and H_ij the
    soma potential V_j of the *to* node (as NFTsim). After the RK4 step of
    every pair, P_j = ((0 + nu_0j phi_0) + nu_1j phi_1) + ... . Cost O(N^2)
    per step; RK4 stability bound: see the module docstring.
    """
    nfrom = nu.shape[0]
    nto = nu.shape[1]
    for j in range(nto):
        hj = nmda_voltage(v[j])
        for i in range(nfrom):
            bi = binding(glu[i], par)
            b[i, j] = bi
            h[i, j] = hj
            ca[i, j], nt[i, j], dnu[i, j], nu[i, j], g[i, j] = synapse_rk4(
                ca[i, j], nt[i, j], dnu[i, j], nu[i, j], g[i, j], bi, hj, par, True, dt)
    for j in range(nto):
        s = 0.0
        for i in range(nfrom):
            s = s + nu[i, j] * phi[i]
        drive[j] = s
