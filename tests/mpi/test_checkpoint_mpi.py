"""Issue #15 on every rank of COMM_WORLD: exact restart, and resume on another rank count.

For each model (tests/checkpoint_tools.py), on all ranks: an uninterrupted
run; the same run stopped at a pseudo-random step k (every rank checkpoints
k collectively and raises Checkpointed) and resumed on all ranks; every
dataset must equal the uninterrupted run's byte for byte. The checkpoint
written on all ranks is also resumed by rank 0 alone (a one-rank process
grid): the same bytes again. Run at 1, 2 and 4 ranks (oversubscribed).
"""

from __future__ import annotations

import os
import shutil

import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.io.checkpoint import checkpoint_dir
from tests.boundary_tools import boundary_text
from tests.checkpoint_tools import (
    DETERMINISTIC,
    NOISE,
    PLASTIC,
    ROSETTA,
    SPREADING,
    assert_same_files,
    resume,
    split_point,
    stop_at,
    variant,
    write,
)
from tests.mpi.test_rank_sweep import on_root

#: A Wave model, white noise from both generators, a plastic coupling, a rosetta kind
#: (the other regression configs restart exactly at one rank: tests/unit/test_checkpoint.py).
CASES = [(DETERMINISTIC[0], "counter"), (NOISE[0], "counter"), (NOISE[0], "nftsim"),
         (PLASTIC[0], "counter"), (ROSETTA[1], "counter"), (SPREADING[0], "counter")]


def _copy(src: str, dst: str) -> None:
    shutil.copy(src + ".partial", dst + ".partial")
    shutil.copytree(checkpoint_dir(src), checkpoint_dir(dst))


@pytest.mark.mpi
@pytest.mark.timeout(300)
@pytest.mark.parametrize(("name", "rng"), CASES,
                         ids=[f"{os.path.basename(n)}-{r}" for n, r in CASES])
def test_exact_restart_on_all_ranks_and_on_one(shared_dir, name, rng):
    comm = MPI.COMM_WORLD
    text, steps = comm.bcast(on_root(comm, variant, name))
    conf = os.path.join(shared_dir, "m.conf")
    on_root(comm, write, conf, text)
    comm.Barrier()
    ref = os.path.join(shared_dir, "ref.h5")
    run(conf, ref, comm=comm, progress=False, rng=rng)
    k = split_point(name, steps, comm.size)
    out = os.path.join(shared_dir, "r.h5")
    err = stop_at(conf, out, k, comm=comm, rng=rng)
    assert os.path.basename(err.path) == f"step-{k:010d}.h5"
    one = os.path.join(shared_dir, "one.h5")
    on_root(comm, _copy, out, one)
    comm.Barrier()
    resume(conf, out, comm=comm, rng=rng)
    n = on_root(comm, assert_same_files, out, ref)
    assert comm.rank or n > 0
    # the checkpoint of comm.size ranks, resumed on one rank
    on_root(comm, lambda: resume(conf, one, comm=MPI.COMM_SELF, rng=rng))
    n = on_root(comm, assert_same_files, one, ref)
    assert comm.rank or n > 0


@pytest.mark.mpi
@pytest.mark.timeout(300)
@pytest.mark.parametrize("halo", ["overlap", "blocking"])
def test_absorbing_edges_restart_exactly_on_any_rank_count(shared_dir, halo):
    """Mur's edge ghosts (saved per edge node, both levels) on an uneven 13 x 10 sheet.

    In overlap mode the current level's edge fill waits for the next halo
    wait when the checkpoint is taken: the Wave runs it first (idempotent).
    """
    comm = MPI.COMM_WORLD
    conf = os.path.join(shared_dir, "a.conf")
    on_root(comm, write, conf, boundary_text("x absorbing y absorbing", 13, 10, 90))
    comm.Barrier()
    ref = os.path.join(shared_dir, "ref.h5")
    run(conf, ref, comm=comm, progress=False, halo=halo)
    out = os.path.join(shared_dir, "r.h5")
    stop_at(conf, out, 37 + comm.size, comm=comm, halo=halo)
    one = os.path.join(shared_dir, "one.h5")
    on_root(comm, _copy, out, one)
    comm.Barrier()
    resume(conf, out, comm=comm, halo=halo)
    assert on_root(comm, assert_same_files, out, ref) or comm.rank
    on_root(comm, lambda: resume(conf, one, comm=MPI.COMM_SELF))
    assert on_root(comm, assert_same_files, one, ref) or comm.rank
