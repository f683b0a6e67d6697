"""Per-node maps of the local parameters of a field whose state spreads: CGLE physics.

References (analytic or an independent numpy solve, stated per test):

* D = 0 (no coupling): every node is its own Stuart-Landau oscillator, so an
  alpha and an omega map give each node the limit cycle of radius
  sqrt(alpha/gamma) run at Omega = omega - beta alpha/gamma (Aranson & Kramer,
  Rev. Mod. Phys. 74, 99, 2002; parnft.model.dynamics.stuart_landau).
* D > 0, beta = c1 = 0, a uniform omega and a state started real (y = 0):
  z = r e^{i omega t} with r real solving dr/dt = alpha(x) r - gamma r^3 +
  D lap_h r, so the run must settle on the stationary solution of
  D lap_h r + alpha r - gamma r^3 = 0 on the same 5-point periodic grid,
  found here by Newton's method with numpy (dense 256 x 256 Jacobian). For a
  patch wider than the diffusion length sqrt(D / 2 alpha) this is close to,
  but measurably off, the local radius sqrt(alpha/gamma) (checked, so the test
  sees the coupling).
"""

from __future__ import annotations

import math

import numpy as np

from parnft.config import parse_config
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

GL = """CGLE with per-node local parameters
Time: {time!r} Deltat: 1e-4
Nodes: {nodes}
Longside nodes: {nx}

Connection matrix:
From:  1
To 1:  0

Population 1: GL
 Length: {length!r}
 Dynamics: GinzburgLandau alpha: {alpha} omega: {omega} gamma: 0.1 beta: {beta} D: {D!r} c1: 0
           x_0: {x0} y_0: 0

Output: Node: All Start: {start!r} Interval: 1e-3
Population: 1.x 1.y
"""
GAMMA = 0.1


def run(shape, length, time, **kw):
    """``(x, y)`` samples ``(time, nodes)`` of the last 50 ms, and the spec."""
    ny, nx = shape
    text = GL.format(nodes=ny * nx, nx=nx, length=length, time=time, start=time - 0.05, **kw)
    spec = parse_config(text)
    sim = Simulation(spec)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    return np.asarray(w["pop.1.x"]), np.asarray(w["pop.1.y"]), spec


def grid_values(shape, length, f):
    """``f(x, y)`` at the cell centres in node order (x = (i + 1/2) dx, docs/heterogeneous.md)."""
    ny, nx = shape
    dx = length / nx
    y, x = np.meshgrid((np.arange(ny) + 0.5) * dx, (np.arange(nx) + 0.5) * dx, indexing="ij")
    return f(x, y).ravel(), nx * dx, ny * dx


def test_uncoupled_nodes_each_find_their_own_limit_cycle():
    shape, length = (6, 8), 0.08
    alpha, _, _ = grid_values(shape, length, lambda x, y: 5 + 10 * x / 0.08)
    omega, _, _ = grid_values(shape, length, lambda x, y: 2 * math.pi * (8 + 4 * y / 0.06))
    xs, ys, _ = run(shape, length, 3.0, alpha="expr(5 + 10 * x / Lx)",
                    omega="expr(2 * pi * (8 + 4 * y / Ly))", beta=0.05, D=0.0, x0=1)
    r = np.hypot(xs, ys)
    # tolerance 1e-9 (measured 2e-11): from r = 1 the radius grows for about
    # ln(r*)/alpha = 0.4 s, then the deviation decays as e^{-2 alpha_min t} with
    # alpha_min = 5.6 /s (e^-29 by 3 s); RK4's amplitude error (omega dt)^6/144 a step
    # against the radial restoring 2 alpha dt a step is about 1e-12
    np.testing.assert_allclose(r[-1], np.sqrt(alpha / GAMMA), rtol=1e-9)
    phase = np.unwrap(np.arctan2(ys, xs), axis=0)
    freq = (phase[-1] - phase[0]) / (1e-3 * (len(phase) - 1))
    # tolerance 1e-9 relative (measured 2e-11): RK4's phase error (omega dt)^4/120 =
    # 3e-11 relative; the 0.06 rad steps between samples unwrap exactly
    np.testing.assert_allclose(freq, omega - 0.05 * alpha / GAMMA, rtol=1e-9)
    assert r[-1].max() / r[-1].min() > 1.5           # the map does set different radii


def stationary_amplitude(alpha: np.ndarray, shape, dx: float, D: float) -> np.ndarray:
    """Newton's method for D lap_h r + alpha r - gamma r^3 = 0 on the periodic 5-point grid."""
    ny, nx = shape
    n = ny * nx
    idx = np.arange(n).reshape(ny, nx)
    lap = -4.0 * np.eye(n)
    for shift, axis in ((1, 0), (-1, 0), (1, 1), (-1, 1)):
        nb = np.roll(idx, shift, axis=axis).ravel()
        lap[np.arange(n), nb] += 1.0
    lap /= dx * dx
    r = np.sqrt(alpha / GAMMA)
    for _ in range(30):
        f = D * lap @ r + alpha * r - GAMMA * r ** 3
        step = np.linalg.solve(D * lap + np.diag(alpha - 3 * GAMMA * r * r), f)
        r = r - step
        if np.abs(step).max() < 1e-14 * r.max():
            break
    return r


def test_smooth_patch_with_diffusion_settles_on_the_stationary_amplitude():
    shape, length, D = (16, 16), 0.16, 1e-3        # dx = 0.01 m; sqrt(D / 2 alpha) = 7 mm
    expr = "10 + 10 * exp(-((x - Lx/2)**2 + (y - Ly/2)**2) / (2 * 0.03**2))"
    alpha, _, _ = grid_values(shape, length, lambda x, y: 10 + 10 * np.exp(
        -((x - 0.08) ** 2 + (y - 0.08) ** 2) / (2 * 0.03 ** 2)))
    xs, ys, spec = run(shape, length, 2.0, alpha=f"expr({expr})", omega="62.83185307179586",
                       beta=0, D=D, x0=10)
    ref = stationary_amplitude(alpha, shape, length / shape[1], D)
    r = np.hypot(xs[-1], ys[-1])
    # tolerance 1e-9 (measured 1.4e-11): the slowest amplitude mode decays at about
    # 2 alpha_min = 20 /s, so after 2 s the transient is e^-40; what is left is RK4's
    # O((omega dt)^4) error of the rotating state (the nodes' phases agree to 1e-11 rad)
    np.testing.assert_allclose(r, ref, rtol=1e-9)
    # the coupling matters: the stationary r differs from the local sqrt(alpha/gamma)
    # by up to 1.3 % (measured), against 1e-9
    local = np.sqrt(alpha / GAMMA)
    assert np.abs(ref / local - 1).max() > 5e-3
    assert spec.populations[0].dynamics.params["alpha"].hi > 19.0
