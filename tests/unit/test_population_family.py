"""The population family with local dynamics, on its reference member ``Relaxation``.

* a Dynamics population advanced by the generated RK4 strip kernel gives the
  RK4 recursion of its linear ODE to rounding, and the exact exponential to
  the RK4 truncation bound;
* its output feeds Map (with delay, exactly) and Wave propagators; results do
  not depend on the strip size;
* its state lives in named arrays (``ctx.state``), its units come from the
  declaration, and the memory estimate and roofline count follow the
  declaration's number of state variables;
* malformed ``Dynamics:`` configs give problems with line, key, value, rule and fix.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from parnft.bench import roofline as rf
from parnft.config import parse_config
from parnft.config.summary import memory_per_rank
from parnft.errors import ConfigError, StabilityError
from parnft.solver import Simulation

DRIVEN = """Relaxation driven by a constant stimulus
Time: {time} Deltat: {dt}
Nodes: 16

    Connection matrix:
From:  1  2
To 1:  0  0
To 2:  1  0

Population 1: Stim
 Length: 0.5
 Stimulus: Const - Mean: 2

Population 2: Relax
 Length: 0.5
 Dynamics: Relaxation tau: {tau} g: 1.5 Q0: 1 s_0: 0.25

Propagator 1: Map - Tau: 0
Coupling 1: Map - nu: 0.5

Output: Node: All
Population: 2
"""


class Collect:
    """A writer keeping every sampled block in memory."""

    def __init__(self):
        self.t, self.blocks = [], []

    def write(self, tsteps, blocks):
        self.t.append(tsteps.copy())
        self.blocks.append([b.copy() for b in blocks])

    def trace(self, sim, name):
        k = [t.name for t in sim.outputs.traces].index(name)
        return np.concatenate(self.t), np.concatenate([b[k] for b in self.blocks])


def run(text, **kw):
    sim = Simulation(parse_config(text), **kw)
    w = Collect()
    sim.run(w)
    return sim, w


def test_relaxation_is_the_rk4_recursion_and_close_to_the_exact_solution():
    dt, tau = 1e-4, 2e-3
    sim, w = run(DRIVEN.format(time=0.02, dt=dt, tau=tau))
    steps, s = w.trace(sim, "Pop.2.s")
    _, q = w.trace(sim, "Pop.2.Q")
    target = 1.5 * 0.5 * 2.0  # g * nu * Q(stimulus); input held constant
    h = dt / tau
    amp = 1 - h + h * h / 2 - h ** 3 / 6 + h ** 4 / 24  # RK4 on s' = -s/tau
    rk4 = target + (0.25 - target) * amp ** steps.astype(float)
    # rounding only: a few ulp per step of a value of order 1
    np.testing.assert_allclose(s, np.broadcast_to(rk4[:, None], s.shape), rtol=0, atol=1e-13)
    exact = target + (0.25 - target) * np.exp(-steps * dt / tau)
    bound = steps.max() * h ** 5 / 120 * abs(0.25 - target) * 1.01  # local error h^5/120
    assert np.abs(s - exact[:, None]).max() <= bound
    assert np.abs(s - exact[:, None]).max() > 0  # RK4, not the exact update
    np.testing.assert_array_equal(q, 1.0 + s)  # Q = Q0 + s


def test_state_is_named_and_units_come_from_the_declaration():
    sim = Simulation(parse_config(DRIVEN.format(time=1e-3, dt=1e-4, tau=2e-3)))
    slots = sim.ctx.state
    s = slots[("population.2", "s")]
    assert s.role == "state" and s.layout == "nodes" and np.all(s.array == 0.25)
    assert s.array is sim.ctx.populations[2].fields["s"]
    assert slots[("population.2", "hist")].array is sim.ctx.populations[2].hist
    assert {t.name: t.unit for t in sim.outputs.traces} == {"Pop.2.Q": "s^-1", "Pop.2.s": "s^-1"}
    # Q(0) = rate(s(0)) when the config gives no Q
    assert sim.ctx.populations[2].q_init == 1.25


FIELD = """Relaxation field with a delayed Map and a Wave self-loop
Time: 0.004 Deltat: 1e-4
Nodes: 64

    Connection matrix:
From:  1  2  3
To 1:  0  0  0
To 2:  1  1  0
To 3:  0  1  0

Population 1: Stim
 Length: 0.5
 Stimulus: Const - Mean: 3 Node: 1 2 3 10

Population 2: Relax
 Length: 0.5
 Dynamics: Relaxation tau: 0.002 g: 2 Q0: 1
 Dendrite 2: alpha: 80 beta: 300

Population 3: Relax2
 Length: 0.5
 Dynamics: Relaxation tau: 0.003

Propagator 1: Map - Tau: 0
Propagator 2: Wave - Tau: 2e-4 Range: 0.15 gamma: 100
Propagator 3: Map - Tau: 3e-4
Coupling 1: Map - nu: 0.5
Coupling 2: Map - nu: 0.2
Coupling 3: Map - nu: 1

Output: Node: All
Population: 2.Q 3
Propagator: 2 3
"""


def test_output_feeds_delayed_map_and_wave_and_strips_change_no_bit():
    whole, w0 = run(FIELD, strip_nodes=0)
    strips, w1 = run(FIELD, strip_nodes=8)
    for name in [t.name for t in whole.outputs.traces]:
        np.testing.assert_array_equal(w0.trace(whole, name)[1], w1.trace(strips, name)[1], name)
    steps, q2 = w0.trace(whole, "Pop.2.Q")
    _, phi3 = w0.trace(whole, "Propagator.3.phi")
    # Map with Tau = 3 steps: phi(n) = Q(n - 3), exactly, from the population's ring
    np.testing.assert_array_equal(phi3[3:], q2[:-3])
    assert np.all(phi3[:2] == 1.0)  # the past is the initial rate Q0 + s(0) = 1
    _, phi2 = w0.trace(whole, "Propagator.2.phi")
    # the Wave spreads the localised drive: the field is not uniform, and it is finite
    assert np.all(np.isfinite(phi2)) and np.ptp(phi2[-1]) > 1e-6
    _, s3 = w0.trace(whole, "Pop.3.s")
    assert np.ptp(s3[-1]) > 0


def test_memory_estimate_and_roofline_follow_the_declaration():
    spec = parse_config(DRIVEN.format(time=1e-3, dt=1e-4, tau=2e-3))
    nbytes, (ly, lx) = memory_per_rank(spec, 1)
    # rings 1 + 1; stimulus Q 1; Relaxation Q + s 2; Direct dendrite V 1; Map phi 1;
    # Map coupling nu, P 2
    assert nbytes == 8 * ly * lx * (2 + 1 + 2 + 1 + 1 + 2)
    sim = Simulation(spec)
    rows = {r.kernel: r for r in rf.traffic(sim, outputs=False)}
    rk4 = rows["rk4_Relaxation"]
    n = sim.ctx.nloc
    assert not rk4.fallback
    # reads the input row and s; writes s, the ring slot and Q
    assert (rk4.read, rk4.written) == (8 * n * 2, 8 * n * 3)


def problems(text):
    with pytest.raises(ConfigError) as e:
        parse_config(text)
    return e.value.problems


def line_of(text, needle):
    return next(i for i, s in enumerate(text.splitlines(), 1) if needle in s)


def test_unknown_kind_lists_the_known_ones():
    text = DRIVEN.format(time=1e-3, dt=1e-4, tau=2e-3).replace("Relaxation tau", "Relax tau")
    (p,) = problems(text)
    assert p.line == line_of(text, "Dynamics:") and p.value == "Relax"
    assert "unknown Dynamics kind 'Relax'" in p.rule
    assert "did you mean 'Relaxation'" in p.fix and "known: " in p.fix and "--plugin" in p.fix


def test_parameter_out_of_range_names_key_rule_unit_and_default():
    text = DRIVEN.format(time=1e-3, dt=1e-4, tau=-1)
    (p,) = problems(text)
    assert (p.line, p.key, p.value) == (line_of(text, "tau:"), "Population 2 Dynamics: tau", "-1")
    assert p.rule == "tau must be > 0 [s]" and "default 0.01" in p.fix


def test_step_size_rule_is_reported_like_the_courant_check_with_the_fix():
    text = DRIVEN.format(time=1e-3, dt=1e-4, tau=5e-4)
    with pytest.raises(StabilityError) as e:
        parse_config(text)
    (p,) = e.value.problems
    assert p.key == "Deltat" and p.line == line_of(text, "Deltat")
    assert p.rule.startswith("step-size rule violated") and "Relaxation" in p.rule
    assert p.fix.startswith("use Deltat <= 5e-05 s")
    parse_config(DRIVEN.format(time=1e-3, dt=5e-5, tau=5e-4))  # exactly at the bound: fine


@pytest.mark.parametrize("edit, rule", [
    (("Dynamics: Relaxation tau", "Dynamics: - tau"), "names no Dynamics kind"),
    (("tau: 0.002", "taux: 0.002"), "unknown key 'taux'"),
    ((" Dynamics:", " Firing: Function: Sigmoid Theta: 0.01 Sigma: 0.006 Qmax: 340\n Dynamics:"),
     "has Dynamics and also Firing"),
    (("Population: 2", "Population: 2.bogus"), "has no field 'bogus'"),
    (("g: 1.5", "g: abc"), "is not a number"),
])
def test_malformed_dynamics_configs(edit, rule):
    text = DRIVEN.format(time=1e-3, dt=1e-4, tau=0.002).replace(*edit)
    probs = problems(text)
    hit = [p for p in probs if rule in p.rule]
    assert hit, [str(p) for p in probs]
    assert hit[0].line > 0 and hit[0].fix
    if "bogus" in rule:
        assert "Q, s" in hit[0].fix


def test_direct_dendrite_written_or_omitted_is_the_same_model():
    base = DRIVEN.format(time=2e-3, dt=1e-4, tau=2e-3)
    written = base.replace(" Dynamics:", " Dendrite 1: Direct -\n Dynamics:")
    a, wa = run(base)
    b, wb = run(written)
    assert a.spec.dendrites[0].kind == b.spec.dendrites[0].kind == "Direct"
    np.testing.assert_array_equal(wa.trace(a, "Pop.2.s")[1], wb.trace(b, "Pop.2.s")[1])
    with pytest.raises(ConfigError, match="unknown key 'alpha'"):
        parse_config(written.replace("Direct -", "Direct - alpha: 3"))


def test_relaxation_rhs_called_from_python_matches_the_declared_equation():
    from parnft.model.dynamics import lookup

    k = lookup("Relaxation")
    vals = k.resolve({"tau": 0.5, "s_0": 2.0})
    p = k.param_tuple(vals)
    (ds,) = k.rhs(k.initial_state(vals), 3.0, p)
    assert math.isclose(ds, (1.0 * 3.0 - 2.0) / 0.5) and k.rate((2.0,), p) == 2.0


def test_validate_summary_shows_the_kind_and_its_step_size_ratio():
    from parnft.config import describe

    text = describe(parse_config(DRIVEN.format(time=1e-3, dt=1e-4, tau=2e-3)))
    assert "dynamics  Relaxation (s), Q = rate(s(0))" in text
    assert "Population 2 Relaxation 0.5" in text  # Deltat / (tau / 10)
    assert "1: 1 -> 2  Map / Map / Direct" in text


def test_declarations_with_clashing_names_are_refused():
    from dataclasses import replace

    from parnft.model.declare import Var
    from parnft.model.dynamics import declaration_problems, lookup

    k = lookup("Relaxation")
    assert declaration_problems(k) == []
    bad = replace(k, state=(Var("s", "1"), Var("S", "1")))
    assert any("differ only by case" in p for p in declaration_problems(bad))
    bad = replace(k, state=(Var("q", "1"),))
    assert any("differ only by case (q)" in p for p in declaration_problems(bad))
    bad = replace(k, state=(Var("tau", "1"),))
    assert any("names used twice: tau" in p for p in declaration_problems(bad))


def test_plastic_coupling_into_a_dynamics_population_is_refused():
    text = DRIVEN.format(time=1e-3, dt=1e-4, tau=2e-3).replace(
        "Coupling 1: Map - nu: 0.5",
        "Coupling 1: CaDP - nu: 0.5 nu_max: 1 Dth: 0.2 Pth: 0.5 xyth: 0.9 x: 0.1 y: 0.2 B: 1 "
        "glu_0: 0.1")
    hit = [p for p in problems(text) if "needs a GlutamateResponse" in p.rule]
    assert hit and hit[0].key == "Coupling 1" and hit[0].line == line_of(text, "CaDP")


def test_a_parameter_may_not_shadow_a_population_key():
    from dataclasses import replace

    from parnft.model.declare import Param
    from parnft.model.dynamics import declaration_problems, lookup

    bad = replace(lookup("Relaxation"), params=(Param("Length", "m", 1.0),))
    assert any("'Length' is a key of the population block" in p
               for p in declaration_problems(bad))
