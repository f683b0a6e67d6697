"""Exact-solution tests of the grid boundaries (``Boundary:``, ``docs/boundaries.md``).

A Wave propagator whose source population fires at a constant rate carries a
Gaussian pulse of phi set as the initial state (both time levels, so the
pulse starts at rest); its ghost fills are those of the solver (the same
calls at any rank count, ``tests/mpi/test_rank_sweep.py``). References:

* absorbing: the same pulse on a sheet three times as wide and periodic,
  whose edges are too far away for anything to come back within the run, is
  the free-space solution; what the absorbing run differs from it by is the
  reflection. Its energy (time-integrated sum of squares over the sheet) is
  compared with the same measure of the periodic run of the small sheet,
  whose seams send everything back (the contrast).
* neumann / dirichlet 0: the periodic solution on a doubled grid of the
  pulse mirrored about the edge faces, evenly (neumann) or with a sign
  change (dirichlet 0), equals the bounded solution (method of images) up to
  rounding (the mirrored stencil sums in another order): 1e-12 of the peak.
* dirichlet V: from rest, the field relaxes (every mode decays as
  exp(-gamma t), the operator being (d/dt + gamma)^2 / gamma^2 - r^2 lap) to
  the scheme's fixed point, derived below, and its edge face holds V.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.config import parse_config
from parnft.solver import Simulation

#: Sheet side [m], wave parameters (c = gamma r = 10 m/s) and step: Courant number 0.32.
LENGTH, RANGE, GAMMA, DT = 0.5, 0.5, 20.0, 2.5e-4

#: Measured reflected energy fraction of the absorbing run (64 x 64 sheet, pulse
#: sigma = 3 dx at the centre; see test_absorbing_reflects_little): 0.0032. The bound:
ABSORBING_BOUND = 0.01


def pulse_conf(nx: int, ny: int, boundary: str = "", steps: int = 1, length: float = LENGTH,
               mean: float = 0.0, r: float = RANGE, gamma: float = GAMMA) -> str:
    """A source population at rate ``mean`` feeding a Wave on an nx x ny sheet."""
    b = f"Boundary: {boundary}\n" if boundary else "\n"
    return f"""boundary test: a Wave on a {nx} x {ny} sheet
Time: {steps * DT!r} Deltat: {DT!r}
Nodes: {nx * ny} Longside nodes: {nx}
{b}
Connection matrix:
From:  1  2
To 1:  0  0
To 2:  1  0

Population 1: source
 Length: {length!r}
 Stimulus: Const - Mean: {mean!r}

Population 2: sheet
 Length: {length!r}
 Q: 0
 Firing: Function: Linear a: 1 b: 0
  Dendrite 1: alpha: 83 beta: 769

Propagator 1: Wave - Tau: 0 Range: {r!r} gamma: {gamma!r}

Coupling 1: Map - nu: 0

Output: Node: 1 Start: 0 Interval: {steps * DT!r}
Propagator: 1.phi
"""


def gaussian(nx: int, ny: int, cx: float, cy: float, sigma: float) -> np.ndarray:
    """``exp(-((x - cx)^2 + (y - cy)^2) / (2 sigma^2))`` at the cell indices."""
    y, x = np.mgrid[0:ny, 0:nx]
    return np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2.0 * sigma**2))


def simulate(text: str, init: np.ndarray, steps: int, every: int = 1):
    """Run ``text`` on one rank from phi = ``init`` at rest; phi every ``every`` steps.

    Returns
    -------
    (list of ndarray, Simulation)
        Interior phi after 0, every, 2 every, ... steps, and the finished run.
    """
    sim = Simulation(parse_config(text, path="boundary-test.conf"))
    (wave,) = sim.ctx.propagators.values()
    wave.buf_phi[:, 1:-1, 1:-1] = init
    out = [init.copy()]
    for _ in range(steps // every):
        sim.run(steps=every)
        out.append(wave.buf_phi[wave.cur[0], 1:-1, 1:-1].copy())
    sim.close()
    return out, sim, wave


def test_absorbing_reflects_little():
    """Absorbing edges send back < 1 % of what periodic seams send back (measured 0.32 %)."""
    n, steps, every = 64, 400, 4  # 100 ms: the front crosses the edge at ~25 ms
    big = 3 * n  # free space: nothing returns into the middle third within 125 ms
    pulse = gaussian(n, n, (n - 1) / 2, (n - 1) / 2, 3.0)
    wide = np.zeros((big, big))
    wide[n:2 * n, n:2 * n] = pulse
    free, _, _ = simulate(pulse_conf(big, big, length=3 * LENGTH, steps=steps), wide, steps,
                          every)
    free = [f[n:2 * n, n:2 * n] for f in free]
    absorbing, _, _ = simulate(pulse_conf(n, n, "absorbing", steps), pulse, steps, every)
    periodic, _, _ = simulate(pulse_conf(n, n, "", steps), pulse, steps, every)
    back_abs = sum(float(np.sum((a - f) ** 2)) for a, f in zip(absorbing, free, strict=True))
    back_per = sum(float(np.sum((p - f) ** 2)) for p, f in zip(periodic, free, strict=True))
    outgoing = sum(float(np.sum(f**2)) for f in free)
    fraction = back_abs / back_per
    print(f"reflected energy: absorbing/periodic = {fraction:.4f}; periodic returns "
          f"{back_per / outgoing:.3f} of the field energy seen in the sheet")
    assert back_per > 0.1 * outgoing  # the contrast: periodic seams send the pulse back
    assert fraction < ABSORBING_BOUND


def test_absorbing_plane_wave_at_normal_incidence():
    """A plane pulse meeting the x edges head on: Mur's condition is exact there up to
    the scheme's dispersion, so < 0.1 % comes back (measured 0.0015 %)."""
    n, ny, steps, every = 96, 2, 400, 4
    pulse = np.broadcast_to(gaussian(n, 1, (n - 1) / 2, 0.0, 3.0), (ny, n)).copy()
    wide = np.zeros((ny, 3 * n))
    wide[:, n:2 * n] = pulse
    free, _, _ = simulate(pulse_conf(3 * n, ny, length=3 * LENGTH, steps=steps), wide, steps,
                          every)
    free = [f[:, n:2 * n] for f in free]
    absorbing, _, _ = simulate(pulse_conf(n, ny, "x absorbing", steps), pulse, steps, every)
    periodic, _, _ = simulate(pulse_conf(n, ny, "", steps), pulse, steps, every)
    back_abs = sum(float(np.sum((a - f) ** 2)) for a, f in zip(absorbing, free, strict=True))
    back_per = sum(float(np.sum((p - f) ** 2)) for p, f in zip(periodic, free, strict=True))
    print(f"normal incidence: absorbing/periodic = {back_abs / back_per:.2e}")
    assert back_abs / back_per < 1e-3


def test_absorbing_keeps_uniform_steady_state():
    """phi = Q everywhere stays put with absorbing edges (Mur acts on phi - Q).

    Tolerance 1e-10 relative as for the torus (``test_wave_physics.py``); measured
    8e-13 here, and 1.7e-12 for the periodic run of the same sheet.
    """
    q = 7.5
    text = pulse_conf(12, 9, "absorbing", 200, mean=q)
    out, _, _ = simulate(text, np.full((9, 12), q), 200, 50)
    for f in out:
        np.testing.assert_allclose(f, q, rtol=1e-10, atol=0)


def _mirror_case(kind: str, sign: float, nx: int = 24, ny: int = 16, steps: int = 160):
    """Bounded run vs the doubled periodic grid of the mirrored pulse; max error / peak."""
    pulse = gaussian(nx, ny, 4.3, 10.2, 2.5)  # near the W and S edges
    bounded, _, _ = simulate(pulse_conf(nx, ny, kind, steps), pulse, steps, 20)
    doubled = np.zeros((2 * ny, 2 * nx))
    doubled[:ny, :nx] = pulse
    doubled[:ny, nx:] = sign * pulse[:, ::-1]  # image across the E face (x = 2 nx - 1 - x)
    doubled[ny:, :] = sign * doubled[:ny, :][::-1, :]  # image across the S face
    images, _, _ = simulate(pulse_conf(2 * nx, 2 * ny, "", steps, length=2 * LENGTH), doubled,
                            steps, 20)
    err = max(float(np.max(np.abs(b - i[:ny, :nx]))) for b, i in zip(bounded, images,
                                                                        strict=True))
    moved = float(np.max(np.abs(bounded[-1] - pulse)))
    return err, moved


def test_neumann_is_the_even_mirror():
    err, moved = _mirror_case("neumann", 1.0)
    assert moved > 0.1  # the pulse has spread and met the edges
    assert err < 1e-12


def test_dirichlet_zero_is_the_odd_mirror():
    err, moved = _mirror_case("dirichlet 0", -1.0)
    assert moved > 0.1
    assert err < 1e-12


def test_dirichlet_holds_its_value():
    """From rest, phi relaxes to the scheme's fixed point with the edge face at V.

    Fixed point of the 5-point scheme with Q = 0 (phi^{n+1} = phi^n = phi^{n-1}
    in :func:`parnft.kernels.wave.wave5_step`): ``(1 - em)^2 phi = em p2
    (S - 4 phi)``, i.e. ``phi = r_eff^2 lap_h phi`` with ``r_eff^2 = r^2 em
    (gamma dt)^2 / (1 - em)^2``; with x Dirichlet (ghost = 2 V - edge) and y
    periodic it is the tridiagonal system solved below. The deviation decays
    as exp(-gamma t) (1e-13 after 1 s at gamma = 30).
    """
    nx, ny, v, r, gamma, steps = 32, 3, 0.3, 0.1, 30.0, 4000
    text = pulse_conf(nx, ny, "x dirichlet 0.3", steps, r=r, gamma=gamma)
    out, _, wave = simulate(text, np.zeros((ny, nx)), steps, steps)
    phi = out[-1]
    dx = LENGTH / nx
    em = math.exp(-gamma * DT)
    p2 = (gamma * r * DT / dx) ** 2
    a = (1 - em) ** 2 / (em * p2)  # a phi_i = phi_{i-1} + phi_{i+1} - 2 phi_i
    m = np.zeros((nx, nx))
    rhs = np.zeros(nx)
    for i in range(nx):
        m[i, i] = a + 2.0
        for j in (i - 1, i + 1):
            if 0 <= j < nx:
                m[i, j] = -1.0
            else:  # the ghost 2 V - phi_i
                m[i, i] += 1.0
                rhs[i] += 2.0 * v
    fixed = np.linalg.solve(m, rhs)
    np.testing.assert_allclose(phi, np.broadcast_to(fixed, phi.shape), rtol=1e-10, atol=0)
    # the edge faces hold V: the ghost and the edge node average to V
    c = wave.cur[0]
    face_w = 0.5 * (wave.buf_phi[c, 1:-1, 0] + wave.buf_phi[c, 1:-1, 1])
    face_e = 0.5 * (wave.buf_phi[c, 1:-1, -1] + wave.buf_phi[c, 1:-1, -2])
    np.testing.assert_allclose(np.r_[face_w, face_e], v, rtol=1e-15, atol=0)
    # and the continuum: phi = V cosh((x - L/2)/r) / cosh(L/(2r)), to O((dx/r)^2)
    x = (np.arange(nx) + 0.5) * dx
    exact = v * np.cosh((x - LENGTH / 2) / r) / np.cosh(LENGTH / (2 * r))
    np.testing.assert_allclose(fixed, exact, rtol=2e-2)


@pytest.mark.parametrize("boundary", ["absorbing", "x neumann y dirichlet 1"])
def test_legacy_wave_refused_off_the_torus(boundary):
    from parnft.errors import ConfigError

    text = pulse_conf(8, 8, boundary).replace("Propagator 1: Wave", "Propagator 1: WaveLegacy")
    with pytest.raises(ConfigError, match="runs on the torus only"):
        parse_config(text, path="legacy.conf")
