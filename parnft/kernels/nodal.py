"""``at(p, i)``: a parameter that is one number or one value per node, inside a kernel.

A kernel written with ``at(theta, i)`` compiles to two specialisations: with a
float ``theta`` the call is ``theta`` itself (the uniform model compiles to
exactly the code it had before), with a float64 array it is ``theta[i]``. Both
feed the same IEEE operations in the same order (``fastmath`` is off, so no
reciprocal or contraction differs), so a map equal everywhere gives the
uniform model's bits. No stability bound of its own.
"""

from __future__ import annotations

from numba import types
from numba.extending import overload


def at(p, i):
    """``p[i]`` for a per-node array, ``p`` for a number (plain Python version)."""
    return p if isinstance(p, (int, float)) else p[i]


@overload(at, inline="always")
def _at(p, i):
    if isinstance(p, types.Array):
        def node(p, i):
            return p[i]
        return node

    def same(p, i):
        return p
    return same
