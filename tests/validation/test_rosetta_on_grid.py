"""The Rosetta kinds run by parnft itself: one node, uniform grids, the composed Jansen-Rit.

* One node driven by a constant input (its Wave self-coupling has nu = 0,
  so the input is 0 + nu*Q_drive exactly) gives, bit for bit, the classical
  RK4 recursion of the kind's compiled right-hand side (rosetta_tools, the
  association order the generated kernel declares).
* A uniform 6 x 6 grid with a delayed Map self-coupling and a constant
  drive equals the one-node run of the same config, bit for bit, at every
  node and every step; with a Wave self-coupling (which NFTsim, and parnft,
  turn into a Harmonic propagator on a one-node grid) uniform 2 x 2 and
  6 x 6 grids of the same dx agree bit for bit.
* The Jansen-Rit column from NFTsim parts (configs/rosetta/
  jansen-rit-composed.conf: three sigmoid populations, alpha = beta
  dendrites, Map propagators) and the one-population kind
  (configs/rosetta/jansen-rit-column.conf) at p = 220 s^-1 over 1 s.
  Compared: v = y1 - y2 (the kind's state ``v``; the composed pyramidal
  population's V), sampled every 1 ms. NFTsim's dendrites hold their input
  over a step, so the composed run is first order in Deltat (its
  difference from the kind halves with Deltat); Richardson extrapolation of
  three composed runs (Deltat = 4, 2, 1 us) removes the dt and dt^2 terms,
  and the result agrees with the kind (RK4, Deltat = 10 us; halving it moves
  v by < 1e-15 V) to 1e-9 V (measured 6e-11 V).
"""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from parnft.config import parse_config, read_config
from parnft.model.dynamics import lookup
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation
from tests.validation import rosetta_tools as rt

ROOT = pathlib.Path(__file__).resolve().parents[2]

TEXT = """{kind} on {nodes} node(s)
Time: {time} Deltat: {dt}
Nodes: {nodes}

Connection matrix:
From:  1  2
To 1:  1  2
To 2:  0  0

Population 1: pop
 Length: {length}
 Dynamics: {kind} {keys}

Population 2: drive
 Length: {length}
 Stimulus: Const - Mean: {mean}

Propagator 1: {prop}
Propagator 2: Map - Tau: 0

Coupling 1: Map - nu: {nu_self}
Coupling 2: Map - nu: {nu}

Output: Node: All
Population: 1
"""

WC1972 = ("form: 1972 sigmoid: shifted tau_x: 8e-3 tau_y: 8e-3 w_xx: 16 w_xy: 12 w_yx: 15 "
          "w_yy: 3 P_x: 1.25 P_y: 0 rho_x: 1.3 theta_x: 4 rho_y: 2 theta_y: 3.7")
WC1972_P = {"form": "1972", "sigmoid": "shifted", "tau_x": 8e-3, "tau_y": 8e-3, "w_xx": 16.0,
            "w_xy": 12.0, "w_yx": 15.0, "w_yy": 3.0, "P_x": 1.25, "P_y": 0.0, "rho_x": 1.3,
            "theta_x": 4.0, "rho_y": 2.0, "theta_y": 3.7}

#: kind -> (config keys, rosetta_tools overrides, initial state overrides, dt, Const mean, nu)
#: mean * nu is exact in binary, so the input is the same float in both.
CASES = {
    "HarmonicOscillator": ("alpha: -5 x_0: 0.5", {"alpha": -5.0}, {"x": 0.5}, 1e-4, 3.0, 2.0),
    "StuartLandau": ("alpha: 20 gamma: 5 beta: 0.5 x_0: 0.5 y_0: 0.1",
                     {"alpha": 20.0, "gamma": 5.0, "beta": 0.5}, {"x": 0.5, "y": 0.1},
                     1e-4, 3.0, 2.0),
    "WilsonCowan": (WC1972, WC1972_P, {}, 2e-4, 0.25, 0.5),
    "JansenRit": ("v_0: 0.01", {}, {"v": 0.01}, 1e-4, 220.0, 1.0),
    "QIF": ("", {}, {}, 2e-5, 40.0, 0.5),
    "CoombesByrne": ("", {}, {}, 2e-5, 40.0, 0.5),
}


def run_text(text):
    sim = Simulation(parse_config(text))
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    return sim, w


def config(kind, side, steps, wave=False, nu_self=0.5):
    """A ``side`` x ``side`` grid (dx = 2 cm) with a self-coupling: Map (3-step delay) or Wave."""
    keys, _, _, dt, mean, nu = CASES[kind]
    prop = "Wave - Tau: 0 Range: 0.04 gamma: 100" if wave else f"Map - Tau: {3 * dt!r}"
    return TEXT.format(kind=kind, keys=keys, nodes=side * side, time=repr(steps * dt),
                       dt=repr(dt), length=repr(0.02 * side), prop=prop, nu_self=nu_self,
                       mean=mean, nu=nu)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_one_node_is_the_rk4_of_the_right_hand_side(kind):
    decl = lookup(kind)
    _, over, init, dt, mean, nu = CASES[kind]
    steps = 300
    sim, w = run_text(config(kind, 1, steps, nu_self=0.0))
    p = rt.params(decl, **over)
    _, out = rt.integrate(decl, rt.state0(decl, **init), p, dt, steps, inp=mean * nu)
    for j, var in enumerate(decl.state):
        got = w[f"pop.1.{var.name}"][:, 0]
        np.testing.assert_array_equal(got, out[1:, j], err_msg=f"{kind}.{var.name}")
    q = np.array([decl.rate(tuple(row), p) for row in out[1:]])
    np.testing.assert_array_equal(w["pop.1.q"][:, 0], q)
    assert np.ptp(out[:, 0]) > 0          # the state moved


def _same_at_every_node(small, big, steps, nodes):
    (sim_a, a), (sim_b, b) = small, big
    keys = [t.key for t in sim_a.outputs.traces]
    assert keys == [t.key for t in sim_b.outputs.traces]
    for key in keys:
        assert b[key].shape == (steps, nodes)
        np.testing.assert_array_equal(b[key], np.repeat(a[key][:, :1], nodes, axis=1),
                                      err_msg=key)
    return keys


@pytest.mark.parametrize("kind", sorted(CASES))
def test_uniform_grid_equals_single_node(kind):
    """6 x 6 nodes, uniform, with a delayed Map self-coupling: every node is the one-node run."""
    steps = 200
    one = run_text(config(kind, 1, steps))
    keys = _same_at_every_node(one, run_text(config(kind, 6, steps)), steps, 36)
    assert len(keys) == 1 + len(lookup(kind).state) and np.ptp(one[1][keys[1]]) > 0


@pytest.mark.parametrize("kind", ["JansenRit", "QIF", "StuartLandau"])
def test_uniform_grid_with_wave_is_the_same_at_every_size(kind):
    """With a Wave self-coupling (a one-node grid would turn it into Harmonic, as NFTsim does)
    a uniform 2 x 2 and 6 x 6 grid of the same dx agree at every node, bit for bit."""
    steps = 200
    two = run_text(config(kind, 2, steps, wave=True))
    assert two[1]["pop.1.q"].shape == (steps, 4)
    np.testing.assert_array_equal(two[1]["pop.1.q"], np.repeat(two[1]["pop.1.q"][:, :1], 4, 1))
    _same_at_every_node(two, run_text(config(kind, 6, steps, wave=True)), steps, 36)


def _composed_and_kind(dt, name):
    spec_text = (ROOT / "configs" / "rosetta" / name).read_text()
    text = (spec_text.replace("Deltat: 1e-4", f"Deltat: {dt!r}")
            .replace("Output: Node: All", "Output: Node: All Interval: 1e-3"))
    assert text != spec_text
    sim, w = run_text(text)
    key = "pop.1.v"
    return w.time, w[key][:, 0]


def test_composed_jansen_rit_equals_the_kind():
    t_kind, v_kind = _composed_and_kind(1e-5, "jansen-rit-column.conf")
    _, v_half = _composed_and_kind(5e-6, "jansen-rit-column.conf")
    assert np.abs(v_kind - v_half).max() < 1e-13           # the kind's RK4 has converged
    assert t_kind.size == 1000 and t_kind[-1] == pytest.approx(1.0)
    assert v_kind.max() - v_kind.min() > 4e-3               # the alpha cycle, not rest
    comp = {}
    for dt in (4e-6, 2e-6, 1e-6):
        t, comp[dt] = _composed_and_kind(dt, "jansen-rit-composed.conf")
        np.testing.assert_allclose(t, t_kind, rtol=1e-12)
    # first order: the raw difference halves with Deltat
    err = [np.abs(comp[dt] - v_kind).max() for dt in (4e-6, 2e-6, 1e-6)]
    assert 1.9 < err[0] / err[1] < 2.1 and 1.9 < err[1] / err[2] < 2.1, err
    r1 = {dt: 2.0 * comp[dt / 2] - comp[dt] for dt in (4e-6, 2e-6)}
    extrapolated = (4.0 * r1[2e-6] - r1[4e-6]) / 3.0
    assert np.abs(extrapolated - v_kind).max() <= 1e-9


def test_composed_config_reads_as_three_sigmoid_populations():
    spec = read_config(str(ROOT / "configs" / "rosetta" / "jansen-rit-composed.conf"))
    assert len(spec.populations) == 4 and len(spec.propagators) == 5
    assert all(p.dynamics is None for p in spec.populations)
