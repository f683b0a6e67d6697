"""Analytic steady states of a sheet whose parameters vary from node to node.

A linear population Q = a V + b fed by itself (Map propagator, nu_1) and by a
constant drive m (nu_2), with dendrites of any alpha, beta, settles at every
node to the fixed point of V = nu_1 Q + nu_2 m, Q = a V + b::

    Q* = (a nu_2 m + b) / (1 - a nu_1)          (stable for a nu_1 < 1)

which does not depend on alpha and beta. With a and b gradients (along y and
x, as expressions) and alpha a per-node map, the simulated Q at t = 0.5 s must
equal Q*(x, y) at every node to 1e-8 relative: the slowest closed-loop decay
rate is (1 - a nu_1) / (1/alpha + 1/beta) >= 0.4 / 0.00867 s = 46 s^-1 (alpha
= 150, beta = 500), so after 0.5 s the remaining error is below
exp(-23) ~ 1e-10 of the initial one.
"""

from __future__ import annotations

import h5py
import numpy as np
from mpi4py import MPI

from parnft.api import run
from parnft.config.mapexpr import evaluate

A, B, ALPHA = "0.8 + 0.4 * y / Ly", "1 + 4 * x / Lx", "150 + 100 * y / Ly"
NU1, NU2, M = 0.5, 1.0, 2.0
LINEAR = f"""\
Linear sheet with a gain gradient: analytic per-node steady state
Time: 0.5 Deltat: 1e-4
Nodes: 20
Longside nodes: 5

Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0

Population 1: Linear
 Length: 0.5
 Q: 0
 Firing: Function: Linear a: expr({A}) b: expr({B})
  Dendrite 1: alpha: expr({ALPHA}) beta: 500
  Dendrite 2: alpha: 83 beta: 769

Population 2: Drive
 Length: 0.5
 Stimulus: Const - Mean: {M}

Propagator 1: Map - Tau: 0
Propagator 2: Map - Tau: 0

Coupling 1: Map - nu: {NU1}
Coupling 2: Map - nu: {NU2}

Output: Node: All Start: 0.49 Interval: 0.01
Population: 1.Q
Dendrite:
Propagator:
Coupling:
"""


def test_linear_sheet_settles_to_the_per_node_analytic_steady_state(tmp_path):
    conf = tmp_path / "linear.conf"
    conf.write_text(LINEAR)
    out = tmp_path / "linear.h5"
    run(str(conf), str(out), comm=MPI.COMM_SELF, progress=False)
    with h5py.File(out, "r") as f:
        q = f["pop.1.q"][-1]
    shape, dx = (4, 5), 0.5 / 5
    a, b = evaluate(A, shape, dx), evaluate(B, shape, dx)
    expected = (a * NU2 * M + b) / (1.0 - a * NU1)
    assert np.ptp(expected) > 5.0  # the nodes really differ (3.33 .. 14.7 s^-1)
    np.testing.assert_allclose(q, expected, rtol=1e-8, atol=0)
