"""Fixtures shared by the MPI tests."""

import shutil
import tempfile

import pytest
from mpi4py import MPI


@pytest.fixture
def shared_dir():
    """A temporary folder made by rank 0, known to every rank, removed afterwards."""
    comm = MPI.COMM_WORLD
    path = comm.bcast(tempfile.mkdtemp(prefix="parnft-mpi-") if comm.rank == 0 else None)
    yield path
    comm.Barrier()
    if comm.rank == 0:
        shutil.rmtree(path, ignore_errors=True)
