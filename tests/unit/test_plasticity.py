"""Glutamate, CaDP, BCM, BCM-Spatial and DiffArctan: kernels and models.

References are independent of the code under test: closed forms, a plain
Python RK4 at dt/64, and NFTsim's own output (v1.1.0-2, commit 0bd35df,
built with -ffp-contract=off) for three short models, pasted below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.config import CouplingSpec, Params, parse_config
from parnft.errors import ConfigError
from parnft.kernels import plasticity as K
from parnft.kernels.coupling_time import couple_diff_arctan, diff_arctan_range
from parnft.kernels.glutamate import glu_step
from parnft.model.glutamate import excitatory
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation
from tests.refdata import nftsim_ref

DT = 1e-4


# ---------------------------------------------------------------- references
def _sig(u, beta):
    return 1.0 / (1.0 + math.exp(-beta * u))


def ref_synapse(state, b, h, p, dt, bcm, sub=64):
    """One step of (Ca, nutilde, nu', nu, g) by classical RK4 at dt/sub.

    B, H and the rates x(Ca), y(Ca) of the step start are held over the step
    (they are the model's per-step inputs). Written from STUDY.md section 2.9.
    """
    ca0 = state[0]
    yth = p["xyth"] * (p["nu_max"] - p["nu0"]) / p["nu0"]
    x = p["xyth"] + p["x"] * _sig(ca0 - p["Pth"], 4e7)
    y = yth + p["y"] * (_sig(ca0 - p["Dth"], 4e7) - _sig(ca0 - p["Pth"], 4e7))
    hs = dt / sub

    def f(u):
        ca, nt, dnu, nu, g = u
        dca = g * b * h - ca / p["tCa"]
        if ca + hs * dca < 0:
            dca = -ca
        dg = 0.0
        if bcm and nu != 0:
            dg = -g / p["t_BCM"] * (nt / nu - 1) + (p["g0"] - g) / p["t_rec"]
        return [dca, x * (p["nu_max"] - nt) - y * nt, -2 * p["z"] * dnu + p["z"] ** 2 * (nt - nu),
                dnu, dg]

    u = list(state)
    for _ in range(sub):
        k1 = f(u)
        k2 = f([a + hs / 2 * k for a, k in zip(u, k1, strict=True)])
        k3 = f([a + hs / 2 * k for a, k in zip(u, k2, strict=True)])
        k4 = f([a + hs * k for a, k in zip(u, k3, strict=True)])
        u = [a + hs / 6 * (q + 2 * r + 2 * s + t)
             for a, q, r, s, t in zip(u, k1, k2, k3, k4, strict=True)]
    return u


#: Fast plasticity so that 0.05 s exercises depression, potentiation and g.
FAST = dict(nu0=13e-6, nu_max=80e-6, Dth=0.08e-6, Pth=0.3e-6, xyth=4.0, x=40.0, y=30.0,
            B=3e4, glu_0=2e-4, tCa=0.01, g0=2e-3, z=40.0, t_BCM=0.2, t_rec=1.0)


def par_array(p):
    par = np.zeros(K.NPAR)
    for idx, key in ((K.P_GLU0, "glu_0"), (K.P_B, "B"), (K.P_XTH, "xyth"), (K.P_LTP, "x"),
                     (K.P_LTD, "y"), (K.P_PTH, "Pth"), (K.P_DTH, "Dth"), (K.P_NUMAX, "nu_max"),
                     (K.P_TCA, "tCa"), (K.P_Z, "z"), (K.P_G0, "g0"), (K.P_TBCM, "t_BCM"),
                     (K.P_TREC, "t_rec")):
        par[idx] = p[key]
    par[K.P_YTH] = p["xyth"] * (p["nu_max"] - p["nu0"]) / p["nu0"]
    return par


def synapse_arrays(shape, p):
    return [np.full(shape, 1e-8), np.full(shape, p["nu0"]), np.zeros(shape),
            np.full(shape, p["nu0"]), np.zeros(shape), np.zeros(shape), np.full(shape, p["g0"])]


# ---------------------------------------------------------------- CaDP / BCM kernels
# (glu, V) per node: no binding; binding with Ca between Dth and Pth; Ca above Pth.
GLU = np.array([0.0, 2e-4, 4e-4])
VSOMA = np.array([0.0, 0.0, 0.03])


@pytest.mark.parametrize("bcm", [False, True])
def test_cadp_bcm_kernel_matches_fine_rk4(bcm):
    p, steps = FAST, 500
    ca, nt, dnu, nu, b, h, g = synapse_arrays(3, p)
    phi, drive = np.array([5.0, 7.0, 11.0]), np.zeros(3)
    par = par_array(p)
    ref = [[1e-8, p["nu0"], 0.0, p["nu0"], p["g0"]] for _ in range(3)]
    for n in range(1, steps + 1):
        K.cadp_step(ca, nt, dnu, nu, b, h, g, GLU, VSOMA, phi, drive, par, bcm, DT, n)
        for i in range(3):
            bi = _sig(GLU[i] - p["glu_0"], p["B"])
            hi = (0.195 - VSOMA[i]) * _sig(VSOMA[i] - 0.0455, 62)
            ref[i] = ref_synapse(ref[i], bi, hi, p, DT, bcm)
            assert b[i] == pytest.approx(bi, rel=1e-13) and h[i] == pytest.approx(hi, rel=1e-13)
        if n % 50 == 0:  # RK4's own global error at dt: ~ (dt * 70/s)^4 = 2e-9
            got = np.array([ca, nt, dnu, nu, g]).T
            np.testing.assert_allclose(got, np.array(ref), rtol=1e-7, atol=1e-22)
    assert ca[0] < p["Dth"] < ca[1] < p["Pth"] < ca[2]
    assert nu[1] < p["nu0"] < nu[2]  # depression and potentiation
    np.testing.assert_array_equal(drive, nu * phi)  # each node's own nu (NFTsim: nu[0])
    assert (abs(g[2] / p["g0"] - 1) > 1e-3) == bcm


def test_cadp_calcium_clamp():
    """V > 0.195 makes H < 0; the guard turns dCa/dt into -Ca at every stage,
    so one RK4 step multiplies Ca by 1 - dt + dt^2/2 - dt^3/6 + dt^4/24."""
    dt, p = 0.01, FAST
    ca, nt, dnu, nu, b, h, g = synapse_arrays(1, p)
    K.cadp_step(ca, nt, dnu, nu, b, h, g, np.array([1e-3]), np.array([0.3]), np.ones(1),
                np.zeros(1), par_array(p), False, dt, 1)
    assert h[0] < 0
    assert ca[0] == pytest.approx(1e-8 * (1 - dt + dt**2 / 2 - dt**3 / 6 + dt**4 / 24), rel=1e-14)


def test_bcm_spatial_kernel_pairs_and_drive():
    p, n_nodes, steps = FAST, 3, 100
    ca, nt, dnu, nu, b, h, g = synapse_arrays((n_nodes, n_nodes), p)
    nu *= np.array([[1.0, 0.2, 0.1], [0.3, 1.0, 0.5], [0.05, 0.4, 1.0]])
    nt[:] = nu
    phi, drive = np.array([5.0, 7.0, 11.0]), np.zeros(n_nodes)
    ref = {(i, j): [1e-8, nt[i, j], 0.0, nu[i, j], p["g0"]] for i in range(3) for j in range(3)}
    for n in range(1, steps + 1):
        K.bcm_spatial_step(ca, nt, dnu, nu, b, h, g, GLU, VSOMA, phi, drive, par_array(p), DT, n)
        for (i, j), s in ref.items():  # B from glu of the from node, H from V of the to node
            bij = _sig(GLU[i] - p["glu_0"], p["B"])
            hij = (0.195 - VSOMA[j]) * _sig(VSOMA[j] - 0.0455, 62)
            ref[i, j] = ref_synapse(s, bij, hij, p, DT, True)
    for (i, j), s in ref.items():
        np.testing.assert_allclose([ca[i, j], nt[i, j], dnu[i, j], nu[i, j], g[i, j]], s,
                                   rtol=1e-7, atol=1e-22)
    np.testing.assert_allclose(drive, [sum(nu[i, j] * phi[i] for i in range(3)) for j in range(3)],
                               rtol=1e-15)


# ---------------------------------------------------------------- glutamate kernel
def test_glutamate_decays_with_tglu():
    """No excitatory drive: glu(t) = glu(0) exp(-t / tGlu)."""
    glu, tglu = np.array([1e-6, 3e-5]), 0.03
    for _ in range(3000):
        glu_step(glu, np.zeros(2), 150e-6, tglu, DT, 0)
    np.testing.assert_allclose(glu, np.array([1e-6, 3e-5]) * math.exp(-0.3 / tglu), rtol=1e-9)


def test_glutamate_driven_closed_form_and_clamp():
    lam, tglu, phi = 150e-6, 0.03, 8.0
    glu = np.array([1e-6])
    for _ in range(2000):
        glu_step(glu, np.array([phi]), lam, tglu, DT, 0)
    g_inf = lam * phi * tglu
    assert glu[0] == pytest.approx(g_inf + (1e-6 - g_inf) * math.exp(-0.2 / tglu), rel=1e-10)
    dt, glu = 0.01, np.array([2e-6])  # strongly negative drive: rate := -glu at each stage
    glu_step(glu, np.array([-1e3]), 1.0, tglu, dt, 0)
    assert glu[0] == pytest.approx(2e-6 * (1 - dt + dt**2 / 2 - dt**3 / 6 + dt**4 / 24), rel=1e-14)


def test_excitatory_rule():
    def c(kind, nu=(), **params):
        return CouplingSpec(1, kind, tuple(nu), Params(params))
    assert excitatory(c("Map", (0.047,))) and not excitatory(c("Map", (-0.003,)))
    assert not excitatory(c("Map", (0.1, 0.2)))  # per-node nu: NFTsim's pos = 0
    assert excitatory(c("BCM", (13e-6,))) and excitatory(c("DiffArctan", nu_min=0.002))


# ---------------------------------------------------------------- DiffArctan
@pytest.mark.parametrize("args", [(10.0, 50.0, 100.0, 150.0), (0.3, 0.4, 0.9, 1.0),
                                  (0.2, 0.5, 3.0, 1.0), (0.1, 0.8, 0.3, 1.0)])
def test_diff_arctan_range_is_true_extremum(args):
    delta, tu, td, total = args
    t = np.linspace(0.0, total, 2_000_001)
    d = np.arctan((t - tu) / delta) - np.arctan((t - td) / delta)
    lo, hi = diff_arctan_range(delta, tu, td, total)
    assert lo <= d.min() + 1e-15 and hi >= d.max() - 1e-15
    assert d.min() - lo < 1e-11 and hi - d.max() < 1e-11


def test_diff_arctan_kernel_closed_form():
    nu_min, nu_max, delta, tu, td, total, dt = 0.002, 0.006, 0.05, 0.25, 0.5, 1.0, 2.0**-13
    lo, hi = diff_arctan_range(delta, tu, td, total)
    nu, phi, drive, clock = np.zeros(2), np.array([3.0, 5.0]), np.zeros(2), np.zeros(1)
    seen = []
    for n in range(1, int(total / dt) + 1):
        couple_diff_arctan(nu, phi, drive, clock, nu_min, nu_max, delta, tu, td, lo, hi, dt, n)
        t = n * dt
        dd = math.atan((t - tu) / delta) - math.atan((t - td) / delta)
        assert nu[0] == pytest.approx(nu_min + (nu_max - nu_min) * (dd - lo) / (hi - lo),
                                      rel=1e-12)
        seen.append(nu[0])
    np.testing.assert_array_equal(drive, nu * phi)
    assert max(seen) == pytest.approx(nu_max, rel=1e-12)  # t_mid = 0.375 s is a step
    assert seen[-1] == pytest.approx(nu_min, rel=1e-12)  # D(1) < D(0): minimum at t = Time


def test_diff_arctan_model_spans_nu_min_to_nu_max():
    text = nftsim_ref("configs", "eirs-coupling-diffarctan.conf").read_text()
    text = text.replace("Time: 150", "Time: 2").replace("Start: 5", "Start: 0")
    sim = Simulation(parse_config(text))
    cp = sim.ctx.couplings[9]
    assert cp.nu_init == pytest.approx(0.002, rel=1e-15)  # D increasing on [0, 2]: m = D(0)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    nu = w["coupling.9.nu"][:, 0]
    t = w.time
    d = np.arctan((t - 50) / 10) - np.arctan((t - 100) / 10)
    lo, hi = (math.atan(-5) - math.atan(-10), math.atan(-4.8) - math.atan(-9.8))
    np.testing.assert_allclose(nu, 0.002 + 0.004 * (d - lo) / (hi - lo), rtol=1e-12)
    assert nu[-1] == pytest.approx(0.006, rel=1e-12)


# ---------------------------------------------------------------- models vs NFTsim
def _bcm_text(kind="BCM"):
    text = nftsim_ref("configs", "Plasticity", "bcm.conf").read_text().replace("Time: 60",
                                                                               "Time: 2")
    if kind == "CaDP":
        text = text.replace("Coupling 2: BCM ", "Coupling 2: CaDP").replace(" t_BCM: 7", "")
    return text


SPATIAL = """BCM-Spatial probe with 4 nodes and stimulus on node 2 only
Time: 1 Deltat: 1e-4
Nodes: 4

Connection matrix:
From: 1 2
To 1: 0 0
To 2: 1 2

Population 1: Stimulation
 Length: 0.5
 Stimulus: PulseRect - Onset: .05 Node: 2 Amplitude: 40 Width: 5e-3 Frequency: 10 Pulses: 10

Population 2: Excitatory neurons
 Length: 0.5
 Q: 8.87145
 Firing: GlutamateResponse - Lambda: 150e-6 tGlu: 30e-3 Function: Sigmoid Theta: 13e-3 \
Sigma: 3.8e-3 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769

Propagator 1: Map  - Tau: 0
Propagator 2: Map  - Tau: 0
Coupling 1: Map  - nu: 47e-3
Coupling 2: BCM-Spatial - nu: 9e-6 1e-6 2e-6 0.5e-6 3e-6 8e-6 1e-6 1e-6 0.2e-6 4e-6 10e-6 \
2e-6 1e-6 1e-6 3e-6 7e-6
  nu_max: 80e-6 Dth: .25e-6 Pth: .45e-6 xyth: 1e-2
  x: 2.3 y: 2 B: 30e3 glu_0: 200e-6
  gNMDA: 2e-3 z: 5 t_BCM: 0.5

Output: Node: All Start: .0 Interval: 1e-3
Population: 2
Dendrite:
Propagator:
Coupling: 2
""".replace("\\\n", "")

#: NFTsim output rows (time -> columns in Output order).
NFTSIM_BCM = {
    0.25: [1.32088970980928e+01, 8.07964052161916e-04, 2.36541927569492e+01,
           1.29999999999956e-05, 1.29999305921157e-05, 1.69235439929975e-07,
           2.49200346829505e-01, 2.00000001922281e-03],
    2.0: [1.11640541555766e+01, 1.45132703087235e-04, 1.11640541556425e+01,
          1.29999999145235e-05, 1.29990129519197e-05, 1.22205211551694e-08,
          1.10648790207926e-02, 2.00002650446870e-03]}
NFTSIM_CADP = {
    0.25: [1.32088970980928e+01, 8.07964052161916e-04, 2.36541927569492e+01,
           1.29999305921177e-05, 1.29999999999956e-05, 1.69235438959234e-07,
           2.49200346829505e-01, 1.14436198620328e-02],
    2.0: [1.11640541555766e+01, 1.45132703087240e-04, 1.11640541556425e+01,
          1.29990129676067e-05, 1.29999999145239e-05, 1.22203658218222e-08,
          1.10648790207926e-02, 1.10441903117667e-02]}
#: BCM-Spatial at t = 1 s: Q, V, then nu.i (i = from node) over the 4 to nodes.
NFTSIM_SPATIAL = {
    "pop.2.q": [5.65958358101390e+01, 3.38666979050162e+02, 1.13566991766115e+02,
                5.98891479055786e+01],
    "pop.2.v": [6.87843327976393e-03, 3.40427641170307e-02, 1.03777863139834e-02,
                7.13777759476351e-03],
    "coupling.2.nu.1": [9.01842333708806e-06, 5.16270946069669e-06, 6.61513819052257e-07,
                        1.41439244069631e-06],
    "coupling.2.nu.2": [1.66900970971574e-05, 4.65220824226968e-05, 2.42871543503612e-05,
                        1.66881916628139e-05],
    "coupling.2.nu.3": [8.09265711308047e-06, 1.00798143223915e-05, 2.12836336362044e-05,
                        1.14276240521517e-05],
    "coupling.2.nu.4": [9.42074731742912e-07, 2.37888071031318e-06, 2.56699582444405e-06,
                        7.19982199878203e-06],
    "coupling.2.ca.2": [1.0] * 4,  # NFTsim's label: the binding B of from node 2
    "coupling.2.nu_ca.1": [1.57234307970861e-02, 5.33004598105762e-02, 1.87878312146912e-02,
                           1.59342898650288e-02]}


def _run(text, monkeypatch=None):
    """Run a model; with ``monkeypatch``, start from NFTsim's effective initial state:
    glu(0) = 0 (its resize to 1e-6 is a no-op) and soma V(0) = 0."""
    if monkeypatch is not None:
        monkeypatch.setattr("parnft.model.glutamate.GLU_INIT", 0.0)
    sim = Simulation(parse_config(text))
    if monkeypatch is not None:
        sim.ctx.populations[2].v[:] = 0.0
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    return sim, w


@pytest.mark.parametrize("kind,ref", [("BCM", NFTSIM_BCM), ("CaDP", NFTSIM_CADP)])
def test_one_node_plastic_model_matches_nftsim(kind, ref, monkeypatch):
    sim, w = _run(_bcm_text(kind), monkeypatch)
    got = np.concatenate([w[t.key] for t in sim.outputs.traces], axis=1)
    for t, row in ref.items():
        np.testing.assert_allclose(got[int(round(t / 1e-3)) - 1], row, rtol=1e-10)


def test_bcm_spatial_model_matches_nftsim(monkeypatch):
    sim, w = _run(SPATIAL, monkeypatch)
    for key, row in NFTSIM_SPATIAL.items():
        np.testing.assert_allclose(w[key][-1], row, rtol=1e-10, err_msg=key)


def test_bcm_conf_runs_finite_and_glutamate_first_step():
    spec = parse_config(_bcm_text())
    assert spec.time.time == 2.0
    sim = Simulation(spec)
    fr = sim.ctx.populations[2].firing
    assert fr.afferents == [1, 2] and list(sim.ctx.populations[2].fields) == ["Q", "V"]
    sim.run(None, steps=1)  # phi_exc = phi_1(0) + phi_2(0) = 0 + 8.87145 over step 1
    g_inf = 150e-6 * 8.87145 * 30e-3
    assert fr.glu[0] == pytest.approx(g_inf + (1e-6 - g_inf) * math.exp(-DT / 30e-3), rel=1e-12)
    sim = Simulation(spec)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    got = np.concatenate([w[t.key] for t in sim.outputs.traces], axis=1)
    assert got.shape == (2000, 8) and np.isfinite(got).all()
    # glu(0) = 1e-6 and V(0) = steady differ from NFTsim only transiently
    np.testing.assert_allclose(got[-1], NFTSIM_BCM[2.0], rtol=1e-7)


def test_cadp_rejects_zero_nu():
    spec = parse_config(_bcm_text("CaDP").replace("nu: 13e-6", "nu: 0"), validate=False)
    with pytest.raises(ConfigError, match="non-zero nu"):
        Simulation(spec)
