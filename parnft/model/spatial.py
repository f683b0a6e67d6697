"""Linear analysis of a kind's spatial operators: modes, RK4 stability, largest stable step.

For a kind with :class:`~parnft.model.declare.CrossDiffusion` terms
(``Dynamics.spatial``), a small perturbation exp(lambda t + i k.x) of a
uniform state s* obeys lambda v = (J - k^2 C) v, with J the Jacobian of the
local right-hand side at s* and C the coefficient matrix of the spatial
terms (``C[dst, src] = c``); on the grid k^2 is the 5-point stencil's
(4/dx^2)(sin^2(k_x dx/2) + sin^2(k_y dx/2)), which covers [0, 8/dx^2].

The classical RK4 step multiplies a mode by R(z) = 1 + z + z^2/2 + z^3/6 +
z^4/24 with z = dt lambda. The step is stable when every grid mode with
|e^z| <= 1 keeps |R(z)| <= 1, and no growing mode grows faster than
max(1, |e^z|) (relative 1e-6): the test :func:`stable` applies. Two closed
forms follow (used in the docs): pure diffusion, lambda = -D k^2 down to
-8 D/dx^2, and RK4's real interval [-2.7853, 0] give Deltat <= 2.7853 dx^2 /
(8 D) = 0.348 dx^2/D (less strict than forward Euler's dx^2/(4 D)); an
undamped wave carried by the Laplacian, lambda = +- i c k up to c sqrt(8)/dx,
and RK4's imaginary interval |y| <= 2 sqrt(2) give Deltat <= dx / c.
"""

from __future__ import annotations

import math

import numpy as np

from .declare import Dynamics

#: The RK4 stability limit on the negative real axis (root of |R(-x)| = 1, x > 0).
RK4_REAL = 2.785293563405282
#: Grid wavenumbers^2 sampled in [0, 8/dx^2] by :func:`stable` (plus the end point).
SAMPLES = 256


def coefficients(kind: Dynamics, values: dict) -> np.ndarray:
    """``C`` (m x m): ``C[dst, src]`` = the summed coefficients of ``c lap(src)`` in d dst/dt."""
    names = [v.name for v in kind.state]
    c = np.zeros((len(names), len(names)))
    for op in kind.spatial:
        c[names.index(op.dst), names.index(op.src)] += op.value(values)
    return c


def jacobian(kind: Dynamics, values: dict, state=None, rel: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of the local right-hand side at ``state`` (default s(0)).

    The input is zero (the steady input is not known before the model is built).
    """
    fn = getattr(kind.rhs, "py_func", kind.rhs)
    p = kind.param_tuple({k: v for k, v in values.items()})
    s = np.array(kind.initial_state(values) if state is None else state, dtype=float)
    inp = tuple(0.0 for _ in kind.inputs) if kind.inputs else 0.0
    scale = max(float(np.abs(s).max()), 1.0)
    jac = np.empty((s.size, s.size))
    for j in range(s.size):
        h = rel * max(abs(s[j]), scale)
        up, dn = s.copy(), s.copy()
        up[j] += h
        dn[j] -= h
        jac[:, j] = (np.array(fn(tuple(up), inp, p)) - np.array(fn(tuple(dn), inp, p))) / (2 * h)
    return jac


def modes(kind: Dynamics, values: dict, k2, state=None) -> np.ndarray:
    """Eigenvalues lambda of J - k^2 C for each k^2 of ``k2``: shape ``(len(k2), m)``."""
    jac = jacobian(kind, values, state)
    c = coefficients(kind, values)
    return np.array([np.linalg.eigvals(jac - float(q) * c) for q in np.atleast_1d(k2)])


def rk4_factor(z):
    """RK4's amplification factor R(z) = 1 + z + z^2/2 + z^3/6 + z^4/24."""
    return 1.0 + z * (1.0 + z * (0.5 + z * (1.0 / 6.0 + z / 24.0)))


def _ok(lam: np.ndarray, dt: float) -> np.ndarray:
    z = dt * lam
    return np.abs(rk4_factor(z)) <= np.maximum(1.0, np.abs(np.exp(z))) * (1.0 + 1e-6)


def stable(kind: Dynamics, values: dict, dt: float, dx: float, lam=None) -> bool:
    """True when the RK4 step ``dt`` is stable for every grid mode (see the module docstring).

    The local dynamics' own step rule is a separate check: when the k = 0 mode
    is already unstable this reports True (the spatial terms are not the cause).
    """
    if lam is None:
        lam = modes(kind, values, np.linspace(0.0, 8.0 / (dx * dx), SAMPLES + 1))
    ok = _ok(lam, dt)
    if not ok[0].all():
        return True
    return bool(ok.all())


def largest_stable_dt(kind: Dynamics, values: dict, dx: float, dt: float) -> float:
    """The largest step <= ``dt`` that :func:`stable` accepts (bisection, relative 1e-6)."""
    lam = modes(kind, values, np.linspace(0.0, 8.0 / (dx * dx), SAMPLES + 1))
    lo, hi = 0.0, float(dt)
    if stable(kind, values, hi, dx, lam):
        return hi
    while hi - lo > 1e-6 * hi:
        mid = 0.5 * (lo + hi)
        if stable(kind, values, mid, dx, lam):
            lo = mid
        else:
            hi = mid
    return lo


def diffusion_bound(D: float, dx: float) -> float:
    """Closed form for pure diffusion: Deltat <= 2.7853 dx^2 / (8 D) (inf for D = 0)."""
    return math.inf if D <= 0 else RK4_REAL * dx * dx / (8.0 * D)


__all__ = ["RK4_REAL", "coefficients", "diffusion_bound", "jacobian",
           "largest_stable_dt", "modes", "rk4_factor", "stable"]
