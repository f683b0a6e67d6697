"""exp(x) that LLVM can inline and vectorise, bit for bit equal to glibc's.

NFTsim's sigmoid calls glibc's ``exp``; parnft must return the same bits. An
out-of-line libm call cannot be vectorised and costs a PLT hop, numba's own
compatibility wrapper and an errno check per node (about 9-11 ns here, the
largest single cost of a step). glibc 2.28 and later (and the FMA build that
x86-64 machines with FMA select at run time) evaluate exp with Tang's table
method:

    x = k ln2/128 + r,   |r| <= ln2/256,
    exp(x) = 2^(k/128) exp(r) ~= s (1 + tail_k + r + r^2 (C2 + r C3) + r^4 (C4 + r C5))

with 2^(k/128) = H_k (1 + tail_k) from a 128-entry table and s = 2^(k div 128) H_k.
This module evaluates the same formula with the same fused multiply-adds in
the same order (read off the FMA build's machine code), with the table built
here from exact arithmetic. :func:`exp_fast` covers 2^-54 <= |x| < 512, every
argument a sigmoid meets in practice; callers fall back to ``math.exp`` for
the rest (signalled by its second result).

Bitwise agreement holds only where glibc uses this algorithm with FMA: the
run-time probe :func:`agrees_with_libm` compares it with ``math.exp`` on a
grid covering every table entry and is what the code generator checks before
selecting the vectorised sigmoid (otherwise it keeps the libm call).
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from functools import lru_cache

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from . import inline

_N = 128
# The constants of the method (the published minimax fit of glibc / ARM
# optimized-routines, EXP_POLY_ORDER 5), as IEEE-754 bit patterns.
_INVLN2N = np.uint64(0x40671547652B82FE).view(np.float64)   # 128 / ln 2
_NEGLN2HI = np.uint64(0xBF762E42FEFA0000).view(np.float64)  # -ln2/128, high part
_NEGLN2LO = np.uint64(0xBD0CF79ABC9E3B3A).view(np.float64)  # -ln2/128, low part
_C2 = np.uint64(0x3FDFFFFFFFFFFDBD).view(np.float64)
_C3 = np.uint64(0x3FC555555555543C).view(np.float64)
_C4 = np.uint64(0x3FA55555CF172B91).view(np.float64)
_C5 = np.uint64(0x3F81111167A4D017).view(np.float64)
_SHIFT = np.uint64(0x4338000000000000).view(np.float64)     # 1.5 * 2^52
_S45 = np.uint64(45)
_M127 = np.uint64(_N - 1)


def _round_double(x: Decimal) -> float:
    """``x`` rounded to the nearest double (ties to even)."""
    return float(x)  # Decimal -> float is correctly rounded


@lru_cache(maxsize=1)
def build_table() -> tuple[np.ndarray, np.ndarray]:
    """Return ``(tail, hbits)``: tail_k and bits(H_k) - (k << 45), k = 0..127.

    H_k is 2^(k/128) rounded to a double, tail_k = (2^(k/128) - H_k) / H_k
    rounded to a double; both from 60-digit decimal arithmetic.
    """
    tail = np.empty(_N)
    hbits = np.empty(_N, dtype=np.uint64)
    with localcontext() as ctx:  # the caller's decimal context stays as it was
        ctx.prec = 60
        ln2 = Decimal(2).ln()  # once: the same 60-digit value for every k
        for k in range(_N):
            exact = (ln2 * Decimal(k) / Decimal(_N)).exp()
            h = _round_double(exact)
            tail[k] = _round_double((exact - Decimal(h)) / Decimal(h))
            hbits[k] = np.uint64((int(np.float64(h).view(np.uint64)) - (k << 45)) % (1 << 64))
    return tail, hbits


_TAIL, _HBITS = build_table()


@intrinsic
def fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (``llvm.fma.f64``)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(d, [d, d, d]),
                                            "llvm.fma.f64")
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def as_bits(typingctx, x):
    """The IEEE-754 bits of a float64 as uint64."""
    sig = types.uint64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


@intrinsic
def from_bits(typingctx, u):
    """The float64 whose IEEE-754 bits are the uint64 ``u``."""
    sig = types.float64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


@inline
def exp_fast(x, tail, hbits):
    """exp(x) for 2^-54 <= |x| < 512 as glibc computes it; returns (value, in_range).

    ``tail`` and ``hbits`` are :func:`build_table`'s arrays. Outside that range
    the value is meaningless and ``in_range`` is False.
    """
    top = (as_bits(x) >> np.uint64(52)) & np.uint64(0x7FF)
    ok = (top - np.uint64(0x3C9)) <= np.uint64(0x3E)  # unsigned: 2^-54 <= |x| < 512
    kd = fma(x, _INVLN2N, _SHIFT)
    ki = as_bits(kd)
    kd = kd - _SHIFT
    r = fma(kd, _NEGLN2HI, x)
    r = fma(kd, _NEGLN2LO, r)
    j = np.intp(ki & _M127)
    sbits = hbits[j] + (ki << _S45)
    r2 = r * r
    p23 = fma(r, _C3, _C2)
    p45 = fma(r, _C5, _C4)
    t = fma(p23, r2, r + tail[j])
    t = fma(r2 * r2, p45, t)
    scale = from_bits(sbits)
    return fma(scale, t, scale), ok


@inline
def exp_inline(x):
    """exp(x) for any x: :func:`exp_fast` where it applies, else ``math.exp``.

    For the right-hand sides of population kinds (sigmoids of Jansen-Rit,
    Wilson-Cowan): no libm call, PLT hop or errno check for every argument in
    2^-54 <= |x| < 512, and the same value on every machine (the table and the
    fused multiply-adds are exact IEEE operations), equal to glibc's exp where
    :func:`parnft.kernels.libm_check.agrees_with_libm` holds.
    """
    e, ok = exp_fast(x, _TAIL, _HBITS)
    if ok:
        return e
    return math.exp(x)
