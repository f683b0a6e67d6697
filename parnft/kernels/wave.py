"""Damped wave propagator kernels on a ghosted tile.

The propagator field obeys

    (1/gamma^2 d^2/dt^2 + 2/gamma d/dt + 1 - r^2 nabla^2) phi = Q(t - tau)

With u = phi e^{gamma t}, w = Q e^{gamma t} this is u_tt = gamma^2 r^2 nabla^2 u
+ gamma^2 w, discretised by second-order central differences in time, the
5-point Laplacian in space and a Numerov-like average of the source over three
time levels (Rennie 2001, eq. A.16). It is second order in dx and dt and stable
for the Courant number p = gamma r dt / dx <= 1/sqrt(2).

State: ``phi`` and ``qw`` of shape (2, ly+2, lx+2) hold the two most recent
time levels of phi and of the source; ``cur[0]`` is the index of level n. After
a step the level n-1 buffer holds n+1 and ``cur`` flips. Ghost cells of the new
level must be filled (halo exchange) before the next step.
"""

from __future__ import annotations

import math

from . import inline, kernel


def wave5_constants(dt: float, dx: float, range_: float, gamma: float):
    """Return ``(p2, dfact, c10, c2, em, ep)`` of the 5-point scheme.

    The association order is NFTsim's: dfact = ((dt*dt/12)*gamma)*gamma,
    p2 = ((((dt*dt)/(dx*dx))*r)*r*gamma)*gamma.
    """
    a = dt * dt / 12.0
    dfact = a * gamma * gamma
    b = (dt * dt) / (dx * dx)
    p2 = b * range_ * range_ * gamma * gamma
    c10 = 10.0 - 4.0 * p2
    c2 = 2.0 - 4.0 * p2
    em = math.exp(-dt * gamma)
    ep = math.exp(dt * gamma)
    return p2, dfact, c10, c2, em, ep


def wave9_constants(dt: float, dx: float, range_: float, gamma: float):
    """Return ``(p2, dfact, a10, b, c2, e2)`` of the legacy 9-point scheme.

    a10 = (10 - 3 p2) e1, b = (e1 * 0.5) p2, c2 = (2 - 3 p2) e1, e2 = exp(-2 dt gamma).
    """
    a = dt * dt / 12.0
    dfact = a * gamma * gamma
    bb = (dt * dt) / (dx * dx)
    p2 = bb * range_ * range_ * gamma * gamma
    e1 = math.exp(-dt * gamma)
    e2 = math.exp(-2.0 * dt * gamma)
    return p2, dfact, (10.0 - 3.0 * p2) * e1, (e1 * 0.5) * p2, (2.0 - 3.0 * p2) * e1, e2


@kernel
def wave5_step(phi, qw, cur, phi_out, hist, ptr, tau, p2, dfact, c10, c2, em, ep, n):
    """Advance the 5-point damped wave scheme one step on every interior node.

    phi^{n+1}_c = em*( ((c2 phi^n_c + p2 S_phi) - em phi^{n-1}_c) + D ),
    D = dfact*( ((c10 Q^n_c + ep Q^{n+1}_c) + em Q^{n-1}_c) + p2 S_Q ),
    S = ((N + S) + W) + E over the four neighbours at level n and
    Q^{n+1} = hist[(ptr - tau) mod H] the delayed presynaptic rate.
    Stable for p = sqrt(p2) <= 1/sqrt(2).

    Parameters
    ----------
    phi, qw : ndarray (2, ly+2, lx+2)
        Two time levels of phi and source, ghosts of level ``cur[0]`` filled.
    cur : int64 ndarray (1,)
        Index of level n; flipped on return.
    phi_out : ndarray (ly*lx,)
        Receives phi^{n+1} of the interior (flat).
    hist : ndarray (H, ly*lx)
        Presynaptic firing-rate ring buffer; ``ptr[0]`` is the newest slot.
    tau : int64 ndarray (ly*lx,)
        Delay in steps per node. When all are equal (checked each call, one
        vectorised pass) the source is one contiguous history row and each
        grid row is computed by a branch-free loop that LLVM vectorises.
    """
    c = cur[0]
    o = 1 - c
    nh = hist.shape[0]
    k = ptr[0]
    ly = phi.shape[1] - 2
    lx = phi.shape[2] - 2
    tau0 = tau[0] if tau.shape[0] > 0 else 0
    uniform = True
    for i in range(tau.shape[0]):
        uniform &= tau[i] == tau0
    if uniform:
        # one contiguous history row: a branch-free row loop that LLVM vectorises,
        # indexing the arrays directly (views would cost reference counting)
        j = k - tau0
        if j < 0:
            j += nh
        for y in range(1, ly + 1):
            b = (y - 1) * lx - 1
            for x in range(1, lx + 1):
                qn1 = hist[j, b + x]
                sphi = ((phi[c, y - 1, x] + phi[c, y + 1, x]) + phi[c, y, x - 1]) + phi[c, y, x + 1]
                sq = ((qw[c, y - 1, x] + qw[c, y + 1, x]) + qw[c, y, x - 1]) + qw[c, y, x + 1]
                d = dfact * ((((c10 * qw[c, y, x]) + (qn1 * ep)) + (qw[o, y, x] * em)) + (p2 * sq))
                val = em * ((((c2 * phi[c, y, x]) + (p2 * sphi)) - (phi[o, y, x] * em)) + d)
                phi[o, y, x] = val
                qw[o, y, x] = qn1
                phi_out[b + x] = val
    else:
        # single exit, no views: lets numba's reference-count pruning drop the
        # incref/decref of every argument on each call
        for y in range(1, ly + 1):
            b = (y - 1) * lx - 1
            for x in range(1, lx + 1):
                i = b + x
                j = k - tau[i]
                if j < 0:
                    j += nh
                qn1 = hist[j, i]
                sphi = ((phi[c, y - 1, x] + phi[c, y + 1, x]) + phi[c, y, x - 1]) \
                    + phi[c, y, x + 1]
                sq = ((qw[c, y - 1, x] + qw[c, y + 1, x]) + qw[c, y, x - 1]) + qw[c, y, x + 1]
                d = dfact * ((((c10 * qw[c, y, x]) + (qn1 * ep)) + (qw[o, y, x] * em))
                             + (p2 * sq))
                val = em * ((((c2 * phi[c, y, x]) + (p2 * sphi)) - (phi[o, y, x] * em)) + d)
                phi[o, y, x] = val
                qw[o, y, x] = qn1
                phi_out[i] = val
    cur[0] = o


@kernel
def wave9_step(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, n):
    """Advance NFTsim's legacy 9-point wave scheme (``WaveLegacy``) one step.

    D = dfact*( ((a10 Q^n_c + Q^{n+1}_c) + e2 Q^{n-1}_c) + b (S_Q + 0.5 D_Q) ),
    phi^{n+1} = ((c2 phi^n_c + b (S_phi + 0.5 D_phi)) - e2 phi^{n-1}_c) + D,
    with S the 4 edge neighbours ((N+S)+W)+E and D the 4 diagonal ones
    ((NW+NE)+SW)+SE. Needs the corner ghosts. Courant bound p <= 1/sqrt(2).
    NFTsim keeps it for published work; its derivation is known to be inexact.
    """
    c = cur[0]
    o = 1 - c
    nh = hist.shape[0]
    k = ptr[0]
    ly = phi.shape[1] - 2
    lx = phi.shape[2] - 2
    for y in range(1, ly + 1):
        for x in range(1, lx + 1):
            i = (y - 1) * lx + (x - 1)
            j = k - tau[i]
            if j < 0:
                j += nh
            qn1 = hist[j, i]
            so = ((phi[c, y - 1, x] + phi[c, y + 1, x]) + phi[c, y, x - 1]) + phi[c, y, x + 1]
            sd = ((phi[c, y - 1, x - 1] + phi[c, y - 1, x + 1]) + phi[c, y + 1, x - 1]) \
                + phi[c, y + 1, x + 1]
            qo = ((qw[c, y - 1, x] + qw[c, y + 1, x]) + qw[c, y, x - 1]) + qw[c, y, x + 1]
            qd = ((qw[c, y - 1, x - 1] + qw[c, y - 1, x + 1]) + qw[c, y + 1, x - 1]) \
                + qw[c, y + 1, x + 1]
            d = dfact * ((((a10 * qw[c, y, x]) + qn1) + (e2 * qw[o, y, x])) + b * (qo + 0.5 * qd))
            val = (((c2 * phi[c, y, x]) + b * (so + 0.5 * sd)) - (e2 * phi[o, y, x])) + d
            phi[o, y, x] = val
            qw[o, y, x] = qn1
            phi_out[i] = val
    cur[0] = o


@kernel
def fill_periodic(a):
    """Fill the ghost frame of a 2D ghosted array periodically (corners included).

    The one-rank halo exchange: rows first, then columns over the full height,
    so that corners receive the diagonal neighbour.
    """
    ly = a.shape[0] - 2
    lx = a.shape[1] - 2
    for x in range(1, lx + 1):
        a[0, x] = a[ly, x]
        a[ly + 1, x] = a[1, x]
    for y in range(0, ly + 2):
        a[y, 0] = a[y, lx]
        a[y, lx + 1] = a[y, 1]


@inline
def fill_level(a, c):
    """:func:`fill_periodic` of level ``c`` of a (levels, ly+2, lx+2) array, in place.

    Indexes the 3D array directly: a level view would cost reference counting.
    """
    ly = a.shape[1] - 2
    lx = a.shape[2] - 2
    for x in range(1, lx + 1):
        a[c, 0, x] = a[c, ly, x]
        a[c, ly + 1, x] = a[c, 1, x]
    for y in range(0, ly + 2):
        a[c, y, 0] = a[c, y, lx]
        a[c, y, lx + 1] = a[c, y, 1]


@kernel
def wave_fill_periodic(phi, qw, cur, n):
    """Periodic ghost fill of the current level of a wave propagator's phi and Q."""
    c = cur[0]
    fill_level(phi, c)
    fill_level(qw, c)
