"""NFTsim's noise generator: ``std::mt19937_64`` and libstdc++'s normal distribution.

Used only by the NFTsim-compatible noise mode (``rng="nftsim"``, see
``docs/rng.md``); parnft's default noise is the counter-based generator of
:mod:`parnft.kernels.rng`. Reproduces, bit for bit, what NFTsim's
``Random`` class (STUDY.md sections 2.8 and 3.5) returns:

* **Generator.** The 64-bit Mersenne Twister of the C++ standard (Matsumoto
  and Nishimura 1998/2000): n = 312 words, m = 156, seeded as
  ``std::mt19937_64(seed)``. The state is a ``uint64[312]`` array plus the
  read position ``pos`` (an ``int64[1]``); ``pos = 312`` means "twist before
  the next output", as right after seeding.
* **Uniform** (``std::generate_canonical<double, 53>``, one 64-bit word):
  u = double(w) / 2^64, with the int -> double conversion rounded to nearest,
  and u = nextafter(1, 0) when that rounds up to 1.
* **Normal** (libstdc++ ``std::normal_distribution``, Marsaglia's polar
  method): x = 2 u1 - 1, y = 2 u2 - 1 until 0 < r2 = x^2 + y^2 <= 1;
  m = sqrt(-2 log(r2) / r2); it returns y m and keeps x m for the next call.
  The cache is part of the distribution object, so it survives from one call
  (one node, one time step) to the next. The value is z sigma + mean.

The polar cache is a ``float64[3]`` array ``cache``: ``cache[2]`` is 0 (empty),
1 (holds x in ``cache[0]`` and r2 in ``cache[1]``, multiplier not yet
computed) or 2 (holds x m in ``cache[0]``). State 1 lets :func:`skip_normal`
advance the generator past a value nobody on this rank needs without paying
for its log and sqrt; the multiplier is computed from the same r2 by the
same expression when the value is needed, so results do not change.

numba's ``math.log`` and ``math.sqrt`` match glibc's (STUDY.md section 3.6);
``fastmath`` stays off, so no expression here is contracted into an FMA.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernel
from .stimulus import add_on, tick

#: Words of state (n) and the shift size (m) of mt19937_64.
NN = 312
MM = 156

_MATRIX_A = np.uint64(0xB5026F5AA96619E9)
_UPPER = np.uint64(0xFFFFFFFF80000000)  # most significant w - r = 33 bits
_LOWER = np.uint64(0x7FFFFFFF)  # least significant r = 31 bits
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_U, _D = np.uint64(29), np.uint64(0x5555555555555555)
_S, _B = np.uint64(17), np.uint64(0x71D67FFFEDA60000)
_T, _C = np.uint64(37), np.uint64(0xFFF7EEE000000000)
_L = np.uint64(43)
_TWO64 = 18446744073709551616.0  # 2**64
_BELOW_ONE = 1.0 - 2.0 ** -53  # nextafter(1.0, 0.0)
_INIT_F = 6364136223846793005
_MASK64 = (1 << 64) - 1


def mt_seed(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """State of ``std::mt19937_64(seed)``.

    Parameters
    ----------
    seed : int
        The seed, taken modulo 2^64 (as a ``uint_fast64_t``).

    Returns
    -------
    state : ndarray of uint64, shape (312,)
        The seeded words: x0 = seed, x_i = f (x_{i-1} xor (x_{i-1} >> 62)) + i
        (mod 2^64) with f = 6364136223846793005.
    pos : ndarray of int64, shape (1,)
        Read position, 312 (the first output twists the state).
    """
    words = [int(seed) & _MASK64]
    for i in range(1, NN):
        prev = words[-1]
        words.append((_INIT_F * (prev ^ (prev >> 62)) + i) & _MASK64)
    return np.array(words, dtype=np.uint64), np.array([NN], dtype=np.int64)


@kernel
def mt_twist(state):
    """Regenerate all 312 words of ``state`` in place (the generator's twist)."""
    for i in range(NN):
        y = (state[i] & _UPPER) | (state[(i + 1) % NN] & _LOWER)
        v = state[(i + MM) % NN] ^ (y >> _ONE)
        if (y & _ONE) != _ZERO:
            v = v ^ _MATRIX_A
        state[i] = v


@kernel
def mt_next(state, pos):
    """Next 64-bit output (uint64) of the generator ``(state, pos)``."""
    if pos[0] >= NN:
        mt_twist(state)
        pos[0] = 0
    y = state[pos[0]]
    pos[0] += 1
    y = y ^ ((y >> _U) & _D)
    y = y ^ ((y << _S) & _B)
    y = y ^ ((y << _T) & _C)
    return y ^ (y >> _L)


@kernel
def mt_uniform(state, pos):
    """A uniform double in [0, 1) as ``std::generate_canonical<double, 53>``."""
    u = float(mt_next(state, pos)) / _TWO64
    if u >= 1.0:
        u = _BELOW_ONE
    return u


@kernel
def _polar_pair(state, pos, cache):
    """Draw a polar pair; keep x and r2 in the cache (state 1); return (y, r2)."""
    while True:
        x = 2.0 * mt_uniform(state, pos) - 1.0
        y = 2.0 * mt_uniform(state, pos) - 1.0
        r2 = x * x + y * y
        if not (r2 > 1.0 or r2 == 0.0):
            break
    cache[0] = x
    cache[1] = r2
    cache[2] = 1.0
    return y, r2


@kernel
def _multiplier(r2):
    """The polar method's sqrt(-2 log(r2) / r2), in libstdc++'s association order."""
    return math.sqrt(-2.0 * math.log(r2) / r2)


@kernel
def std_normal(state, pos, cache):
    """A standard normal draw as libstdc++'s ``std::normal_distribution`` makes it."""
    flag = cache[2]
    if flag == 2.0:
        cache[2] = 0.0
        return cache[0]
    if flag == 1.0:
        cache[2] = 0.0
        return cache[0] * _multiplier(cache[1])
    y, r2 = _polar_pair(state, pos, cache)
    m = _multiplier(r2)
    cache[0] = cache[0] * m
    cache[2] = 2.0
    return y * m


@kernel
def skip_normal(state, pos, cache):
    """Advance the distribution by one draw as :func:`std_normal`, without computing it."""
    if cache[2] != 0.0:
        cache[2] = 0.0
    else:
        _polar_pair(state, pos, cache)


@kernel
def normal(state, pos, cache, mean, std):
    """``std::normal_distribution<double>(mean, std)(gen)``: z * std + mean."""
    return std_normal(state, pos, cache) * std + mean


def new_cache() -> np.ndarray:
    """An empty polar cache (``float64[3]``, see the module notes)."""
    return np.zeros(3)


@kernel
def series_white_nftsim(hist, ptr, nodes, gidx, clock, dt, duration, mean, std,
                        state, pos, cache, draws, need, n):
    """White as NFTsim draws it: N(Mean, std^2) for every global node, in node order.

    Each active step the generator is advanced over all ``draws.shape[0]``
    nodes of the global grid, whatever the tile or the ``Node`` subset; the
    value of global node g is computed only where ``need[g]`` (this tile uses
    it) and stored in ``draws[g]``. The local subset ``nodes`` then adds
    ``draws[gidx[i]]``. Every rank thus walks the same stream and keeps its
    own nodes' values, so the field does not depend on the rank count.
    """
    t, on = tick(clock, dt, duration)
    if on:
        for g in range(draws.shape[0]):
            if need[g]:
                draws[g] = normal(state, pos, cache, mean, std)
            else:
                skip_normal(state, pos, cache)
        k = ptr[0]
        for m in range(nodes.shape[0]):
            i = nodes[m]
            hist[k, i] = hist[k, i] + draws[gidx[i]]


@kernel
def series_white_coherent_nftsim(hist, ptr, nodes, clock, dt, duration, mean, std,
                                 state, pos, cache, n):
    """WhiteCoherent as NFTsim: one N(Mean, std^2) draw per active step on all its nodes."""
    t, on = tick(clock, dt, duration)
    if on:
        add_on(hist, ptr, nodes, normal(state, pos, cache, mean, std))
