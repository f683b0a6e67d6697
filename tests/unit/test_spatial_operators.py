"""Spatial operators of population kinds: declaration rules, bitwise contracts, the 1-rank loop.

* GinzburgLandau with D = 0 is the StuartLandau kind bit for bit (the stage
  kernels keep the local kernel's association order, parnft.model.rk4space),
  from a non-uniform state;
* the result does not depend on the strip size of the cache-blocked step;
* a one-rank loop fills the ghost frames by the local periodic wrap (no MPI
  call in the generated source);
* bad spatial declarations are reported with a fix.
"""

from __future__ import annotations

import numpy as np
import pytest

from parnft.codegen import plan_loop, source
from parnft.config import parse_config
from parnft.model.declare import CrossDiffusion, Diffusion, Dynamics, Param, Var
from parnft.model.dynamics import declaration_problems, lookup
from parnft.model.dynamics.jh_excitatory import rate, rhs
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

SL = """x
Time: 0.01 Deltat: 1e-4
Nodes: 48
Longside nodes: 8

Connection matrix:
From:  1
To 1:  0

Population 1: P
 Length: 0.08
 Dynamics: {dyn}

Output: Node: All Interval: 1e-4
Population: 1.{a} 1.{b}
"""

SL_DYN = "alpha: 10 omega: 62.83185307179586 gamma: 0.1 beta: 0.05"


def fields(text, names, strip=None):
    sim = Simulation(parse_config(text), strip_nodes=strip)
    f = sim.ctx.populations[1].fields
    rng = np.random.default_rng(7)
    for name in names:
        f[name][:] = rng.normal(1.0, 0.5, f[name].shape)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    return [w[f"pop.1.{n}"] for n in names]


def test_ginzburg_landau_with_zero_diffusion_is_stuart_landau_bitwise():
    a = fields(SL.format(dyn=f"StuartLandau {SL_DYN}", a="x", b="y"), ["x", "y"])
    b = fields(SL.format(dyn=f"GinzburgLandau {SL_DYN} D: 0 c1: 0.4", a="x", b="y"),
               ["x", "y"])
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    c = fields(SL.format(dyn=f"GinzburgLandau {SL_DYN} D: 1e-4 c1: 0.4", a="x", b="y"),
               ["x", "y"])
    assert np.abs(c[0] - a[0]).max() > 1e-3      # and diffusion does change the field


@pytest.mark.parametrize("strip", [0, 8, 24])
def test_result_does_not_depend_on_the_strip_size(strip):
    text = SL.format(dyn="JH_excitatory", a="j", b="h")
    ref = fields(text, ["j", "h"])
    got = fields(text, ["j", "h"], strip=strip)
    for u, v in zip(ref, got, strict=True):
        np.testing.assert_array_equal(u, v)
    assert np.abs(ref[1]).max() > 0             # h was driven through the spatial term


def test_one_rank_loop_wraps_locally_and_calls_no_mpi():
    sim = Simulation(parse_config(SL.format(dyn="JH_excitatory", a="j", b="h")))
    sim.run(steps=1)
    calls = sim.step_calls()
    fills = [c for c in calls if type(c).__name__ == "GhostFill"]
    assert len(fills) == 4 and all(f.halo is not None for f in fills)
    src = source(plan_loop(calls, [], sample=False))
    assert src.count("wrap_field(") == 8 and "halo_begin" not in src and "halo_post" not in src
    # one wrap per filled field: j and h (both have a Laplacian taken), in each of 4 fills
    assert [int(c[0]) for _, c in fills[0].fields] == [0, 1]
    sim.close()


PARAMS = (Param("D", "m^2/s", 1e-3),)


def _kind(spatial, params=PARAMS):
    return Dynamics(name="Spreads", params=params, state=(Var("a", "1"), Var("b", "1")),
                    rhs=rhs, rate=rate, equation="test", spatial=spatial)


@pytest.mark.parametrize("spatial, needle", [
    ((Diffusion("q", "D"),), "names q, not a state variable"),
    ((CrossDiffusion("a", "b", "nope"),), "its coefficient must be numeric parameters"),
    ((CrossDiffusion("a", "b", ()),), "its coefficient must be numeric parameters"),
    (("D lap a",), "is not a Diffusion or CrossDiffusion"),
])
def test_bad_spatial_declarations_are_reported(spatial, needle):
    probs = declaration_problems(_kind(spatial))
    assert any(needle in p and "fix:" in p for p in probs), probs


def test_good_declaration_and_spreading_variables():
    kind = _kind((CrossDiffusion("b", "a", "D", -1.0),))
    assert declaration_problems(kind) == []
    assert kind.spreading == ("b",)
    assert lookup("JH_excitatory").spreading == ("j", "h")


def test_roofline_counts_the_stage_kernels_and_fills_by_rule():
    from parnft.bench.roofline import traffic

    sim = Simulation(parse_config(SL.format(dyn="JH_excitatory", a="j", b="h")))
    rows = traffic(sim, outputs=False)
    names = [r.kernel for r in rows]
    assert names.count("ghost_fill") == 4 and not any(r.fallback for r in rows)
    nloc = sim.ctx.nloc
    s2 = rows[names.index("rks_JH_excitatory_s2")]
    # reads vd (no rows here), S0, S1, Yi (2 levels), A0, A1; writes Yo (2 levels), A0, A1
    assert (s2.read, s2.written) == (8 * nloc * 6, 8 * nloc * 4)
    sim.close()


def test_validate_summary_ratio_of_the_spatial_terms():
    from parnft.config.dynamics import spatial_ratios

    text = SL.format(dyn="JH_excitatory", a="j", b="h").replace("Nodes: 48\nLongside nodes: 8",
                                                                "Nodes: 320\nLongside nodes: 160")
    text = text.replace("Length: 0.08", "Length: 0.01")       # dx = 62.5 um
    (kind, ratio, bound), = spatial_ratios(parse_config(text)).values()
    limit = 1e-4 / ratio
    wave = 0.01 / 160 / (6.63e-5 * 37.7) ** 0.5               # dx / c = 1.25 ms
    assert kind == "JH_excitatory" and bound and 0.9 * wave < limit <= wave
