"""Run-time check that the inlined exp and log reproduce this machine's libm.

:mod:`.exact_exp` and :mod:`.exact_log` follow glibc's algorithms (2.28 and
later, FMA build). Where the C library differs (another libc, an older glibc,
a CPU without FMA) their results could differ in the last bit from the
``exp``/``log`` NFTsim calls, so the model builders select the inlined
kernels only when :func:`agrees_with_libm` is true, and the libm-calling
twins otherwise.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from . import kernel
from .exact_exp import _HBITS, _TAIL, exp_fast
from .exact_log import INVC, LOGC, log_fast


@kernel
def exp_array(x, out):
    """``out[i] = exp(x[i])`` bit for bit as glibc (fast path, libm call outside it)."""
    tail, hbits = _TAIL, _HBITS
    bad = False
    for i in range(x.shape[0]):
        e, ok = exp_fast(x[i], tail, hbits)
        out[i] = e
        bad |= not ok
    if bad:
        for i in range(x.shape[0]):
            e, ok = exp_fast(x[i], tail, hbits)
            if not ok:
                out[i] = math.exp(x[i])


@kernel
def exp_array_libm(x, out):
    """``out[i] = exp(x[i])`` from libm (``math.exp``), the reference."""
    for i in range(x.shape[0]):
        out[i] = math.exp(x[i])


@kernel
def log_array(x, out):
    """``out[i] = log(x[i])``: :func:`.exact_log.log_fast`, ``math.log`` outside its range."""
    invc, logc = INVC, LOGC
    for i in range(x.shape[0]):
        y, ok = log_fast(x[i], invc, logc)
        out[i] = y if ok else math.log(x[i])


@kernel
def log_array_libm(x, out):
    """``out[i] = log(x[i])`` from libm (``math.log``), the reference."""
    for i in range(x.shape[0]):
        out[i] = math.log(x[i])


@lru_cache(maxsize=1)
def agrees_with_libm() -> bool:
    """True when the inlined exp and log equal this machine's libm on a probe grid.

    The exp grid hits every table entry many times over the sigmoid's working
    range, plus random arguments up to |x| = 700 and the edge cases; the log
    grid covers (0, 1) (the polar method's s) and random magnitudes. About 20 ms.
    """
    rng = np.random.default_rng(12345)
    x = np.concatenate([
        np.linspace(-40.0, 40.0, 200_003),
        rng.uniform(-1.0, 1.0, 50_000) * 10.0 ** rng.uniform(-17, 2.85, 50_000),
        np.array([0.0, -0.0, 1e-300, 2.0**-54, -(2.0**-54), 511.999, -511.999, 512.0,
                  -745.2, 709.78, 1000.0, -1000.0, np.inf, -np.inf, np.nan]),
    ])

    ref = np.empty_like(x)
    got = np.empty_like(x)
    exp_array_libm(x, ref)
    exp_array(x, got)
    if not np.array_equal(ref.view(np.uint64), got.view(np.uint64)):
        return False
    x = np.concatenate([rng.random(200_000), np.linspace(2.0**-20, 1.0, 100_003),
                        10.0 ** rng.uniform(-300, 300, 20_000)])
    ref = np.empty_like(x)
    got = np.empty_like(x)
    log_array_libm(x, ref)
    log_array(x, got)
    return bool(np.array_equal(ref.view(np.uint64), got.view(np.uint64)))
