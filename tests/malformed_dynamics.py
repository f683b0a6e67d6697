"""Malformed configs of populations with local dynamics, and broken plugin keys.

``DYNAMICS_CASES`` has the format of :data:`tests.malformed_cases.CASES`
(``(id, conf_text, expected_line, expected_substring)``), each a mutation of
its :data:`~tests.malformed_cases.BASE` whose Population 1 gets a
``Dynamics:`` block; it can be appended to ``CASES`` so the CLI and MPI
malformed-case tests run them too.
"""

from __future__ import annotations

from tests.malformed_cases import mutate

_FIRING = " Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340"


def _dyn(line: str) -> str:
    return mutate(_FIRING, f" Dynamics: {line}")


DYNAMICS_CASES: list[tuple[str, str, int, str]] = [
    ("dynamics-unknown-kind", _dyn("Relax tau: 0.01"), 13,
     "unknown Dynamics kind 'Relax' in Dynamics of Population 1"),
    ("dynamics-no-kind", _dyn("- tau: 0.01"), 13, "names no Dynamics kind"),
    ("dynamics-unknown-key", _dyn("Relaxation taus: 0.01"), 13,
     "unknown key 'taus' in Dynamics (Relaxation) of Population 1"),
    ("dynamics-not-a-number", _dyn("Relaxation tau: fast"), 13, "'tau' in Dynamics (Relaxation)"
     " of Population 1 is not a number"),
    ("dynamics-range", _dyn("Relaxation tau: -1"), 13, "tau must be > 0 [s]"),
    ("dynamics-step-size", _dyn("Relaxation tau: 1e-4"), 2,
     "step-size rule violated: Deltat = 0.0001 s > 0.0001 s / 10"),
    ("dynamics-and-firing", mutate(_FIRING, _FIRING + " Dynamics: Relaxation"), 13,
     "has Dynamics and also Firing or Stimulus"),
    ("dynamics-output-field", mutate("Population: 1.Q", "Population: 1.V",
                                     _dyn("Relaxation tau: 0.01")), 28,
     "Population 1 has no field 'V'"),
    ("direct-dendrite-key", mutate("  Dendrite 1: alpha: 83 beta: 769",
                                   "  Dendrite 1: Direct - alpha: 83"), 14,
     "unknown key 'alpha' in Dendrite 1 (Direct)"),
    # fields whose state spreads (issue 14 item 3): dx = 0.5 m / 4 = 0.125 m, Deltat = 1e-4 s
    ("diffusion-unstable", _dyn("GinzburgLandau D: 100"), 2,
     "diffusion stability violated: Deltat = 0.0001 s puts grid modes of Population 1"),
    ("diffusion-negative", _dyn("GinzburgLandau D: -1"), 13, "D must be >= 0 [m^2/s]"),
    ("diffusion-unknown-key", _dyn("GinzburgLandau Dz: 1e-3"), 13,
     "unknown key 'Dz' in Dynamics (GinzburgLandau) of Population 1"),
    ("cross-diffusion-wave-unstable", _dyn("JH_excitatory c_x: 1e5 D_J: 0"), 2,
     "diffusion stability violated"),
    ("diffusion-with-absorbing-boundary",
     mutate("Nodes: 16", "Nodes: 16 Boundary: x neumann y absorbing",
            _dyn("GinzburgLandau D: 1e-3")), 3,
     "spreads by its own spatial terms: the y edges' 'absorbing' does not apply"),
    # per-node maps on a kind whose state spreads: the coefficients of its spatial
    # terms stay one number; the local parameters may vary, judged node by node
    ("diffusion-coefficient-map", _dyn("GinzburgLandau alpha: expr(10 + 5 * x) D: "
                                       "expr(1e-3 * (1 + x))"), 13,
     "'Population 1 Dynamics: D' cannot be a per-node map: it is a coefficient of the "
     "spatial terms of GinzburgLandau"),
    ("cross-diffusion-coefficient-map", _dyn("JH_excitatory c_x: map(nothere.h5 /c_x)"), 13,
     "a per-node coefficient would make c lap(f) a non-conservative form"),
    # c_x kappa_H = 2e6 m^2/s^2 at node 7 only: wave speed 1414 m/s, dx / c = 88 us < Deltat
    ("cross-diffusion-unstable-at-one-node",
     _dyn("JH_excitatory c_x: 100 kappa_H: " + " ".join(["37.7"] * 6 + ["20000"]
                                                        + ["37.7"] * 9)), 2,
     "outside RK4's stability region at node 7 (kappa_H = 20000; 1 of 2 per-node value "
     "tuples checked fail)"),
    ("plugin-missing", mutate("Nodes: 16", "Nodes: 16 Plugin: nowhere_plugin.py"), 3,
     "plugin file 'nowhere_plugin.py' not found"),
]
