"""Run-time check that the inlined exp and log reproduce this machine's libm.

:mod:`.exact_exp` and :mod:`.exact_log` follow glibc's algorithms (2.28 and
later, FMA build). Where the C library differs (another libc, an older glibc,
a CPU without FMA) their results could differ in the last bit from the
``exp``/``log`` NFTsim calls, so the model builders select the inlined
kernels only when :func:`agrees_with_libm` is true, and the libm-calling
twins otherwise.

The probe costs a few tenths of a second per process (loading its kernels
and running them), so its answer is kept in the user cache folder
(``$PARNFT_CACHE_DIR`` or ``~/.cache/parnft``, file ``libm/<key>.json``)
under a key of everything that decides it (:func:`probe_key`): the glibc
version, the identity of the libm file this process mapped (path, device,
inode, size, modification time), the CPU model and the flags glibc's
``exp``/``log`` dispatch on, the numba and llvmlite versions, and the source
of the inlined kernels and of this probe. Any change gives a new key, so the
probe runs again; when the key cannot be formed (no ``/proc/self/maps``, no
glibc) or the file cannot be read or written, the probe simply runs, so the
cache can only skip work, never change an answer.
``PARNFT_LIBM_PROBE=always`` runs the probe every time.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
from functools import lru_cache
from pathlib import Path

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


#: CPU flags that select glibc's exp/log variants (ifuncs) or change numba's code.
_FLAGS = ("fma", "avx2", "avx512f", "sse4_1")


def _mapped_libm() -> str | None:
    """Path of the libm this process has mapped (from ``/proc/self/maps``), or None."""
    with open("/proc/self/maps") as fh:
        for line in fh:
            path = line.split(maxsplit=5)[-1].strip() if line.count(" ") >= 5 else ""
            name = os.path.basename(path)
            if name.startswith("libm.so") or name.startswith("libm-"):
                return path
    return None


def _cpu() -> tuple[str, list[str]]:
    """CPU model name and the :data:`_FLAGS` it has (``/proc/cpuinfo``)."""
    model, flags = platform.processor(), set()
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name":
                model = value.strip()
            elif key in ("flags", "Features"):
                flags = set(value.split())
                break
    return model, [f for f in _FLAGS if f in flags]


def probe_key() -> str | None:
    """Hash of what decides :func:`agrees_with_libm` on this machine, or None if unknown."""
    import llvmlite
    import numba

    libc = os.confstr("CS_GNU_LIBC_VERSION") if "CS_GNU_LIBC_VERSION" in os.confstr_names \
        else None
    libm = _mapped_libm()
    if not libc or not libm:
        return None
    st = os.stat(libm)
    model, flags = _cpu()
    h = hashlib.sha256()
    here = Path(__file__).parent
    for f in ("libm_check.py", "exact_exp.py", "exact_log.py"):
        h.update((here / f).read_bytes())
    fact = [libc, libm, os.path.realpath(libm), st.st_dev, st.st_ino, st.st_size,
            st.st_mtime_ns, model, flags, numba.__version__, llvmlite.__version__,
            platform.machine(), h.hexdigest()]
    return hashlib.sha256(json.dumps(fact).encode()).hexdigest()[:24]


def _cache_file(key: str) -> Path:
    root = os.environ.get("PARNFT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "parnft")
    return Path(root) / "libm" / f"{key}.json"


@lru_cache(maxsize=1)
def agrees_with_libm() -> bool:
    """:func:`probe_libm`'s answer, from the user cache when this libm build was probed.

    See the module docstring for the cache key; any failure to form the key
    or to read the cached answer runs the probe.
    """
    try:
        key = None if os.environ.get("PARNFT_LIBM_PROBE") == "always" else probe_key()
    except (OSError, ValueError):
        key = None
    if key is not None:
        try:
            data = json.loads(_cache_file(key).read_text())
            if data.get("key") == key and isinstance(data.get("agrees"), bool):
                return data["agrees"]
        except (OSError, ValueError):
            pass
    agrees = probe_libm()
    if key is not None:
        path = _cache_file(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"key": key, "agrees": agrees}))
            os.replace(tmp, path)
        except OSError:
            pass  # a read-only cache only costs the probe next time
    return agrees


def probe_libm() -> bool:
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
