"""Vocabulary of the NFTsim ``.conf`` format: keys, kinds and output fields.

The reader (:mod:`parnft.config.nftsim`, :mod:`parnft.config.blocks`) and the
checks (:mod:`parnft.config.checks`) share these tables, so that a new kind is
one table line here. Every table is keyed by the exact, case-sensitive word
written in the file.

Value types of keys:

``NUM``
    one number; words after it are a comment.
``LIST``
    numbers up to the first word that is not a number (the rest is a comment).
``NODES``
    like ``LIST`` of whole numbers, or the word ``All`` (all nodes).
``STEADY``
    the word ``Steady`` or a number.
``WORD``
    one word from a fixed set (``Topology``, ``Function``).
``ITEMS``
    every word up to the next key (Output items ``2`` or ``2.Q``).
``ROW``
    one row of the connection matrix.
"""

from __future__ import annotations

NUM, LIST, NODES, STEADY, WORD = "num", "list", "nodes", "steady", "word"
ITEMS, ROW = "items", "row"
#: one word taken as written (a file name, a Dynamics Choice); parnft only.
TEXT = "text"
#: every word up to the next key, as written (``Boundary: x periodic y absorbing``);
#: parnft only, parsed by the key's own grammar.
PHRASE = "phrase"

#: Words that, followed by ``<integer>:``, form an indexed key (``Population 3:``).
INDEXED = ("Population", "To", "Dendrite", "Propagator", "Coupling")

#: Two-word keys: ``<first> <second>:``.
MULTIWORD = frozenset(
    {
        "Connection matrix",
        "Longside nodes",
        "N20 width",
        "N20 height",
        "P25 width",
        "P25 height",
        "TMS width",
        "TMS height",
        "Burst Frequency",
        "Oscillation Frequency",
    }
)

# --- global (root) keys -------------------------------------------------------
ROOT_KEYS = {
    "Time": NUM,
    "Deltat": NUM,
    "Nodes": NUM,
    "Longside nodes": NUM,
    "Topology": WORD,
    "Bath": NUM,
    "Boundary": PHRASE,
    "Plugin": TEXT,
}
TOPOLOGIES = ("Torus", "Sphere", "Nonperiodic")

MATRIX_KEYS = {"From": LIST}

POPULATION_KEYS = {"Length": NUM, "Q": NUM, "Plugin": TEXT}

# --- firing responses ---------------------------------------------------------
#: Firing function -> its required parameter keys.
FUNCTIONS = {
    "Sigmoid": ("Theta", "Sigma", "Qmax"),
    "Linear": ("a", "b"),
    "Quadratic": ("a", "b", "c"),
    "Cubic": ("a", "b", "c", "d"),
}
_FUNCTION_PARAMS = ("Theta", "Sigma", "Qmax", "a", "b", "c", "d")
BURST_REQUIRED = (
    "Sigma", "Qmax", "Htilde", "Xtilde", "gX", "gH", "ic", "taux", "tauh", "ax", "mu",
)
BURST_OPTIONAL = (
    "gX2", "tx1", "tx2", "tx3", "tx4", "gH2", "th1", "th2", "th3", "th4",
)
#: Firing kind -> accepted keys (``Function`` is a WORD key).
FIRING_KEYS = {
    "Response": ("Function", *_FUNCTION_PARAMS),
    "GlutamateResponse": ("Lambda", "tGlu", "Function", *_FUNCTION_PARAMS),
    "Bursting": BURST_REQUIRED + BURST_OPTIONAL,
}
FIRING_KINDS = tuple(FIRING_KEYS)

# --- stimuli ------------------------------------------------------------------
STIMULUS_COMMON = {"Onset": NUM, "Duration": NUM, "Node": NODES}
#: Stimulus mode -> (required keys, optional keys).
STIMULUS_MODES = {
    "Const": (("Mean",), ()),
    "PulseRect": (("Amplitude", "Width"), ("Period", "Frequency", "Pulses")),
    "PulseSine": (("Amplitude", "Width"), ("Period", "Phase", "Pulses")),
    "PulseSigmoid": (("Amplitude", "Width"), ("Period", "Frequency", "Pulses", "Sigma")),
    "Sine": (("Amplitude", "Frequency"), ()),
    "White": (("Mean",), ("StdDev", "ASD", "Ranseed")),
    "WhiteCoherent": (("Mean",), ("StdDev", "ASD", "Ranseed")),
    "PAS": (
        ("ISI", "N20 width", "N20 height", "P25 width", "P25 height", "TMS width", "TMS height"),
        (),
    ),
    "Burst": (
        ("Amplitude", "Width", "Bursts", "Burst Frequency", "Oscillation Frequency", "On", "Off"),
        (),
    ),
}
SUPERIMPOSE = "Superimpose"

# --- dendrites ----------------------------------------------------------------
DENDRITE_KINDS = ("Dendrite", "Integral", "Ramp", "Direct")
#: Dendrites without a synaptic filter: V = P = nu phi (parnft only; no keys).
DIRECT_DENDRITES = ("Direct",)
DENDRITE_KEYS = {"V": STEADY, "alpha": NUM, "beta": NUM, "Input": TEXT}
DENDRITE_RAMP_KEYS = ("alpha2", "beta2", "t1", "t2", "t3", "t4")

# --- propagators --------------------------------------------------------------
PROPAGATOR_KINDS = ("Map", "Wave", "WaveLegacy", "Harmonic", "HarmonicIntegral")
PROPAGATOR_KEYS = {"phi": STEADY, "Tau": LIST, "Range": NUM, "gamma": NUM, "velocity": NUM,
                   "Source": TEXT}
WAVE_KINDS = ("Wave", "WaveLegacy")
#: Kinds that run on the torus only: NFTsim's 9-point stencil reads the ghost
#: corners, which a non-periodic edge (``Boundary:``) does not define.
TORUS_ONLY_KINDS = ("WaveLegacy",)
#: Kinds that need a positive ``gamma`` (or ``velocity`` and ``Range``).
DAMPED_KINDS = ("Wave", "WaveLegacy", "Harmonic", "HarmonicIntegral")

# --- couplings ----------------------------------------------------------------
_CADP = ("nu", "nu_max", "Dth", "Pth", "xyth", "x", "y", "B", "glu_0")
#: Coupling kind -> (required keys, optional keys).
COUPLING_KINDS = {
    "Map": (("nu",), ()),
    "Matrix": (("nu",), ()),
    "Ramp": (("nu", "timepoints"), ()),
    "DiffArctan": (("nu_min", "nu_max", "delta", "t_half_up", "t_half_down"), ()),
    "CaDP": (_CADP, ("tCa", "gNMDA", "z")),
    "BCM": ((*_CADP, "t_BCM"), ("tCa", "gNMDA", "z", "t_rec")),
    "BCM-Spatial": ((*_CADP, "t_BCM"), ("tCa", "gNMDA", "z", "t_rec")),
}
COUPLING_LISTS = ("nu", "timepoints")
#: Couplings whose ``nu`` is an all-to-all matrix (1 or Nodes^2 values).
MATRIX_COUPLINGS = ("Matrix", "BCM-Spatial")
#: Couplings that need a GlutamateResponse postsynaptic population.
PLASTIC_COUPLINGS = ("CaDP", "BCM", "BCM-Spatial")

# --- output -------------------------------------------------------------------
OUTPUT_KEYS = {
    "Node": NODES,
    "Start": NUM,
    "Interval": NUM,
    "Population": ITEMS,
    "Dendrite": ITEMS,
    "Propagator": ITEMS,
    "Coupling": ITEMS,
}
OUTPUT_FAMILIES = ("Population", "Dendrite", "Propagator", "Coupling")

#: Output field names per object kind (STUDY sections 2.4-2.9).
STIMULUS_FIELDS = ("Q",)
FIRING_FIELDS = {
    "Response": ("Q", "V"),
    "GlutamateResponse": ("Q", "V"),
    "Bursting": ("Q", "HTilde", "XTilde", "modtheta", "V", "gX", "gH"),
}
DENDRITE_FIELDS = {"Dendrite": ("V",), "Integral": ("V",), "Ramp": ("beta", "V"),
                   "Direct": ("V",)}
PROPAGATOR_FIELDS = {k: ("phi",) for k in PROPAGATOR_KINDS}
COUPLING_FIELDS = {
    "Map": ("nu",),
    "Matrix": (),  # nothing to write, as NFTsim (parnft.model.couplings.MatrixCoupling)
    "Ramp": ("nu",),
    "DiffArctan": ("nu",),
    "CaDP": ("nutilde", "nu", "Ca", "B", "H"),
    "BCM": ("nu", "nutilde", "Ca", "B", "gNMDA"),
    "BCM-Spatial": ("Ca", "nutilde", "nu", "nu_Ca"),
}

#: Fields an output item ``k`` leaves out; they are written only when named
#: (``Dendrite: 9.V``). (family, kind) -> fields.
BY_NAME_ONLY = {("Dendrite", "Ramp"): ("V",)}

#: Kinds whose fields can only be written all together (item ``k``): BCM-Spatial
#: writes each field once per source node (``Ca.1`` .. ``Ca.N``).
WHOLE_ITEM_ONLY = frozenset({("Coupling", "BCM-Spatial")})


def default_fields(family: str, kind: str, fields: tuple[str, ...]) -> tuple[str, ...]:
    """The fields an output item ``k`` (no ``.field``) of ``family``/``kind`` writes."""
    skip = BY_NAME_ONLY.get((family, kind), ())
    return tuple(f for f in fields if f not in skip)


def stimulus_keys(mode: str) -> dict[str, str]:
    """Keys (with value types) accepted by a stimulus of ``mode``."""
    req, opt = STIMULUS_MODES[mode]
    keys = dict(STIMULUS_COMMON)
    keys.update({k: NUM for k in req + opt})
    return keys


def coupling_keys(kind: str) -> dict[str, str]:
    """Keys (with value types) accepted by a coupling of ``kind``."""
    req, opt = COUPLING_KINDS[kind]
    return {k: (LIST if k in COUPLING_LISTS else NUM) for k in req + opt}


def firing_keys(kind: str) -> dict[str, str]:
    """Keys (with value types) accepted by a firing response of ``kind``."""
    return {k: (WORD if k == "Function" else NUM) for k in FIRING_KEYS[kind]}


def dendrite_keys(kind: str) -> dict[str, str]:
    """Keys (with value types) accepted by a dendrite of ``kind``."""
    if kind in DIRECT_DENDRITES:
        return {"Input": TEXT}  # the input channel of a Dynamics population (parnft only)
    keys = dict(DENDRITE_KEYS)
    if kind == "Ramp":
        keys.update({k: NUM for k in DENDRITE_RAMP_KEYS})
    return keys


def all_key_names() -> frozenset[str]:
    """Every key name of the format (value keys and block openers), without colons.

    Used to recognise a key written without its colon (``Tau 0.0425``).
    """
    names: set[str] = set(ROOT_KEYS) | set(MATRIX_KEYS) | set(POPULATION_KEYS)
    names |= set(OUTPUT_KEYS) | set(PROPAGATOR_KEYS) | set(DENDRITE_KEYS)
    names |= set(DENDRITE_RAMP_KEYS) | set(STIMULUS_COMMON) | set(_FUNCTION_PARAMS)
    names |= {"Function", "Lambda", "tGlu", SUPERIMPOSE, "Connection matrix", "Firing",
              "Stimulus", "Output"}
    names |= set(BURST_REQUIRED) | set(BURST_OPTIONAL)
    for req, opt in STIMULUS_MODES.values():
        names |= set(req) | set(opt)
    for req, opt in COUPLING_KINDS.values():
        names |= set(req) | set(opt)
    return frozenset(names)
