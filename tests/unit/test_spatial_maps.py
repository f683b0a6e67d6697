"""Per-node maps of the local parameters of kinds whose state spreads (docs/heterogeneous.md).

* a map equal everywhere gives the uniform model's bits (whole tile and
  strips), through the ``nodal`` stage kernels of parnft.model.rk4space,
  and a kind without maps keeps its uniform generated module;
* the keys that may be maps are derived from the declarations: the
  parameters a spatial term reads stay one number;
* the spatial stability is judged at each distinct per-node tuple (or the
  documented subset of at most 64, holding each mapped key's min and max node).
"""

from __future__ import annotations

import numpy as np
import pytest

from parnft.config import parse_config
from parnft.config.dynamics import map_keys, spatial_keys, spatial_ratios
from parnft.config.spatialcheck import LIMIT, node_tuples
from parnft.errors import ConfigError
from parnft.model import rk4space
from parnft.model.dynamics import lookup
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

GL = """GinzburgLandau sheet with maps
Time: 0.01 Deltat: 1e-4
Nodes: {nodes}
Longside nodes: {nx}

Connection matrix:
From:  1
To 1:  0

Population 1: P
 Length: {length}
 Dynamics: GinzburgLandau alpha: {alpha} omega: {omega} gamma: 0.1 beta: 0.05 D: {D} c1: 0.4

Output: Node: All Interval: 1e-4
Population: 1.x 1.y
"""

OMEGA = "62.83185307179586"


def gl(alpha="10", omega=OMEGA, D="1e-4", shape=(6, 8), length=0.08) -> str:
    ny, nx = shape
    return GL.format(nodes=ny * nx, nx=nx, length=length, alpha=alpha, omega=omega, D=D)


def run_fields(text: str, strip=None):
    """x and y of a run from a fixed random (non-uniform) state; and the soma's parameters."""
    sim = Simulation(parse_config(text), strip_nodes=strip)
    pop = sim.ctx.populations[1]
    rng = np.random.default_rng(7)
    for name in ("x", "y"):
        pop.fields[name][:] = rng.normal(3.0, 1.0, pop.fields[name].shape)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    params = pop.firing.params
    sim.close()
    return [w["pop.1.x"], w["pop.1.y"]], params


@pytest.mark.parametrize("strip", [None, 8])       # whole tile, and strips of rows
def test_uniform_map_gives_the_uniform_bits(strip):
    ref, p0 = run_fields(gl(), strip)
    got, p1 = run_fields(gl(alpha="expr(10 + 0 * x)", omega=f"expr({OMEGA} + 0 * y)"), strip)
    assert not any(isinstance(p, np.ndarray) for p in p0)
    assert isinstance(p1[0], np.ndarray) and isinstance(p1[1], np.ndarray)  # nodal kernels
    for u, v in zip(ref, got, strict=True):
        assert u.tobytes() == v.tobytes()
    moved, _ = run_fields(gl(alpha="expr(10 + 200 * x)"), strip)
    assert np.abs(moved[0] - ref[0]).max() > 1e-3   # and a varying map does change the field


def test_nodal_source_forms_the_tuple_per_node_and_the_uniform_source_is_kept():
    kind = lookup("GinzburgLandau")
    plain, nodal = rk4space.kernel_source(kind), rk4space.kernel_source(kind, nodal=True)
    assert "at(" not in plain and "    p = (P0, P1" in plain
    assert nodal.count("p = (at(P0, i), at(P1, i)") == 4 and "    p = (P0" not in nodal
    assert "C0 * l" in nodal                              # coefficients stay numbers
    k0, k1 = rk4space.kernels(kind), rk4space.kernels(kind, nodal=True)
    assert k0["s1"] is not k1["s1"] and k0["s1"] is rk4space.kernels(kind)["s1"]


def test_map_keys_leave_out_what_the_spatial_terms_read():
    assert spatial_keys("GinzburgLandau") == ("D", "c1")
    assert spatial_keys("JH_excitatory") == ("c_x", "D_J")
    assert spatial_keys("StuartLandau") == () and spatial_keys("nothing") == ()
    assert set(map_keys("GinzburgLandau")) == {"alpha", "omega", "gamma", "beta", "x_0", "y_0"}
    assert set(map_keys("JH_excitatory")) == {"gamma_J", "gamma_H", "kappa_J", "kappa_H",
                                              "j_0", "h_0"}
    assert "alpha" in map_keys("StuartLandau")        # a local kind: every numeric key


def test_coefficient_map_is_refused_with_the_reason():
    with pytest.raises(ConfigError) as err:
        parse_config(gl(D="expr(1e-4 * (1 + x))"))
    text = str(err.value)
    assert "'Population 1 Dynamics: D' cannot be a per-node map" in text
    assert "non-conservative form" in text and "fix: give one number" in text
    assert ":12:" in text


def test_each_distinct_tuple_is_checked_once_with_its_first_node():
    spec = parse_config(gl(alpha="expr(10 + 5 * (x > 0.04))"), validate=False)
    pairs = node_tuples(lookup("GinzburgLandau"), spec.populations[0].dynamics.params)
    assert [v["alpha"] for _, v in pairs] == [10.0, 15.0]
    assert [n for n, _ in pairs] == [1, 5]            # x = (i + 1/2) dx > 0.04 from i = 4
    assert node_tuples(lookup("GinzburgLandau"), parse_config(gl()).populations[0]
                       .dynamics.params)[0][0] is None  # no maps: the block's values


def test_many_tuples_give_a_subset_with_each_keys_min_and_max_node():
    shape = (12, 12)                                      # 144 distinct (alpha, omega)
    text = gl(alpha="expr(10 + x * 37 + y * 11)", omega=f"expr({OMEGA} - 30 * x * y)",
              shape=shape, length=0.12)
    spec = parse_config(text, validate=False)
    params = spec.populations[0].dynamics.params
    pairs = node_tuples(lookup("GinzburgLandau"), params)
    assert len(pairs) == LIMIT and len({n for n, _ in pairs}) == LIMIT
    nodes = {n for n, _ in pairs}
    for key in ("alpha", "omega"):
        fm = params[key]
        assert set(fm.where) <= nodes                     # 1-based nodes of the min and max
    assert len(node_tuples(lookup("GinzburgLandau"), params, limit=200)) == 144


def test_unstable_node_among_many_is_found_and_named():
    # JH_excitatory: the wave speed c = sqrt(c_x kappa_H) sets Deltat <= dx / c. With
    # dx = 0.1 m and Deltat = 1e-4 s, c_x = 100 m^2/s fails for kappa_H above about 1e4;
    # 144 distinct kappa_H (40 + 100 x + y, below 157), node 144 alone raised to 20156.
    text = gl(shape=(12, 12), length=1.2).replace(
        "GinzburgLandau alpha: 10 omega: 62.83185307179586 gamma: 0.1 beta: 0.05 D: 1e-4 "
        "c1: 0.4", "JH_excitatory c_x: 100 kappa_H: expr(40 + 100 * x + y + 2e4 * "
        "(x > 1.1) * (y > 1.1))").replace("1.x 1.y", "1.j")
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    msg = str(err.value)
    assert "diffusion stability violated" in msg and "at node 144 (kappa_H = 2015" in msg
    assert f"1 of {LIMIT} per-node value tuples checked fail" in msg
    ok = text.replace("2e4 *", "0 *")
    assert parse_config(ok).populations[0].dynamics.kind == "JH_excitatory"


def test_summary_ratio_is_the_worst_node():
    spec = parse_config(gl(alpha="expr(10 + 0 * x)", D="0.2"))
    (kind, ratio, bound), = spatial_ratios(spec).values()
    uni = parse_config(gl(D="0.2"))
    assert ratio == spatial_ratios(uni)[1][1] and bound
