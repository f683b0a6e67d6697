"""Counter-based normal random numbers, identical for any domain decomposition.

A draw is a pure function of (seed, stream, global node, step): no generator
state is carried, so a node's noise does not depend on which rank owns it, and
a restarted run continues the same sequence. Uniforms come from a chained
SplitMix64 finaliser (a bijective 64-bit mixer, Steele et al. 2014) applied to
the key words; normals from the Box-Muller transform of two such uniforms.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernel

_G = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO = np.uint64(2)
_INV53 = 1.0 / 9007199254740992.0  # 2**-53


@kernel
def mix64(z):
    """SplitMix64 finaliser of a uint64 (bijective avalanche mixer)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@kernel
def key_hash(seed, stream, node, counter):
    """64-bit hash of the four key words (all cast to uint64)."""
    h = mix64(np.uint64(counter) * _G + _G)
    h = mix64(h ^ (np.uint64(node) * _G))
    h = mix64(h ^ (np.uint64(stream) * _M1))
    return mix64(h ^ (np.uint64(seed) * _M2))


@kernel
def uniform01(seed, stream, node, counter):
    """A uniform double in (0, 1], 53 random bits, from the key."""
    return (float(key_hash(seed, stream, node, counter) >> _S11) + 1.0) * _INV53


@kernel
def normal(seed, stream, node, step):
    """A standard normal draw for (seed, stream, node, step) by Box-Muller."""
    c = np.uint64(step) * _TWO
    u1 = uniform01(seed, stream, node, c)
    u2 = uniform01(seed, stream, node, c + _ONE)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@kernel
def normal_field(out, seed, stream, gidx, step):
    """Fill ``out[i]`` with the standard normal of global node ``gidx[i]`` at ``step``."""
    for i in range(out.shape[0]):
        out[i] = normal(seed, stream, gidx[i], step)
