"""Fields whose state spreads: the Python-driven step (no native MPI) gives the same bits.

Where compiled code cannot call MPI, a step of a kind with spatial operators
is split at each of its four mid-step ghost fills (:class:`parnft.model.base.GhostFill`)
into compiled loops with the exchange from Python between them. The JH_excitatory
field below (noise input, a Wave propagator fed by the field, an uneven 13 x 11 grid)
must give, at any rank count, bitwise the fields of the native run.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from mpi4py import MPI

from parnft.parallel import native

MODEL = """JH field, Python-driven exchange
Time: 0.003 Deltat: 1e-4
Nodes: 143
Longside nodes: 13

Connection matrix:
From:  1  2
To 1:  0  0
To 2:  1  1

Population 1: Noise
 Length: 0.5
 Stimulus: White - Mean: 1 StdDev: 0.5 Ranseed: 3

Population 2: JH
 Length: 0.5
 Dynamics: JH_excitatory c_x: 1 D_J: 0.1

Propagator 1: Map - Tau: 0
Propagator 2: Wave - Tau: 0 Range: 0.1 gamma: 100
Coupling 1: Map - nu: 10
Coupling 2: Map - nu: 1

Output: Node: All Interval: 1e-4
Population: 2.j 2.h
"""


def _fields(spec, comm, halo):
    from parnft.outputs import MemoryWriter
    from parnft.solver import Simulation

    sim = Simulation(spec, comm, halo=halo)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    out = sim.native_mpi, len(sim._loops), w["pop.2.j"], w["pop.2.h"]
    sim.close()
    return out


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(300)
@pytest.mark.parametrize("halo", ["overlap", "blocking"])
def test_python_driven_fills_match_the_native_loop(monkeypatch, caplog, halo):
    from parnft.config import parse_config

    spec = parse_config(MODEL)
    comm = MPI.COMM_WORLD
    name, nloops, j, h = _fields(spec, comm, halo)
    assert name is not None and nloops == 1

    def refuse():
        raise native.NativeMPIError("cannot find the MPI library (test)")

    monkeypatch.setattr(native, "load", refuse)
    monkeypatch.setattr(logging.getLogger("parnft"), "propagate", True)
    with caplog.at_level(logging.WARNING, logger="parnft"):
        name, nloops, j2, h2 = _fields(spec, comm, halo)
    assert name is None and nloops == 6           # 4 fills split the ghost-free part in 5
    np.testing.assert_array_equal(j.view(np.uint64), j2.view(np.uint64))
    np.testing.assert_array_equal(h.view(np.uint64), h2.view(np.uint64))
    assert np.ptp(h) > 0
