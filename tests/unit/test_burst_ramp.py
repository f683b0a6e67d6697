"""Bursting firing response and Ramp dendrite against independent references.

References are plain-Python evaluations of STUDY.md sections 2.5, 2.6 and 3.3
and closed-form solutions, never parnft's own kernels.
"""

from __future__ import annotations

import math
import re
from types import SimpleNamespace

import numpy as np
import pytest

from parnft.config.spec import DendriteSpec, FiringSpec, Params
from parnft.model.base import Context
from parnft.model.catalog import lookup
from tests.refdata import nftsim_ref

V_EFF, V_X, V_K = -0.066, 0.14, -0.095
BURST = dict(Sigma=3.3e-3, Qmax=80.0, Htilde=178.8e-3, Xtilde=59.5e-3, gX=4.0, gH=9.4712,
             ic=176e-3, taux=150e-3, tauh=600e-3, ax=3e-3, mu=16.0)


def context(dt, nloc):
    return Context(spec=SimpleNamespace(path="<test>"), dt=dt, glb_shape=(1, nloc),
                   loc_shape=(1, nloc), loc_start=(0, 0))


# ------------------------------------------------------------- Ramp dendrite
def make_dendrite(kind, dt, nloc, alpha=50.0, beta=200.0, v0=0.01, **ramp):
    ctx = context(dt, nloc)
    spec = DendriteSpec(index=1, kind=kind, alpha=alpha, beta=beta, v_init=v0,
                        params=Params(ramp))
    coupling = SimpleNamespace(drive=ctx.field(0.0), nu_init=0.0)
    vd = np.zeros((1, nloc))
    return lookup("dendrite", kind)(spec, ctx, vd[0], coupling), coupling


def step_all(comp, n):
    for c in comp.calls("population"):
        c.kernel(*c.args, n)


def test_flat_ramp_equals_plain_dendrite_bit_for_bit():
    dt, nloc = 1e-4, 5
    ramp = dict(alpha2=50.0, beta2=200.0, t1=0.01, t2=0.05, t3=0.07, t4=0.09)
    plain, cp = make_dendrite("Dendrite", dt, nloc)
    rampd, cr = make_dendrite("Ramp", dt, nloc, **ramp)
    rng = np.random.default_rng(3)
    for n in range(1, 1201):  # 0.12 s: crosses every ramp window
        p = rng.normal(1.0, 0.5, nloc)
        cp.drive[:] = p
        cr.drive[:] = p
        step_all(plain, n)
        step_all(rampd, n)
        assert np.array_equal(plain.v, rampd.v) and np.array_equal(plain.dv, rampd.dv)
    assert rampd.fields["beta"][0] == 200.0
    assert np.any(plain.v != 0.01)


def ref_rates(times, alpha, beta, alpha2, beta2, t1, t2, t3, t4):
    """STUDY 2.6: linear to (alpha2, beta2) over (t1, t2], hold, back over (t3, t4], hold."""
    a, b, out = alpha, beta, []
    for t in times:
        if t1 < t <= t2:
            f = (t - t1) / (t2 - t1)
            a, b = alpha + f * (alpha2 - alpha), beta + f * (beta2 - beta)
        elif t3 < t <= t4:
            f = (t - t3) / (t4 - t3)
            a, b = alpha2 - f * (alpha2 - alpha), beta2 - f * (beta2 - beta)
        out.append((a, b))
    return np.array(out)


def rk4_dendrite_ref(v, dv, p, alpha, beta, dt):
    """One RK4 step of (1/ab) V'' + (1/a + 1/b) V' + V = P (STUDY 3.3), plain Python."""
    def f(y, z):
        return z, (p - y - (1 / alpha + 1 / beta) * z) * alpha * beta
    k1 = f(v, dv)
    k2 = f(v + dt / 2 * k1[0], dv + dt / 2 * k1[1])
    k3 = f(v + dt / 2 * k2[0], dv + dt / 2 * k2[1])
    k4 = f(v + dt * k3[0], dv + dt * k3[1])
    return (v + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0]),
            dv + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1]))


@pytest.mark.parametrize("dt", [2.0**-10, 1e-3])
def test_ramp_rates_and_response_follow_schedule(dt):
    ramp = dict(alpha2=20.0, beta2=400.0, t1=0.1, t2=0.25, t3=0.5, t4=0.75)
    d, cp = make_dendrite("Ramp", dt, 2, v0=0.0, **ramp)
    steps = round(1.0 / dt)
    clock, times = 0.0, []
    for _ in range(steps):
        clock += dt  # NFTsim accumulates the dendrite's time
        times.append(clock)
    want = ref_rates(times, 50.0, 200.0, **ramp)
    v, dv = 0.0, 0.0
    got_beta, got_alpha = [], []
    for n in range(1, steps + 1):
        p = math.sin(7.0 * n * dt)
        cp.drive[:] = p
        step_all(d, n)
        got_beta.append(d.fields["beta"][0])
        got_alpha.append(d.rates[0])
        v, dv = rk4_dendrite_ref(v, dv, p, *want[n - 1], dt)
        assert d.v[0] == pytest.approx(v, rel=1e-11, abs=1e-14)
    np.testing.assert_allclose(got_alpha, want[:, 0], rtol=1e-13)
    np.testing.assert_allclose(got_beta, want[:, 1], rtol=1e-13)
    times = np.array(times)
    at = lambda t: int(np.argmin(np.abs(times - t)))  # noqa: E731
    assert got_alpha[at(0.05)] == 50.0 and got_beta[at(0.05)] == 200.0
    assert got_alpha[at(0.175)] == pytest.approx(35.0, abs=0.2)
    assert got_beta[at(0.175)] == pytest.approx(300.0, abs=2.0)
    assert got_beta[at(0.4)] == pytest.approx(400.0, abs=2.0)  # held after t2
    assert got_beta[at(0.625)] == pytest.approx(300.0, abs=2.0)
    assert got_beta[at(0.9)] == pytest.approx(200.0, abs=2.0)  # held after t4
    if dt == 2.0**-10:  # exact clock: t2 and t4 are hit exactly
        assert got_alpha[at(0.4)] == 20.0 and got_beta[at(0.9)] == 200.0


def test_ramp_outputs_beta_and_v_by_name():
    d, _ = make_dendrite("Ramp", 1e-3, 3, alpha2=1.0, beta2=2.0, t1=0, t2=1, t3=2, t4=3)
    assert list(d.fields) == ["beta"]
    assert "V" in d.fields and d.fields["V"] is d.v
    assert d.fields["beta"].shape == (1,)


# ------------------------------------------------------------------ Bursting
def make_burst(dt, nloc, vd, **extra):
    ctx = context(dt, nloc)
    pop = SimpleNamespace(vd=np.array(vd, dtype=float).reshape(-1, nloc), v=ctx.field(0.0),
                          hist=np.full((4, nloc), 13.4), ptr=np.zeros(1, dtype=np.int64),
                          q=ctx.field(13.4))
    prm = dict(BURST)
    prm.update(extra)
    spec = FiringSpec(kind="Bursting", function=None, params=Params(prm))
    return lookup("firing", "Bursting")(spec, pop, ctx), pop


def ref_gramp(t, cur, g1, g2, t1, t2, t3, t4):
    """STUDY 2.5 conductance ramp (with the rising branch on the ramp's own times)."""
    if t <= t1 or g2 == g1:
        return cur
    if t <= t2:
        return g1 + (t - t1) * (g2 - g1) / (t2 - t1)
    if t <= t3:
        return g2
    if t <= t4:
        return g2 - (t - t3) * (g2 - g1) / (t4 - t3)
    return g1


class BurstRef:
    """Plain-Python BurstResponse per STUDY 2.5 (one node)."""

    def __init__(self, p, gx_ramp, gh_ramp):
        self.p, self.gxr, self.ghr = p, gx_ramp, gh_ramp
        self.x, self.h = p["Xtilde"], p["Htilde"]
        self.gx, self.gh = gx_ramp[0], gh_ramp[0]

    def theta(self, x, h):
        ib = -self.gx * (V_EFF - V_X) / 3
        ia = ib - self.gh * (V_EFF - V_K)
        return (self.p["ic"] - 3 * ib * x + (ib - ia) * h) / self.p["mu"]

    def step(self, v, t, dt):
        p = self.p
        self.gx = ref_gramp(t, self.gx, *self.gxr)
        self.gh = ref_gramp(t, self.gh, *self.ghr)
        sig = lambda th: p["Qmax"] / (1 + math.exp(-(v - th) / p["Sigma"]))  # noqa: E731
        xinf = max(0.0, p["ax"] * sig(self.theta(self.x, self.h)))

        def f(x, h):
            return (xinf - x) / p["taux"], (3 * x - h) / p["tauh"]
        x, h = self.x, self.h
        k1 = f(x, h)
        k2 = f(x + dt / 2 * k1[0], h + dt / 2 * k1[1])
        k3 = f(x + dt / 2 * k2[0], h + dt / 2 * k2[1])
        k4 = f(x + dt * k3[0], h + dt * k3[1])
        self.x = x + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        self.h = h + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        mt = self.theta(self.x, self.h)
        return mt, sig(mt)


def test_bursting_matches_plain_python_with_ramps():
    dt = 2.0**-10
    ramps = dict(gX2=6.0, tx1=0.3, tx2=1.0, tx3=1.5, tx4=2.5,
                 gH2=7.0, th1=0.6, th2=1.4, th3=1.8, th4=3.1)
    comp, pop = make_burst(dt, 2, [[0.004, 0.012], [0.002, -0.003]], **ramps)
    assert list(comp.fields) == ["HTilde", "XTilde", "modtheta", "V", "gX", "gH"]
    assert comp.fields["gX"].shape == (1,) and comp.modtheta[0] == 0.0
    refs = [BurstRef(BURST, (4.0, 6.0, 0.3, 1.0, 1.5, 2.5), (9.4712, 7.0, 0.6, 1.4, 1.8, 3.1))
            for _ in range(2)]
    vs = pop.vd.sum(axis=0)
    for n in range(1, round(3.5 / dt) + 1):
        step_all(comp, n)
        k = pop.ptr[0]
        assert k == n % 4
        for i in range(2):
            mt, q = refs[i].step(vs[i], n * dt, dt)
            assert pop.v[i] == vs[i]
            assert comp.modtheta[i] == pytest.approx(mt, rel=1e-12)
            assert pop.q[i] == pop.hist[k, i] == pytest.approx(q, rel=1e-10)
            assert comp.xtilde[i] == pytest.approx(refs[i].x, rel=1e-12)
            assert comp.htilde[i] == pytest.approx(refs[i].h, rel=1e-12)
        assert comp.gx[0] == pytest.approx(refs[0].gx, rel=1e-14)
        assert comp.gh[0] == pytest.approx(refs[0].gh, rel=1e-14)
    # NFTsim's gH ramp would stall over (tx2, th2] = (1.0, 1.4]; here it keeps rising
    t = 1.2
    assert ref_gramp(t, 0, 9.4712, 7.0, 0.6, 1.4, 1.8, 3.1) == pytest.approx(
        9.4712 + 0.75 * (7.0 - 9.4712))


def test_bursting_without_conductances_has_analytic_solution():
    # gX = gH = 0: theta = ic/mu fixed, x_inf constant for constant V, so
    # x~(t) = xi + (x0 - xi) e^{-t/tx} and h~ solves h' = (3 x~ - h)/th exactly
    dt = 1e-3
    v = 0.012
    comp, pop = make_burst(dt, 1, [[v]], gX=0.0, gH=0.0)
    p = dict(BURST)
    theta = p["ic"] / p["mu"]
    q = p["Qmax"] / (1 + math.exp(-(v - theta) / p["Sigma"]))
    xi = p["ax"] * q
    x0, h0, tx, th = p["Xtilde"], p["Htilde"], p["taux"], p["tauh"]
    a = x0 - xi
    c = 3 * a * tx / (tx - th)  # particular part of h from the decaying x~

    def exact(t):
        x = xi + a * math.exp(-t / tx)
        h = 3 * xi + c * math.exp(-t / tx) + (h0 - 3 * xi - c) * math.exp(-t / th)
        return x, h
    for n in range(1, 20001):
        step_all(comp, n)
        assert comp.modtheta[0] == theta
        assert pop.q[0] == q
        if n % 500 == 0:
            x, h = exact(n * dt)
            assert comp.xtilde[0] == pytest.approx(x, abs=1e-12)
            assert comp.htilde[0] == pytest.approx(h, abs=1e-12)
    # steady state after 20 s = 33 tau_h: x~ = a_x Q, h~ = 3 x~
    assert comp.xtilde[0] == pytest.approx(xi, rel=1e-12)
    assert comp.htilde[0] == pytest.approx(3 * xi, rel=1e-10)


@pytest.mark.parametrize("v", [-0.02, 0.0])
def test_bursting_fixed_point_relations(v):
    # at a stable fixed point h~ = 3 x~, x~ = a_x Q and modtheta = (ic - 3 i_a x~)/mu
    dt = 1e-3
    comp, pop = make_burst(dt, 1, [[v]])
    for n in range(1, 60001):
        step_all(comp, n)
    ib = -BURST["gX"] * (V_EFF - V_X) / 3
    ia = ib - BURST["gH"] * (V_EFF - V_K)
    x, h, mt, q = comp.xtilde[0], comp.htilde[0], comp.modtheta[0], pop.q[0]
    assert h == pytest.approx(3 * x, rel=1e-9)
    assert x == pytest.approx(BURST["ax"] * q, rel=1e-9)
    assert mt == pytest.approx((BURST["ic"] - 3 * ia * x) / BURST["mu"], rel=1e-12)
    assert q == pytest.approx(BURST["Qmax"] / (1 + math.exp(-(v - mt) / BURST["Sigma"])),
                              rel=1e-12)


def test_bursting_rejects_zero_time_constant():
    from parnft.errors import ConfigError

    with pytest.raises(ConfigError, match="taux"):
        make_burst(1e-3, 1, [[0.0]], taux=0.0)


# ------------------------------------------------------- whole model (eirs-burst)
def test_eirs_burst_short_run_stays_finite():
    from parnft.config import parse_config
    from parnft.outputs import MemoryWriter
    from parnft.solver import Simulation

    text = nftsim_ref("configs", "eirs-burst.conf").read_text()
    text, k = re.subn(r"Time:\s*100", "Time: 1", text)
    assert k == 1
    sim = Simulation(parse_config(text))
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    names = [t.name for t in sim.outputs.traces]
    assert names[names.index("Pop.3.Q"):names.index("Pop.3.Q") + 7] == [
        "Pop.3.Q", "Pop.3.HTilde", "Pop.3.XTilde", "Pop.3.modtheta", "Pop.3.V", "Pop.3.gX",
        "Pop.3.gH"]
    assert "Dendrite.9.beta" in names and "Dendrite.9.V" not in names
    assert len(w.time) == 128
    for t in sim.outputs.traces:
        assert np.all(np.isfinite(w[t.key])), t.name
    assert np.all(w["pop.3.gx"] == 4.0) and np.all(w["dendrite.9.beta"] == 200.0)
    q = w["pop.3.q"][:, 0]
    assert 0.0 < q.min() and q.max() < 80.0 and np.ptp(q) > 1.0


def test_ramp_dendrite_v_can_be_requested_by_name():
    from parnft.config import parse_config
    from parnft.outputs import MemoryWriter
    from parnft.solver import Simulation
    from tests.malformed_cases import BASE

    text = (BASE.replace("Dendrite 1: alpha: 83 beta: 769",
                         "Dendrite 1: Ramp - alpha: 83 beta: 769 alpha2: 60 beta2: 500 "
                         "t1: 0.001 t2: 0.004 t3: 0.006 t4: 0.009")
            .replace("Dendrite: 1\n", "Dendrite: 1.V 1\n"))
    sim = Simulation(parse_config(text))
    names = [t.name for t in sim.outputs.traces]
    assert "Dendrite.1.V" in names and "Dendrite.1.beta" in names
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    assert w["dendrite.1.v"].shape[1] == len(sim.outputs.traces[names.index("Dendrite.1.V")].idx)
