"""A point pulse on a large quiet E sheet, through the whole model (issue #7, item 5).

The model is e-erps' structure: one excitatory population with no E->E
coupling (so it stays exactly at its steady state Q0 = S(0) everywhere but
the stimulated node), a brief pulse at the centre node of a 128 x 128 torus,
and the Wave propagator (gamma = 100 s^-1, r = 0.1 m, so v = gamma r = 10 m/s)
carrying the node's firing rate Q(t) over the sheet. Two properties of the
continuum damped wave equation

    (1/gamma^2 d^2/dt^2 + 2/gamma d/dt + 1 - r^2 nabla^2) phi = Q

are checked on the simulated field, from the config file to the output:

* the front moves at gamma r, in every direction (within 2%);
* integrated over space the Laplacian drops out, so the summed response is
  the drive's sum convolved with the damped-oscillator kernel
  G(t) = gamma^2 t exp(-gamma t) (the Wave propagator's Green's function
  integrated over the plane), to 1e-5 of its peak.

tests/validation/test_wave_physics.py checks the Wave kernel alone (order of
convergence, peak arrival along one axis for a Gaussian source, symmetry);
this file drives it through the model, measures the front over every
direction and checks the k = 0 dynamics against the analytic kernel.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.config import parse_config
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

N, LENGTH, GAMMA, RANGE, DT, T_END = 128, 0.5, 100.0, 0.1, 1e-4, 0.024
V = GAMMA * RANGE                                    # 10 m/s; Courant number 0.26
DX = LENGTH / N
C = N // 2                                           # the pulse's row and column
Q0 = 340.0 / (1.0 + math.exp(0.01292 / 0.0038))      # S(0), the quiet steady state

CONF = f"""Point pulse on a quiet E sheet (tests/validation/test_wave_front.py).
Time: {T_END} Deltat: {DT}
Nodes: {N * N}
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: {LENGTH}
 Q: {Q0!r}
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 1000 beta: 4000
  Dendrite 2: alpha: 1000 beta: 4000
Population 2: stimulus
 Length: {LENGTH}
 Stimulus: PulseRect - Onset: 5e-4 Node: {C * N + C + 1} Amplitude: 1 Width: 5e-4
Propagator 1: Wave - Tau: 0 Range: {RANGE} gamma: {GAMMA}
Propagator 2: Map - Tau: 0
Coupling 1: Map - nu: 0
Coupling 2: Map - nu: 1e-3
Output: Node: All Interval: {DT}
Population: 1.Q
Dendrite:
Propagator: 1.phi
Coupling:
"""


@pytest.fixture(scope="module")
def pulse():
    """Times, phi and Q, each (nt, N, N), sampled every step (about 3 s)."""
    sim = Simulation(parse_config(CONF))
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    return (w.time, w["propagator.1.phi"].reshape(-1, N, N), w["pop.1.q"].reshape(-1, N, N))


def _half_max_arrival(dev: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Per column of ``dev`` (nt, nodes), the time the response first reaches half its
    maximum, interpolated linearly between samples."""
    half = 0.5 * dev.max(axis=0)
    k = np.maximum(np.argmax(dev >= half[None], axis=0), 1)
    a = np.take_along_axis(dev, (k - 1)[None], 0)[0]
    b = np.take_along_axis(dev, k[None], 0)[0]
    return t[k - 1] + (half - a) / (b - a) * (t[1] - t[0])


def test_front_moves_at_gamma_r_in_every_direction(pulse):
    t, phi, _ = pulse
    # the far corner (0.35 m away, not reached by the front) holds the uniform background;
    # removing it leaves the pulse's response
    dev = phi - phi[:, :1, :1]
    yy, xx = np.mgrid[0:N, 0:N]
    r = np.hypot(yy - C, xx - C) * DX
    angle = np.arctan2(yy - C, xx - C)
    # Nodes 5 to 18 cm away: past the source's near field, and reached (peak included)
    # before the end of the run and before the wave comes round the torus (25 cm).
    ring = (r >= 0.05) & (r <= 0.18)
    on_axis = ring & (np.abs(np.sin(2 * angle)) < 0.2)        # within ~6 deg of the axes
    diagonal = ring & (np.abs(np.cos(2 * angle)) < 0.2)       # within ~6 deg of diagonals
    arrival = np.full(r.shape, np.nan)
    arrival[ring] = _half_max_arrival(dev[:, ring], t)
    speeds = {}
    for name, sel in (("all", ring), ("axes", on_axis), ("diagonals", diagonal)):
        slope, _ = np.polyfit(r[sel], arrival[sel], 1)
        speeds[name] = 1.0 / slope
    # Tolerance 2%. Measured -0.7% (all 6156 nodes), -0.8% (axes), -0.7% (diagonals).
    # Where the error comes from: the 5-point stencil's dispersion (high wavenumbers
    # travel slower; dx = 3.9 mm, Courant number 0.26) widens the front as it goes, and
    # the half-maximum of a 2D front still converges to r/v + const only as 1/r.
    for name, s in speeds.items():
        assert s == pytest.approx(V, rel=0.02), (name, speeds)
    assert on_axis.sum() > 100 and diagonal.sum() > 100


def _convolve_with_green(d: np.ndarray, dt: float, gamma: float) -> np.ndarray:
    """(G * d)(t_n), G(s) = gamma^2 s exp(-gamma s), d sampled at t_n = n dt with d_0 = 0.

    Trapezoid rule plus its Euler-Maclaurin end correction: the integrand
    f(s) = G(t - s) d(s) has f'(t) = -G'(0) d(t) = -gamma^2 d(t) and f'(0) = 0
    (the drive starts from rest), so the rule's leading error -dt^2/12 (f'(t) - f'(0))
    is added back; what is left is O(dt^4).
    """
    n = d.size
    s = np.arange(n) * dt
    out = np.zeros(n)
    for i in range(1, n):
        f = gamma**2 * (s[i] - s[: i + 1]) * np.exp(-gamma * (s[i] - s[: i + 1])) * d[: i + 1]
        out[i] = dt * (f.sum() - 0.5 * (f[0] + f[-1]))
    return out + (gamma * dt) ** 2 / 12.0 * d


def test_summed_response_is_the_damped_oscillator_kernel_times_the_drive(pulse):
    t, phi, q = pulse
    far = phi[:, 0, 0]
    # the far corner holds the uniform background: Q0 plus the slow drift of the scheme's
    # discrete fixed point (it differs from Q0 at O((gamma dt)^4)): 3e-10 over the run
    assert np.abs(far - Q0).max() < 1e-9
    # the drive: Q moves at the stimulated node only (no E->E coupling)
    dq = q - Q0
    assert np.abs(dq).sum(axis=0)[C, C] > 0
    dq_other = dq.copy()
    dq_other[:, C, C] = 0.0
    assert np.abs(dq_other).max() == 0.0
    drive = np.concatenate([[0.0], dq.sum(axis=(1, 2))])       # t = 0: at rest
    summed = (phi - far[:, None, None]).sum(axis=(1, 2))
    expected = _convolve_with_green(drive, t[1] - t[0], GAMMA)[1:]
    peak = np.abs(summed).max()
    # Tolerance 1e-5 of the peak; measured 1.8e-7. The scheme's k = 0 update (the
    # Numerov-type time average of the source) is, algebraically, the end-corrected
    # trapezoid rule of this convolution (in exact arithmetic the two agree; measured:
    # 5e-14), so the scheme matches the continuum kernel to that rule's O((gamma dt)^4)
    # quadrature error between samples of the drive. What is left over comes from the
    # reference node: the far corner also receives the stencil's numerical precursor of
    # the wave (the 5-point stencil reaches it after 128 steps), and from rounding in sums
    # of 16384 values near 11 s^-1 (~1e-9). Without the end correction the plain
    # trapezoid rule misses by (gamma dt)^2/12 d(t), 1.4e-4 of the peak: the test
    # resolves that term.
    err = np.abs(summed - expected).max() / peak
    assert err < 1e-5, err
    plain = expected - (GAMMA * (t[1] - t[0])) ** 2 / 12.0 * drive[1:]
    assert np.abs(summed - plain).max() / peak > 10 * err
