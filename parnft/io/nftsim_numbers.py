"""NFTsim's number format, ``%.14e`` with a leading space for values >= 0.

Split from :mod:`parnft.io.nftsim_text` (which reads and writes whole files):
here are the exact, vectorised encoder and decoder of single values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# numbers: NFTsim's "%.14e" with a leading space for values >= 0
#
# A fast, exact, vectorised path handles the common case (finite values with
# 1e-8 <= |v| < 1e15, and +0.0): every such value is exactly 21 characters, so a
# row has a fixed width and a whole block of rows is one uint8 array. Anything
# else (NaN, inf, -0.0, tiny or huge magnitudes) goes through Python's own
# correctly rounded formatting/parsing, row by row.

_VALUE_WIDTH = 21  # sign slot + "d.dddddddddddddde+XX"
_FAST_EMIN, _FAST_EMAX = -8, 14  # decimal exponents the fast writer handles
_POW10 = np.array([10.0**k for k in range(23)])  # exact doubles
_SPLITTER = 134217729.0  # 2**27 + 1, Dekker's split
_ZERO = ord("0")
_MANT_POS = (1, *range(3, 17))  # positions of the 15 mantissa digits in a value


def _format_value(v: float) -> str:
    """One number as NFTsim's ``Dumpf`` writes it (the slow, exact path)."""
    if v >= 0:
        return " " + format(v, ".14e")
    if v != v:  # NaN: printf writes the sign bit
        return "-nan" if np.signbit(v) else "nan"
    return format(v, ".14e")


def _two_product(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dekker's error-free product: ``hi + lo == a * b`` exactly (no FMA needed)."""
    hi = a * b
    t = _SPLITTER * a
    ah = t - (t - a)
    al = a - ah
    t = _SPLITTER * b
    bh = t - (t - b)
    bl = b - bh
    lo = al * bl - (((hi - ah * bh) - al * bh) - ah * bl)
    return hi, lo


def _round_scaled(ax: np.ndarray, e: np.ndarray) -> np.ndarray:
    """``round_half_even(ax * 10**(14 - e))`` exactly, as float64 (0 <= 14 - e <= 22)."""
    hi, lo = _two_product(ax, _POW10[14 - e])
    f = np.floor(hi)
    frac = hi - f  # exact while hi < 2**53 (a larger hi only has to compare as too big)
    tie_up = (lo > 0) | ((lo == 0) & (np.floor(f * 0.5) * 2.0 != f))
    return f + ((frac > 0.5) | ((frac == 0.5) & tie_up))


def _put_digits(out: np.ndarray, positions: Sequence[int], x: np.ndarray) -> None:
    """Write the decimal digits of ``x`` (int32, < 10**len(positions)) as ASCII."""
    for pos in reversed(positions[1:]):
        q = x // 10
        out[:, pos] = x - q * 10
        x = q
    out[:, positions[0]] = x
    out[:, positions] += _ZERO


def _encode_values(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """Write ``x`` (1-D float64) into ``out`` (uint8, ``(x.size, 21)``) as NFTsim does.

    Returns a bool mask of the values encoded exactly by this fast path:
    finite with ``1e-8 <= |x| < 1e15``, or ``+0.0``. Others are left as garbage.
    """
    ax = np.abs(x)
    nz = (ax >= 1e-8) & (ax < 1e15)  # False for NaN
    ok = nz | ((x == 0) & ~np.signbit(x))
    safe = np.where(nz, ax, 1.0)
    e = np.clip(np.floor(np.log10(safe)), _FAST_EMIN, _FAST_EMAX).astype(np.int32)
    n = _round_scaled(safe, e)
    for _ in range(2):  # log10 may be off by one; rounding may carry into a new digit
        fix = np.flatnonzero((n >= 1e15) | (n < 1e14))
        if fix.size == 0:
            break
        ef = e[fix] + (n[fix] >= 1e15).view(np.int8) - (n[fix] < 1e14).view(np.int8)
        e[fix] = np.clip(ef, _FAST_EMIN, _FAST_EMAX)
        n[fix] = _round_scaled(safe[fix], e[fix])
    ok &= ~nz | ((n >= 1e14) & (n < 1e15))
    n = np.where(nz, n, 0.0)
    e = np.where(nz, e, 0)
    hi = np.floor(n * 1e-8)  # split into 7 + 8 digits (fixing a possible off-by-one)
    lo = n - hi * 1e8
    hi += (lo >= 1e8).view(np.int8) - (lo < 0).view(np.int8)
    lo = n - hi * 1e8
    out[:, 0] = np.where(x < 0, ord("-"), ord(" "))
    out[:, 2] = ord(".")
    out[:, 17] = ord("e")
    out[:, 18] = np.where(e < 0, ord("-"), ord("+"))
    _put_digits(out, _MANT_POS[:7], hi.astype(np.int32))
    _put_digits(out, _MANT_POS[7:], lo.astype(np.int32))
    _put_digits(out, (19, 20), np.abs(e))
    return ok


def _decode_values(chars: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inverse of :func:`_encode_values` for a ``(n, 21)`` uint8 array.

    Returns the values and a mask of entries that had the fixed layout (and an
    exponent allowing one correctly rounded operation); the rest are garbage.
    """
    d = chars - np.uint8(_ZERO)  # digits 0..9; anything else wraps above 9
    sign = chars[:, 0]
    esign = chars[:, 18]
    ok = (
        ((sign == ord(" ")) | (sign == ord("-")))
        & (chars[:, 2] == ord("."))
        & (chars[:, 17] == ord("e"))
        & ((esign == ord("+")) | (esign == ord("-")))
        & (d[:, 1] <= 9)
        & (d[:, 3:17] <= 9).all(axis=1)
        & (d[:, 19:21] <= 9).all(axis=1)
    )
    hi = d[:, 1].astype(np.int32)
    for pos in _MANT_POS[1:7]:
        hi = hi * 10 + d[:, pos]
    lo = d[:, _MANT_POS[7]].astype(np.int32)
    for pos in _MANT_POS[8:]:
        lo = lo * 10 + d[:, pos]
    n = hi * 1e8 + lo  # < 1e15: exact
    e = d[:, 19].astype(np.int32) * 10 + d[:, 20]
    k = np.where(esign == ord("-"), -e, e) - 14  # value = n * 10**k
    ok &= (k >= -22) & (k <= 22)  # then one correctly rounded operation suffices
    scale = _POW10[np.minimum(np.abs(k), 22)]
    v = np.where(k >= 0, n * scale, n / scale)
    return np.where(sign == ord("-"), -v, v), ok
