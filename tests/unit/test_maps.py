"""Per-node maps (docs/heterogeneous.md): syntax, the safe evaluator, kernels, bitwise rules.

A map equal everywhere must give exactly the uniform model's output (the
per-node kernels perform the same IEEE operations in the same order as the
scalar ones), and the arrays a model is built with must be the map's values.
"""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.config import parse_config, read_config
from parnft.config.mapexpr import ExprError, evaluate
from parnft.config.maps import is_map
from parnft.errors import ConfigError
from parnft.kernels.firing import fire_polynomial, fire_sigmoid, fire_sigmoid_libm
from parnft.kernels.ode import dendrite_coupled, dendrite_step
from parnft.solver import Simulation
from tests.heterogeneous import UNIFORM, gradient, sheet, write_maps
from tests.malformed_maps import map_cases

SHAPE = (7, 10)


def run_text(folder, name: str, text: str) -> str:
    conf = os.path.join(folder, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(text)
    out = os.path.join(folder, f"{name}.h5")
    run(conf, out, comm=MPI.COMM_SELF, progress=False)
    return out


def datasets(path: str) -> dict:
    with h5py.File(path, "r") as f:
        return {k: f[k][...] for k in f if isinstance(f[k], h5py.Dataset)}


# -- syntax and evaluation ---------------------------------------------------------------
def test_expression_is_evaluated_at_cell_centres_in_metres():
    v = evaluate("x + 10 * y", (2, 4), 0.5)
    # x = (i + 1/2) dx, y = (j + 1/2) dx
    np.testing.assert_array_equal(v, [[0.25 + 2.5, 0.75 + 2.5, 1.25 + 2.5, 1.75 + 2.5],
                                      [0.25 + 7.5, 0.75 + 7.5, 1.25 + 7.5, 1.75 + 7.5]])
    disc = evaluate("where(hypot(x - Lx/2, y - Ly/2) < 0.6, 2, 1)", (2, 4), 0.5)
    np.testing.assert_array_equal(disc, [[1, 2, 2, 1], [1, 2, 2, 1]])
    assert evaluate("3", (2, 2), 1.0).shape == (2, 2)
    np.testing.assert_array_equal(evaluate("1 if x < 1 else 0", (1, 3), 0.5), [[1, 1, 0]])


@pytest.mark.parametrize("text,why", [
    ("__import__('os')", "unknown function '__import__'"), ("x.real", "Attribute"),
    ("[x][0]", "not allowed"),
    ("(lambda: 1)()", "not allowed"), ("q + 1", "unknown name 'q'"),
    ("exp(x, y)", "takes 1 argument"), ("open('f')", "unknown function 'open'"),
    ("x +", "not valid"), ("'a'", "not allowed")])
def test_unsafe_or_wrong_expressions_are_refused(text, why):
    with pytest.raises(ExprError, match=why.replace("(", r"\(")):
        evaluate(text, (2, 2), 1.0)


def test_map_forms_are_parsed_without_touching_nftsim_values(tmp_path):
    write_maps(str(tmp_path))
    n = SHAPE[0] * SHAPE[1]
    text = sheet(Theta="map(maps.h5 /theta)", Q="map(q.npy)", Sigma="expr(0.0038 + 0 * x)",
                 alpha=" ".join(["83"] * (n - 1) + ["84"]), nu="expr(1e-4 * (1 + x))")
    conf = tmp_path / "m.conf"
    conf.write_text(text)
    spec = read_config(conf)
    theta = spec.populations[0].firing.params["Theta"]
    assert is_map(theta) and theta.lo == pytest.approx(0.010) and theta.where[0] == 1
    assert theta.hi == pytest.approx(0.016 * 1.01)
    assert is_map(spec.dendrites[0].alpha) and spec.dendrites[0].alpha.hi == 84.0
    assert len(spec.couplings[0].nu) == n and spec.couplings[0].nu[0] != spec.couplings[0].nu[1]
    plain = parse_config(sheet())  # today's text: numbers stay plain floats
    assert not any(is_map(v) for v in plain.populations[0].firing.params.values())
    assert not is_map(plain.dendrites[0].alpha)


def test_malformed_maps_name_file_line_and_dataset(tmp_path):
    cases = map_cases(str(tmp_path))
    assert len(cases) >= 12
    for cid, text, line, sub in cases:
        conf = tmp_path / f"{cid}.conf"
        conf.write_text(text)
        with pytest.raises(ConfigError) as err:
            read_config(conf)
        hits = [ln for ln in str(err.value).splitlines()
                if ln.startswith(f"{conf}:{line}:") and sub in ln]
        assert hits, f"{cid}: expected line {line} with {sub!r} in\n{err.value}"


def test_malformed_map_exits_2_from_the_command_line(tmp_path, capsys):
    from parnft.cli import main

    cid, text, line, sub = map_cases(str(tmp_path))[1]
    conf = tmp_path / "bad.conf"
    conf.write_text(text)
    assert main(["validate", str(conf)]) == 2
    assert f":{line}:" in capsys.readouterr().err


# -- kernels: per-node arrays compute the scalar bits -----------------------------------------
@pytest.mark.parametrize("n", [1, 7, 37])  # vector body and scalar remainder
def test_per_node_kernels_equal_scalar_kernels_bitwise(n):
    rng = np.random.default_rng(3)
    vd = rng.normal(0.013, 0.01, (2, n))
    theta, sigma, qmax = 0.01292, 0.0038, 340.0
    for kern in (fire_sigmoid, fire_sigmoid_libm):
        outs = []
        for args in ((theta, sigma, qmax), tuple(np.full(n, v) for v in (theta, sigma, qmax))):
            v, hist, ptr, q = np.zeros(n), np.zeros((3, n)), np.zeros(1, np.int64), np.zeros(n)
            kern(vd, v, hist, ptr, q, *args, 0)
            outs.append((hist.copy(), q.copy()))
        assert outs[0][0].tobytes() == outs[1][0].tobytes()
        assert outs[0][1].tobytes() == outs[1][1].tobytes()
    for coef in ((0.0, 0.0, 2.5, 1.5), (0.1, -0.3, 2.5, 1.5)):
        res = []
        for c in (coef, tuple(np.full(n, x) for x in coef)):
            v, hist, ptr, q = np.zeros(n), np.zeros((1, n)), np.zeros(1, np.int64), np.zeros(n)
            fire_polynomial(vd, v, hist, ptr, q, *c, 0)
            res.append(q.tobytes())
        assert res[0] == res[1]
    f, g = 1.0 / 83.0 + 1.0 / 769.0, 83.0 * 769.0
    fa, ga = 1.0 / np.full(n, 83.0) + 1.0 / np.full(n, 769.0), np.full(n, 83.0) * 769.0
    drive, phi = rng.normal(1e-3, 1e-4, n), rng.normal(10, 1, n)
    for kern, lead in ((dendrite_step, (drive,)), (dendrite_coupled, (1e-4, phi))):
        res = []
        for ff, gg in ((f, g), (fa, ga)):
            v, dv = np.full(n, 1e-3), np.full(n, 0.5)
            for step in range(5):
                kern(v, dv, *lead, ff, gg, 1e-4, step)
            res.append(v.tobytes() + dv.tobytes())
        assert res[0] == res[1]


# -- whole models ---------------------------------------------------------------------------
def test_uniform_maps_give_the_uniform_output_bitwise(tmp_path):
    write_maps(str(tmp_path))
    n = SHAPE[0] * SHAPE[1]
    maps = {"Theta": "map(maps.h5 /uniform_theta)", "Sigma": "expr(0.0038 + 0 * x)",
            "Qmax": " ".join(["340"] * n), "alpha": "expr(83)", "beta": "expr(769 + 0 * y)",
            "Q": "expr(8.87)", "V": "expr(1e-4 * 8.87)", "phi": "expr(8.87)",
            "Tau": "expr(2e-4)", "nu": "expr(1e-4)"}
    conf = tmp_path / "maps.conf"
    conf.write_text(sheet(**maps))
    sim = Simulation(read_config(conf))
    theta, sigma, qmax = sim.ctx.populations[1].firing._call[1]
    assert all(isinstance(a, np.ndarray) for a in (theta, sigma, qmax))  # the per-node path
    assert isinstance(sim.ctx.populations[1].dendrites[0].alpha, np.ndarray)
    ref = datasets(run_text(str(tmp_path), "uniform", sheet()))
    got = datasets(run_text(str(tmp_path), "maps", sheet(**maps)))
    assert sorted(ref) == sorted(got)
    for k in ref:
        assert ref[k].tobytes() == got[k].tobytes(), k


def test_uniform_dynamics_maps_give_the_uniform_output_bitwise(tmp_path):
    here = os.path.join(os.path.dirname(__file__), "..", "..", "configs", "rosetta",
                        "wilson-cowan.conf")
    text = open(here).read().replace("Nodes: 4096", "Nodes: 64").replace(
        "Time: 0.5", "Time: 0.004").replace("Interval: 1e-3", "Interval: 5e-4").replace(
        "Length: 0.5", "Length: 0.1")
    mapped = text.replace("P_x: 1.25", "P_x: expr(1.25 + 0 * x) x_0: expr(0.1 + 0 * y)")
    assert mapped != text
    ref = datasets(run_text(str(tmp_path), "wc", text.replace("P_x: 1.25", "P_x: 1.25 x_0: 0.1")))
    got = datasets(run_text(str(tmp_path), "wc-maps", mapped))
    for k in ref:
        assert ref[k].tobytes() == got[k].tobytes(), k
    varied = datasets(run_text(str(tmp_path), "wc-var", text.replace(
        "P_x: 1.25", "P_x: expr(1.25 + 0.5 * x)")))
    assert not np.array_equal(varied["pop.1.x"], ref["pop.1.x"])


def test_model_arrays_hold_the_map_values_of_each_node(tmp_path):
    paths = write_maps(str(tmp_path))
    conf = tmp_path / "g.conf"
    conf.write_text(sheet(Theta="map(flat.npy)", Q="map(q.npy)", phi="expr(x)"))
    sim = Simulation(read_config(conf))
    pop = sim.ctx.populations[1]
    np.testing.assert_array_equal(pop.firing._call[1][0], np.load(paths["flat"]))
    np.testing.assert_array_equal(pop.q, gradient(SHAPE, 5.0, 12.0).ravel())
    np.testing.assert_array_equal(pop.hist[-1], pop.q)  # the past: the initial state
    x = (np.arange(10) + 0.5) * 0.025
    np.testing.assert_array_equal(sim.ctx.propagators[1].phi, np.tile(x, 7))


def test_initial_state_from_the_last_sample_of_an_earlier_run(tmp_path):
    first = run_text(str(tmp_path), "first", sheet(time=2e-3, Theta="expr(0.012 + 0.01 * x)"))
    with h5py.File(first, "r") as f:
        last = {k: f[k][-1].ravel() for k in ("pop.1.q", "dendrite.1.v", "propagator.1.phi")}
        assert f["pop.1.q"].ndim == 3
    conf = tmp_path / "second.conf"
    conf.write_text(sheet(Theta="expr(0.012 + 0.01 * x)", Q="map(first.h5 pop.1.q)",
                          V="map(first.h5 dendrite.1.v)", phi="map(first.h5 propagator.1.phi)"))
    sim = Simulation(read_config(conf))
    ctx = sim.ctx
    np.testing.assert_array_equal(ctx.populations[1].q, last["pop.1.q"])
    np.testing.assert_array_equal(ctx.populations[1].dendrites[0].v, last["dendrite.1.v"])
    np.testing.assert_array_equal(ctx.propagators[1].phi, last["propagator.1.phi"])
    assert UNIFORM["Q"] != "map"  # the uniform sheet is unchanged by these maps


def test_fewer_numbers_than_nodes_keep_nftsim_meaning():
    # NFTsim reads the first number and skips the rest: still so, with its warning
    spec = parse_config(sheet(Theta="0.01292 0.5"))
    assert not is_map(spec.populations[0].firing.params["Theta"])
    assert spec.populations[0].firing.params["Theta"] == 0.01292
    assert any("ignored" in w.rule for w in spec.warnings)


def test_a_map_file_gone_at_build_time_is_a_config_error_naming_it(tmp_path):
    write_maps(str(tmp_path))
    conf = tmp_path / "gone.conf"
    conf.write_text(sheet(Theta="map(maps.h5 /theta)"))
    spec = read_config(conf)  # validated while the file was there
    os.remove(tmp_path / "maps.h5")
    with pytest.raises(ConfigError, match=r"gone.conf:14: .*maps.h5 does not exist"):
        Simulation(spec)
