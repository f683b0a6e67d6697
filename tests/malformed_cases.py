"""Malformed ``.conf`` texts and the problem each must report.

``CASES`` is a list of ``(id, conf_text, expected_line, expected_substring)``:
reading ``conf_text`` (e.g. ``parnft validate``) must fail with a
ConfigError, one line per problem, and one of those lines must contain both
``:<expected_line>:`` and ``expected_substring``. Every text is the valid
:data:`BASE` with one textual mutation (deletions keep the line count, so the
line numbers below are those of BASE unless a case says otherwise).

Used by tests/unit/test_config_errors.py and by the CLI/MPI tests
(``from tests.malformed_cases import CASES``).
"""

from __future__ import annotations

#: A small valid model: a 4x4 grid, one neural and one stimulus population.
BASE = """\
parnft malformed-case base: two populations, a Wave and a Map (colons are fine here)
Time: 0.01 Deltat: 1e-4
Nodes: 16

Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0

Population 1: Excitatory
 Length: 0.5
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769

Population 2: Stimulation
 Length: 0.5
 Stimulus: PulseRect - Onset: 0 Node: 1 Amplitude: 1 Width: 1e-3

Propagator 1: Wave - Tau: 0 Range: 0.3 gamma: 100
Propagator 2: Map - Tau: 1e-4

Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 1e-4

Output: Node: 1 2 Start: 0 Interval: 2e-4
Population: 1.Q
Dendrite: 1
Propagator: 1.phi
Coupling: 2
"""


def mutate(old: str, new: str, text: str = BASE) -> str:
    """Replace the one occurrence of ``old`` in ``text`` by ``new``."""
    if text.count(old) != 1:
        raise ValueError(f"{old!r} occurs {text.count(old)} times in the base config")
    return text.replace(old, new)


def blank(old: str, text: str = BASE) -> str:
    """Delete ``old`` but keep its line breaks, so later line numbers do not move."""
    return mutate(old, "\n" * old.count("\n"), text)


_STIM = " Stimulus: PulseRect - Onset: 0 Node: 1 Amplitude: 1 Width: 1e-3"
_MATRIX = "Connection matrix:\nFrom: 1 2\nTo 1: 1 2\nTo 2: 0 0\n"
_BCM = ("Coupling 1: BCM - nu: 1e-4 nu_max: 8e-5 Dth: .25e-6 Pth: .45e-6 xyth: 1e-4 "
        "x: 2.3e-2 y: 2e-2 B: 30e3 glu_0: 200e-6 t_BCM: 7")
_FIRING = "Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340"
_GLU = "Firing: GlutamateResponse - Lambda: 1 tGlu: 0.03 Function: Sigmoid Theta: 0.01292 " \
    "Sigma: 0.0038 Qmax: 340"
_BURSTING = ("Firing: Bursting - Sigma: 0.0038 Qmax: 340 Htilde: 0 Xtilde: 0 gX: 1 gH: 1 ic: 0 "
             "taux: 1 tauh: 1 ax: 1 mu: 1")
_ARCTAN = "Coupling 1: DiffArctan - nu_min: 0 nu_max: 1 delta: 0.1 t_half_up: 0.1 t_half_down: 0.2"
_SIGMOID = " Stimulus: PulseSigmoid - Onset: 0 Node: 1 Amplitude: 1 Width: 1e-3"
_BURST = (" Stimulus: Burst - Onset: 0 Amplitude: 1 Width: 1e-3 Bursts: 2 Burst Frequency: 5 "
          "Oscillation Frequency: 10 On: 0.1 Off: 0.1")

CASES: list[tuple[str, str, int, str]] = [
    # --- unknown keys and kinds -------------------------------------------------------
    ("unknown-key-typo", mutate("Coupling 1: Map - nu:", "Coupling 1: Map - nus:"), 24,
     "unknown key 'nus' in Coupling 1 (Map)"),
    ("longside-alias", mutate("Nodes: 16", "Nodes: 16 Longside: 4"), 3,
     "did you mean 'Longside nodes'"),
    ("unknown-top-level-key", mutate("Nodes: 16", "Nodes: 16 Grid: square"), 3,
     "unknown key 'Grid' in the top level"),
    ("unknown-output-key", mutate("Start: 0", "Begin: 0"), 27, "unknown key 'Begin' in Output"),
    ("unknown-propagator-kind", mutate("Propagator 1: Wave", "Propagator 1: Wavy"), 21,
     "unknown propagator kind 'Wavy'"),
    ("unknown-coupling-kind", mutate("Coupling 2: Map", "Coupling 2: fCaP"), 25,
     "unknown coupling kind 'fCaP'"),
    ("unknown-dendrite-kind", mutate("Dendrite 2: alpha", "Dendrite 2: Integrl - alpha"), 15,
     "unknown dendrite kind 'Integrl'"),
    ("unknown-firing-kind", mutate("Firing: Function", "Firing: Glutamate - Function"), 13,
     "unknown firing response 'Glutamate'"),
    ("unknown-function", mutate("Function: Sigmoid", "Function: Sigmod"), 13,
     "unknown Function 'Sigmod'"),
    ("unknown-stimulus-mode", mutate("PulseRect -", "PulseSquare -"), 19,
     "unknown stimulus mode 'PulseSquare'"),
    ("unknown-topology", mutate("Nodes: 16", "Nodes: 16 Topology: Klein"), 3,
     "unknown Topology 'Klein'"),
    ("missing-stimulus-mode", mutate("Stimulus: PulseRect - Onset", "Stimulus: Onset"), 19,
     "names no stimulus mode"),
    ("missing-propagator-kind", mutate("Propagator 2: Map - Tau", "Propagator 2: Tau"), 22,
     "names no propagator kind"),
    # --- values -------------------------------------------------------------------------
    ("non-numeric-q", mutate("Q: 10", "Q: ten"), 12, "'Q' in Population 1 is not a number"),
    ("nan-is-not-a-number", mutate("Q: 10", "Q: nan"), 12, "is not a number"),
    ("non-numeric-alpha", mutate("Dendrite 1: alpha: 83", "Dendrite 1: alpha: fast"), 14,
     "'alpha' in Dendrite 1 is not a number"),
    ("value-missing", mutate("Sigma: 0.0038 Qmax", "Sigma: Qmax"), 13, "'Sigma' in Firing"),
    ("phi-not-steady", mutate("Propagator 2: Map - Tau", "Propagator 2: Map - phi: calm Tau"),
     22, "neither 'Steady' nor a number"),
    ("node-not-whole", mutate("Output: Node: 1 2", "Output: Node: 1.5 2"), 27,
     "not a whole number"),
    ("duplicate-key", mutate("Q: 10", "Q: 10 Q: 11"), 12, "'Q' given twice"),
    # --- connection matrix and blocks -----------------------------------------------------
    ("matrix-entry-not-number", mutate("To 1: 1 2", "To 1: 1 x"), 7,
     "connection matrix entry 'x' is not a number"),
    ("matrix-row-short", mutate("To 2: 0 0", "To 2: 0"), 8, "row 'To 2' has 1 entries"),
    ("matrix-row-long", mutate("To 2: 0 0", "To 2: 0 0 0"), 8, "row 'To 2' has 3 entries"),
    ("matrix-from-count", mutate("From: 1 2", "From: 1 2 3"), 6, "'From:' lists 3 columns"),
    ("matrix-row-missing", blank("To 2: 0 0\n"), 6, "'From:' lists 2 columns"),
    ("matrix-from-missing", blank("From: 1 2\n"), 5, "no 'From:' header"),
    ("matrix-missing", blank(_MATRIX), 10, "no 'Connection matrix:'"),
    ("population-missing",
     blank("Population 2: Stimulation\n Length: 0.5\n" + _STIM + "\n"), 8,
     "no 'Population 2:' block"),
    ("population-extra",
     mutate("Width: 1e-3\n", "Width: 1e-3\nPopulation 3: Extra Length: 0.5 Stimulus: Const - "
            "Mean: 1\n"), 20, "Population 3 does not exist"),
    ("population-duplicate",
     mutate("Width: 1e-3\n", "Width: 1e-3\nPopulation 2: Again Length: 0.5 Stimulus: Const - "
            "Mean: 1\n"), 20, "Population 2 given twice"),
    ("firing-and-stimulus", mutate("Qmax: 340", "Qmax: 340 Stimulus: Const - Mean: 1"), 13,
     "has both Firing and Stimulus"),
    ("dendrite-missing", blank("  Dendrite 2: alpha: 83 beta: 769\n"), 10,
     "no 'Dendrite 2:' block"),
    ("dendrite-wrong-population",
     mutate("Width: 1e-3\n", "Width: 1e-3 Dendrite 2: alpha: 83 beta: 769\n",
            blank("  Dendrite 2: alpha: 83 beta: 769\n")), 19,
     "Dendrite 2 sits in Population 2 but connection 2 goes to Population 1"),
    ("dendrite-outside-population",
     mutate("Tau: 1e-4\n", "Tau: 1e-4 Dendrite 3: alpha: 1 beta: 2\n"), 22,
     "Dendrite 3 is not inside a Population block"),
    ("propagator-extra", mutate("Tau: 1e-4\n", "Tau: 1e-4 Propagator 3: Map -\n"), 22,
     "Propagator 3 has no connection"),
    ("propagator-missing", blank("Propagator 2: Map - Tau: 1e-4\n"), 7,
     "no 'Propagator 2:' block"),
    ("coupling-missing", blank("Coupling 2: Map - nu: 1e-4\n"), 7, "no 'Coupling 2:' block"),
    ("output-missing", BASE[: BASE.index("Output:")], 26, "no Output block"),
    ("output-duplicate", BASE + "Output: Node: 1\n", 32, "Output given twice"),
    ("truncated-mid-block", BASE[: BASE.index("Coupling 1: Map - nu:") + 21], 24,
     "'nu' in Coupling 1 (Map) has no value"),
    ("neural-without-firing",
     mutate(" Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340",
            " Stimulus: Const - Mean: 1"), 10, "receives connection(s) 1, 2 so it is neural"),
    ("stimulus-population-with-firing",
     mutate(_STIM, " Q: 1 Firing: Function: Sigmoid Theta: 0.01 Sigma: 0.004 Qmax: 340"), 17,
     "has no incoming connection so it is a stimulus population"),
    ("superimpose-count",
     mutate(_STIM, " Stimulus: Superimpose: 2 Stimulus: Const - Mean: 1"), 19,
     "Superimpose: 2 but 1 'Stimulus:' parts follow"),
    # --- time and grid ------------------------------------------------------------------
    ("time-missing", mutate("Time: 0.01 Deltat", "Deltat"), 1, "the model has no 'Time:'"),
    ("deltat-missing", mutate("Time: 0.01 Deltat: 1e-4", "Time: 0.01"), 2,
     "the model has no 'Deltat:'"),
    ("deltat-zero", mutate("Deltat: 1e-4", "Deltat: 0"), 2, "Deltat must be > 0"),
    ("time-not-multiple", mutate("Time: 0.01 ", "Time: 0.01005 "), 2,
     "Time is not a multiple of Deltat"),
    ("nodes-not-square", mutate("Nodes: 16", "Nodes: 15"), 3, "perfect square"),
    ("nodes-not-whole", mutate("Nodes: 16", "Nodes: 16.5"), 3, "must be a whole number"),
    ("longside-not-divisor", mutate("Nodes: 16", "Nodes: 16 Longside nodes: 5"), 3,
     "Longside nodes must divide Nodes"),
    # --- populations ------------------------------------------------------------------------
    ("length-missing", mutate("Excitatory\n Length: 0.5\n", "Excitatory\n\n"), 10,
     "needs 'Length:'"),
    ("length-negative", mutate("Length: 0.5\n Stimulus", "Length: -0.5\n Stimulus"), 18,
     "Length must be > 0"),
    ("q-missing", blank(" Q: 10\n"), 10, "neural Population 1 needs 'Q:'"),
    ("sigmoid-theta-missing", mutate("Theta: 0.01292 ", ""), 13,
     "Function Sigmoid needs 'Theta:'"),
    ("sigmoid-extra-parameter", mutate("Qmax: 340", "Qmax: 340 a: 1"), 13,
     "'a' is not a parameter of Function Sigmoid"),
    ("sigma-not-positive", mutate("Sigma: 0.0038", "Sigma: -0.0038"), 13, "Sigma must be > 0"),
    ("dendrite-alpha-not-positive", mutate("Dendrite 1: alpha: 83", "Dendrite 1: alpha: -83"),
     14, "alpha must be > 0"),
    ("dendrite-ramp-keys", mutate("Dendrite 1: alpha", "Dendrite 1: Ramp - alpha"), 14,
     "a Ramp dendrite needs 'alpha2:'"),
    ("stimulus-node-range", mutate("Node: 1 Amplitude", "Node: 0 Amplitude"), 19,
     "stimulus node numbers must be in 1..16"),
    ("stimulus-width-missing", mutate(" Width: 1e-3", ""), 19,
     "stimulus mode PulseRect needs 'Width:'"),
    ("stimulus-duration-negative", mutate("Onset: 0 Node", "Onset: 0 Duration: -1 Node"), 19,
     "Duration must be >= 0"),
    ("stimulus-period-and-frequency",
     mutate("Width: 1e-3", "Width: 1e-3 Period: 0.1 Frequency: 10"), 19,
     "either Period or Frequency"),
    ("white-needs-stddev-or-asd", mutate(_STIM, " Stimulus: White - Onset: 0 Mean: 1"), 19,
     "needs exactly one of 'StdDev:' and 'ASD:'"),
    # --- propagators -----------------------------------------------------------------------
    ("tau-not-multiple", mutate("Tau: 1e-4", "Tau: 1.5e-4"), 22,
     "Tau is not a multiple of Deltat"),
    ("tau-negative", mutate("Tau: 1e-4", "Tau: -1e-4"), 22, "Tau must be >= 0"),
    ("tau-list-length", mutate("Tau: 1e-4", "Tau: 1e-4 2e-4 3e-4"), 22, "Tau has 3 values"),
    ("range-not-positive", mutate("Range: 0.3", "Range: 0"), 21, "Range must be > 0"),
    ("wave-gamma-missing", mutate("Range: 0.3 gamma: 100", "Range: 0.3"), 21,
     "needs 'gamma:'"),
    ("wave-range-missing", mutate("Range: 0.3 gamma: 100", "gamma: 100"), 21,
     "needs 'Range:'"),
    ("gamma-and-velocity", mutate("gamma: 100", "gamma: 100 velocity: 30"), 21,
     "either gamma or velocity"),
    ("courant", mutate("gamma: 100", "gamma: 3000"), 21, "Courant condition violated"),
    ("range-unresolved", mutate("Range: 0.3", "Range: 0.2"), 21,
     "the grid does not resolve Range"),
    # --- couplings -----------------------------------------------------------------------------
    ("map-nu-length", mutate("Coupling 1: Map - nu: 1e-4", "Coupling 1: Map - nu: 1e-4 2e-4"),
     24, "Map nu has 2 values; it needs 1 or 16"),
    ("matrix-nu-length", mutate("Coupling 1: Map - nu: 1e-4", "Coupling 1: Matrix - nu: 1 2 3"),
     24, "Matrix nu has 3 values; it needs 1 or 256"),
    ("ramp-lengths",
     mutate("Coupling 1: Map - nu: 1e-4", "Coupling 1: Ramp - nu: 1e-4 2e-4 timepoints: 0.001"),
     24, "Ramp has 2 nu values but 1 timepoints"),
    ("bcm-needs-glutamate", mutate("Coupling 1: Map - nu: 1e-4", _BCM), 24,
     "needs a GlutamateResponse postsynaptic population"),
    # --- output ----------------------------------------------------------------------------------
    ("interval-not-multiple", mutate("Interval: 2e-4", "Interval: 2.5e-4"), 27,
     "Interval is not a multiple of Deltat"),
    ("start-after-time", mutate("Start: 0", "Start: 1"), 27, "Start must be in 0..Time"),
    ("start-negative", mutate("Start: 0", "Start: -0.1"), 27, "Start must be in 0..Time"),
    ("output-node-range", mutate("Output: Node: 1 2", "Output: Node: 1 17"), 27,
     "Output node numbers must be in 1..16"),
    ("output-bad-item", mutate("Population: 1.Q", "Population: one"), 28,
     "'one' is not an output item"),
    ("output-missing-object", mutate("Dendrite: 1\n", "Dendrite: 3\n"), 29,
     "there is no Dendrite 3"),
    ("output-bad-field", mutate("Propagator: 1.phi", "Propagator: 1.psi"), 30,
     "Propagator 1 has no field 'psi'"),
    ("output-coupling-field", mutate("Coupling: 2", "Coupling: 2.nutilde"), 31,
     "Coupling 2 has no field 'nutilde'"),
    # --- issue #12: validate OK guarantees run -------------------------------------------------
    # F4: repeated output nodes and items (they wrote NaN or garbage columns, or crashed)
    ("output-node-repeated", mutate("Output: Node: 1 2", "Output: Node: 1 2 1"), 27,
     "node(s) listed more than once"),
    ("output-item-repeated", mutate("Population: 1.Q", "Population: 1.Q 1.Q"), 28,
     "'1.Q' is listed twice"),
    ("output-item-covered", mutate("Dendrite: 1\n", "Dendrite: 1 1.V\n"), 29,
     "'1.V' is already written by '1'"),
    ("output-matrix-field", mutate("Coupling 2: Map - nu: 1e-4", "Coupling 2: Matrix - nu: 1e-4",
                                   mutate("Coupling: 2", "Coupling: 2.nu")), 31,
     "Coupling 2 has no field 'nu'"),
    # F6: NUL and control characters, header included
    ("nul-in-header", mutate("two populations", "two\x00populations"), 1,
     "control character U+0000"),
    ("form-feed-in-body", mutate("Q: 10", "Q:\x0c10"), 12, "control character U+000C"),
    ("unicode-line-separator", mutate("Q: 10", "Q: 10\u2028"), 12, "control character U+2028"),
    # F11: a key without its colon
    ("key-without-colon", mutate("Propagator 2: Map - Tau: 1e-4", "Propagator 2: Map - Tau 1e-4"),
     22, "'Tau' is a key without its colon"),
    ("key-without-colon-after-value", mutate("Q: 10", "Q: 10 Theta 0.1"), 12,
     "'Theta' is a key without its colon"),
    ("indexed-key-without-colon", mutate("Coupling 2: Map", "Coupling 2 Map"), 25,
     "'Coupling 2' is a key without its colon"),
    ("time-without-colon", mutate("Time: 0.01 Deltat", "Time 0.01 Deltat"), 1,
     "the model has no 'Time:' ('Time' without its colon is in the header)"),
    ("two-word-key-without-colon", mutate("Nodes: 16", "Nodes: 16 Longside nodes 4"), 3,
     "'Longside nodes' is a key without its colon"),
    # F8, F9: overflow-safe step counts
    ("time-overflows", mutate("Time: 0.01 ", "Time: 1e308 "), 2, "Time / Deltat = inf steps"),
    ("time-beyond-2-53-steps", mutate("Time: 0.01 ", "Time: 1e300 "), 2, "more than 2^53"),
    ("interval-beyond-2-53-steps", mutate("Interval: 2e-4", "Interval: 1e16"), 27,
     "Interval / Deltat = 1e+20 steps is more than 2^53"),
    ("interval-overflows", mutate("Interval: 2e-4", "Interval: 1e308"), 27,
     "Interval / Deltat = inf steps"),
    ("tau-overflows", mutate("Tau: 1e-4", "Tau: 1e308"), 22, "Tau / Deltat = inf steps"),
    ("start-huge", mutate("Start: 0", "Start: 1e308"), 27, "Start must be in 0..Time"),
    ("deltat-denormal", mutate("Deltat: 1e-4", "Deltat: 1e-320"), 2, "Time / Deltat = inf steps"),
    ("time-below-one-step", mutate("Time: 0.01 ", "Time: 1e-5 "), 2, "less than one step"),
    ("length-denormal", mutate("Length: 0.5\n Q", "Length: 4.9e-324\n Q"), 11,
     "underflows to a grid spacing of 0 m"),
    ("nodes-beyond-2-53", mutate("Nodes: 16", "Nodes: 1e20 Longside nodes: 1e10"), 3,
     "Nodes is more than 2^53"),
    # F10: rules once checked only when the model was built
    ("glutamate-tglu-missing", mutate(_FIRING, _GLU.replace("tGlu: 0.03 ", "")), 13,
     "needs 'tGlu:'"),
    ("glutamate-tglu-zero", mutate(_FIRING, _GLU.replace("tGlu: 0.03", "tGlu: 0")), 13,
     "tGlu must be > 0 when Lambda is non-zero"),
    ("bursting-taux-zero", mutate(_FIRING, _BURSTING.replace("taux: 1", "taux: 0")), 13,
     "taux divides the burst equations"),
    ("diffarctan-delta-zero",
     mutate("Coupling 1: Map - nu: 1e-4", _ARCTAN.replace("delta: 0.1", "delta: 0")), 24,
     "DiffArctan delta must be non-zero"),
    ("diffarctan-same-times",
     mutate("Coupling 1: Map - nu: 1e-4", _ARCTAN.replace("t_half_down: 0.2", "t_half_down: 0.1")),
     24, "t_half_up must differ from t_half_down"),
    ("diffarctan-constant",
     mutate("Coupling 1: Map - nu: 1e-4", _ARCTAN.replace("delta: 0.1", "delta: 1e308")), 24,
     "does not change over 0..Time"),
    ("bcm-nu-per-node", mutate(_FIRING, _GLU, mutate("Coupling 1: Map - nu: 1e-4",
                                                     _BCM.replace("nu: 1e-4", "nu: 1e-4 2e-4"))),
     24, "BCM takes one initial nu"),
    ("bcm-nu-zero", mutate(_FIRING, _GLU, mutate("Coupling 1: Map - nu: 1e-4",
                                                 _BCM.replace("nu: 1e-4", "nu: 0"))),
     24, "needs a non-zero initial nu"),
    ("pulsesigmoid-pulses-without-period", mutate(_STIM, _SIGMOID + " Pulses: 3"), 19,
     "several PulseSigmoid pulses need a Period or Frequency"),
    ("pulsesigmoid-sigma-zero", mutate(_STIM, _SIGMOID + " Sigma: 0"), 19, "Sigma must be > 0"),
    ("burst-frequency-zero", mutate(_STIM, _BURST.replace("Burst Frequency: 5",
                                                          "Burst Frequency: 0")), 19,
     "Burst Frequency must be non-zero"),
    # parnft's Boundary key (docs/boundaries.md): line 3 holds "Nodes: 16 Boundary: ..."
    ("boundary-unknown-kind", mutate("Nodes: 16", "Nodes: 16 Boundary: absorbent"), 3,
     "unknown boundary kind 'absorbent'"),
    ("boundary-dirichlet-no-value", mutate("Nodes: 16", "Nodes: 16 Boundary: x dirichlet"), 3,
     "boundary 'dirichlet' needs its V"),
    ("boundary-dirichlet-not-number",
     mutate("Nodes: 16", "Nodes: 16 Boundary: dirichlet low"), 3,
     "the V of boundary 'dirichlet' is not a finite number"),
    ("boundary-axis-twice",
     mutate("Nodes: 16", "Nodes: 16 Boundary: x neumann x absorbing"), 3,
     "axis 'x' is given twice"),
    ("boundary-axis-without-kind", mutate("Nodes: 16", "Nodes: 16 Boundary: x y neumann"), 3,
     "axis 'x' has no boundary kind"),
    ("boundary-empty", mutate("Nodes: 16", "Nodes: 16 Boundary:"), 3,
     "'Boundary' has no value"),
    ("boundary-wavelegacy",
     mutate("Propagator 1: Wave", "Propagator 1: WaveLegacy",
            mutate("Nodes: 16", "Nodes: 16 Boundary: y absorbing")), 3,
     "WaveLegacy, NFTsim's 9-point legacy stencil, which runs on the torus only"),
]

#: Valid variants of BASE, one per kind whose rules moved from the model classes
#: into the checks: each must validate, and build (tests/unit/test_config_checks.py).
KIND_VARIANTS: list[tuple[str, str]] = [
    ("glutamate", mutate(_FIRING, _GLU)),
    ("bursting", mutate(_FIRING, _BURSTING)),
    ("diffarctan", mutate("Coupling 1: Map - nu: 1e-4", _ARCTAN)),
    ("bcm", mutate(_FIRING, _GLU, mutate("Coupling 1: Map - nu: 1e-4", _BCM))),
    ("pulsesigmoid", mutate(_STIM, _SIGMOID + " Pulses: 3 Period: 2e-3")),
    ("burst", mutate(_STIM, _BURST)),
]
