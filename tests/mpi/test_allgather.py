"""All-to-all couplings (Matrix, BCM-Spatial) on any rank count: bitwise the one-rank run.

Run with ``mpiexec -n N python -m mpi4py -m pytest --with-mpi -m mpi
tests/mpi/test_allgather.py`` (N = 1, 2, 3, 4). Every rank runs the model on
its tile; the traces are gathered to rank 0 and compared, bit for bit, with
a run of the whole grid on rank 0 alone. A rank count the grid cannot be
tiled with is skipped.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest
from mpi4py import MPI

from parnft.config import parse_config, read_config
from parnft.errors import ConfigError
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation
from tests.refdata import nftsim_ref

#: Reference configs and the number of steps each runs (the Matrix model's
#: pulses start at 0.1 s, step 820, so it runs a little past that).
CONFIGS = {
    "configs/e-coupling-matrix.conf": 900,
    "configs/Plasticity/network.conf": 300,
    "configs/Plasticity/plasticity.conf": 300,
}


def _every_output(spec, steps: int):
    """``spec`` shortened to ``steps`` steps, sampling every field of every object each step."""
    t = replace(spec.time, steps=steps, time=steps * spec.time.deltat)
    out = replace(spec.output, start=0.0, interval=None,
                  population=tuple(str(p.index) for p in spec.populations),
                  dendrite=tuple(str(d.index) for d in spec.dendrites),
                  propagator=tuple(str(p.index) for p in spec.propagators),
                  coupling=tuple(str(c.index) for c in spec.couplings))
    return replace(spec, time=t, output=out)


def _matrix_spec():
    """The Matrix reference model on a 3 x 4 grid with a dense, asymmetric nu.

    Node-dependent input (pulses at nodes 2 and 7 from step 41) and a full
    matrix make every node's drive depend on the others in a distinct way, so
    a gathered phi in the wrong node order cannot go unnoticed.
    """
    text = nftsim_ref("configs", "e-coupling-matrix.conf").read_text()
    n = 12
    nu = "\n".join(" ".join(f"{((7 * i + 3 * j) % 11 + 1) * 1e-6:g}" for j in range(n))
                   for i in range(n))
    text = text.replace("Nodes: 4", f"Nodes: {n} Longside nodes: 4")
    text = text.replace("Onset: .1", "Onset: .005 Node: 2 7")
    text = re.sub(r"Matrix - nu:[^A-Za-z]*", f"Matrix - nu:\n{nu}\n\n", text)
    return parse_config(text, path="matrix-3x4.conf")


def _spec(name: str):
    if name in CONFIGS:
        return _every_output(read_config(nftsim_ref(*name.split("/"))), CONFIGS[name])
    return _every_output(_matrix_spec(), 300)


def _columns(sim, writer) -> dict:
    """``(trace key, 1-based node) -> column`` of this rank's samples."""
    cols = {}
    for t in sim.outputs.traces:
        data = writer[t.key]
        for c, node in enumerate(t.nodes):
            cols[(t.key, int(node))] = data[:, c]
    return cols


def _run(spec, comm):
    sim = Simulation(spec, comm=comm)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    return sim, w


@pytest.mark.mpi
@pytest.mark.parametrize("name", [*CONFIGS, "matrix-3x4 (dense nu)"])
def test_all_to_all_couplings_identical_at_any_rank_count(name):
    comm = MPI.COMM_WORLD
    spec = _spec(name)
    try:
        sim, w = _run(spec, comm)
    except ConfigError as exc:
        pytest.skip(f"{comm.size} ranks cannot tile the {spec.grid.shape} grid of {name}: {exc}")
    assert sim.gathers or comm.size == 1
    parts = comm.gather((w.time, _columns(sim, w)), root=0)
    problem = None
    if comm.rank == 0:
        ser, sw = _run(spec, MPI.COMM_SELF)
        want = _columns(ser, sw)
        got = {}
        for time, cols in parts:
            if not np.array_equal(time, sw.time):
                problem = "sample times differ"
            got.update(cols)
        assert len(want) > 0 and len(sw.time) == spec.time.steps
        for key, col in want.items():
            if key not in got:
                problem = f"{key} missing from the {comm.size}-rank run"
            elif not np.array_equal(got[key].view(np.int64), col.view(np.int64)):
                bad = int(np.flatnonzero(got[key] != col)[0])
                problem = (f"{key} differs on {comm.size} ranks from sample {bad}: "
                           f"{got[key][bad]!r} != {col[bad]!r}")
    problem = comm.bcast(problem, root=0)
    assert problem is None, problem


@pytest.mark.mpi
def test_one_rank_reads_phi_in_place():
    """One rank: the all-to-all couplings read the tile's own fields, never a copy."""
    spec = _every_output(read_config(nftsim_ref("configs", "e-coupling-matrix.conf")), 10)
    sim = Simulation(spec, comm=MPI.COMM_SELF)
    cp = sim.ctx.couplings[2]
    assert cp.phi_all is cp.phi and cp.gathers()[0][1] is cp.phi
    (call,) = cp.calls("coupling")
    assert call.args[1] is cp.phi
    assert sim.gathers == [] and not sim.needs_exchange
    spec = _every_output(read_config(nftsim_ref("configs", "Plasticity", "network.conf")), 10)
    sim = Simulation(spec, comm=MPI.COMM_SELF)
    cp = sim.ctx.couplings[2]
    assert all(glob is loc for loc, glob in cp.gathers())
    assert cp.nu.shape == (9, 9) and sim.gathers == []
