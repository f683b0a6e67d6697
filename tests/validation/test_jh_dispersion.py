"""The JH_excitatory field follows its linear dispersion relation at 10 mm and 2 mm wavelength.

The kind (``parnft/model/dynamics/jh_excitatory.py``; constructed from Qin &
Sheremet's abstract, notes ``model-families.md`` 2.3, not their equations)
is linear, so a seeded cosine mode of wavenumber k is exactly a damped
cosine exp(-sigma t) cos(omega t + phase) with -sigma + i omega the root of

    lambda^2 + (gamma_J + gamma_H + D_J k^2) lambda + (gamma_J + D_J k^2) gamma_H
             + kappa_H (kappa_J + c_x k^2) = 0

(:func:`~parnft.model.dynamics.jh_excitatory.dispersion`). The run uses the
section 2.3 parameters (the kind's defaults: gamma_J = gamma_H = 1 s^-1,
kappa_J = kappa_H = 37.7 s^-1, c_x = 6.63e-5 m^2/s, D_J = 1e-6 m^2/s) on a
10 mm x 0.125 mm strip (160 x 2 nodes, dx = 62.5 um: 32 nodes per 2 mm wave),
Deltat = 0.2 ms. Two modes are seeded in j together (10 mm, 2 mm) and each
projection is fitted by Prony's method (order 2) over 0.6 s:

* against the relation with the stencil's k_h^2 = (2/dx)^2 sin^2(k dx/2),
  frequency and decay within 1e-6 relative (the RK4 error, |z|^5/120 with
  z = omega Deltat <= 0.033, is ~1e-10 per step);
* against the continuum relation (the section 2.3 numbers: 7.81 Hz,
  1.20 s^-1 at 10 mm; 25.70 Hz, 5.93 s^-1 at 2 mm; the notes' table prints
  5.94, a rounding slip: (2 + D_J k^2)/2 = 5.9348) within 1 %, the issue's
  criterion (measured: 0.01 % / 0.002 % at 10 mm, 0.16 % / 0.27 % at 2 mm,
  the 5-point stencil's dx^2 error);
* the abstract's three stated properties: the shorter wave has the higher
  frequency, the slower phase speed and the faster decay.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.config import parse_config
from parnft.model.dynamics import lookup
from parnft.model.dynamics.jh_excitatory import dispersion
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

LENGTH, NX, NY, DT, EVERY, TIME = 0.01, 160, 2, 2e-4, 5, 0.6
WAVELENGTHS = {"10mm": 0.010, "2mm": 0.002}
#: Section 2.3's table (model-families.md), f [Hz] and decay [s^-1], recomputed: the notes
#: print 5.94 s^-1 at 2 mm, but (gamma_J + gamma_H + D_J k^2)/2 = (2 + 9.8696)/2 = 5.9348.
TABLE = {"10mm": (7.81, 1.20), "2mm": (25.70, 5.93)}

TEXT = """JH_excitatory: two seeded cosine modes
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
Population: 1.j
"""


def prony(x, h):
    """lambda = -sigma + i omega of samples x_n ~ e^{-sigma n h} cos(omega n h + c)."""
    a = np.vstack([x[1:-1], x[:-2]]).T
    c1, c2 = np.linalg.lstsq(a, x[2:], rcond=None)[0]
    rho = math.sqrt(-c2)
    return complex(math.log(rho) / h, math.acos(c1 / (2.0 * rho)) / h)


@pytest.fixture(scope="module")
def run():
    text = TEXT.format(time=TIME, dt=DT, nodes=NX * NY, nx=NX, length=LENGTH,
                       interval=EVERY * DT)
    sim = Simulation(parse_config(text))
    x = np.arange(NX) * LENGTH / NX
    seed = sum(np.cos(2 * math.pi * x / w) for w in WAVELENGTHS.values())
    sim.ctx.populations[1].fields["j"][:] = 1e-3 * np.tile(seed, NY)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    return w.time, w["pop.1.j"].reshape(-1, NY, NX)


def measured(run, name):
    t, j = run
    cosx = np.cos(2 * math.pi * np.arange(NX) * (LENGTH / NX) / WAVELENGTHS[name])
    amp = np.concatenate([[1e-3], (j * cosx).sum(axis=(1, 2)) / (NY * (cosx * cosx).sum())])
    return prony(amp, EVERY * DT)


def params():
    kind = lookup("JH_excitatory")
    return kind.resolve({})


@pytest.mark.parametrize("name", list(WAVELENGTHS))
def test_frequency_and_decay_match_the_discrete_dispersion_relation(run, name):
    k = 2 * math.pi / WAVELENGTHS[name]
    dx = LENGTH / NX
    k2h = (2 / dx) ** 2 * math.sin(k * dx / 2) ** 2
    want = dispersion(k2h, params())
    got = measured(run, name)
    assert got.imag == pytest.approx(want.imag, rel=1e-6)
    assert got.real == pytest.approx(want.real, rel=1e-6)


@pytest.mark.parametrize("name", list(WAVELENGTHS))
def test_frequency_and_decay_match_the_continuum_relation_within_1_percent(run, name):
    k = 2 * math.pi / WAVELENGTHS[name]
    want = dispersion(k * k, params())
    got = measured(run, name)
    assert got.imag == pytest.approx(want.imag, rel=0.01)
    assert -got.real == pytest.approx(-want.real, rel=0.01)
    f, decay = TABLE[name]               # and the notes' table, to its printed digits
    assert want.imag / (2 * math.pi) == pytest.approx(f, abs=0.005)
    assert -want.real == pytest.approx(decay, abs=0.005)


def test_shorter_waves_are_faster_slower_and_decay_faster(run):
    long_, short = measured(run, "10mm"), measured(run, "2mm")
    assert short.imag > long_.imag                                        # higher frequency
    assert short.imag * WAVELENGTHS["2mm"] < long_.imag * WAVELENGTHS["10mm"]  # slower phase
    assert -short.real > -long_.real                                      # faster decay

