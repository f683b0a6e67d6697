"""Malformed per-node maps fail on every rank with exit code 2, before any collective call."""

from __future__ import annotations

import os

import pytest
from mpi4py import MPI

from parnft.cli import main
from tests.malformed_maps import map_cases


@pytest.mark.mpi
@pytest.mark.timeout(300)
def test_map_errors_are_raised_on_every_rank_with_exit_code_2(shared_dir, capsys):
    comm = MPI.COMM_WORLD
    cases = comm.bcast(map_cases(shared_dir) if comm.rank == 0 else None)
    codes = []
    for name, text, line, needle in cases:
        path = os.path.join(shared_dir, f"{name}.conf")
        if comm.rank == 0:
            with open(path, "w") as f:
                f.write(text)
        comm.Barrier()
        codes.append(main(["run", path, "-o", os.path.join(shared_dir, f"{name}.h5"),
                           "--quiet"]))
        err = capsys.readouterr().err
        if comm.rank == 0:
            assert f":{line}:" in err and needle in err, (name, err)
        assert not os.path.exists(os.path.join(shared_dir, f"{name}.h5"))
    assert codes == [2] * len(cases)
    assert all(c == codes for c in comm.allgather(codes))
