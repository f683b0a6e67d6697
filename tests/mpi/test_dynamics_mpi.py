"""Populations with local dynamics give the same bits at any rank count.

Each case of :data:`CASES` is one ``Dynamics:`` line put into the same field
model: white noise drives the population through a Direct (no-dendrite)
connection, its own Q comes back through a Wave propagator with a delay and
an RK4 dendrite, and feeds a second population through a delayed Map. The
grid (13 x 11) does not divide evenly by the rank counts. Every dataset of an
N-rank run (overlap and blocking halo) must equal the one-rank run bit for
bit, noise included. Broken plugins raise the same ConfigError on every rank.

To add a kind to the sweep, add one ``name: "Dynamics: <Kind> <key>: <value> ..."``
line to :data:`CASES` (with an input gain that keeps it bounded over 40 steps).

CI runs this file at 2, 3 and 4 ranks (see the Makefile).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mpi4py import MPI

from parnft.api import load_spec, run
from parnft.errors import ConfigError
from tests.mpi.test_rank_sweep import compare, on_root

#: kind -> its Dynamics line in the field model (one line per kind).
CASES = {
    "Relaxation": "Dynamics: Relaxation tau: 0.002 g: 2 Q0: 1 s_0: 0.5",
    # state that spreads (a ghost fill per RK4 stage); dx = 0.5 m / 13 = 3.8 cm
    "GinzburgLandau": "Dynamics: GinzburgLandau alpha: 10 omega: 62.83185307179586 gamma: 0.1 "
                      "beta: 0.05 D: 0.05 c1: 0.5 x_0: 10 y_0: 0",
    "JH_excitatory": "Dynamics: JH_excitatory c_x: 1 D_J: 0.1",
}

TEMPLATE = """Dynamics field at any rank count: {name}
Time: 0.004 Deltat: 1e-4
Nodes: 143
Longside nodes: 13

    Connection matrix:
From:  1  2  3
To 1:  0  0  0
To 2:  1  1  0
To 3:  0  1  0

Population 1: Noise
 Length: 0.5
 Stimulus: White - Mean: 1 StdDev: 0.5 Ranseed: 7

Population 2: Field
 Length: 0.5
 {line}
 Dendrite 2: alpha: 80 beta: 300

Population 3: Follower
 Length: 0.5
 Dynamics: Relaxation tau: 0.003
 Dendrite 3: Direct -

Propagator 1: Map - Tau: 0
Propagator 2: Wave - Tau: 2e-4 Range: 0.1 gamma: 100
Propagator 3: Map - Tau: 3e-4
Coupling 1: Map - nu: 0.5
Coupling 2: Map - nu: 0.2
Coupling 3: Map - nu: 1

Output: Node: All
Population: 2 3
Propagator: 2 3
Dendrite: 1 2
"""


def serial(text: str, conf: str, out: str) -> None:
    with open(conf, "w") as f:
        f.write(text)
    run(conf, out, comm=MPI.COMM_SELF, progress=False)


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(CASES))
def test_dynamics_field_same_bits_at_any_rank_count(shared_dir, name):
    comm = MPI.COMM_WORLD
    text = TEMPLATE.format(name=name, line=CASES[name])
    conf = os.path.join(shared_dir, f"{name}.conf")
    ref = os.path.join(shared_dir, f"{name}-1.h5")
    on_root(comm, serial, text, conf, ref)
    for halo in ("overlap", "blocking"):
        par = os.path.join(shared_dir, f"{name}-{halo}.h5")
        run(conf, par, comm=comm, progress=False, halo=halo)
        n = on_root(comm, compare, par, ref)  # the values compared, on rank 0 (None elsewhere)
        assert comm.rank != 0 or n > 0


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(300)
def test_plugin_named_by_the_config_key_runs_alike_on_every_rank(shared_dir):
    """The FitzHugh-Nagumo plugin of docs/models: rank 0 loads it while reading the
    config, the others after the broadcast; the fields are bitwise the one-rank ones."""
    comm = MPI.COMM_WORLD
    conf = str(Path(__file__).resolve().parents[2] / "docs" / "models" / "fitzhugh_nagumo.conf")
    ref = os.path.join(shared_dir, "fhn-1.h5")
    on_root(comm, lambda: run(conf, ref, comm=MPI.COMM_SELF, progress=False))
    par = os.path.join(shared_dir, "fhn-n.h5")
    run(conf, par, comm=comm, progress=False)
    n = on_root(comm, compare, par, ref)
    assert comm.rank != 0 or n > 0


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(300)
def test_broken_plugin_fails_the_same_way_on_every_rank(shared_dir):
    comm = MPI.COMM_WORLD
    conf = os.path.join(shared_dir, "p.conf")
    bad = os.path.join(shared_dir, "bad_plugin.py")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(TEMPLATE.format(name="plugin", line=CASES["Relaxation"]).replace(
                "Nodes: 143", "Nodes: 143\nPlugin: missing_plugin.py"))
        with open(bad, "w") as f:
            f.write("from parnft.model.declare import Dynamics\nKIND = Dynamics(name='X')\n")
    comm.Barrier()
    for plugins, text in (((bad,), "does not import"), ((), "not found")):
        with pytest.raises(ConfigError) as e:
            load_spec(conf, comm, plugins)
        p = e.value.problems[0]
        assert text in p.rule and (p.path == bad if plugins else p.path == conf)
    comm.Barrier()  # every rank got here: nobody hangs in a collective
