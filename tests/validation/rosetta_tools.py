"""Numerical tools for the Rosetta-ladder validation tests.

Everything here works on a kind's compiled right-hand side
(``Dynamics.rhs``, a numba function of tuples), never on a second copy of
its equations:

* :func:`params` / :func:`state0`: the tuples the right-hand side takes, from
  the declared defaults and keyword overrides (a Choice by its word);
* :func:`integrator`: classical RK4 with the input held over each step, in
  the association order of :func:`parnft.kernels.ode.rk4_node` (stage states
  y + (dt/2) k, update y + (dt/6)(((k1 + 2 k2) + 2 k3) + k4)), generated for
  the kind's state length and compiled by numba;
* :func:`jacobian` (central finite differences), :func:`fixed_point` (Newton
  with that Jacobian), :func:`bisect`;
* :func:`upward_crossings`: times where a sampled signal crosses a level
  upwards, linearly interpolated, for periods.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from parnft.model.declare import Choice


def params(kind, **over) -> tuple:
    """The parameter tuple of ``kind``: defaults, with ``name=value`` overrides."""
    out = []
    for prm in kind.params:
        val = over.pop(prm.name, prm.default)
        if isinstance(prm, Choice):
            val = float(prm.choices.index(val))
        out.append(float(val))
    if over:
        raise KeyError(f"{kind.name} has no parameters {sorted(over)}")
    return tuple(out)


def state0(kind, **over) -> tuple:
    """The initial state tuple of ``kind``: declared initial values, with overrides."""
    out = tuple(float(over.pop(v.name, v.init)) for v in kind.state)
    if over:
        raise KeyError(f"{kind.name} has no state variables {sorted(over)}")
    return out


_CACHE: dict = {}


def integrator(kind):
    """``run(s, inp, p, dt, every) -> (final state, samples)`` for ``kind``.

    ``inp`` is an array with the input of each step (held over the step);
    ``samples[j]`` is the state after ``j * every`` steps (row 0: ``s``).
    """
    if kind.name in _CACHE:
        return _CACHE[kind.name]
    m = len(kind.state)

    def tup(fmt):
        return "(" + ", ".join(fmt.format(j=j) for j in range(m)) + ",)"

    src = f"""
def step(s, inp, p, dt, h2, h6):
    k1 = rhs(s, inp, p)
    a = {tup("s[{j}] + h2 * k1[{j}]")}
    k2 = rhs(a, inp, p)
    b = {tup("s[{j}] + h2 * k2[{j}]")}
    k3 = rhs(b, inp, p)
    c = {tup("s[{j}] + dt * k3[{j}]")}
    k4 = rhs(c, inp, p)
    return {tup("s[{j}] + h6 * (((k1[{j}] + 2.0 * k2[{j}]) + 2.0 * k3[{j}]) + k4[{j}])")}

def run(s, inp, p, dt, every):
    h2 = dt * 0.5
    h6 = dt / 6.0
    n = inp.shape[0]
    out = np.empty((n // every + 1, {m}))
    for j in range({m}):
        out[0, j] = s[j]
    for i in range(n):
        s = step(s, inp[i], p, dt, h2, h6)
        if (i + 1) % every == 0:
            for j in range({m}):
                out[(i + 1) // every, j] = s[j]
    return s, out
"""
    ns = {"rhs": kind.rhs, "np": np}
    exec(compile(src, f"<rk4 {kind.name}>", "exec"), ns)  # noqa: S102 - generated test code
    ns["step"] = njit(ns["step"])
    run = njit(ns["run"])
    _CACHE[kind.name] = run
    return run


def integrate(kind, s, p, dt, steps, inp=0.0, every=1):
    """RK4 of ``kind`` over ``steps`` steps; ``inp`` a constant or one value per step."""
    drive = np.broadcast_to(np.asarray(inp, dtype=float), (steps,)).copy()
    final, out = integrator(kind)(tuple(float(x) for x in s), drive, p, float(dt), int(every))
    return final, out


def rhs_array(kind, s, inp, p) -> np.ndarray:
    """The right-hand side at ``s`` as an array."""
    return np.array(kind.rhs(tuple(float(x) for x in s), float(inp), p))


def jacobian(kind, s, inp, p, rel=1e-6) -> np.ndarray:
    """Central-difference Jacobian d rhs/d s at ``s``.

    The step of component j is ``rel * max(|s_j|, 1e-2 max_k |s_k|)``; the
    truncation error is O(h^2) relative to the third derivatives and the
    rounding error O(eps/h): with rel = 1e-6 both stay near 1e-9 relative.
    ``s`` must not be all zeros.
    """
    s = np.asarray(s, dtype=float)
    scale = np.abs(s).max()
    if scale == 0.0:
        raise ValueError("jacobian needs a state with a nonzero component (sets the step)")
    jac = np.empty((s.size, s.size))
    for j in range(s.size):
        h = rel * max(abs(s[j]), 1e-2 * scale)
        up, dn = s.copy(), s.copy()
        up[j] += h
        dn[j] -= h
        jac[:, j] = (rhs_array(kind, up, inp, p) - rhs_array(kind, dn, inp, p)) / (2.0 * h)
    return jac


def fixed_point(kind, s, inp, p, tol=1e-13, maxit=60) -> np.ndarray:
    """Newton's method for rhs(s) = 0 from ``s``, with the finite-difference Jacobian."""
    s = np.asarray(s, dtype=float).copy()
    for _ in range(maxit):
        f = rhs_array(kind, s, inp, p)
        ds = np.linalg.solve(jacobian(kind, s, inp, p), -f)
        s += ds
        if np.all(np.abs(ds) <= tol * np.maximum(np.abs(s), 1e-300) + 1e-300):
            return s
    f = rhs_array(kind, s, inp, p)
    if np.abs(f).max() > 1e-8 * max(1.0, np.abs(s).max()):
        raise RuntimeError(f"Newton did not converge for {kind.name}: residual {f}")
    return s


def max_real_eig(kind, s, inp, p):
    """The eigenvalue of largest real part of the Jacobian at ``s``."""
    ev = np.linalg.eigvals(jacobian(kind, s, inp, p))
    return ev[np.argmax(ev.real)]


def bisect(f, a, b, tol, maxit=200):
    """A root of ``f`` in [a, b] (f(a) f(b) < 0), to within ``tol``."""
    fa, fb = f(a), f(b)
    if not fa * fb < 0.0:
        raise ValueError(f"no sign change on [{a}, {b}]: f = {fa}, {fb}")
    for _ in range(maxit):
        m = 0.5 * (a + b)
        fm = f(m)
        if fa * fm <= 0.0:
            b, fb = m, fm
        else:
            a, fa = m, fm
        if abs(b - a) < tol:
            break
    return 0.5 * (a + b)


def upward_crossings(sig, dt, level=None) -> np.ndarray:
    """Times where ``sig`` (sampled every ``dt``) crosses ``level`` upwards (default: its mean)."""
    sig = np.asarray(sig, dtype=float)
    lev = sig.mean() if level is None else level
    d = sig - lev
    i = np.nonzero((d[:-1] < 0.0) & (d[1:] >= 0.0))[0]
    return (i + d[i] / (d[i] - d[i + 1])) * dt


def mean_period(sig, dt, level=None) -> float:
    """Mean period from the first to the last upward crossing."""
    t = upward_crossings(sig, dt, level)
    if t.size < 3:
        raise ValueError(f"only {t.size} crossings: no oscillation")
    return (t[-1] - t[0]) / (t.size - 1)


