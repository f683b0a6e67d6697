"""Numba kernels: pure functions of arrays and scalars.

No MPI, no configuration objects, no I/O, no globals. Every kernel updates the
nodes of one tile in place. Per-node fields are flat C-contiguous float64
arrays of the tile's ``ly * lx`` interior nodes (row-major, x fastest); fields
a stencil reads are ghosted ``(ly + 2, lx + 2)`` arrays. Arithmetic keeps the
association order of NFTsim's C++ (STUDY.md section 3) so that results agree
bit for bit where NFTsim is right; ``fastmath`` stays off (no FMA contraction).

Every kernel is disk-cached (``cache=True``), but its numba cache object is
made on the kernel's first compilation (:class:`_LazyCache`), not when its
module is imported: a run whose compiled loop comes from the disk cache never
compiles a kernel, and the ~140 cache objects (locating the cache folder,
testing that it is writable, stamping the source file) cost about 0.2 ms each
(measured: 0.30-0.32 ms per ``njit(cache=True)`` against 0.10-0.11 ms without,
2026-12-03), about 28 ms of every ``parnft`` start-up.
"""

from numba import njit
from numba.core.caching import FunctionCache, _Cache

#: Options shared by every kernel: IEEE semantics; caching comes from :func:`_cached`.
JIT = {"cache": True, "fastmath": False, "error_model": "numpy", "boundscheck": False}
_NOCACHE = {k: v for k, v in JIT.items() if k != "cache"}


class _LazyCache(_Cache):
    """numba's per-function disk cache, created on first use (same files, same behaviour)."""

    def __init__(self, py_func):
        self._py_func = py_func
        self._real = None

    def _cache(self) -> FunctionCache:
        if self._real is None:
            self._real = FunctionCache(self._py_func)
        return self._real

    @property
    def cache_path(self):
        return self._cache().cache_path

    def load_overload(self, sig, target_context):
        return self._cache().load_overload(sig, target_context)

    def save_overload(self, sig, data):
        return self._cache().save_overload(sig, data)

    def enable(self):
        self._cache().enable()

    def disable(self):
        self._cache().disable()

    def flush(self):
        self._cache().flush()


def _cached(disp):
    disp._cache = _LazyCache(disp.py_func)
    return disp


def kernel(fn):
    """Compile ``fn`` as a parnft kernel (``numba.njit`` with :data:`JIT` options)."""
    return _cached(njit(**_NOCACHE)(fn))


def inline(fn):
    """Compile a small per-node helper that numba inlines into its callers.

    Inlining at numba's IR level lets LLVM optimise the helper inside the
    caller's loop; called out of line, a helper with a loop or several exits
    can cost several times more (measured: the polar normal, 140 ns vs 30 ns).
    """
    return _cached(njit(inline="always", **_NOCACHE)(fn))
