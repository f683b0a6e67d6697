"""QIF mean field (parnft.model.dynamics.qif) against Montbrio, Pazo & Roxin 2015.

With tau = 1 s the kind's SI equations with the Delta/(pi tau) convention of
the paper's code are MPR's dimensionless ones (r' = Delta/pi + 2 r v,
v' = v^2 - pi^2 r^2 + eta + J s); the published numbers use that form (with
the printed tau r' = Delta + 2 r v they would not be reproduced:
model-families.md 1.8). local = 1, no input: s = r at every fixed point.

Everything is computed from the compiled right-hand side:

* the fixed-point curve eta(r): for each r, Newton on (v, eta) for
  r' = v' = 0 at s = r, s' = 0;
* fixed points at eta = -5: bisection on eta(r) + 5 between grid brackets;
* saddle-node edges: bisection on det J (finite-difference Jacobian of the
  4-state right-hand side) along the curve; the eta there.

Published (MPR 2015, TVB's defaults J = 15, eta = -5, Delta = 1;
model-families.md 1.9, recomputed): r = 0.08113 (node), 0.47298 (saddle),
1.03060 (focus), tolerance 1e-5; bistability for eta in (-5.7435, -3.1361),
tolerance 1e-3. Eigenvalues of the 2D MPR system (-2.449, -5.398;
1.642, -2.988; -0.3089 +- 3.3186i), tolerance 1e-3, are those of the slow pair
with tau_s = 1e-6 s (the synapse adds two eigenvalues near -1/tau_s and moves
the others by O(tau_s)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.model.dynamics.qif import KIND as QIF
from tests.validation import rosetta_tools as rt


def mpr(eta, tau_s=1e-3):
    return rt.params(QIF, tau=1.0, tau_s=tau_s, J=15.0, eta=eta, Delta=1.0, local=1.0)


def eta_of_r(r):
    """(v, eta) with r' = v' = 0 at (r, v, s = r, s' = 0), by Newton on the right-hand side."""
    x = np.array([-1.0 / (2.0 * math.pi * r), -5.0])

    def f(x):
        return rt.rhs_array(QIF, (r, x[0], r, 0.0), 0.0, mpr(x[1]))[:2]

    for _ in range(60):
        jac = np.empty((2, 2))
        for j in range(2):
            h = 1e-6 * max(abs(x[j]), 1e-3)
            up, dn = x.copy(), x.copy()
            up[j] += h
            dn[j] -= h
            jac[:, j] = (f(up) - f(dn)) / (2.0 * h)
        dx = np.linalg.solve(jac, -f(x))
        x = x + dx
        if np.abs(dx).max() <= 1e-15 * np.abs(x).max():
            break
    assert np.abs(f(x)).max() < 1e-10
    return x


def roots(g, lo, hi, n, tol):
    grid = np.linspace(lo, hi, n)
    val = np.array([g(x) for x in grid])
    idx = np.nonzero(np.sign(val[:-1]) != np.sign(val[1:]))[0]
    return [rt.bisect(g, grid[i], grid[i + 1], tol) for i in idx]


def det_jac(r):
    v, eta = eta_of_r(r)
    return np.linalg.det(rt.jacobian(QIF, (r, v, r, 0.0), 0.0, mpr(eta)))


def test_fixed_points_eta_minus5():
    rs = roots(lambda r: eta_of_r(r)[1] + 5.0, 0.02, 2.0, 200, 1e-12)
    assert len(rs) == 3
    for r, published in zip(rs, (0.08113, 0.47298, 1.03060), strict=True):
        assert abs(r - published) <= 1e-5, (r, published)
        # and they are fixed points of the full right-hand side (Newton stays put)
        v = -1.0 / (2.0 * math.pi * r)
        s = rt.fixed_point(QIF, (r, v, r, 0.0), 0.0, mpr(-5.0))
        # (the bisection stops at 1e-12 in r; v = -1/(2 pi r) moves 1/(2 pi r^2) times that)
        assert abs(s[0] - r) <= 1e-11 and abs(s[1] - v) <= 1e-9


@pytest.mark.parametrize("r,published", [
    (0.08113, [-2.449, -5.398]),
    (0.47298, [1.642, -2.988]),
    (1.03060, [-0.3089 + 3.3186j, -0.3089 - 3.3186j]),
])
def test_eigenvalues_of_the_fast_synapse_limit(r, published):
    r = rt.bisect(lambda x: eta_of_r(x)[1] + 5.0, r - 1e-4, r + 1e-4, 1e-13)
    p = mpr(-5.0, tau_s=1e-6)
    s = rt.fixed_point(QIF, (r, -1.0 / (2 * math.pi * r), r, 0.0), 0.0, p)
    ev = np.linalg.eigvals(rt.jacobian(QIF, s, 0.0, p))
    slow = sorted(ev[np.argsort(np.abs(ev))[:2]], key=lambda z: (-z.real, -z.imag))
    want = sorted(published, key=lambda z: (-complex(z).real, -complex(z).imag))
    for got, exp in zip(slow, want, strict=True):
        assert abs(got - exp) <= 1e-3, (slow, want)
    assert np.all(np.abs(ev) > 0)


def test_saddle_node_edges():
    folds = roots(det_jac, 0.05, 1.5, 60, 1e-12)
    edges = sorted(eta_of_r(r)[1] for r in folds)
    assert len(edges) == 2
    assert abs(edges[0] - (-5.7435)) <= 1e-3, edges
    assert abs(edges[1] - (-3.1361)) <= 1e-3, edges


def test_scaling_with_delta():
    """r, v scale with sqrt(Delta), eta with Delta, J with sqrt(Delta) (MPR 2015).

    Delta = 4, J = 30, eta = -20 has the fixed points of Delta = 1, J = 15,
    eta = -5 times 2 (r, v, s), to rounding.
    """
    base = []
    for r in (0.08113, 0.47298, 1.03060):
        base.append(rt.fixed_point(QIF, (r, -1.0 / (2 * math.pi * r), r, 0.0), 0.0, mpr(-5.0)))
    p4 = rt.params(QIF, tau=1.0, tau_s=1e-3, J=30.0, eta=-20.0, Delta=4.0, local=1.0)
    for s in base:
        s4 = rt.fixed_point(QIF, 2.0 * s * (1 + 1e-3), 0.0, p4)
        np.testing.assert_allclose(s4[:3], 2.0 * s[:3], rtol=1e-11)
