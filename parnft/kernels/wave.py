"""Damped wave propagator kernels on a ghosted tile.

The propagator field obeys, at each node i,

    (1/gamma_i^2 d^2/dt^2 + 2/gamma_i d/dt + 1 - r_i^2 nabla^2) phi = Q(t - tau_i)

with the node's own damping rate gamma_i and range r_i (one number for the
whole sheet, or a per-node map: ``docs/heterogeneous.md``). With a map this
is the non-conservative local form: the Laplacian of phi is taken as is,
scaled by r_i^2 at the node (not div(r^2 grad phi)), so a wave crossing from
one medium into another sees each node's own coefficients. With
u = phi e^{gamma_i t}, w = Q e^{gamma_i t} it is u_tt = gamma_i^2 r_i^2
nabla^2 u + gamma_i^2 w at node i, discretised by second-order central
differences in time, the 5-point Laplacian in space and a Numerov-like average
of the source over three time levels (Rennie 2001, eq. A.16). It is second
order in dx and dt; for one medium it is stable for the Courant number
p = gamma r dt / dx <= 1/sqrt(2), and with maps the bound is required at
every node, p_i = gamma_i r_i dt / dx <= 1/sqrt(2) (the frozen-coefficient,
local von Neumann condition: the validation checks the maximum over nodes).

The scheme's constants (:func:`wave5_constants`) are floats for a uniform
medium or per-node ``(ly*lx,)`` arrays; the kernels read them with
:func:`parnft.kernels.nodal.at`, so floats compile to exactly the code they had
before and a map equal everywhere gives the uniform bits.

State: ``phi`` and ``qw`` of shape (2, ly+2, lx+2) hold the two most recent
time levels of phi and of the source; ``cur[0]`` is the index of level n. After
a step the level n-1 buffer holds n+1 and ``cur`` flips. Ghost cells of the new
level must be filled (halo exchange) before the next step.
"""

from __future__ import annotations

import math

from numba import uint64

from . import inline, kernel
from .nodal import at, nodal_exp


def wave5_constants(dt: float, dx: float, range_, gamma):
    """Return ``(p2, dfact, c10, c2, em, ep)`` of the 5-point scheme.

    The association order is NFTsim's: dfact = ((dt*dt/12)*gamma)*gamma,
    p2 = ((((dt*dt)/(dx*dx))*r)*r*gamma)*gamma.

    Parameters
    ----------
    dt, dx : float
        Time step [s] and grid spacing [m].
    range_, gamma : float or ndarray
        Range r [m] and damping rate gamma [1/s]: numbers, or this tile's
        per-node values (flat float64 arrays).

    Returns
    -------
    tuple
        Each constant a float, or a per-node array where it depends on a map
        (p2, c10, c2 on r and gamma; dfact, em, ep on gamma only). Element
        for element the same IEEE operations as the scalar formula (``em`` and
        ``ep`` by libm's ``exp``, :func:`parnft.kernels.nodal.nodal_exp`), so
        equal values give equal bits.
    """
    a = dt * dt / 12.0
    dfact = a * gamma * gamma
    b = (dt * dt) / (dx * dx)
    p2 = b * range_ * range_ * gamma * gamma
    c10 = 10.0 - 4.0 * p2
    c2 = 2.0 - 4.0 * p2
    em = nodal_exp(-dt * gamma)
    ep = nodal_exp(dt * gamma)
    return p2, dfact, c10, c2, em, ep


def wave9_constants(dt: float, dx: float, range_: float, gamma: float):
    """Return ``(p2, dfact, a10, b, c2, e2)`` of the legacy 9-point scheme.

    a10 = (10 - 3 p2) e1, b = (e1 * 0.5) p2, c2 = (2 - 3 p2) e1, e2 = exp(-2 dt gamma).
    Numbers only: ``WaveLegacy`` keeps one medium (its Range and gamma may not
    be per-node maps).
    """
    a = dt * dt / 12.0
    dfact = a * gamma * gamma
    bb = (dt * dt) / (dx * dx)
    p2 = bb * range_ * range_ * gamma * gamma
    e1 = math.exp(-dt * gamma)
    e2 = math.exp(-2.0 * dt * gamma)
    return p2, dfact, (10.0 - 3.0 * p2) * e1, (e1 * 0.5) * p2, (2.0 - 3.0 * p2) * e1, e2


@inline
def uniform_delay(tau):
    """The delay of every node when all are equal, else -1 (one vectorised pass)."""
    tau0 = tau[0] if tau.shape[0] > 0 else 0
    uniform = True
    for i in range(tau.shape[0]):
        uniform &= tau[i] == tau0
    return tau0 if uniform else -1


@inline
def wave5_rows(phi, qw, cur, phi_out, hist, ptr, tau, tau0, p2, dfact, c10, c2, em, ep, y0, y1,
               x0, x1):
    """The 5-point scheme on interior nodes ``y0 <= y < y1, x0 <= x < x1`` (0-based).

    Reads level ``cur[0]`` (with its ghosts) and writes level ``1 - cur[0]``;
    no flip. ``tau0 >= 0`` says every node has that delay: the source is one
    contiguous history row and each grid row is a branch-free loop that LLVM
    vectorises. Column indices are unsigned (so numba emits no negative-index
    wrap checks, which would stop the vectorisation); arrays are indexed
    directly, since views would cost reference counting. ``p2 .. ep`` are
    floats or per-node arrays, read at node ``i`` by :func:`at`.
    """
    c = cur[0]
    o = 1 - c
    nh = hist.shape[0]
    k = ptr[0]
    lx = phi.shape[2] - 2
    one = uint64(1)
    if tau0 >= 0:
        j = k - tau0
        if j < 0:
            j += nh
        for y in range(y0 + 1, y1 + 1):
            b = uint64((y - 1) * lx - 1)  # wraps for y = 1: b + x is still exact mod 2^64
            for x in range(uint64(x0 + 1), uint64(x1 + 1)):
                i = b + x
                xm = x - one
                xp = x + one
                qn1 = hist[j, i]
                sphi = ((phi[c, y - 1, x] + phi[c, y + 1, x]) + phi[c, y, xm]) + phi[c, y, xp]
                sq = ((qw[c, y - 1, x] + qw[c, y + 1, x]) + qw[c, y, xm]) + qw[c, y, xp]
                p2i, emi = at(p2, i), at(em, i)
                d = at(dfact, i) * ((((at(c10, i) * qw[c, y, x]) + (qn1 * at(ep, i)))
                                     + (qw[o, y, x] * emi)) + (p2i * sq))
                val = emi * ((((at(c2, i) * phi[c, y, x]) + (p2i * sphi)) - (phi[o, y, x] * emi))
                             + d)
                phi[o, y, x] = val
                qw[o, y, x] = qn1
                phi_out[i] = val
    else:
        for y in range(y0 + 1, y1 + 1):
            b = uint64((y - 1) * lx - 1)
            for x in range(uint64(x0 + 1), uint64(x1 + 1)):
                i = b + x
                xm = x - one
                xp = x + one
                j = k - tau[i]
                if j < 0:
                    j += nh
                qn1 = hist[j, i]
                sphi = ((phi[c, y - 1, x] + phi[c, y + 1, x]) + phi[c, y, xm]) + phi[c, y, xp]
                sq = ((qw[c, y - 1, x] + qw[c, y + 1, x]) + qw[c, y, xm]) + qw[c, y, xp]
                p2i, emi = at(p2, i), at(em, i)
                d = at(dfact, i) * ((((at(c10, i) * qw[c, y, x]) + (qn1 * at(ep, i)))
                                     + (qw[o, y, x] * emi)) + (p2i * sq))
                val = emi * ((((at(c2, i) * phi[c, y, x]) + (p2i * sphi)) - (phi[o, y, x] * emi))
                             + d)
                phi[o, y, x] = val
                qw[o, y, x] = qn1
                phi_out[i] = val


@kernel
def wave5_step(phi, qw, cur, phi_out, hist, ptr, tau, p2, dfact, c10, c2, em, ep, n):
    """Advance the 5-point damped wave scheme one step on every interior node.

    phi^{n+1}_c = em*( ((c2 phi^n_c + p2 S_phi) - em phi^{n-1}_c) + D ),
    D = dfact*( ((c10 Q^n_c + ep Q^{n+1}_c) + em Q^{n-1}_c) + p2 S_Q ),
    S = ((N + S) + W) + E over the four neighbours at level n and
    Q^{n+1} = hist[(ptr - tau) mod H] the delayed presynaptic rate, each
    constant that of the node (c) where it is per node. Stable for
    p = sqrt(p2) <= 1/sqrt(2) at every node.

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
        Delay in steps per node (checked for uniformity each call).
    p2, dfact, c10, c2, em, ep : float or ndarray (ly*lx,)
        From :func:`wave5_constants`: numbers, or per-node values.
    """
    wave5_rows(phi, qw, cur, phi_out, hist, ptr, tau, uniform_delay(tau), p2, dfact, c10, c2,
               em, ep, 0, phi.shape[1] - 2, 0, phi.shape[2] - 2)
    cur[0] = 1 - cur[0]


@kernel
def wave5_step_rows(y0, y1, phi, qw, cur, phi_out, hist, ptr, tau, tau0, p2, dfact, c10, c2,
                    em, ep, n):
    """:func:`wave5_step` on interior rows ``y0 <= y < y1``; :func:`flip_level` after all rows.

    Only level ``cur[0]`` is read at neighbouring rows, and no call of the step
    writes it, so the rows may be done in any strips. ``tau0``: the uniform
    delay, or -1 when delays differ per node.
    """
    wave5_rows(phi, qw, cur, phi_out, hist, ptr, tau, tau0, p2, dfact, c10, c2, em, ep, y0, y1,
               0, phi.shape[2] - 2)


@kernel
def wave5_step_inner(y0, y1, phi, qw, cur, phi_out, hist, ptr, tau, tau0, p2, dfact, c10, c2,
                     em, ep, n):
    """:func:`wave5_step_rows` without the tile's outer ring of nodes (see :func:`inner_box`).

    The inner nodes read no ghost cell, so they can be computed while the halo
    exchange is in flight; :func:`wave5_step_frame` does the ring after it.
    """
    ya, yb, xa, xb = inner_box(y0, y1, phi.shape[1] - 2, phi.shape[2] - 2)
    if ya < yb and xa < xb:
        wave5_rows(phi, qw, cur, phi_out, hist, ptr, tau, tau0, p2, dfact, c10, c2, em, ep,
                   ya, yb, xa, xb)


@kernel
def wave5_step_frame(phi, qw, cur, phi_out, hist, ptr, tau, tau0, p2, dfact, c10, c2, em, ep,
                     n):
    """:func:`wave5_step_rows` on the tile's outer ring of nodes only (after the halo)."""
    ly = phi.shape[1] - 2
    lx = phi.shape[2] - 2
    for r in range(4):
        ya, yb, xa, xb = frame_part(r, ly, lx)
        if ya < yb and xa < xb:
            wave5_rows(phi, qw, cur, phi_out, hist, ptr, tau, tau0, p2, dfact, c10, c2, em, ep,
                       ya, yb, xa, xb)


@inline
def inner_box(y0, y1, ly, lx):
    """Rows ``y0..y1`` of the tile's inner box ``[1, ly-1) x [1, lx-1)``: (ya, yb, xa, xb)."""
    return max(y0, 1), min(y1, ly - 1), 1, lx - 1


@inline
def frame_part(r, ly, lx):
    """Part ``r`` (0..3) of the outer ring of an ``ly x lx`` tile, as (ya, yb, xa, xb).

    Top row, bottom row, then the left and right columns between them; each
    node once, also for tiles one or two nodes thick.
    """
    if r == 0:
        return 0, 1, 0, lx
    if r == 1:
        return (ly - 1, ly, 0, lx) if ly > 1 else (0, 0, 0, 0)
    if r == 2:
        return 1, ly - 1, 0, 1
    return (1, ly - 1, lx - 1, lx) if lx > 1 else (0, 0, 0, 0)


@inline
def flip_level(cur, n):
    """Make the level just written the current one: ``cur[0] <- 1 - cur[0]``."""
    cur[0] = 1 - cur[0]


@kernel
def wave9_step(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, n):
    """Advance NFTsim's legacy 9-point wave scheme (``WaveLegacy``) one step.

    D = dfact*( ((a10 Q^n_c + Q^{n+1}_c) + e2 Q^{n-1}_c) + b (S_Q + 0.5 D_Q) ),
    phi^{n+1} = ((c2 phi^n_c + b (S_phi + 0.5 D_phi)) - e2 phi^{n-1}_c) + D,
    with S the 4 edge neighbours ((N+S)+W)+E and D the 4 diagonal ones
    ((NW+NE)+SW)+SE. Needs the corner ghosts. Courant bound p <= 1/sqrt(2).
    NFTsim keeps it for published work; its derivation is known to be inexact.
    """
    wave9_rows(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, 0,
               phi.shape[1] - 2, 0, phi.shape[2] - 2)
    cur[0] = 1 - cur[0]


@kernel
def wave9_step_rows(y0, y1, phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, n):
    """:func:`wave9_step` on interior rows ``y0 <= y < y1``; :func:`flip_level` after all rows."""
    wave9_rows(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, y0, y1, 0,
               phi.shape[2] - 2)


@kernel
def wave9_step_inner(y0, y1, phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, n):
    """:func:`wave9_step_rows` without the tile's outer ring (see :func:`wave5_step_inner`)."""
    ya, yb, xa, xb = inner_box(y0, y1, phi.shape[1] - 2, phi.shape[2] - 2)
    if ya < yb and xa < xb:
        wave9_rows(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, ya, yb, xa, xb)


@kernel
def wave9_step_frame(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, n):
    """:func:`wave9_step_rows` on the tile's outer ring of nodes only (after the halo)."""
    ly = phi.shape[1] - 2
    lx = phi.shape[2] - 2
    for r in range(4):
        ya, yb, xa, xb = frame_part(r, ly, lx)
        if ya < yb and xa < xb:
            wave9_rows(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2,
                       ya, yb, xa, xb)


@inline
def wave9_rows(phi, qw, cur, phi_out, hist, ptr, tau, dfact, a10, b, c2, e2, y0, y1, x0, x1):
    """The 9-point scheme on interior nodes ``y0 <= y < y1, x0 <= x < x1``; no flip."""
    c = cur[0]
    o = 1 - c
    nh = hist.shape[0]
    k = ptr[0]
    lx = phi.shape[2] - 2
    for y in range(y0 + 1, y1 + 1):
        for x in range(x0 + 1, x1 + 1):
            i = uint64((y - 1) * lx + (x - 1))
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
