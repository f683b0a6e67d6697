"""Validation rules (parnft.config.checks)."""

from __future__ import annotations

import math

import pytest

from parnft.config import parse_config, read_config
from parnft.config.checks import COURANT_LIMIT, check, is_multiple, is_stability
from parnft.errors import ConfigError, Problem, StabilityError
from tests.malformed_cases import BASE, KIND_VARIANTS, mutate
from tests.refdata import nftsim_ref


def problems(text: str) -> list[Problem]:
    """The problems of ``text`` (empty when it validates)."""
    try:
        parse_config(text, path="t.conf")
    except ConfigError as err:
        return list(err.problems)
    return []


def wave(gamma: float, rng: float = 0.25) -> str:
    """BASE with Propagator 1 (Population 1 -> 1, dx = 0.5/4 = 0.125 m, Deltat 1e-4)."""
    return mutate("Range: 0.3 gamma: 100", f"Range: {rng} gamma: {gamma}")


def test_base_validates():
    spec = parse_config(BASE)
    assert check(spec) == []


def test_courant_limit_is_one_over_sqrt2():
    assert COURANT_LIMIT == 1 / math.sqrt(2)
    # p = gamma * Range * Deltat / dx = gamma * 0.25 * 1e-4 / 0.125 = gamma * 2e-4
    assert problems(wave(3500)) == []  # p = 0.70 passes
    with pytest.raises(StabilityError) as err:
        parse_config(wave(3600))  # p = 0.72 fails
    (p,) = err.value.problems
    assert is_stability(p)
    assert "p = gamma*Range*Deltat/dx = 0.72 > 1/sqrt(2)" in p.rule
    assert p.line == 21 and (p.key, p.value) == ("Propagator 1: gamma, Range", "3600, 0.25")
    # the fix names the largest stable Deltat: dx/(sqrt(2) * gamma * Range)
    assert f"Deltat <= {0.125 / (math.sqrt(2) * 3600 * 0.25):.6g} s" in p.fix
    # exactly at the bound (p = 1/sqrt(2)) is stable, as in NFTsim
    gamma = COURANT_LIMIT / 2e-4
    assert gamma * 0.25 * 1e-4 / 0.125 <= COURANT_LIMIT
    assert problems(wave(repr(gamma))) == []


def test_courant_uses_presynaptic_length():
    # Propagator 2 becomes a Wave from Population 2; only Population 2's Length sets dx.
    text = mutate("Propagator 2: Map - Tau: 1e-4",
                  "Propagator 2: Wave - Tau: 1e-4 Range: 0.3 gamma: 100")
    assert problems(text) == []  # dx = 0.5/4: p = 100*0.3*1e-4/0.125 = 0.024
    small = mutate(" Length: 0.5\n Stimulus", " Length: 0.0005\n Stimulus", text)
    probs = problems(small)  # dx = 0.000125 m: p = 24
    stab = [p for p in probs if is_stability(p)]
    assert len(stab) == 1 and "Population 2" in stab[0].rule and stab[0].line == 22
    # the population-1 Length is irrelevant for Propagator 2
    big1 = mutate("Excitatory\n Length: 0.5", "Excitatory\n Length: 0.0005", text)
    assert not any(is_stability(p) and "Propagator 2" in p.key for p in problems(big1))


def test_courant_skipped_on_one_node():
    text = mutate("Nodes: 16", "Nodes: 1", wave(1e6))
    text = mutate("Output: Node: 1 2", "Output: Node: 1", text)
    assert problems(text) == []


def test_stability_error_when_mixed():
    text = mutate("Q: 10", "Q: ten", wave(3600))
    with pytest.raises(StabilityError) as err:
        parse_config(text)
    assert len(err.value.problems) == 2
    assert [is_stability(p) for p in err.value.problems] == [False, True]  # sorted by line
    assert isinstance(err.value, ConfigError)


def test_multiple_of_deltat_tolerance():
    assert is_multiple(0.15, 0.0001)  # 1499.9999999999998 steps
    assert is_multiple(0.0003, 0.0001)  # 2.9999999999999996 steps
    assert is_multiple(0.0425, 0.0001)
    assert is_multiple(0.0, 0.0001)
    assert not is_multiple(1.33, 1.220703125e-04)
    assert not is_multiple(0.005, 1.220703125e-04)
    assert not is_multiple(1.5e-4, 1e-4)
    assert is_multiple(0.15 + 1e-10, 0.0001)  # 1e-6 steps off: within 1e-9 * 1500
    assert not is_multiple(0.15 + 1e-8, 0.0001)


def test_three_problems_all_reported():
    text = mutate("Q: 10", "Q: ten")
    text = mutate("Interval: 2e-4", "Interval: 2.5e-4", text)
    text = mutate("Tau: 1e-4", "Tau: 1.5e-4", text)
    with pytest.raises(ConfigError) as err:
        parse_config(text, path="three.conf")
    assert not isinstance(err.value, StabilityError)
    lines = str(err.value).splitlines()
    assert len(lines) == len(err.value.problems) == 3
    assert [p.line for p in err.value.problems] == [12, 22, 27]
    assert lines[0].startswith("three.conf:12: Population 1: Q = ten: ")
    assert "Tau is not a multiple of Deltat" in lines[1]
    assert "Interval is not a multiple of Deltat" in lines[2]


def test_time_validation_config():
    with pytest.raises(ConfigError) as err:
        read_config(nftsim_ref("configs", "test_time-validation.conf"))
    msg = str(err.value)
    assert ":29: Output: Interval = 0.005: Interval is not a multiple of Deltat" in msg
    assert ":23: Propagator 1: Tau = 1.33 1.33 1.27: Tau is not a multiple" in msg


def test_broken_shipped_configs_name_the_problem():
    with pytest.raises(ConfigError) as err:
        read_config(nftsim_ref("configs", "Plasticity", "pas.conf"))
    (p,) = err.value.problems
    assert p.line == 27 and "unknown coupling kind 'fCaP' in Coupling 2" in p.rule
    assert "did you mean 'CaDP'?" in p.fix
    with pytest.raises(ConfigError) as err:
        read_config(nftsim_ref("configs", "test_coupling_ramp.conf"))
    first = err.value.problems[0]
    assert (first.line, first.rule, first.fix) == (
        20, "unknown key 'nus' in Coupling 1 (Ramp)", "did you mean 'nu'?")


def test_grid_rules():
    assert problems(mutate("Nodes: 16", "Nodes: 8 Longside nodes: 4")) == []
    probs = problems(mutate("Nodes: 16", "Nodes: 16 Longside nodes: 3"))
    assert any(p.line == 3 and "Longside nodes must divide Nodes = 16" in p.rule for p in probs)
    spec = parse_config(mutate("Nodes: 16", "Nodes: 8 Longside nodes: 4"))
    assert (spec.grid.longside, spec.grid.shortside) == (4, 2)
    assert any("perfect square" in p.rule for p in problems(mutate("Nodes: 16", "Nodes: 12")))


def test_per_node_tau_lengths():
    per_node = " ".join(["1e-4"] * 16)
    assert problems(mutate("Tau: 1e-4", f"Tau: {per_node}")) == []
    spec = parse_config(mutate("Tau: 1e-4", f"Tau: {per_node}"))
    assert spec.propagators[1].tau == (1e-4,) * 16
    (p,) = problems(mutate("Tau: 1e-4", "Tau: 1e-4 1e-4"))
    assert "Tau has 2 values; it needs 1 or one per node (16)" in p.rule


def test_map_nu_per_node_and_matrix_sizes():
    per_node = " ".join(["1e-4"] * 16)
    assert problems(mutate("Coupling 1: Map - nu: 1e-4", f"Coupling 1: Map - nu: {per_node}")
                    ) == []
    full = " ".join(["1e-6"] * 256)
    assert problems(mutate("Coupling 1: Map - nu: 1e-4", f"Coupling 1: Matrix - nu: {full}")
                    ) == []
    (p,) = problems(mutate("Coupling 1: Map - nu: 1e-4", f"Coupling 1: Matrix - nu: {per_node}"))
    assert "Matrix nu has 16 values; it needs 1 or 256" in p.rule


def test_ramp_coupling_rules():
    ok = mutate("Coupling 1: Map - nu: 1e-4", "Coupling 1: Ramp - nu: 1 2 timepoints: 0 5e-3")
    assert problems(ok) == []
    bad = mutate("Coupling 1: Map - nu: 1e-4", "Coupling 1: Ramp - nu: 1 2 timepoints: 5e-3 0")
    (p,) = problems(bad)
    assert "timepoints must not decrease" in p.rule


def test_output_field_names():
    ok = mutate("Population: 1.Q", "Population: 1.V 1.Q 2")
    assert problems(ok) == []
    (p,) = problems(mutate("Population: 1.Q", "Population: 2.V"))
    assert "Population 2 has no field 'V'" in p.rule  # a stimulus population exports Q only
    (p,) = problems(mutate("Propagator: 1.phi", "Propagator: 3"))
    assert "there is no Propagator 3" in p.rule


def test_bursting_and_glutamate_keys():
    glu = mutate("Firing: Function", "Firing: GlutamateResponse - Lambda: 1e-4 tGlu: 0.03 "
                 "Function")
    assert problems(glu) == []
    burst = mutate("Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340",
                   "Firing: Bursting - Sigma: 3.3e-3 Qmax: 80 Htilde: 0.18 Xtilde: 0.06 gX: 4 "
                   "gH: 9.5")
    (p,) = problems(burst)
    assert p.line == 13
    assert "a Bursting response needs 'ic:', 'taux:', 'tauh:', 'ax:', 'mu:'" in p.rule
    # Theta belongs to Function responses, not to Bursting
    (p,) = problems(mutate("gH: 9.5", "gH: 9.5 ic: 0.18 taux: 0.15 tauh: 0.6 ax: 3e-3 mu: 16 "
                           "Theta: 0.01", burst))
    assert "unknown key 'Theta' in Firing (Bursting) of Population 1" in p.rule


def test_checks_are_deterministic():
    text = mutate("Q: 10", "Q: ten", wave(3600))
    msgs = set()
    for _ in range(3):
        with pytest.raises(ConfigError) as err:
            parse_config(text)
        msgs.add(str(err.value))
    assert len(msgs) == 1


def test_check_skips_broken_parts():
    spec = parse_config(BASE)
    assert check(spec, skip=frozenset({"time", "grid", "matrix"})) == []


def test_only_torus_topology_is_accepted():
    import pytest as _pytest

    from parnft.config import parse_config
    from parnft.errors import ConfigError
    from tests.malformed_cases import BASE

    text = BASE.replace("Nodes: 16", "Nodes: 16\nTopology: Sphere")
    with _pytest.raises(ConfigError, match=r":4: Topology = Sphere: parnft runs periodic"):
        parse_config(text)


# --- issue #12: rules once found only when the model was built, warnings ---------------------
@pytest.mark.parametrize("name,text", KIND_VARIANTS, ids=[v[0] for v in KIND_VARIANTS])
def test_kind_variants_validate_and_build(name, text):
    """The variants the moved rules are tested against are valid and build (no ConfigError)."""
    from parnft.solver import Simulation

    spec = parse_config(text, path=f"{name}.conf")
    sim = Simulation(spec)
    sim.close()


def test_glutamate_message_names_the_line():
    """Issue #12 F10: 'tbs.conf:0: tGlu = None' is now a validate problem with its line."""
    (p,) = problems(mutate("Firing: Function", "Firing: GlutamateResponse - Lambda: 1 Function"))
    assert p.line == 13 and p.key == "Population 1 Firing: tGlu" and "needs 'tGlu:'" in p.rule


def warnings_of(text: str) -> list[Problem]:
    return list(parse_config(text, path="w.conf").warnings)


def test_no_warnings_for_base():
    assert warnings_of(BASE) == []


@pytest.mark.parametrize("old,new,line,rule", [
    ("Qmax: 340", "Qmax: -340", 13, "Qmax <= 0"),
    ("Qmax: 340", "Qmax: 0", 13, "Qmax <= 0"),
    ("Interval: 2e-4", "Interval: 0.02", 27, "Interval > Time"),
    ("Tau: 1e-4", "Tau: 0.02", 22, "Tau > Time"),
    ("Start: 0", "Start: 0.01", 27, "writes no samples"),
    ("Time: 0.01 ", "Time: 20000 ", 2, "a long run"),
    ("Q: 10", "Q: 10 oldvalue 9", 12, "words after the value are ignored"),
    ("Tau: 1e-4", "Tau: 1e-4 old", 22, "words after the value are ignored"),
    ("To 2: 0 0", "To 2: 0 0 x", 8, "words after the value are ignored"),
    ("Propagator 2: Map -", "Propagator 2: Map - fast", 22, "words after the value"),
])
def test_warnings(old, new, line, rule):
    """Issue #12 F11, F12: legal but odd values give one warning with their line, no error."""
    ws = warnings_of(mutate(old, new))
    assert len(ws) == 1, ws
    assert ws[0].line == line and rule in ws[0].rule and str(ws[0]).startswith(f"w.conf:{line}:")


def test_shipped_configs_warn_only_about_their_comments():
    """NFTsim's own models keep reading; their words after values are warnings, not errors."""
    aerp = read_config(nftsim_ref("configs", "eirs-aerp.conf"))
    assert [w.line for w in aerp.warnings] == [73, 74, 75, 76, 77, 81]
    assert all("oldvalue" in w.value for w in aerp.warnings)
    spindles = read_config(nftsim_ref("test", "numerical", "eirs-spindles.conf"))
    assert [(w.line, w.key, w.value) for w in spindles.warnings] == [(84, "Output: Start", ".0")]


@pytest.mark.parametrize("gamma", [1e6, 4000, 1e9])
def test_courant_fix_never_suggests_zero_nodes(gamma):
    """Issue #12 F15: the fix offers only remedies that exist (never 'Longside nodes <= 0')."""
    (p,) = [p for p in problems(wave(gamma, 0.25)) if is_stability(p)]
    assert "<= 0)" not in p.fix and "Deltat <= 0 s" not in p.fix
    assert "a gamma*Range below" in p.fix
    if gamma == 4000:
        assert "Longside nodes <= 3" in p.fix  # dx_min = 4000*0.25*1e-4*sqrt(2) = 0.141 m
    else:
        assert "Longside nodes" not in p.fix


def test_courant_fix_bound_is_the_limit():
    from parnft.config.checks import courant_fix

    fix = courant_fix(750.0, 1e-4, 0.125, 0.5)  # p = 0.6 < limit: the bounds are the limit
    assert "Deltat <= 0.000117851 s" in fix  # 0.125 / sqrt(2) / 750
    assert "Longside nodes <= 4" in fix  # 0.5 / (750 * 1e-4 * sqrt(2)) = 4.7
