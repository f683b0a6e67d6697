"""Fields whose state spreads: the CGLE plane waves, the Laplacian's order, RK4's order, stability.

References (all analytic, computed here from the stated formulas):

* GinzburgLandau, dz/dt = (alpha + i omega) z - (gamma + i beta)|z|^2 z +
  D (1 + i c1) lap z: the plane wave R exp(i(k.x + Omega t)) with
  R^2 = (alpha - D k^2)/gamma and Omega = omega - beta R^2 - c1 D k^2 is an
  exact solution of the semi-discrete equations when k^2 is the 5-point
  stencil's (4/dx^2)(sin^2(k_x dx/2) + sin^2(k_y dx/2)); seeded exactly, the
  run must keep it to the RK4 error (measured 2e-11 relative after 0.05 s at
  Deltat = 1e-4), and seeded off its amplitude it must relax onto it (the
  attracting branch, radial rate 2 (alpha - D k^2)).
* Order 2 in dx: the same wave of one physical wavelength seeded with the
  *continuum* R^2 relaxes to the discrete R^2; the gap to the continuum
  (alpha - D k^2)/gamma is D (k^2 - k_h^2)/gamma = D k^4 dx^2 / (12 gamma) + O(dx^4),
  so it must fall by 4 per halving of dx (measured orders in the test ids' assertions).
* Order 4 in dt: the JH_excitatory field is linear; one seeded cosine mode
  follows the matrix exponential of (J - k_h^2 C) exactly (per mode, the
  semi-discrete system is a 2 x 2 linear ODE), and the RK4 error at a fixed
  time must fall by 16 per halving of Deltat.
* Stability: the bound enforced at validation (parnft.model.spatial) equals
  the closed forms 2.7853 dx^2 / (8 D) (pure diffusion) and dx / c (the
  undamped cross-diffusive wave of speed c = sqrt(c_x kappa_H)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.config import parse_config
from parnft.errors import ConfigError
from parnft.model import spatial
from parnft.model.dynamics import lookup
from parnft.model.dynamics.ginzburg_landau import discrete_k2, plane_wave
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

ALPHA, OMEGA, GAMMA, BETA = 10.0, 2 * math.pi * 10, 0.1, 0.05

GL = """CGLE plane wave
Time: {time!r} Deltat: {dt!r}
Nodes: {nodes}
Longside nodes: {nx}

Connection matrix:
From:  1
To 1:  0

Population 1: GL
 Length: {length!r}
 Dynamics: GinzburgLandau alpha: {alpha} omega: {omega!r} gamma: {gamma} beta: {beta}
           D: {D!r} c1: {c1!r}

Output: Node: All Interval: {interval!r}
Population: 1.x 1.y
"""


def run_gl(z0, ny, nx, length, D, c1, time, dt, every=10):
    """Run GinzburgLandau from the complex field ``z0`` (ny x nx); (t, z samples)."""
    text = GL.format(time=time, dt=dt, nodes=ny * nx, nx=nx, length=length, alpha=ALPHA,
                     omega=OMEGA, gamma=GAMMA, beta=BETA, D=D, c1=c1, interval=every * dt)
    sim = Simulation(parse_config(text))
    f = sim.ctx.populations[1].fields
    f["x"][:] = z0.real.ravel()
    f["y"][:] = z0.imag.ravel()
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    z = (w["pop.1.x"] + 1j * w["pop.1.y"]).reshape(-1, ny, nx)
    return w.time, z


@pytest.mark.parametrize("mode", [(2, 0), (1, 3)])
def test_cgle_plane_wave_is_kept_exactly(mode):
    n, length, D, c1, dt = 16, 0.16, 5e-4, 0.5, 1e-4
    dx = length / n
    kx, ky = (2 * math.pi * m / length for m in mode)
    k2 = discrete_k2(kx, ky, dx)
    R, om = plane_wave(k2, ALPHA, OMEGA, GAMMA, BETA, D, c1)
    yy, xx = np.mgrid[0:n, 0:n] * dx
    phase = kx * xx + ky * yy
    t, z = run_gl(R * np.exp(1j * phase), n, n, length, D, c1, 0.05, dt)
    exact = R * np.exp(1j * (phase + om * t[-1]))
    assert np.abs(z[-1] - exact).max() / R < 1e-8
    # the stated relation itself, from the run: R^2 and the frequency
    r2 = (np.abs(z[-1]) ** 2).mean()
    assert abs(r2 - (ALPHA - D * k2) / GAMMA) < 1e-6 * r2
    freq = np.angle(z[-1] / z[-2]).mean() / (t[-1] - t[-2])
    assert abs(freq - om) < 1e-6 * abs(om)


def test_cgle_off_amplitude_relaxes_onto_the_plane_wave():
    n, length, D, c1, dt = 16, 0.16, 5e-4, -0.7, 1e-4
    dx = length / n
    kx = 2 * math.pi * 2 / length
    k2 = discrete_k2(kx, 0.0, dx)
    R, om = plane_wave(k2, ALPHA, OMEGA, GAMMA, BETA, D, c1)
    xx = np.mgrid[0:n, 0:n][1] * dx
    t, z = run_gl(0.6 * R * np.exp(1j * kx * xx), n, n, length, D, c1, 0.6, dt)
    # radial relaxation at 2 (alpha - D k^2) = 14.2 s^-1: after 0.6 s within e^-8.5 of R
    assert np.abs(np.abs(z[-1]) - R).max() < 0.01 * R
    freq = np.angle(z[-1] / z[-2]).mean() / (t[-1] - t[-2])
    assert abs(freq - om) < 0.01 * abs(om)


def test_laplacian_converges_at_order_two_in_dx():
    length, D, c1, dt = 0.16, 2e-3, 0.0, 1e-4
    k = 2 * math.pi / length               # one wavelength across the sheet
    r2_cont = (ALPHA - D * k * k) / GAMMA  # continuum R^2 = 69.2
    gaps = []
    for n in (8, 16, 32):
        xx = (np.arange(n) * length / n)[np.newaxis, :].repeat(2, axis=0)
        _, z = run_gl(math.sqrt(r2_cont) * np.exp(1j * k * xx), 2, n, length, D, c1, 0.8, dt,
                      every=100)
        gaps.append(abs((np.abs(z[-1]) ** 2).mean() - r2_cont))
    orders = [math.log2(gaps[i] / gaps[i + 1]) for i in range(2)]
    # leading term D k^4 dx^2 / (12 gamma) = 1.58 at n = 8 (R^2 = 69.2)
    assert gaps[0] == pytest.approx(D * k ** 4 * (length / 8) ** 2 / (12 * GAMMA), rel=0.05)
    assert all(1.9 < o < 2.1 for o in orders), (gaps, orders)


JH = """JH_excitatory, one cosine mode
Time: {time!r} Deltat: {dt!r}
Nodes: {nodes}
Longside nodes: {nx}

Connection matrix:
From:  1
To 1:  0

Population 1: JH
 Length: {length!r}
 Dynamics: JH_excitatory

Output: Node: All Interval: {interval!r}
Population: 1.j 1.h
"""


def run_jh(j0, ny, nx, length, time, dt, every):
    """Run the JH_excitatory field (section 2.3 defaults) from j = j0, h = 0; (t, j, h)."""
    text = JH.format(time=time, dt=dt, nodes=ny * nx, nx=nx, length=length,
                     interval=every * dt)
    sim = Simulation(parse_config(text))
    sim.ctx.populations[1].fields["j"][:] = j0.ravel()
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    return (w.time, w["pop.1.j"].reshape(-1, ny, nx), w["pop.1.h"].reshape(-1, ny, nx))


def jh_exact(k2, t):
    """exp((J - k2 C) t) applied to (j, h) = (1, 0): the semi-discrete mode's exact amplitude."""
    kind = lookup("JH_excitatory")
    values = kind.resolve({})
    mat = spatial.jacobian(kind, values) - k2 * spatial.coefficients(kind, values)
    ev, vec = np.linalg.eig(mat)
    return (vec @ np.diag(np.exp(ev * t)) @ np.linalg.solve(vec, [1.0, 0.0])).real


def test_rk4_with_stage_laplacians_is_fourth_order_in_dt():
    n, length, time = 16, 0.004, 0.1       # 2 mm waves (mode 2), dx = 0.25 mm
    dx = length / n
    k = 2 * math.pi * 2 / length
    k2 = discrete_k2(k, 0.0, dx)
    cosx = np.cos(k * np.arange(n) * dx)[np.newaxis, :].repeat(2, axis=0)
    want = jh_exact(k2, time)
    errs = []
    for dt in (2e-3, 1e-3, 5e-4):
        t, j, h = run_jh(cosx, 2, n, length, time, dt, every=int(round(time / dt)))
        assert t[-1] == pytest.approx(time)
        got = np.array([(j[-1] * cosx).sum(), (h[-1] * cosx).sum()]) / (cosx * cosx).sum()
        errs.append(np.abs(got - want).max())
    orders = [math.log2(errs[i] / errs[i + 1]) for i in range(2)]
    assert all(3.8 < o < 4.2 for o in orders), (errs, orders)


def test_enforced_bound_is_rk4s_closed_form():
    gl = lookup("GinzburgLandau")
    dx, D = 0.01, 1e-3
    vals = gl.resolve({"D": D, "alpha": 0.0, "omega": 0.0, "x_0": 0.0, "y_0": 0.0})
    dt = spatial.largest_stable_dt(gl, vals, dx, 1.0)
    assert dt == pytest.approx(spatial.RK4_REAL * dx * dx / (8 * D), rel=1e-5)
    assert dt > dx * dx / (4 * D)          # RK4 allows more than forward Euler's bound
    jh = lookup("JH_excitatory")
    vals = jh.resolve({"D_J": 0.0, "gamma_J": 0.0, "gamma_H": 0.0, "kappa_J": 0.0})
    c = math.sqrt(vals["c_x"] * vals["kappa_H"])
    assert spatial.largest_stable_dt(jh, vals, dx, 1.0) == pytest.approx(dx / c, rel=1e-4)


def test_validation_accepts_just_below_and_rejects_just_above_the_bound():
    dx, D = 0.01, 1e-3
    bound = spatial.RK4_REAL * dx * dx / (8 * D)
    kw = dict(nodes=64, nx=8, length=0.08, alpha=0.0, omega=0.0, gamma=GAMMA, beta=0.0, D=D,
              c1=0.0)
    parse_config(GL.format(time=10 * 0.99 * bound, dt=0.99 * bound, interval=0.99 * bound, **kw))
    with pytest.raises(ConfigError, match="diffusion stability violated"):
        parse_config(GL.format(time=10 * 1.01 * bound, dt=1.01 * bound,
                               interval=1.01 * bound, **kw))
