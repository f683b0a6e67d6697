"""Firing-response kernels: soma potential V and firing rate Q = S(V).

Every parameter (Theta, Sigma, Qmax, the polynomial coefficients) is one
number or one value per node (:func:`parnft.kernels.nodal.at`).

Each kernel sums the population's dendritic potentials in connection order,
V = ((0 + V_1) + V_2) + ..., advances the population's history ring pointer
and writes Q into the new slot and into ``q_out``. Pointwise, no stability
bound.
"""

from __future__ import annotations

import math

from numba import uint64

from . import inline, kernel
from .exact_exp import _HBITS, _TAIL, exp_fast
from .nodal import at


@inline
def advance_ring(ptr, nslots):
    """Advance a history ring pointer ``ptr[0] <- (ptr[0] + 1) mod nslots``; return it."""
    k = ptr[0] + 1
    if k == nslots:
        k = 0
    ptr[0] = k
    return k


@inline
def ring_next(ptr, nslots, n):
    """Once per step, before a population's strips: advance its ring pointer."""
    advance_ring(ptr, nslots)


@inline
def soma_potential(vd, i):
    """V at node ``i``: the sum over dendrites ``vd[j, i]`` in connection order."""
    s = 0.0
    for j in range(vd.shape[0]):
        s = s + vd[j, i]
    return s


@inline
def sigmoid_libm_nodes(vd, v, hist, k, q_out, theta, sigma, qmax, i0, i1):
    """Q = Qmax / (1 + exp(-(V - theta)/sigma)) at nodes ``i0 <= i < i1``, libm's exp."""
    for i in range(uint64(i0), uint64(i1)):
        s = soma_potential(vd, i)
        v[i] = s
        q = at(qmax, i) / (1.0 + math.exp(-(s - at(theta, i)) / at(sigma, i)))
        hist[k, i] = q
        q_out[i] = q


@kernel
def fire_sigmoid_libm(vd, v, hist, ptr, q_out, theta, sigma, qmax, n):
    """Q = Qmax / (1 + exp(-(V - theta)/sigma)) at every node, exp from libm.

    Used where :func:`fire_sigmoid`'s inlined exp does not reproduce this
    machine's libm (:func:`parnft.kernels.exact_exp.agrees_with_libm`).
    """
    k = advance_ring(ptr, hist.shape[0])
    sigmoid_libm_nodes(vd, v, hist, k, q_out, theta, sigma, qmax, 0, v.shape[0])


@kernel
def fire_sigmoid_libm_nodes(i0, i1, vd, v, hist, ptr, q_out, theta, sigma, qmax, n):
    """:func:`fire_sigmoid_libm` on nodes ``i0 <= i < i1``, after :func:`ring_next`."""
    sigmoid_libm_nodes(vd, v, hist, ptr[0], q_out, theta, sigma, qmax, i0, i1)


@inline
def soma_potentials(vd, v, i0, i1):
    """``v[i] = soma_potential(vd, i)`` for ``i0 <= i < i1``, one dendrite row at a time.

    The same additions in the same order, as whole-row loops LLVM vectorises
    (indexing ``vd`` directly: a row view would cost reference counting).
    """
    if vd.shape[0] == 0:
        for i in range(uint64(i0), uint64(i1)):
            v[i] = 0.0
        return
    for i in range(uint64(i0), uint64(i1)):
        v[i] = 0.0 + vd[0, i]
    for j in range(1, vd.shape[0]):
        for i in range(uint64(i0), uint64(i1)):
            v[i] = v[i] + vd[j, i]


@inline
def sigmoid_nodes(vd, v, hist, k, q_out, theta, sigma, qmax, i0, i1):
    """The sigmoid of :func:`fire_sigmoid` at nodes ``i0 <= i < i1`` into ring slot ``k``."""
    tail, hbits = _TAIL, _HBITS
    soma_potentials(vd, v, i0, i1)
    bad = 0
    for i in range(uint64(i0), uint64(i1)):
        e, ok = exp_fast(-(v[i] - at(theta, i)) / at(sigma, i), tail, hbits)
        q_out[i] = e
        bad += not ok
    for i in range(uint64(i0), uint64(i1)):
        q = at(qmax, i) / (1.0 + q_out[i])
        q_out[i] = q
        hist[k, i] = q
    if bad:
        for i in range(uint64(i0), uint64(i1)):
            s = v[i]
            e, ok = exp_fast(-(s - at(theta, i)) / at(sigma, i), tail, hbits)
            if not ok:
                q = at(qmax, i) / (1.0 + math.exp(-(s - at(theta, i)) / at(sigma, i)))
                hist[k, i] = q
                q_out[i] = q


@kernel
def fire_sigmoid(vd, v, hist, ptr, q_out, theta, sigma, qmax, n):
    """Q = Qmax / (1 + exp(-(V - theta)/sigma)) at every node, glibc's exp inlined.

    Bit for bit :func:`fire_sigmoid_libm` on glibc with FMA (:mod:`.exact_exp`).
    V is summed row by row, exp written into ``q_out`` and the sigmoid taken in
    a third pass: each loop has no call and no branch, so LLVM vectorises it.
    Nodes whose exp argument lies outside the inlined range (|x| < 2^-54 or
    >= 512) are redone with ``math.exp`` in a last pass.
    """
    k = advance_ring(ptr, hist.shape[0])
    sigmoid_nodes(vd, v, hist, k, q_out, theta, sigma, qmax, 0, v.shape[0])


@kernel
def fire_sigmoid_nodes(i0, i1, vd, v, hist, ptr, q_out, theta, sigma, qmax, n):
    """:func:`fire_sigmoid` on nodes ``i0 <= i < i1``, after :func:`ring_next`."""
    sigmoid_nodes(vd, v, hist, ptr[0], q_out, theta, sigma, qmax, i0, i1)


@inline
def polynomial_nodes(vd, v, hist, k, q_out, c3, c2, c1, c0, i0, i1):
    """The polynomial of :func:`fire_polynomial` at nodes ``i0 <= i < i1``."""
    for i in range(uint64(i0), uint64(i1)):
        s = soma_potential(vd, i)
        v[i] = s
        a3, a2, a1, a0 = at(c3, i), at(c2, i), at(c1, i), at(c0, i)
        if a3 != 0.0:
            q = ((a3 * s * s * s + a2 * s * s) + a1 * s) + a0
        elif a2 != 0.0:
            q = (a2 * s * s + a1 * s) + a0
        else:
            q = a1 * s + a0
        hist[k, i] = q
        q_out[i] = q


@kernel
def fire_polynomial(vd, v, hist, ptr, q_out, c3, c2, c1, c0, n):
    """Q = ((c3 V + c2) V + c1) V + c0 evaluated as NFTsim does per degree.

    Linear: Q = a V + b (c3 = c2 = 0 evaluated as a*V + b); Quadratic:
    a V^2 + b V + c; Cubic: a V^3 + b V^2 + c V + d. The terms are summed left
    to right from the highest power, each power as repeated products.
    """
    k = advance_ring(ptr, hist.shape[0])
    polynomial_nodes(vd, v, hist, k, q_out, c3, c2, c1, c0, 0, v.shape[0])


@kernel
def fire_polynomial_nodes(i0, i1, vd, v, hist, ptr, q_out, c3, c2, c1, c0, n):
    """:func:`fire_polynomial` on nodes ``i0 <= i < i1``, after :func:`ring_next`."""
    polynomial_nodes(vd, v, hist, ptr[0], q_out, c3, c2, c1, c0, i0, i1)
