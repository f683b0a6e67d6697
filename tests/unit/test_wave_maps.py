"""Per-node ``Range`` and ``gamma`` of the Wave propagator (docs/heterogeneous.md).

Reference of every bitwise test: the uniform (scalar) path. The per-node
kernels read each constant with :func:`parnft.kernels.nodal.at` and perform the
same IEEE operations in the same order (``fastmath`` off), and the per-node
constants are the scalar formulas element for element (libm ``exp``), so a map
equal everywhere must give the uniform bits exactly (tolerance zero). The
validation checks (largest gamma*Range over the nodes) are compared with the
numbers worked out by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import math
import os
from types import SimpleNamespace

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.boundary.absorbing import mur_constants, mur_wave_fill
from parnft.config import parse_config
from parnft.config.mapexpr import evaluate
from parnft.config.summary import courant_numbers
from parnft.errors import ConfigError
from parnft.kernels.nodal import nodal_exp
from parnft.kernels.wave import (
    fill_periodic,
    wave5_constants,
    wave5_step,
    wave5_step_frame,
    wave5_step_inner,
    wave5_step_rows,
)
from parnft.model.propagators import Wave, share_key
from parnft.solver import Simulation
from tests.heterogeneous import sheet

DT, DX, RANGE, GAMMA = 1e-4, 0.025, 0.08, 100.0


def _bits(a) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _state(ly, lx, seed=11):
    rng = np.random.default_rng(seed)
    phi, qw = rng.random((2, ly + 2, lx + 2)), rng.random((2, ly + 2, lx + 2))
    for lev in (0, 1):
        fill_periodic(phi[lev])
        fill_periodic(qw[lev])
    return phi, qw, rng.random((4, ly * lx))


def test_nodal_exp_is_libm_exp_of_each_element():
    x = -np.linspace(0.0, 3.0, 101) * math.pi
    assert _bits(nodal_exp(x)) == _bits(np.array([math.exp(v) for v in x]))
    assert nodal_exp(-0.01) == math.exp(-0.01) and isinstance(nodal_exp(-0.01), float)


def test_constants_of_a_map_equal_everywhere_are_the_scalar_bits():
    n = 13
    scal = wave5_constants(DT, DX, RANGE, GAMMA)
    for r, g in ((np.full(n, RANGE), GAMMA), (RANGE, np.full(n, GAMMA)),
                 (np.full(n, RANGE), np.full(n, GAMMA))):
        arr = wave5_constants(DT, DX, r, g)
        for s, a in zip(scal, arr, strict=True):
            assert _bits(np.broadcast_to(a, n)) == _bits(np.full(n, s))
    # a Range map alone leaves the gamma-only constants (dfact, em, ep) numbers
    assert [isinstance(a, np.ndarray) for a in wave5_constants(DT, DX, np.full(n, RANGE),
                                                               GAMMA)] == [1, 0, 1, 1, 0, 0]
    assert _bits(mur_constants(DT, DX, np.full(n, RANGE), np.full(n, GAMMA))[1]) \
        == _bits(np.full(n, mur_constants(DT, DX, RANGE, GAMMA)[1]))


def _step(kind, phi, qw, hist, tau, const):
    ly, lx = phi.shape[1] - 2, phi.shape[2] - 2
    cur, out, ptr = np.zeros(1, np.int64), np.empty(ly * lx), np.array([1], np.int64)
    tau0 = int(tau[0]) if np.all(tau == tau[0]) else -1
    if kind == "step":
        wave5_step(phi, qw, cur, out, hist, ptr, tau, *const, 1)
    elif kind == "rows":  # two strips, then the flip
        for y0, y1 in ((0, ly // 2), (ly // 2, ly)):
            wave5_step_rows(y0, y1, phi, qw, cur, out, hist, ptr, tau, tau0, *const, 1)
    else:  # inner box while the halo is in flight, then the frame
        wave5_step_inner(0, ly, phi, qw, cur, out, hist, ptr, tau, tau0, *const, 1)
        wave5_step_frame(phi, qw, cur, out, hist, ptr, tau, tau0, *const, 1)
    return out, phi, qw


@pytest.mark.parametrize("shape", [(5, 7), (3, 40)])  # vector body and remainder
@pytest.mark.parametrize("uniform_tau", [True, False])
@pytest.mark.parametrize("kind", ["step", "rows", "inner+frame"])
def test_wave_kernels_with_per_node_constants_equal_scalar_bitwise(shape, uniform_tau, kind):
    ly, lx = shape
    n = ly * lx
    tau = np.full(n, 2, dtype=np.int64)
    if not uniform_tau:
        tau[::5] = 3
    scal = wave5_constants(DT, DX, RANGE, GAMMA)
    nodal = wave5_constants(DT, DX, np.full(n, RANGE), np.full(n, GAMMA))
    ref = _step(kind, *_state(ly, lx)[:2], _state(ly, lx)[2], tau, scal)
    got = _step(kind, *_state(ly, lx)[:2], _state(ly, lx)[2], tau, nodal)
    for a, b in zip(ref, got, strict=True):
        assert _bits(a) == _bits(b)
    # and each node really reads its own constants: a varied map changes the result
    varied = wave5_constants(DT, DX, np.linspace(0.05, 0.1, n), np.full(n, GAMMA))
    other = _step(kind, *_state(ly, lx)[:2], _state(ly, lx)[2], tau, varied)
    assert _bits(other[0]) != _bits(ref[0])


def test_mur_fill_with_per_node_constants_equal_scalar_bitwise():
    ly, lx = 6, 9
    sides = np.array([0, 1, 2, 3], dtype=np.int64)
    res = []
    for r, g in ((RANGE, GAMMA), (np.full(ly * lx, RANGE), np.full(ly * lx, GAMMA))):
        phi, qw, _ = _state(ly, lx, seed=4)
        k, em = mur_constants(DT, DX, r, g)
        mur_wave_fill(phi, qw, np.array([1], np.int64), sides, k, em, 0)
        res.append(_bits(phi))
    assert res[0] == res[1]
    # per node: the ghost of node (y, x) uses that edge node's k, em
    phi, qw, _ = _state(ly, lx, seed=4)
    ranges = np.linspace(0.05, 0.1, ly * lx)
    k, em = mur_constants(DT, DX, ranges, GAMMA)
    mur_wave_fill(phi, qw, np.array([1], np.int64), np.array([2], np.int64), k, em, 0)
    ref, qref, _ = _state(ly, lx, seed=4)
    for y in range(ly):
        i = y * lx  # the W edge node of row y
        kk, e = mur_constants(DT, DX, float(ranges[i]), GAMMA)
        q1, q1o = qref[1, y + 1, 1], qref[0, y + 1, 1]
        want = q1 + (e * (ref[0, y + 1, 1] - q1o)
                     + kk * ((ref[1, y + 1, 1] - q1) - e * (ref[0, y + 1, 0] - q1o)))
        assert phi[1, y + 1, 0] == want


# -- validation ---------------------------------------------------------------------------
def test_courant_uses_the_largest_gamma_range_over_the_nodes():
    # gamma max 1600 on the right half, Range max 0.18 on the left: the extremes
    # would give 1600 * 0.18 * 1e-4 / 0.025 = 1.152 > 1/sqrt(2); per node the
    # largest is 1600 * 0.08 = 128 m/s, p = 0.512
    spec = parse_config(sheet(Range="expr(0.18 - 0.1 * (x > Lx/2))",
                              gamma="expr(100 + 1500 * (x > Lx/2))"))
    assert courant_numbers(spec)[1] == pytest.approx(0.512, rel=1e-12)
    assert courant_numbers(parse_config(sheet()))[1] == pytest.approx(0.032, rel=1e-12)


def test_velocity_with_a_range_map_derives_gamma_per_node():
    spec = parse_config(sheet(Range="expr(0.08 + 0.02 * (x > Lx/2))", gamma="1").replace(
        "gamma: 1", "velocity: 8"))
    pr = spec.propagators[0]
    r = evaluate("0.08 + 0.02 * (x > Lx/2)", (7, 10), DX)
    assert pr.gamma.lo == 8 / r.max() and pr.gamma.hi == 8 / r.min()
    # the scalar rule of config.build, gamma = velocity / Range, node by node
    assert _bits(np.array(pr.gamma.source.values)) == _bits([8 / v for v in r.ravel()])


def test_two_wave_maps_with_the_same_minimum_are_not_shared():
    a = parse_config(sheet(Range="expr(0.08 + 0.01 * (x > Lx/2))")).propagators[0]
    b = parse_config(sheet(Range="expr(0.08 + 0.02 * (x > Lx/2))")).propagators[0]
    assert a.range == b.range  # a map compares as its minimum
    ctx = SimpleNamespace(spec=SimpleNamespace(connections=[SimpleNamespace(pre=1)]))
    assert share_key(a, ctx, Wave) != share_key(b, ctx, Wave)


def test_wave_legacy_built_with_a_map_is_refused():
    spec = parse_config(sheet(Range="expr(0.08 + 0 * x)"))
    legacy = dataclasses.replace(spec, propagators=(dataclasses.replace(
        spec.propagators[0], kind="WaveLegacy"),) + spec.propagators[1:])
    with pytest.raises(ConfigError, match="WaveLegacy takes one Range and one gamma"):
        Simulation(legacy)


# -- whole runs ---------------------------------------------------------------------------
def _run(folder, name: str, text: str) -> dict:
    conf = os.path.join(folder, f"{name}.conf")
    with open(conf, "w") as f:
        f.write(text)
    out = os.path.join(folder, f"{name}.h5")
    run(conf, out, comm=MPI.COMM_SELF, progress=False)
    with h5py.File(out, "r") as f:
        return {k: f[k][...] for k in f if isinstance(f[k], h5py.Dataset)}


def _bounded(text: str) -> str:
    return text.replace("Longside nodes: 10\n", "Longside nodes: 10\nBoundary: x absorbing "
                        "y neumann\n")


def test_uniform_range_gamma_maps_give_the_uniform_output_bitwise(tmp_path):
    # values other than the sheet's (0.08, 100), on absorbing and zero-gradient edges
    plain = _bounded(sheet(Range="0.05", gamma="120"))
    mapped = _bounded(sheet(Range="expr(0.05 + 0 * x)", gamma="expr(120 + 0 * y)"))
    assert plain != mapped and "absorbing" in mapped
    sim = Simulation(parse_config(mapped))
    wave = sim.ctx.propagators[1]
    assert all(isinstance(a, np.ndarray) for a in wave.scheme + wave.mur)  # per-node path
    assert sim.state_arrays()  # a checkpoint knows every array (the constants are params)
    ref = _run(str(tmp_path), "plain", plain)
    got = _run(str(tmp_path), "mapped", mapped)
    assert sorted(ref) == sorted(got)
    for k in ref:
        assert _bits(ref[k]) == _bits(got[k]), k
    # velocity with a Range map: gamma = velocity / Range per node, the same bits
    vel = _run(str(tmp_path), "vel", sheet(Range="0.05", gamma="1").replace(
        "gamma: 1", "velocity: 6"))
    vmap = _run(str(tmp_path), "vmap", sheet(Range="expr(0.05 + 0 * x)", gamma="1").replace(
        "gamma: 1", "velocity: 6"))
    for k in vel:
        assert _bits(vel[k]) == _bits(vmap[k]), k
    varied = _run(str(tmp_path), "varied", _bounded(sheet(
        Range="expr(0.05 + 0.02 * (x > Lx/2))", gamma="expr(120 + 0 * y)")))
    assert not np.array_equal(varied["propagator.1.phi"], ref["propagator.1.phi"])
