"""Cache-blocked steps (strips), shared propagators and the overlap split.

* :func:`parnft.codegen.fuse_groups` runs consecutive strip-capable calls
  together only where hoisting their once-per-step ``before`` calls and sinking
  their ``after`` calls changes nothing;
* every NFTsim regression and benchmark model gives bitwise the same fields
  whatever the strip height (one row, three rows, the whole tile);
* identical propagators are computed once and give bitwise NFTsim's numbers;
* :func:`parnft.solver.split_at_halo` puts exactly the ghost-reading work after
  the halo wait.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.bench.resize import variant_text
from parnft.codegen import fuse_groups, plan_loop, source
from parnft.config import parse_config, read_config
from parnft.model.base import Call, Ranged
from parnft.model.propagators import Propagator, Shared
from parnft.solver import Simulation, split_at_halo, strip_rows
from tests.refdata import nftsim_configs, nftsim_ref

CONFIGS = nftsim_configs("test/numerical") + nftsim_configs("benchmarks")


def _call(*arrays, ranged=True, before=(), after=()):
    r = Ranged(None, arrays, before=before, after=after) if ranged else None
    return Call(None, arrays, r)


def test_consecutive_ranged_calls_form_one_run_and_others_break_it():
    a, b, c = np.zeros(4), np.zeros(4), np.zeros(4)
    calls = [_call(a), _call(a, b), _call(c, ranged=False), _call(b), _call(c)]
    runs = fuse_groups(calls)
    assert [len(r) for r in runs] == [2, 1, 2]
    assert runs[1][0].ranged is None


def test_before_touching_an_earlier_calls_array_starts_a_new_run():
    ptr, q = np.zeros(1, dtype=np.int64), np.zeros(4)
    reader = _call(q, ptr)  # reads the ring pointer
    advancer = _call(q, before=(Call(None, (ptr,)),))  # advances it once per step
    assert [len(r) for r in fuse_groups([reader, advancer])] == [1, 1]
    # the other way round the advance is meant to precede the read: one run
    assert [len(r) for r in fuse_groups([advancer, reader])] == [2]


def test_after_touching_a_later_calls_array_ends_the_run():
    cur, q = np.zeros(1, dtype=np.int64), np.zeros(4)
    flipper = _call(q, after=(Call(None, (cur,)),))
    later = _call(q, cur)
    assert [len(r) for r in fuse_groups([flipper, later])] == [1, 1]
    assert [len(r) for r in fuse_groups([later, flipper])] == [2]


def test_strip_rows():
    assert strip_rows((100, 64), 4096) == (100, 64, 64)
    assert strip_rows((10, 64), 4096) == (10, 64, 10)  # never more than the tile
    assert strip_rows((10, 5000), 4096) == (10, 5000, 1)  # at least one row
    assert strip_rows((10, 64), 0) == (10, 64, 10)  # 0: the whole tile


def short_variant(name: str) -> str:
    """A short all-node variant of NFTsim config ``name``.

    Its square grid has at least the original nodes and a side that three does
    not divide (so three-row strips leave a short last strip); it runs until
    the longest delay is read back from the history, plus 20 steps.
    """
    spec = read_config(nftsim_ref(name))
    dt = spec.time.deltat
    tau = max((max(p.tau) for p in spec.propagators), default=0.0)
    steps = min(spec.time.steps, int(math.ceil(tau / dt)) + 20)
    side = max(spec.grid.longside, 6) + 1
    side += side % 3 == 0
    grid = (1, 1) if spec.grid.longside == 1 else (side, side)
    return variant_text(spec, time=steps * dt, grid=grid, interval=5 * dt,
                        scale_length=spec.grid.longside > 1, all_nodes=True)


def final_fields(text: str, strip_nodes: int) -> dict:
    sim = Simulation(parse_config(text), strip_nodes=strip_nodes)
    try:
        sim.run()
        out = {}
        for i, comp in enumerate(sim.components):
            for key, arr in getattr(comp, "fields", {}).items():
                out[f"{i}.{key}"] = np.array(arr, copy=True)
        out["samples"] = [np.array(b, copy=True) for b, _, _ in sim.outputs.records()]
        return out
    finally:
        sim.close()


@pytest.mark.parametrize("name", CONFIGS)
def test_strip_height_does_not_change_any_field(name, tmp_path):
    """Whole tile vs one-row vs three-row strips (a short last strip): bitwise."""
    text = short_variant(name)
    whole = final_fields(text, 0)
    lx = parse_config(text).grid.shape[1]
    for strip in (1, 3 * lx):
        got = final_fields(text, strip)
        assert got.keys() == whole.keys()
        for key in whole:
            if key == "samples":
                for x, y in zip(got[key], whole[key], strict=True):
                    np.testing.assert_array_equal(x, y, err_msg=f"{name} samples, strip {strip}")
            else:
                np.testing.assert_array_equal(got[key], whole[key],
                                              err_msg=f"{name} {key}, strip {strip}")


def test_identical_propagators_are_computed_once(tmp_path, monkeypatch):
    """EIRS: waves 1 and 4 (Tau 0), 7 and 9 (Tau 42.5 ms), maps 2 and 5, 3 and 6 pair up."""
    text = short_variant("benchmarks/eirs-default.conf")
    spec = parse_config(text, "eirs.conf")
    sim = Simulation(spec)
    props = sim.ctx.propagators
    shared = {j for j, p in props.items() if isinstance(p, Shared)}
    assert shared == {4, 5, 6, 9}
    assert props[4].source is props[1] and props[4].phi is props[1].phi
    assert props[9].source is props[7]
    assert not props[4].calls("propagator") and not props[4].wave_fields()
    kernels = [c.kernel.py_func.__name__ for c in sim.step_calls()]
    assert kernels.count("wave5_step") == 2
    sim.close()
    # the same run with sharing turned off computes every propagator: same numbers
    with_sharing = final_fields(text, 0)
    monkeypatch.setattr(Propagator, "shareable", False)
    sim = Simulation(spec)
    assert not any(isinstance(p, Shared) for p in sim.ctx.propagators.values())
    sim.close()
    without = final_fields(text, 0)
    for key in with_sharing:
        if key == "samples":
            for x, y in zip(with_sharing[key], without[key], strict=True):
                np.testing.assert_array_equal(x, y)
        else:
            np.testing.assert_array_equal(with_sharing[key], without[key], err_msg=key)


def test_overlap_split_defers_only_the_wave_rings(tmp_path):
    """Before the wait: everything, the waves on inner nodes; after: rings, then flips."""
    spec = read_config(nftsim_ref("benchmarks/eirs-default.conf"))
    sim = Simulation(spec)
    ghosted = [a for phi, q, *_ in sim.wave_fields for a in (phi, q)]
    calls = sim.stage_calls(("coupling", "population", "propagator"))
    first, second = split_at_halo(calls, ghosted)
    names = [c.ranged.kernel.py_func.__name__ if c.ranged else c.kernel.py_func.__name__
             for c in first]
    assert len(first) == len(calls)
    assert names.count("wave5_step_inner") == 2 and "wave5_step_rows" not in names
    assert [c.kernel.py_func.__name__ for c in second] == ["wave5_step_frame", "flip_level"] * 2
    # the generated first loop never flips a level: the ring still reads level n
    src = source(plan_loop(first, [], sample=False, strip=strip_rows((12, 12), 0)))
    assert "flip_level" not in src and src.count("_wave5_step_inner(y0, y1, ") == 2
    sim.close()


def test_uniform_map_couplings_fold_into_rk4_dendrites():
    """EI: every coupling has one nu, so every dendrite forms nu * phi itself."""
    sim = Simulation(read_config(nftsim_ref("benchmarks/ei-default.conf")))
    names = [c.kernel.py_func.__name__ for c in sim.step_calls()]
    assert not any(n.startswith("couple") for n in names)
    assert names.count("dendrite_coupled") == len(sim.ctx.couplings) == 6
    assert all(c.folded and not c.calls("coupling") for c in sim.ctx.couplings.values())
    sim.close()


def test_a_per_node_nu_does_not_fold():
    text = short_variant("benchmarks/ei-default.conf")
    nodes = parse_config(text).grid.nodes
    nu = " ".join(f"{1.5e-3 + 1e-6 * i:.7g}" for i in range(nodes))
    assert "Coupling 2: Map - nu: 1.5e-3" in text
    text = text.replace("Coupling 2: Map - nu: 1.5e-3", f"Coupling 2: Map - nu: {nu}", 1)
    sim = Simulation(parse_config(text))
    cps = sim.ctx.couplings
    assert not cps[2].folded and cps[2].calls("coupling")[0].kernel.py_func.__name__ \
        == "couple_map"
    assert cps[1].folded
    sim.close()


def test_one_slot_ring_holds_q():
    """Q is the ring's only slot when nothing reads the population delayed."""
    sim = Simulation(read_config(nftsim_ref("benchmarks/eirs-default.conf")))
    for pop in sim.ctx.populations.values():
        shares = np.shares_memory(pop.q, pop.hist)
        assert shares == (pop.hist.shape[0] == 1), pop.index
    assert {p.hist.shape[0] == 1 for p in sim.ctx.populations.values()} == {True, False}
    sim.close()


def test_folded_dendrite_kernel_equals_coupling_then_dendrite_bit_for_bit():
    from parnft.kernels.coupling import couple_uniform
    from parnft.kernels.ode import dendrite_coupled, dendrite_step

    rng = np.random.default_rng(5)
    phi = rng.normal(10.0, 3.0, 37)
    v0, dv0 = rng.normal(0.0, 1e-3, 37), rng.normal(0.0, 1e-2, 37)
    f, g, dt, nu = 1 / 83.0 + 1 / 769.0, 83.0 * 769.0, 1e-4, 1.5e-3
    a, da, b, db, drive = v0.copy(), dv0.copy(), v0.copy(), dv0.copy(), np.zeros(37)
    for n in range(1, 200):
        couple_uniform(nu, phi, drive, n)
        dendrite_step(a, da, drive, f, g, dt, n)
        dendrite_coupled(b, db, nu, phi, f, g, dt, n)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(da, db)
    assert not np.array_equal(a, v0)
