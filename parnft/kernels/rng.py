"""Counter-based normal random numbers, identical for any domain decomposition.

A draw is a pure function of (seed, stream, global node, step): no generator
state is carried, so a node's noise does not depend on which rank owns it, and
a restarted run continues the same sequence. Uniforms come from the SplitMix64
finaliser (a bijective 64-bit mixer, Steele et al. 2014): a node's 64-bit key
hashes (seed, stream, node) once, at set-up; each draw mixes the key with a
counter derived from the step. Normals come from Marsaglia's polar method,
whose rejected pairs advance a sub-counter (32 per step), so the cost per draw
is about 1.3 x (two mixes, one log, one sqrt, one division).
"""

from __future__ import annotations

import math

import numpy as np
from numba import uint64

from . import inline, kernel
from .exact_log import INVC, LOGC, log_fast

_G = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@inline
def mix64(z):
    """SplitMix64 finaliser of a uint64 (bijective avalanche mixer)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@inline
def key_hash(seed, stream, node, counter):
    """64-bit hash of the four key words (all cast to uint64)."""
    h = mix64(np.uint64(counter) * _G + _G)
    h = mix64(h ^ (np.uint64(node) * _G))
    h = mix64(h ^ (np.uint64(stream) * _M1))
    return mix64(h ^ (np.uint64(seed) * _M2))


_S5 = np.uint64(5)
_C2 = np.uint64(0xD1B54A32D192ED03)


@inline
def node_key(seed, stream, node):
    """The 64-bit key of (seed, stream, global node): computed once per node."""
    return key_hash(seed, stream, node, 0)


@kernel
def node_keys(seed, stream, gidx, out):
    """Fill ``out[i]`` (uint64) with the key of global node ``gidx[i]``."""
    for i in range(gidx.shape[0]):
        out[i] = node_key(seed, stream, gidx[i])


@inline
def normal_keyed(key, step):
    """A standard normal draw for a node key and a step (polar method).

    Attempt a of step n mixes the key with counter 32 n + a; the first pair
    (x, y) inside the unit disc gives x sqrt(-2 ln s / s), s = x^2 + y^2.
    Each attempt is accepted with probability pi/4, independently, so the
    loop ends (more than 31 rejections in a row has probability 1e-21; the
    counter then runs into the next step's range, which stays a valid draw).
    Written as a single-exit loop: numba then optimises it far better.
    """
    ctr = np.uint64(step) << _S5
    while True:
        h1 = mix64(key ^ (ctr * _G))
        h2 = mix64(h1 ^ _C2)
        x = np.int64(h1 >> _S11) * (2.0 * _INV53) - 1.0
        y = np.int64(h2 >> _S11) * (2.0 * _INV53) - 1.0
        s = x * x + y * y
        if 0.0 < s < 1.0:
            return x * math.sqrt(-2.0 * math.log(s) / s)
        ctr += _ONE


@inline
def polar_attempt(key, ctr):
    """One polar-method attempt: the pair's ``(x, s = x^2 + y^2)`` for counter ``ctr``."""
    h1 = mix64(key ^ (ctr * _G))
    h2 = mix64(h1 ^ _C2)
    x = np.int64(h1 >> _S11) * (2.0 * _INV53) - 1.0
    y = np.int64(h2 >> _S11) * (2.0 * _INV53) - 1.0
    return x, x * x + y * y


@inline
def normals_keyed(keys, step, work, inline_log, m0, m1):
    """``work[0, m] = normal_keyed(keys[m], step)`` for ``m0 <= m < m1``, batched.

    The same draws as :func:`normal_keyed`, computed in passes without
    unpredictable branches: every node's first attempt (a branch-free loop),
    the rejected ones (about 21 %) retried one by one, then
    x sqrt(-2 ln s / s) for all. With ``inline_log`` (a compile-time constant
    of the caller) ln s is glibc's log inlined (:mod:`.exact_log`, same bits
    where :func:`~parnft.kernels.libm_check.agrees_with_libm`), so that pass
    vectorises; s near 1 (about 6 %) takes ``math.log``. ``work`` has shape
    (3, len(keys)): the draws, then scratch (indexed directly, not as views).
    """
    ctr0 = np.uint64(step) << _S5
    rejected = 0
    for m in range(uint64(m0), uint64(m1)):
        x, s = polar_attempt(keys[m], ctr0)
        work[0, m] = x
        work[1, m] = s
        rejected += not (0.0 < s < 1.0)
    if rejected:
        for m in range(uint64(m0), uint64(m1)):
            s = work[1, m]
            if not (0.0 < s < 1.0):
                key = keys[m]
                ctr = ctr0
                while not (0.0 < s < 1.0):
                    ctr += _ONE
                    x, s = polar_attempt(key, ctr)
                work[0, m] = x
                work[1, m] = s
    if inline_log:
        invc, logc = INVC, LOGC
        outside = 0
        for m in range(uint64(m0), uint64(m1)):
            y, ok = log_fast(work[1, m], invc, logc)
            work[2, m] = y
            outside += not ok
        if outside:
            for m in range(uint64(m0), uint64(m1)):
                y, ok = log_fast(work[1, m], invc, logc)
                if not ok:
                    work[2, m] = math.log(work[1, m])
    else:
        for m in range(uint64(m0), uint64(m1)):
            work[2, m] = math.log(work[1, m])
    for m in range(uint64(m0), uint64(m1)):
        s = work[1, m]
        work[0, m] = work[0, m] * math.sqrt(-2.0 * work[2, m] / s)


@kernel
def normal_field(out, seed, stream, gidx, step):
    """Fill ``out[i]`` with the standard normal of global node ``gidx[i]`` at ``step``."""
    for i in range(out.shape[0]):
        out[i] = normal_keyed(node_key(seed, stream, gidx[i]), step)
