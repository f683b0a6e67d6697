"""Stimulus (time series) kernels for external populations.

Each step a stimulus population advances its history ring, zeroes the new
slot (:func:`stim_begin`), lets every series add its value on its nodes, and
copies the result to its output (:func:`stim_end`). A series keeps a local
clock t, started at -Onset and advanced by dt before it fires (accumulated,
as NFTsim); it is active while 0 <= t < Duration. Pointwise; no stability bound.
"""

from __future__ import annotations

import math

import numpy as np
from numba import uint64

from . import inline, kernel
from .firing import advance_ring
from .rng import normal_keyed, normals_keyed


@kernel
def stim_begin(hist, ptr, n):
    """Advance the ring pointer and zero the new slot."""
    k = advance_ring(ptr, hist.shape[0])
    for i in range(hist.shape[1]):
        hist[k, i] = 0.0


@kernel
def stim_begin_nodes(i0, i1, hist, ptr, n):
    """Zero the new slot on nodes ``i0 <= i < i1`` (after :func:`~.firing.ring_next`)."""
    k = ptr[0]
    for i in range(uint64(i0), uint64(i1)):
        hist[k, i] = 0.0


@kernel
def stim_end(hist, ptr, q_out, n):
    """Copy the newest slot to the population's output Q."""
    k = ptr[0]
    for i in range(q_out.shape[0]):
        q_out[i] = hist[k, i]


@kernel
def stim_end_nodes(i0, i1, hist, ptr, q_out, n):
    """:func:`stim_end` on nodes ``i0 <= i < i1``."""
    k = ptr[0]
    for i in range(uint64(i0), uint64(i1)):
        q_out[i] = hist[k, i]


@inline
def series_tick(clock, dt, duration, on, n):
    """Once per step, before the strips of a series on every node: ``on[0]`` = active."""
    t, active = tick(clock, dt, duration)
    on[0] = active


@inline
def tick(clock, dt, duration):
    """Advance a series clock; return (t, active) with active = 0 <= t < duration."""
    t = clock[0] + dt
    clock[0] = t
    return t, (t >= 0.0) and (t < duration)


@inline
def add_on(hist, ptr, nodes, value):
    """Add ``value`` to the newest slot at the local node indices ``nodes``."""
    k = ptr[0]
    for m in range(nodes.shape[0]):
        i = nodes[m]
        hist[k, i] = hist[k, i] + value


@kernel
def series_const(hist, ptr, nodes, clock, dt, duration, mean, n):
    """Const: the value ``Mean`` while active."""
    t, on = tick(clock, dt, duration)
    if on:
        add_on(hist, ptr, nodes, mean)


@kernel
def series_const_nodes(i0, i1, hist, ptr, on, mean, n):
    """:func:`series_const` of a series on every node, nodes ``i0 <= i < i1``."""
    if on[0]:
        k = ptr[0]
        for i in range(uint64(i0), uint64(i1)):
            hist[k, i] = hist[k, i] + mean


@kernel
def series_pulse_rect(hist, ptr, nodes, clock, dt, duration, amp, width, period, pulses, n):
    """PulseRect: Amp while fmod(t, Period) <= Width and t/Period < Pulses.

    Period = inf (one pulse) when neither Period nor Frequency is given.
    """
    t, on = tick(clock, dt, duration)
    if on and np.fmod(t, period) <= width and t / period < pulses:
        add_on(hist, ptr, nodes, amp)


@kernel
def series_sine(hist, ptr, nodes, clock, dt, duration, amp, freq, n):
    """Sine: Amp sin(2 pi f t) while active."""
    t, on = tick(clock, dt, duration)
    if on:
        add_on(hist, ptr, nodes, amp * math.sin(2.0 * math.pi * t * freq))


@inline
def white(hist, ptr, nodes, keys, work, clock, dt, duration, mean, std, n, inline_log):
    """White noise added on ``nodes`` (see :func:`series_white`)."""
    t, on = tick(clock, dt, duration)
    if on:
        k = ptr[0]
        normals_keyed(keys, n, work, inline_log, 0, nodes.shape[0])
        for m in range(nodes.shape[0]):
            i = nodes[m]
            hist[k, i] = hist[k, i] + (work[0, m] * std + mean)


@kernel
def series_white_libm(hist, ptr, nodes, keys, work, clock, dt, duration, mean, std, n):
    """:func:`series_white` with ``math.log`` from libm (where the inlined log differs)."""
    white(hist, ptr, nodes, keys, work, clock, dt, duration, mean, std, n, False)


@kernel
def series_white(hist, ptr, nodes, keys, work, clock, dt, duration, mean, std, n):
    """White: an independent N(Mean, std^2) draw per node and step while active.

    ``keys[m]`` hashes (seed, stream, global node index) of local node
    ``nodes[m]`` (:func:`parnft.kernels.rng.node_keys`; contiguous, so the
    first pass of the draws vectorises); the draw adds the step n, so it is
    the same for any tiling of the grid. Its ln is glibc's log inlined
    (:func:`parnft.kernels.rng.normals_keyed`). ``work`` is scratch of shape
    (3, len(nodes)), allocated once by the caller.
    """
    white(hist, ptr, nodes, keys, work, clock, dt, duration, mean, std, n, True)


@inline
def white_nodes(i0, i1, hist, ptr, keys, work, on, mean, std, n, inline_log):
    """White noise of a series on every node, nodes ``i0 <= i < i1``."""
    if on[0]:
        k = ptr[0]
        normals_keyed(keys, n, work, inline_log, i0, i1)
        for i in range(uint64(i0), uint64(i1)):
            hist[k, i] = hist[k, i] + (work[0, i] * std + mean)


@kernel
def series_white_nodes(i0, i1, hist, ptr, keys, work, on, mean, std, n):
    """:func:`series_white` of a series on every node, nodes ``i0 <= i < i1``."""
    white_nodes(i0, i1, hist, ptr, keys, work, on, mean, std, n, True)


@kernel
def series_white_libm_nodes(i0, i1, hist, ptr, keys, work, on, mean, std, n):
    """:func:`series_white_libm` of a series on every node, nodes ``i0 <= i < i1``."""
    white_nodes(i0, i1, hist, ptr, keys, work, on, mean, std, n, False)


@kernel
def series_white_coherent(hist, ptr, nodes, key, clock, dt, duration, mean, std, n):
    """WhiteCoherent: one N(Mean, std^2) draw per step, the same on all its nodes.

    ``key`` is a 1-element uint64 array: the key of (seed, stream, node 0).
    """
    t, on = tick(clock, dt, duration)
    if on:
        z = normal_keyed(key[0], n)
        add_on(hist, ptr, nodes, z * std + mean)
