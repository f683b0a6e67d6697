"""Exact-solution tests of the grid boundaries on fields whose state spreads.

The ``GinzburgLandau`` field (complex Ginzburg-Landau, ``docs/models/``) has
5-point diffusion and cross-diffusion of its state (x, y), whose ghost frames
are filled in the middle of every RK4 step (:mod:`parnft.model.rk4space`)
and, on a non-periodic edge, by the edge kind's field fill right after that
exchange. References, all analytic:

* neumann / dirichlet 0 (method of images): the equation is invariant under
  reflection, and its local right-hand side is odd in z, so the periodic run
  of the doubled grid whose far halves hold the field mirrored about the edge
  faces, evenly (neumann) or with a sign change (dirichlet 0), is a solution
  with zero flux (resp. zero value) at those faces. The bounded run equals it
  up to rounding (the mirrored stencil sums in another order): 1e-12 of the
  peak. Mixed edges (one axis periodic, the other bounded; one neumann, the
  other dirichlet) double only the bounded axes, each with its sign.
* dirichlet V holds every spreading variable at V on the edge face (x and
  y alike here). With omega = beta = c1 = 0 the equations of x and y are the
  same, so from rest x = y everywhere, |z|^2 = 2 x^2, and with alpha < 0 the
  field relaxes (every mode at a rate >= |alpha|) to the unique steady state
  of ``alpha x - 2 gamma x^3 + D lap_h x = 0`` with the ghost ``2 V -
  x_edge``; that tridiagonal system is solved here by Newton's method and the
  run must end on it to 1e-10.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.config import parse_config
from parnft.errors import ConfigError
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

#: Cell size [m]: every sheet below has dx = 0.01 m.
DX = 0.01

GL = """CGLE field with boundaries
Time: {time!r} Deltat: {dt!r}
Nodes: {nodes}
Longside nodes: {nx}
{boundary}

Connection matrix:
From:  1
To 1:  0

Population 1: GL
 Length: {length!r}
 Dynamics: GinzburgLandau alpha: {alpha!r} omega: {omega!r} gamma: 0.1 beta: {beta!r}
           D: {D!r} c1: {c1!r}

Output: Node: All Interval: {time!r}
Population: 1.x 1.y
"""


def run_field(z0: np.ndarray, boundary: str = "", time: float = 0.2, dt: float = 5e-4,
              alpha: float = 10.0, omega: float = 2 * math.pi * 10, beta: float = 0.05,
              D: float = 2e-3, c1: float = 0.5) -> np.ndarray:
    """Run the field from ``z0`` (ny x nx, complex) on one rank; the last z."""
    ny, nx = z0.shape
    text = GL.format(time=time, dt=dt, nodes=nx * ny, nx=nx, length=nx * DX, alpha=alpha,
                     omega=omega, beta=beta, D=D, c1=c1,
                     boundary=f"Boundary: {boundary}" if boundary else "")
    sim = Simulation(parse_config(text, path="field-boundary.conf"))
    f = sim.ctx.populations[1].fields
    f["x"][:] = z0.real.ravel()
    f["y"][:] = z0.imag.ravel()
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    return (w["pop.1.x"] + 1j * w["pop.1.y"]).reshape(-1, ny, nx)[-1]


def pulse(ny: int, nx: int) -> np.ndarray:
    """A complex Gaussian near the W and S edges (centre (10.2, 4.3) cells, sigma 2.5)."""
    y, x = np.mgrid[0:ny, 0:nx]
    return 3.0 * (1 + 0.5j) * np.exp(-((x - 4.3) ** 2 + (y - 10.2) ** 2) / (2 * 2.5 ** 2))


def images(z: np.ndarray, sx: float | None, sy: float | None) -> np.ndarray:
    """``z`` with its mirror images across the E face (sign ``sx``) and S face (``sy``).

    None leaves that axis as it is (periodic): the grid is doubled only along
    the axes with a sign.
    """
    if sx is not None:
        z = np.concatenate([z, sx * z[:, ::-1]], axis=1)  # x -> 2 nx - 1 - x
    if sy is not None:
        z = np.concatenate([z, sy * z[::-1, :]], axis=0)
    return z


@pytest.mark.parametrize("boundary,sx,sy", [
    ("neumann", 1.0, 1.0),
    ("dirichlet 0", -1.0, -1.0),
    ("x periodic y neumann", None, 1.0),
    ("x neumann y dirichlet 0", 1.0, -1.0),
])
def test_spreading_field_equals_its_images(boundary, sx, sy):
    ny, nx = 16, 12
    z0 = pulse(ny, nx)
    bounded = run_field(z0, boundary)
    doubled = run_field(images(z0, sx, sy))
    peak = np.abs(bounded).max()
    assert np.abs(bounded - z0).max() > 0.1 * peak  # it has spread to the edges and turned
    err = np.abs(bounded - doubled[:ny, :nx]).max() / peak
    assert err < 1e-12, err
    periodic = run_field(z0)  # the contrast: across the seam the pulse meets its own far side
    assert np.abs(bounded - periodic).max() > 1e-3 * peak


def _steady_state(nx: int, v: float, alpha: float, gamma: float, D: float) -> np.ndarray:
    """Newton's method on ``alpha x - gamma x^3 + D lap_h x = 0`` with ghosts ``2 V - x_edge``."""
    c = D / DX**2
    x = np.full(nx, v)
    for _ in range(50):
        left = np.r_[2 * v - x[0], x[:-1]]
        right = np.r_[x[1:], 2 * v - x[-1]]
        lap = left - 2 * x + right
        F = alpha * x - gamma * x**3 + c * lap
        J = np.diag(alpha - 3 * gamma * x**2 - 2 * c) + c * (np.eye(nx, k=1) + np.eye(nx, k=-1))
        J[0, 0] -= c  # d(ghost)/d(x_edge) = -1
        J[-1, -1] -= c
        dx = np.linalg.solve(J, -F)
        x += dx
        if np.abs(dx).max() < 1e-15 * max(1.0, np.abs(x).max()):
            break
    return x


def test_spreading_field_dirichlet_holds_its_value():
    nx, ny, v, alpha, D = 16, 3, 0.5, -20.0, 2e-3
    z = run_field(np.zeros((ny, nx), complex), "x dirichlet 0.5 y periodic", time=1.5, dt=5e-4,
                  alpha=alpha, omega=0.0, beta=0.0, D=D, c1=0.0)
    fixed = _steady_state(nx, v, alpha, 2 * 0.1, D)  # gamma 0.1, |z|^2 = 2 x^2
    assert fixed[0] > 0.1 and fixed[nx // 2] < 0.5 * fixed[0]  # a boundary layer, not flat
    np.testing.assert_allclose(z.real, np.broadcast_to(fixed, (ny, nx)), rtol=1e-10, atol=0)
    np.testing.assert_array_equal(z.imag, z.real)  # y is held at V too, and follows x


def test_absorbing_refused_for_a_spreading_field():
    text = GL.format(time=0.01, dt=1e-3, nodes=64, nx=8, length=0.08, alpha=10.0, omega=0.0,
                     beta=0.0, D=1e-4, c1=0.0, boundary="Boundary: x periodic y absorbing")
    with pytest.raises(ConfigError) as err:
        parse_config(text, path="absorbing-field.conf")
    msg = str(err.value)
    assert "absorbing-field.conf:5" in msg and "Population 1 is GinzburgLandau" in msg
    assert "the y edges' 'absorbing'" in msg and "neumann" in msg
