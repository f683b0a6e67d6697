"""Numba kernels: pure functions of arrays and scalars.

No MPI, no configuration objects, no I/O, no globals. Every kernel updates the
nodes of one tile in place. Per-node fields are flat C-contiguous float64
arrays of the tile's ``ly * lx`` interior nodes (row-major, x fastest); fields
a stencil reads are ghosted ``(ly + 2, lx + 2)`` arrays. Arithmetic keeps the
association order of NFTsim's C++ (STUDY.md section 3) so that results agree
bit for bit where NFTsim is right; ``fastmath`` stays off (no FMA contraction).
"""

from numba import njit

#: Options shared by every kernel: cached compilation, IEEE semantics.
JIT = {"cache": True, "fastmath": False, "error_model": "numpy", "boundscheck": False}


def kernel(fn):
    """Compile ``fn`` as a parnft kernel (``numba.njit`` with :data:`JIT` options)."""
    return njit(**JIT)(fn)


def inline(fn):
    """Compile a small per-node helper that numba inlines into its callers.

    Inlining at numba's IR level lets LLVM optimise the helper inside the
    caller's loop; called out of line, a helper with a loop or several exits
    can cost several times more (measured: the polar normal, 140 ns vs 30 ns).
    """
    return njit(inline="always", **JIT)(fn)
