"""Coupling kernels: the synaptic drive P_j = nu_j * phi_j of connection j.

phi_j is propagator j's output from the previous step. Pointwise (Matrix:
a dense product over all nodes); no stability bound.
"""

from __future__ import annotations

from numba import uint64

from . import kernel


@kernel
def couple_map(nu, phi, drive, n):
    """P = nu (.) phi; ``nu`` has one value per node."""
    for i in range(phi.shape[0]):
        drive[i] = nu[i] * phi[i]


@kernel
def couple_map_nodes(i0, i1, nu, phi, drive, n):
    """:func:`couple_map` on nodes ``i0 <= i < i1``."""
    for i in range(uint64(i0), uint64(i1)):
        drive[i] = nu[i] * phi[i]


@kernel
def couple_uniform(nu, phi, drive, n):
    """P = nu phi with one float ``nu`` for every node (no per-node nu array read)."""
    for i in range(phi.shape[0]):
        drive[i] = nu * phi[i]


@kernel
def couple_uniform_nodes(i0, i1, nu, phi, drive, n):
    """:func:`couple_uniform` on nodes ``i0 <= i < i1``."""
    for i in range(uint64(i0), uint64(i1)):
        drive[i] = nu * phi[i]


@kernel
def couple_ramp(nu, phi, drive, clock, values, times, dt, n):
    """Piecewise-linear nu(t) accumulated per step, then P = nu * phi.

    Each step the coupling's clock advances by dt (accumulated, as NFTsim);
    while t_{k-1} <= t < t_k, nu += dt * (v_k - v_{k-1}) / (t_k - t_{k-1}).
    nu is constant before t_0 and after the last time point.
    """
    t = clock[0] + dt
    clock[0] = t
    for k in range(1, times.shape[0]):
        if times[k - 1] <= t < times[k]:
            inc = dt * (values[k] - values[k - 1]) / (times[k] - times[k - 1])
            for i in range(nu.shape[0]):
                nu[i] = nu[i] + inc
            break
    for i in range(phi.shape[0]):
        drive[i] = nu[i] * phi[i]


@kernel
def couple_matrix(nu, phi_all, drive, row0, n):
    """All-to-all coupling P_i = sum_j nu[i, j] phi_j over every global node j.

    ``nu`` holds the rows of this tile's nodes (global row ``row0 + i`` for
    local node i, in the tile's order given by the caller), ``phi_all`` the
    presynaptic field of every global node (gathered).
    """
    for i in range(drive.shape[0]):
        s = 0.0
        for j in range(phi_all.shape[0]):
            s = s + nu[i, j] * phi_all[j]
        drive[i] = s
