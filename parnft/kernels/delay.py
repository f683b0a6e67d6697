"""Delay-line read: the Map propagator."""

from __future__ import annotations

from numba import uint64

from . import inline, kernel


@inline
def map_nodes(phi_out, hist, ptr, tau, tau0, i0, i1):
    """phi = Q_pre(t - tau) on nodes ``i0 <= i < i1`` (indices unsigned: vectorised).

    One loop with a loop-invariant branch (LLVM unswitches it): two loops behind
    a branch would keep numba from pruning the arguments' reference counts.
    """
    nh = hist.shape[0]
    k = ptr[0]
    j0 = k - tau0
    if j0 < 0:
        j0 += nh
    uniform = tau0 >= 0
    for i in range(uint64(i0), uint64(i1)):
        if uniform:
            j = j0
        else:
            j = k - tau[i]
            if j < 0:
                j += nh
        phi_out[i] = hist[j, i]


@kernel
def map_step(phi_out, hist, ptr, tau, tau0, n):
    """Map propagator: phi = Q_pre(t - tau), read from the history ring per node.

    ``hist[(ptr - tau[i]) mod H, i]``; tau = 0 is the rate computed this step.
    ``tau0 >= 0`` says every node has that delay: one contiguous row is copied.
    Pointwise; no stability bound.
    """
    map_nodes(phi_out, hist, ptr, tau, tau0, 0, phi_out.shape[0])


@kernel
def map_step_nodes(i0, i1, phi_out, hist, ptr, tau, tau0, n):
    """:func:`map_step` on nodes ``i0 <= i < i1``."""
    map_nodes(phi_out, hist, ptr, tau, tau0, i0, i1)
