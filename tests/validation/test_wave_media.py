"""A Wave on a sheet of two media: Range r1 on the left half, r2 on the right (same gamma).

Each node solves its own equation (1/gamma^2 d_t^2 + 2/gamma d_t + 1 - r_i^2
lap) phi = Q (docs/heterogeneous.md), with the 5-point kernel reading per-node
constants. References:

* **causality, exact.** The explicit scheme reads the four neighbours at one
  level, so a change of the constants on a set D of nodes can reach a node at
  Manhattan distance b from D no earlier than b steps after the first step
  n_I at which the field in D is nonzero (before that, zero operands give
  zero in both media, bit for bit). So with a pulse in the left half, the
  two-media field at a left node equals the uniform-r1 field **bit for bit**
  for every step n < n_I + b (n_I measured on the uniform run), and the same
  for the right half against the uniform-r2 run. This is the numerical domain
  of dependence, one node per step.
* **causality, physical.** The numerical precursor ahead of the physical front
  (speed gamma r1, 0.256 nodes per step here) is too small to change the bits
  of nodes far from the interface: at nodes at least 32 nodes (0.125 m) from
  it, the fields agree to rounding (1e-14 of the peak, a few ulp; measured 0)
  until the physical front reaches the interface (64 nodes at gamma r1:
  step 250).
* **speed.** A pulse's peak moves at gamma r_side on each side: within 3 %,
  the tolerance and estimator of ``test_pulse_front_moves_at_gamma_r_isotropically``
  (tests/validation/test_wave_physics.py; measured 1.9 % and 2.5 % low, as the
  uniform runs, whose peak steps the two-media run reproduces exactly).
"""

from __future__ import annotations

import numpy as np
import pytest

from parnft.kernels.wave import fill_periodic, wave5_constants, wave5_step

N, DT, GAMMA, R1, R2 = 256, 1e-4, 100.0, 0.1, 0.06
DX = 1.0 / N                            # Courant numbers 0.256 and 0.154
STEPS = 360
RIGHT = np.broadcast_to(np.arange(N) >= N // 2, (N, N))
TWO = np.where(RIGHT, R2, R1).ravel()   # per-node Range


class Sheet:
    """The 5-point Wave kernel on an N x N torus with a compact pulse at step 1."""

    def __init__(self, ranges, src_x: int):
        self.const = wave5_constants(DT, DX, ranges, GAMMA)
        self.phi = np.zeros((2, N + 2, N + 2))
        self.qw = np.zeros_like(self.phi)
        self.cur = np.zeros(1, np.int64)
        self.hist = np.zeros((1, N * N))
        self.ptr = np.zeros(1, np.int64)
        self.tau = np.zeros(N * N, np.int64)
        self.out = np.zeros(N * N)
        yy, xx = np.mgrid[0:N, 0:N]
        d2 = (yy - N // 2) ** 2 + (xx - src_x) ** 2
        self.src = np.where(d2 <= 16, np.exp(-d2 / 8.0) / DT, 0.0).ravel()  # radius 4 nodes
        self.n = 0

    def step(self) -> np.ndarray:
        self.hist[0] = self.src if self.n == 0 else 0.0
        self.n += 1
        wave5_step(self.phi, self.qw, self.cur, self.out, self.hist, self.ptr, self.tau,
                   *self.const, self.n)
        c = self.cur[0]
        fill_periodic(self.phi[c])
        fill_periodic(self.qw[c])
        return self.out.reshape(N, N)


def _peak_speed(column: np.ndarray, d: tuple) -> tuple[float, list]:
    """Speed from the peak steps at two distances along y; and those steps."""
    ks = [int(round(v / DX)) for v in d]
    steps = [int(np.argmax(column[:, N // 2 + k])) + 1 for k in ks]
    return (ks[1] - ks[0]) * DX / ((steps[1] - steps[0]) * DT), steps


@pytest.mark.parametrize("side", ["left", "right"])
def test_two_media_causality_and_front_speed(side):
    src_x, own, cols = (N // 4, R1, slice(0, N // 2)) if side == "left" \
        else (3 * N // 4, R2, slice(N // 2, N))
    other = RIGHT if side == "left" else ~RIGHT   # D: where the media differ from `own`
    x = np.arange(N)[cols]
    # Manhattan distance to D on the torus (D spans every row): to the nearer edge column
    b = np.minimum(x - cols.start + 1, cols.stop - x)
    two, ref = Sheet(TWO, src_x), Sheet(own, src_x)
    col_two, col_ref = np.empty((STEPS, N)), np.empty((STEPS, N))
    n_i = None
    front = int(round(64 * DX / (GAMMA * own) / DT))  # physical front at the interface
    far = b >= 32
    scale, worst, later = 0.0, 0.0, False
    for n in range(1, STEPS + 1):
        a, r = two.step(), ref.step()
        col_two[n - 1], col_ref[n - 1] = a[:, src_x], r[:, src_x]
        if n_i is None and np.any(r[other] != 0.0):
            n_i = n
        scale = max(scale, float(np.abs(r).max()))
        same = a[:, cols] == r[:, cols]
        bound = n < (n_i if n_i is not None else STEPS + 1) + b
        assert same[:, bound].all(), f"step {n}: a difference inside the domain of dependence"
        if n <= front:
            worst = max(worst, float(np.abs(a[:, cols][:, far] - r[:, cols][:, far]).max()))
        later |= not same.all()
    assert n_i is not None and 55 <= n_i <= 65   # 60 nodes from the pulse's edge to D
    assert later                                   # the media do differ (the test can fail)
    assert worst <= 1e-14 * scale
    d = (1.0 * own, 3.0 * own)
    speed, steps = _peak_speed(col_two, d)
    assert speed == pytest.approx(GAMMA * own, rel=0.03)
    assert steps == _peak_speed(col_ref, d)[1]
