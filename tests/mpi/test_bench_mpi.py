"""``parnft bench`` under MPI: one row per run on rank 0, the kept file equals 1 rank."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.bench.runner import bench_config
from tests.unit.test_bench_runner import MODEL


@pytest.mark.mpi
def test_bench_rows_and_output_at_any_rank_count(shared_dir):
    comm = MPI.COMM_WORLD
    conf = os.path.join(shared_dir, "bench.conf")
    if comm.rank == 0:
        with open(conf, "w") as f:
            f.write(MODEL)
    comm.Barrier()
    out = os.path.join(shared_dir, "kept.h5")
    rows = bench_config(conf, comm, repeat=1, out=out, stream=True, grid=(12, 9))
    if comm.rank != 0:
        assert rows == []
        return
    (row,) = rows
    assert row["ranks"] == comm.size and row["nodes"] == 108
    assert len(row["rss_mb_per_rank"].split(";")) == comm.size
    assert row["bytes_per_node_step"] > 0
    if row["oversubscribed"]:  # ranks share cores: no meaningful bandwidth figure
        assert "stream_triad_gbs" not in row and "bandwidth_fraction" not in row
    else:
        assert row["stream_triad_gbs"] > 0 and 0 < row["bandwidth_fraction"] < 10
    ser = os.path.join(shared_dir, "serial.h5")
    text = open(conf).read().replace("Nodes: 48 Longside nodes: 8", "Nodes: 108 Longside nodes: 12")
    conf1 = os.path.join(shared_dir, "one.conf")
    with open(conf1, "w") as f:
        f.write(text.replace("Length: 0.24", "Length: 0.36"))
    run(conf1, ser, comm=MPI.COMM_SELF, progress=False)
    with h5py.File(out, "r") as a, h5py.File(ser, "r") as b:
        np.testing.assert_array_equal(a["pop.1.q"][...], b["pop.1.q"][...])
