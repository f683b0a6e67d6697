"""Memory-traffic counting (roofline) and the STREAM triad, against hand counts."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import parnft.kernels
from parnft.bench import roofline as rf
from parnft.bench.stream import TRIAD_BYTES, TRIAD_BYTES_WA, triad
from parnft.config import read_config
from parnft.model.base import Call
from parnft.solver import Simulation

TOY = """Toy model: one neural population with two dendrites, one white-noise stimulus.

Time: 0.001 Deltat: 0.0001
Nodes: 16

    Connection matrix:
From:  1  2
To 1:  1  2
To 2:  0  0

Population 1: Excitatory
Length: 0.1
Q: 5
Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
 Dendrite 1: alpha: 83.33333333 beta: 769.2307692
 Dendrite 2: alpha: 83.33333333 beta: 769.2307692

Population 2: Stimulation
Length: 0.1
 Stimulus: White - Onset: 0 Mean: 1 ASD: 1e-05

Propagator 1: Wave - Tau: 0 Range: 0.086 gamma: 116
Propagator 2: Map - Tau: 0.001

Coupling 1:  Map - nu: 0.001
Coupling 2:  Map - nu: 0.002

Output: Node: 1 Start: 0 Interval: 1e-4
Population: 1
"""

# Hand count, kernel by kernel, bytes per node and step (8-byte elements, 4x4 tile):
#   2 dendrite_coupled  v rw, dv rw, phi r (the couplings, one nu each, are
#                       folded into the dendrites: no drive array)  2 x 5 x 8 = 80
#   fire_sigmoid        vd r (2 rows), v rw, hist w (1 row),
#                       Q r once and w twice (exp pass, rate pass)  8 x 8 = 64
#   stim_begin          hist w (1 row)                                     8
#   series_white        hist rw, nodes r, keys r (all 16 nodes),
#                       work (3 rows of scratch) rw                10 x 8 = 80
#   stim_end            hist r (1 row), Q w                         2 x 8 = 16
#   wave5_step          phi r 2 levels w 1, Q same, phi_out w,
#                       hist r 1 row, tau r                         9 x 8 = 72
#   map_step (uniform)  phi_out w, hist r 1 row                     2 x 8 = 16
#   wave_fill_periodic  border of phi and Q: 2 x (2*4 + 2*6) = 40 elements read and
#                       written: 2 x 40 x 8 / 16                              = 40
#   record: Q and V of node 1 every step: 2 x (16 read + 8 written) / 16     = 3
STEP = 80 + 64 + 8 + 80 + 16 + 72 + 16 + 40
WRITTEN = 2 * 16 + 32 + 8 + 32 + 8 + 24 + 8 + 20 + 1

# Hand count as the loop runs it: every call but the ghost fill is one strip-fused
# run, in which each array (each row of vd, of work, each wave level) is
# streamed once, read only if its first use reads it:
#   read:    phi of both propagators (dendrites) 16, v and dv of both dendrites 32,
#            soma V 8, nodes 8, keys 8, work 24, wave phi and Q 2 levels
#            each 32, wave tau 8                                          = 136
#   written: both propagators' phi 16, v and dv 32, V 8, Q twice 16 (Q *is*
#            the population's one-slot ring: only the Wave with Tau 0 reads
#            it), stimulus slot 8, work 24, stimulus Q 8, wave phi and Q
#            new level 16                                                 = 128
#   ghost fill 40 (a run of its own)
FUSED = 136 + 128 + 40


@pytest.fixture(scope="module")
def toy_sim(tmp_path_factory):
    path = tmp_path_factory.mktemp("roofline") / "toy.conf"
    path.write_text(TOY)
    sim = Simulation(read_config(str(path)))
    yield sim
    sim.close()


def test_toy_model_traffic_equals_hand_count(toy_sim):
    assert toy_sim.ctx.nloc == 16
    assert rf.bytes_per_node_step(toy_sim, outputs=False, fused=False) == STEP
    assert rf.bytes_per_node_step(toy_sim, fused=False) == STEP + 3
    assert rf.bytes_per_node_step(toy_sim, write_allocate=True, fused=False) \
        == STEP + 3 + WRITTEN
    rows = rf.traffic(toy_sim)
    assert not any(r.fallback for r in rows)
    names = [r.kernel for r in rows]
    assert names.count("dendrite_coupled") == 2 and names.count("wave5_step") == 1
    assert not any(n.startswith("couple") for n in names)
    wave = rows[names.index("wave5_step")]
    assert (wave.read, wave.written) == (6 * 8 * 16, 3 * 8 * 16)


def test_toy_model_fused_traffic_equals_hand_count(toy_sim):
    assert rf.bytes_per_node_step(toy_sim, outputs=False) == FUSED
    assert rf.bytes_per_node_step(toy_sim) == FUSED + 3
    runs = rf.traffic(toy_sim, fused=True)
    assert [r.kernel for r in runs][1:] == ["wave_fill_periodic", "record"]
    assert runs[0].kernel.split("+")[0] == "dendrite_coupled"
    assert (runs[0].read, runs[0].written) == (136 * 16, 128 * 16)


def test_stage_bytes_split(toy_sim):
    s = rf.stage_bytes(toy_sim)
    assert s == {"coupling": 0, "population": 80 + 64 + 8 + 80 + 16, "propagator": 72 + 16}


def test_rules_name_real_kernel_parameters():
    """Every rule names a kernel of parnft.kernels and only parameters it has."""
    kernels = {}
    for info in pkgutil.iter_modules(parnft.kernels.__path__):
        mod = importlib.import_module(f"parnft.kernels.{info.name}")
        for obj in vars(mod).values():
            if hasattr(obj, "py_func"):
                kernels[obj.py_func.__name__] = obj
    for name, rule in rf.RULES.items():
        assert name in kernels, name
        params = rf.kernel_params(kernels[name])
        assert set(rule) <= set(params), (name, set(rule) - set(params))


def test_fallback_counts_unknown_kernel():
    """A kernel without a rule: node-sized arrays read, written when assigned into."""

    def scale_into(a, b, small, n):
        for i in range(a.shape[0]):
            b[i] = 2.0 * a[i] + small[0]

    a, b, small = np.ones(10), np.zeros(10), np.zeros(1)
    t = rf.call_traffic(Call(scale_into, (a, b, small)), nloc=10)
    assert t.fallback and (t.read, t.written) == (2 * 80, 80)


def test_bandwidth_fraction():
    # 1000 B/node-step at 1e7 node-steps/s = 10 GB/s, half of 20 GB/s
    assert rf.achieved_gbs(1000, 1e7) == pytest.approx(10.0)
    assert rf.bandwidth_fraction(1000, 1e7, 20.0) == pytest.approx(0.5)
    assert np.isnan(rf.bandwidth_fraction(1000, 1e7, ""))
    assert np.isnan(rf.bandwidth_fraction(1000, 1e7, 0.0))


def test_triad_counts_stream_bytes():
    n = 1 << 16
    r = triad(n=n, seconds=0.01)
    assert r.n == n and r.passes >= 5 and r.best_s > 0
    assert r.gbs == pytest.approx(TRIAD_BYTES * n / r.best_s / 1e9, rel=1e-12)
    assert r.gbs_write_allocate == pytest.approx(r.gbs * TRIAD_BYTES_WA / TRIAD_BYTES)
    with pytest.raises(ValueError, match="at least one element"):
        triad(n=0)
