"""``at(p, i)``: a parameter that is one number or one value per node, inside a kernel.

A kernel written with ``at(theta, i)`` compiles to two specialisations: with a
float ``theta`` the call is ``theta`` itself (the uniform model compiles to
exactly the code it had before), with a float64 array it is ``theta[i]``. Both
feed the same IEEE operations in the same order (``fastmath`` is off, so no
reciprocal or contraction differs), so a map equal everywhere gives the
uniform model's bits. No stability bound of its own.

:func:`nodal_exp` is the host-side companion for constants that need an
exponential (the Wave's ``exp(-gamma dt)``): libm's ``exp`` of each node's
value, as ``math.exp`` gives the scalar path (numpy's vectorised ``exp`` may
round differently in the last bit).
"""

from __future__ import annotations

import math

import numpy as np
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


def nodal_exp(x):
    """``math.exp(x)`` of a number, or of every element of a float64 array (same shape).

    Parameters
    ----------
    x : float or ndarray

    Returns
    -------
    float or ndarray
        Each element exactly ``math.exp`` of the element (libm), so a
        per-node constant equals the scalar constant of the same value, bit
        for bit.
    """
    if isinstance(x, np.ndarray):
        flat = [math.exp(v) for v in x.ravel().tolist()]
        return np.array(flat, dtype=np.float64).reshape(x.shape)
    return math.exp(x)
