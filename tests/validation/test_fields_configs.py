"""The example configs of fields whose state spreads (configs/fields) validate, run and spread.

Each runs in full (0.4 s, 64 x 64 nodes). What its header says must show:

* ``jh-excitatory.conf``: the centre pulse spreads as a ring of progressive
  waves. At t = 0.2 s, j at 12 nodes (3.75 mm) from the centre has moved
  (|j| > 1e-3); up to t = 0.1 s the far corner has not (|j| < 1e-6 of the
  peak at the centre); the ring's outer edge (1 % of the peak) moves out.
* ``cgle.conf``: far from the kick the field stays on the uniform cycle
  (|z| = sqrt(alpha/gamma) = 10 to 1e-6), and the kicked centre returns to the
  cycle radius (within 1 %) by the end.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from parnft.config import read_config
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

ROOT = Path(__file__).resolve().parents[2] / "configs" / "fields"


def run(name):
    sim = Simulation(read_config(str(ROOT / name)))
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    return w


@pytest.fixture(scope="module")
def jh():
    return run("jh-excitatory.conf")


def test_jh_pulse_spreads_as_a_ring(jh):
    t = jh.time
    j = jh["pop.1.j"].reshape(-1, 64, 64)
    assert np.all(np.isfinite(j))
    c = 32                                   # node 2081 = row 32, column 32 (0-based)
    i = int(np.argmin(abs(t - 0.2)))
    assert abs(j[i, c, c + 12]) > 1e-3
    early = int(np.argmin(abs(t - 0.1)))
    assert abs(j[:early + 1, 0, 0]).max() < 1e-6 * abs(j[:, c, c]).max()

    def front(k):
        row = abs(j[k, c, c:])
        return int(np.nonzero(row > 1e-2 * abs(j[k]).max())[0].max())

    fronts = [front(int(np.argmin(abs(t - s)))) for s in (0.05, 0.1, 0.15)]
    assert fronts[0] < fronts[1] < fronts[2], fronts


def test_cgle_far_field_stays_on_the_cycle_and_the_kick_heals():
    w = run("cgle.conf")
    x = w["pop.1.x"].reshape(-1, 64, 64)
    assert np.all(np.isfinite(x))
    # x = Re z oscillates with amplitude 10 far away: its extremes over the record
    far = x[:, 0, 0]
    assert abs(far.max() - 10.0) < 1e-2 and abs(far.min() + 10.0) < 1e-2
    centre = x[-60:, 32, 32]                 # the last 0.12 s (over one period at 10 Hz)
    assert abs(centre.max() - 10.0) < 0.1 and abs(centre.min() + 10.0) < 0.1
