"""The hot-path kernels give the same bits as the plain formulas they replace.

References, all exact (tolerance: none, bitwise):

* the inlined exp/log against this machine's libm (``math.exp``/``math.log``
  in numba call glibc), including the out-of-range arguments that take the
  libm fallback;
* the vectorised sigmoid against the libm-calling twin;
* the batched normal draws against the one-draw-at-a-time generator;
* the vectorised wave rows (narrow and wide tiles, uniform delay) against the
  5-point formula written out per node in plain Python.
"""

from __future__ import annotations

import math
import platform

import numpy as np
import pytest
from numba import njit

from parnft.kernels.exact_exp import _HBITS, _TAIL, build_table
from parnft.kernels.firing import fire_sigmoid, fire_sigmoid_libm
from parnft.kernels.libm_check import (
    agrees_with_libm,
    exp_array,
    exp_array_libm,
    log_array,
    log_array_libm,
)
from parnft.kernels.rng import node_keys, normal_keyed
from parnft.kernels.stimulus import series_white, series_white_libm
from parnft.kernels.wave import fill_periodic, wave5_step


def _glibc_fma() -> bool:
    """glibc 2.28+ on x86-64 with FMA: where the inlined exp/log must agree."""
    lib, ver = platform.libc_ver()
    if lib != "glibc" or platform.machine() != "x86_64":
        return False
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    major, minor = (int(x) for x in ver.split(".")[:2])
    return (major, minor) >= (2, 28) and " fma " in flags


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint64)


def test_table_is_the_exact_power_of_two():
    """H_k (1 + tail_k) rounds to 2^(k/128) and H_k is 2^(k/128) rounded."""
    tail, hbits = build_table()
    assert _TAIL is tail and _HBITS is hbits and tail[0] == 0.0
    for k in range(128):
        h = np.array([int(hbits[k]) + (k << 45)], dtype=np.uint64).view(np.float64)[0]
        assert abs(h - 2.0 ** (k / 128)) <= 2.0 ** -52      # H_k: 2^(k/128) rounded
        assert 0 < abs(tail[k]) < 2.0 ** -53 or k == 0      # the rounding error, relative


def test_probe_agrees_on_this_machine():
    if _glibc_fma():
        assert agrees_with_libm()


@pytest.mark.parametrize("seed", [0, 1])
def test_exp_and_log_bitwise_libm(seed):
    if not agrees_with_libm():
        assert not _glibc_fma(), "inlined exp/log differ from glibc"
        return                      # the kernels use the libm twins here
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.uniform(-60, 60, 300_000),
                        rng.standard_normal(100_000) * 10.0 ** rng.uniform(-18, 2.9, 100_000),
                        [0.0, -0.0, 2.0 ** -54, -(2.0 ** -60), 512.0, -700.0, 710.0, np.inf,
                         -np.inf, np.nan]])
    a, b = np.empty_like(x), np.empty_like(x)
    exp_array_libm(x, a)
    exp_array(x, b)
    assert np.array_equal(_bits(a), _bits(b))
    y = np.concatenate([rng.random(300_000), 1.0 + rng.uniform(-0.1, 0.1, 50_000),
                        10.0 ** rng.uniform(-307, 307, 50_000), [1.0, 5e-324, 1e-310]])
    a, b = np.empty_like(y), np.empty_like(y)
    log_array_libm(y, a)
    log_array(y, b)
    assert np.array_equal(_bits(a), _bits(b))


def test_sigmoid_bitwise_libm_twin():
    """Every node and the out-of-range fallbacks (V = theta, |x| >= 512) agree."""
    if not agrees_with_libm():
        assert not _glibc_fma()
        return
    rng = np.random.default_rng(3)
    n = 1001
    vd = rng.normal(0.013, 0.01, (3, n))
    vd[:, 0] = [0.013, 0.0, 0.0]        # V = theta: exp(-0.0), below the fast range
    vd[:, 1] = [5.0, 0.0, 0.0]          # exp argument -1300
    vd[:, 2] = [-3.0, 0.0, 0.0]         # exp argument +790: overflow to inf, Q = 0
    out = []
    for kern in (fire_sigmoid, fire_sigmoid_libm):
        v, q = np.zeros(n), np.zeros(n)
        hist, ptr = np.zeros((3, n)), np.zeros(1, dtype=np.int64)
        kern(vd, v, hist, ptr, q, 0.013, 0.0038, 340.0, 1)
        out.append((v, q, hist.copy(), int(ptr[0])))
    (v1, q1, h1, p1), (v2, q2, h2, p2) = out
    assert p1 == p2 == 1
    for a, b in ((v1, v2), (q1, q2), (h1, h2)):
        assert np.array_equal(_bits(a), _bits(b))
    assert q1[2] == 0.0 and q1[0] == 170.0


@njit(cache=False)
def _one_by_one(keys, steps, out):
    for s in range(steps.shape[0]):
        for m in range(keys.shape[0]):
            out[s, m] = normal_keyed(keys[m], steps[s])


@pytest.mark.parametrize("kernel", [series_white, series_white_libm])
def test_batched_normals_equal_one_at_a_time(kernel):
    """Over 300 nodes x 40 steps (about 2500 rejected first attempts)."""
    if kernel is series_white and not agrees_with_libm():
        assert not _glibc_fma()
        return
    nn, ns = 300, 40
    keys = np.empty(nn, dtype=np.uint64)
    node_keys(7, 3, np.arange(nn, dtype=np.int64) * 5, keys)
    steps = np.arange(1, ns + 1, dtype=np.int64)
    ref = np.empty((ns, nn))
    _one_by_one(keys, steps, ref)
    nodes = np.arange(nn, dtype=np.int64)[::-1].copy()   # any order of local nodes
    sel = keys[nodes]
    got = np.empty((ns, nn))
    for s in steps:
        hist, ptr, clock = np.zeros((1, nn)), np.zeros(1, dtype=np.int64), np.zeros(1)
        kernel(hist, ptr, nodes, sel, np.empty((3, nn)), clock, 1e-4, math.inf, 0.0, 1.0, s)
        got[s - 1] = hist[0]            # hist is indexed by local node
    assert np.array_equal(_bits(ref), _bits(got))


def _wave_reference(phi, qw, cur, hist, ptr, tau, p2, dfact, c10, c2, em, ep):
    """The 5-point update per node in plain Python (NFTsim's association order)."""
    c, o = cur, 1 - cur
    ly, lx = phi.shape[1] - 2, phi.shape[2] - 2
    new_phi, out = phi.copy(), np.empty(ly * lx)
    new_q = qw.copy()
    for y in range(1, ly + 1):
        for x in range(1, lx + 1):
            i = (y - 1) * lx + x - 1
            qn1 = hist[(ptr - tau[i]) % hist.shape[0], i]
            sphi = ((phi[c, y - 1, x] + phi[c, y + 1, x]) + phi[c, y, x - 1]) + phi[c, y, x + 1]
            sq = ((qw[c, y - 1, x] + qw[c, y + 1, x]) + qw[c, y, x - 1]) + qw[c, y, x + 1]
            d = dfact * ((((c10 * qw[c, y, x]) + (qn1 * ep)) + (qw[o, y, x] * em)) + (p2 * sq))
            val = em * ((((c2 * phi[c, y, x]) + (p2 * sphi)) - (phi[o, y, x] * em)) + d)
            new_phi[o, y, x] = val
            new_q[o, y, x] = qn1
            out[i] = val
    return new_phi, new_q, out


@pytest.mark.parametrize("shape", [(5, 7), (3, 40)])       # narrow and wide rows
@pytest.mark.parametrize("uniform", [True, False])
def test_wave_rows_bitwise_per_node_formula(shape, uniform):
    ly, lx = shape
    rng = np.random.default_rng(11)
    phi, qw = rng.random((2, ly + 2, lx + 2)), rng.random((2, ly + 2, lx + 2))
    for lev in (0, 1):
        fill_periodic(phi[lev])
        fill_periodic(qw[lev])
    hist, ptr = rng.random((4, ly * lx)), np.array([1], dtype=np.int64)
    tau = np.full(ly * lx, 2, dtype=np.int64)
    if not uniform:
        tau[rng.integers(0, ly * lx, 5)] = 3
    const = (0.21, 1.3e-3, 9.16, 1.16, 0.9885, 1.0117)
    ref_phi, ref_q, ref_out = _wave_reference(phi, qw, 0, hist, 1, tau, *const)
    cur, out = np.zeros(1, dtype=np.int64), np.empty(ly * lx)
    wave5_step(phi, qw, cur, out, hist, ptr, tau, *const, 1)
    assert cur[0] == 1
    inner = (slice(None), slice(1, -1), slice(1, -1))
    assert np.array_equal(_bits(out), _bits(ref_out))
    assert np.array_equal(_bits(phi[inner]), _bits(ref_phi[inner]))
    assert np.array_equal(_bits(qw[inner]), _bits(ref_q[inner]))
