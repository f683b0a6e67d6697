"""Reading NFTsim .conf files into a ModelSpec: the shipped corpus and the grammar."""

from __future__ import annotations

import dataclasses
import math
import pickle

import pytest

from parnft.config import ModelSpec, describe, parse_config, read_config
from parnft.config.nftsim import items, number, tokenize
from parnft.errors import ConfigError
from tests.malformed_cases import BASE, mutate
from tests.refdata import nftsim_configs, nftsim_ref

#: Shipped configs that NFTsim itself cannot run; each must fail with this message.
BROKEN = {
    "configs/Plasticity/pas.conf": "unknown coupling kind 'fCaP' in Coupling 2",
    "configs/test_coupling_ramp.conf": "unknown key 'nus' in Coupling 1 (Ramp); fix: did you "
                                       "mean 'nu'?",
    "configs/test_time-validation.conf": "Interval is not a multiple of Deltat",
}
SHIPPED = nftsim_configs("configs") + nftsim_configs("benchmarks") + nftsim_configs(
    "test/numerical")


def strip_loc(obj):
    """A copy of a spec object without source positions, path and text (for comparisons)."""
    if isinstance(obj, tuple):
        return tuple(strip_loc(x) for x in obj)
    if dataclasses.is_dataclass(obj):
        blank = {"loc": None, "path": "", "text": "", "header": ""}
        changes = {f.name: blank[f.name] if f.name in blank else strip_loc(getattr(obj, f.name))
                   for f in dataclasses.fields(obj)}
        return dataclasses.replace(obj, **changes)
    return obj


def read(rel: str, validate: bool = True) -> ModelSpec:
    return read_config(nftsim_ref(*rel.split("/")), validate=validate)


# --- the shipped corpus ------------------------------------------------------------------

def test_corpus_is_complete():
    assert len(SHIPPED) == 57
    assert set(BROKEN) <= set(SHIPPED)


@pytest.mark.parametrize("rel", SHIPPED)
def test_every_shipped_config_reads(rel):
    if rel in BROKEN:
        with pytest.raises(ConfigError) as err:
            read(rel)
        assert BROKEN[rel] in str(err.value)
        return
    spec = read(rel)
    assert isinstance(spec, ModelSpec)
    n = len(spec.populations)
    m = len(spec.connections)
    assert m == len(spec.dendrites) == len(spec.propagators) == len(spec.couplings)
    assert [p.index for p in spec.populations] == list(range(1, n + 1))
    assert [d.index for d in spec.dendrites] == list(range(1, m + 1))
    assert spec.time.steps == round(spec.time.time / spec.time.deltat) > 0
    assert spec.grid.longside * spec.grid.shortside == spec.grid.nodes
    for p in spec.populations:
        assert (p.firing is None) == (not spec.incoming(p.index))
        assert p.is_stimulus == (p.stimulus is not None)
    assert "Output" in spec.output.loc
    assert describe(spec, nranks=2)


def test_time_validation_reads_without_checks():
    spec = read("configs/test_time-validation.conf", validate=False)
    # the per-node Tau list of the corpus (Nodes = 4)
    assert spec.propagators[0].tau == (1.220703125e-04, 1.33, 1.33, 1.27)
    assert spec.output.interval == 0.005


# --- spot checks -------------------------------------------------------------------------

def test_eirs_eyes_closed():
    spec = read("test/numerical/eirs-eyes-closed.conf")
    pairs = [(c.pre, c.post) for c in spec.connections]
    assert pairs == [(1, 1), (2, 1), (4, 1), (1, 2), (2, 2), (4, 2), (1, 3), (4, 3), (1, 4),
                     (3, 4), (5, 4)]
    assert [c.index for c in spec.connections] == list(range(1, 12))
    assert spec.propagators[2].kind == "Map"
    assert spec.propagators[2].tau == (0.04248046875,)
    assert spec.propagators[0].tau == (0.0,)
    assert spec.propagators[0].kind == "Wave"
    assert spec.propagators[0].range == 0.086 and spec.propagators[0].gamma == 116.0
    assert spec.propagators[0].phi_init is None
    assert spec.couplings[1].nu == (-0.009639064111,)  # written 'nu:-0.009639064111'
    assert spec.output.nodes == (1, 8, 16, 121, 128, 136, 241, 248, 256)
    assert spec.output.start == 1.25
    assert spec.output.interval == 4.8828125e-04
    assert spec.output.propagator == ("1",)
    assert spec.output.population == spec.output.coupling == ()
    assert spec.time.steps == 12288
    assert (spec.grid.longside, spec.grid.shortside, spec.grid.topology) == (16, 16, "Torus")
    pop5 = spec.populations[4]
    assert pop5.is_stimulus and pop5.stimulus.mode == "White"
    assert pop5.stimulus.params["ASD"] == 7.071067811865475e-05
    assert pop5.q_init == 1.0
    assert [p.name for p in spec.populations] == ["Excitatory", "Inhibitory", "Reticular",
                                                  "Relay", "Stimulation"]
    assert spec.populations[2].length == 0.05
    fir = spec.populations[0].firing
    assert (fir.kind, fir.function) == ("Response", "Sigmoid")
    assert dict(fir.params) == {"Theta": 0.01292, "Sigma": 0.0038, "Qmax": 340.0}
    assert spec.header.startswith("EIRS model\nConnection 1 - Excitatory -> Excitatory")
    # source lines
    assert spec.time.loc == {"Time": 14, "Deltat": 14}
    assert spec.propagators[2].loc["Tau"] == 62
    assert spec.output.loc["Node"] == 84 and spec.output.loc["Propagator"] == 87


def test_bcm_keys_on_several_lines():
    spec = read("configs/Plasticity/bcm.conf")
    c = spec.couplings[1]
    assert c.kind == "BCM" and c.nu == (13e-6,)
    assert c.params["nu_max"] == 80e-6 and c.params["glu_0"] == 200e-6
    assert c.params["t_BCM"] == 7.0 and c.params["gNMDA"] == 2e-3
    assert (c.loc["nu"], c.loc["nu_max"], c.loc["x"], c.loc["t_BCM"]) == (24, 25, 26, 27)
    fir = spec.populations[1].firing
    assert fir.kind == "GlutamateResponse" and fir.function == "Sigmoid"
    assert fir.params["Lambda"] == 150e-6 and fir.params["tGlu"] == 30e-3
    assert spec.output.nodes == ()  # Node: All
    assert spec.output.coupling == ("2",)
    stim = spec.populations[0].stimulus
    assert stim.mode == "PulseRect" and stim.onset == 0.2
    assert stim.params["Frequency"] == 1.0 and stim.params["Pulses"] == 30.0


def test_coupling_matrix_nu():
    spec = read("configs/e-coupling-matrix.conf")
    c = spec.couplings[1]
    assert c.kind == "Matrix" and len(c.nu) == 16
    assert c.nu == tuple(13e-6 if i % 5 == 0 else 0.0 for i in range(16))
    assert spec.propagators[1].kind == "Wave"


def test_eirs_burst():
    spec = read("configs/eirs-burst.conf")
    fir = spec.populations[2].firing
    assert fir.kind == "Bursting" and fir.function is None
    assert fir.params["Htilde"] == 178.8e-3 and fir.params["mu"] == 16.0
    assert fir.params["gH"] == 9.4712 and fir.params["taux"] == 150e-3
    assert fir.loc["Sigma"] == 32 and fir.loc["gX"] == 33
    d9 = spec.dendrites[8]
    assert d9.kind == "Ramp" and (d9.alpha, d9.beta) == (50.0, 200.0)
    assert dict(d9.params) == {"alpha2": 0.0, "beta2": 0.0, "t1": 10.0, "t2": 20.0,
                               "t3": 30.0, "t4": 40.0}
    assert spec.dendrites[9].kind == "Dendrite"
    assert spec.couplings[9].nu == (-0.0008,)
    assert spec.output.population == ("1", "2", "3", "4")
    assert spec.output.dendrite == ("9",)


def test_superimpose_stimulus():
    spec = read("configs/e-erps.conf")
    stim = spec.populations[1].stimulus
    assert stim.mode == "Superimpose" and len(stim.parts) == 2
    a, b = stim.parts
    assert (a.mode, a.onset, a.nodes, a.params["Amplitude"]) == ("PulseRect", 0.03125, (2000,),
                                                                  2.0)
    assert (b.mode, b.onset, b.nodes, b.params["Amplitude"]) == ("PulseRect", 0.0625, (2097,),
                                                                  -2.0)
    assert a.params["Width"] == 0.001953125 and a.loc["Width"] == a.loc["Stimulus"] + 1
    assert spec.populations[1].q_init == 0.0  # no Mean anywhere in its stimulus
    assert spec.output.population == ("2.Q",) and spec.output.propagator == ("1.phi",)


def test_stimulus_q_init_from_its_own_mean():
    # marcus: the first part (Burst) has no Mean; the second (Const) has Mean:-2.4
    spec = read("configs/Plasticity/marcus.conf")
    pop1 = spec.populations[0]
    assert pop1.stimulus.parts[1].params["Mean"] == -2.4
    assert pop1.q_init == -2.4
    assert pop1.length == 0.0 and pop1.name == "Stimulation"
    # NFTsim searches the whole file after "Population 2" and would take population 3's
    # Mean (7) for population 2; parnft looks only inside population 2's own stimulus.
    text = mutate("To 1: 1 2\nTo 2: 0 0", "To 1: 1 2 3\nTo 2: 0 0 0\nTo 3: 0 0 0")
    text = mutate("From: 1 2", "From: 1 2 3", text)
    text = mutate("  Dendrite 2: alpha: 83 beta: 769\n",
                  "  Dendrite 2: alpha: 83 beta: 769 Dendrite 3: alpha: 83 beta: 769\n", text)
    text = mutate("Width: 1e-3\n", "Width: 1e-3\nPopulation 3: Const Length: 0.5 Stimulus: "
                  "Const - Mean: 7\n", text)
    text = mutate("Tau: 1e-4\n", "Tau: 1e-4\nPropagator 3: Map -\n", text)
    text = mutate("Coupling 2: Map - nu: 1e-4\n", "Coupling 2: Map - nu: 1e-4\n"
                  "Coupling 3: Map - nu: 1e-4\n", text)
    spec = parse_config(text)
    assert [p.q_init for p in spec.populations] == [10.0, 0.0, 7.0]


def test_longside_grid_and_output_items():
    spec = read("configs/ei-cortical.conf")
    assert (spec.grid.nodes, spec.grid.longside, spec.grid.shortside) == (2048, 64, 32)
    assert spec.grid.shape == (32, 64)
    assert spec.output.population == ("4.V",)
    assert spec.output.propagator == ("1", "4.phi")
    assert spec.output.coupling == ("3.nu",)
    assert spec.output.nodes == (1, 2) and spec.output.interval is None
    assert spec.dendrites[0].v_init == "Steady"
    assert spec.propagators[1].phi_init is None
    assert spec.populations[0].q_init == 5.0  # Const Mean


def test_velocity_gives_gamma():
    spec = read("configs/Plasticity/bihemispheric.conf")
    p3 = spec.propagators[2]
    assert p3.velocity == 10.0 and p3.range == 80e-3
    assert p3.gamma == pytest.approx(125.0)
    assert "gamma" not in p3.loc
    stim = spec.populations[0].stimulus
    assert stim.params["Burst Frequency"] == 33.0
    assert stim.params["Oscillation Frequency"] == 2.4
    assert stim.duration == 10.0


def test_pas_stimulus_multiword_keys():
    text = nftsim_ref("configs", "Plasticity", "pas.conf").read_text()
    text = text.replace("fCaP - nu: 13e-6", "Map - nu: 13e-6").split("\n  nu_max")[0]
    text += "\n\nOutput: Node: All\nPopulation: 1\n"
    spec = parse_config(text)
    s = spec.populations[0].stimulus
    assert s.mode == "PAS" and s.params["ISI"] == 5e-3
    assert s.params["N20 width"] == 2.5e-3 and s.params["TMS height"] == 30.0


def test_joined_tokens():
    spec = read("configs/eirs-tms.conf")
    assert spec.propagators[9].kind == "Wave"  # 'Propagator 10:Wave'
    spec = read("configs/eirs-coupling-diffarctan.conf")
    c = spec.couplings[8]
    assert c.kind == "DiffArctan" and c.nu == ()
    assert c.params["t_half_up"] == 50.0 and c.params["t_half_down"] == 100.0  # 't_half_up:50'
    spec = read("configs/Plasticity/marcus.conf")
    assert spec.dendrites[3].alpha == 100.0  # 'alpha:100'


def test_comment_words_after_values():
    spec = read("configs/eirs-aerp.conf")
    # 'nu: 0.00153809       oldvalue 0 0.001531636806'
    assert spec.couplings[3].nu == (0.00153809,)
    assert spec.populations[2].name == "Reticular"


# --- grammar -----------------------------------------------------------------------------

def test_tokenizer_lines_and_colons():
    header, words, last = tokenize("Head: with Output\nTime: 1 Deltat:1e-3\n nu:-0.5 10:Wave")
    assert header == "Head: with Output"
    assert [(w.text, w.line) for w in words] == [
        ("Time:", 2), ("1", 2), ("Deltat:", 2), ("1e-3", 2), ("nu:", 3), ("-0.5", 3),
        ("10:", 3), ("Wave", 3)]
    assert last == 3
    seq = items(tokenize("Time: 1 Population 3: E cells Longside nodes: 4 Burst Frequency: 2"
                         )[1])
    assert [k.label for k, _ in seq] == ["Time", "Population 3", "Longside nodes",
                                         "Burst Frequency"]
    assert [w.text for w in seq[1][1]] == ["E", "cells"]


def test_number_grammar():
    assert number("20.e-3") == 20e-3 and number(".5") == 0.5 and number("-2.4") == -2.4
    for bad in ("nan", "inf", "1_0", "0x10", "", "1e", "Steady"):
        assert number(bad) is None


def test_header_with_colon_and_output():
    text = mutate("parnft malformed-case base: two populations",
                  "Header: Output: Population: 2 -- the word Output and colons: allowed\n"
                  "Time: flies like an arrow")
    spec = parse_config(text)
    assert spec.header.startswith("Header: Output: Population: 2")
    assert "\nTime: flies like an arrow, a Wave and a Map" in spec.header
    assert spec.time.loc["Time"] == 3
    assert strip_loc(spec) == strip_loc(parse_config(BASE))


def test_keys_in_any_order():
    shuffled = """\
reordered
Time: 0.01 Deltat: 1e-4 Nodes: 16

Connection matrix:
To 2: 0 0
To 1: 1 2
From: 1 2

Coupling 2: Map - nu: 1e-4
Propagator 1: Wave - gamma: 100 Range: 0.3 Tau: 0
Population 2: Stimulation
 Stimulus: PulseRect - Width: 1e-3 Amplitude: 1 Node: 1 Onset: 0
 Length: 0.5
Population 1: Excitatory
 Firing: Function: Sigmoid Qmax: 340 Sigma: 0.0038 Theta: 0.01292
  Dendrite 2: beta: 769 alpha: 83
  Dendrite 1: beta: 769 alpha: 83
 Q: 10
 Length: 0.5
Coupling 1: Map - nu: 1e-4
Propagator 2: Map - Tau: 1e-4

Output: Interval: 2e-4 Start: 0 Node: 1 2
Coupling: 2
Propagator: 1.phi
Dendrite: 1
Population: 1.Q
"""
    a, b = parse_config(BASE), parse_config(shuffled)
    assert strip_loc(a) == strip_loc(b)
    assert b.populations[0].loc["Q"] == 18


def test_spec_is_picklable_and_deterministic():
    a = read("configs/eirs-tms.conf")
    b = read("configs/eirs-tms.conf")
    assert a == b
    c = pickle.loads(pickle.dumps(a))
    assert c == a and c.couplings[0].params == a.couplings[0].params


def test_steps_round():
    spec = parse_config(mutate("Time: 0.01 Deltat: 1e-4", "Time: 0.15 Deltat: 0.0001"))
    assert spec.time.steps == 1500  # 0.15/0.0001 = 1499.9999999999998


def test_describe():
    spec = read("test/numerical/eirs-eyes-closed.conf")
    text = describe(spec, nranks=4)
    assert "16 x 16 (L x S) = 256 nodes, Torus" in text
    assert "3: 4 -> 1  Map / Map / Dendrite, Tau 348 steps" in text
    assert "5 Stimulation" in text and "stimulus  White" in text
    assert "Propagator 1 0.03897" in text  # 116 * 0.086 * 2^-13 / (0.5 / 16)
    assert "12288 steps" in text
    assert "per rank on 4 ranks (largest tile 8 x 8 nodes" in text
    p = 116 * 0.086 * 0.0001220703125 / (0.5 / 16)
    assert math.isclose(p, 0.038967, rel_tol=1e-4)


def test_memory_estimate_formula():
    from parnft.config.summary import history_lengths, memory_per_rank

    spec = parse_config(BASE)
    # BASE: 4x4 grid; Propagator 2 (Tau 1 step) leaves population 2
    assert history_lengths(spec) == {1: 1, 2: 2}
    nbytes, tile = memory_per_rank(spec, 1)
    assert tile == (4, 4)
    # per node: Q(2) + V(1) + history(1+2) + dendrites(2+2) + Map phi(1) + couplings(2+2)
    per_node = 2 + 1 + 3 + 4 + 1 + 4
    assert nbytes == 8 * (16 * per_node + 36 * 4)  # Wave: 4 ghosted arrays of 6x6
    nbytes4, tile4 = memory_per_rank(spec, 4)
    assert tile4 == (2, 2) and nbytes4 < nbytes
    assert memory_per_rank(spec, 32) is None
    assert "cannot tile" in describe(spec, nranks=32)


def test_read_missing_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        read_config(tmp_path / "nope.conf")
    assert "cannot read the file" in str(err.value)


# --- issue #12: words after values, keys without colons, plain text ---------------------------
def test_population_name_may_hold_key_words_but_not_a_colonless_key():
    ok = parse_config(mutate("Population 1: Excitatory", "Population 1: Q cells of Function"))
    assert ok.populations[0].name == "Q cells of Function" and ok.warnings == ()
    with pytest.raises(ConfigError, match="'Length' is a key without its colon"):
        parse_config(mutate("Population 2: Stimulation", "Population 2: Stimulation Length 0.5"))


def test_ascii_digits_only():
    assert number("١٢") is None and number("12") == 12.0
    with pytest.raises(ConfigError):  # not a traceback from int("²")
        parse_config(mutate("Coupling 2: Map", "Coupling ²: Map"))


def test_read_path_caps_the_size(tmp_path, monkeypatch):
    from parnft.config import nftsim

    path = tmp_path / "big.conf"
    path.write_text(BASE + " " * 200)
    monkeypatch.setattr(nftsim, "MAX_BYTES", len(BASE) + 100)
    with pytest.raises(ConfigError, match=r"big.conf:0: file: the file is larger than"):
        read_config(path)
    path.write_text(BASE)
    assert read_config(path).grid.nodes == 16


def test_nul_byte_in_file_is_refused_with_its_line(tmp_path):
    path = tmp_path / "nul.conf"
    path.write_bytes(BASE.replace("Q: 10", "Q: 1\x000").encode())
    with pytest.raises(ConfigError) as err:
        read_config(path)
    (p,) = err.value.problems
    assert (p.line, p.rule) == (12, "control character U+0000 at column 6 (a .conf file is "
                                    "plain text)")
