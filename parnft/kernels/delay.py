"""Delay-line read: the Map propagator."""

from __future__ import annotations

from . import kernel


@kernel
def map_step(phi_out, hist, ptr, tau, tau0, n):
    """Map propagator: phi = Q_pre(t - tau), read from the history ring per node.

    ``hist[(ptr - tau[i]) mod H, i]``; tau = 0 is the rate computed this step.
    ``tau0 >= 0`` says every node has that delay: one contiguous row is copied.
    """
    nh = hist.shape[0]
    k = ptr[0]
    if tau0 >= 0:
        j = k - tau0
        if j < 0:
            j += nh
        for i in range(phi_out.shape[0]):
            phi_out[i] = hist[j, i]
    else:
        for i in range(phi_out.shape[0]):
            j = k - tau[i]
            if j < 0:
                j += nh
            phi_out[i] = hist[j, i]
