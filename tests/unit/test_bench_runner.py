"""``parnft bench``: resized variants, CSV rows with provenance, series planning."""

from __future__ import annotations

import csv
import os

import numpy as np
import pytest
from mpi4py import MPI

from parnft.bench.provenance import COLUMNS, append_rows, read_rows
from parnft.bench.resize import bench_spec, parse_grid, variant_text
from parnft.bench.runner import bench_config
from parnft.bench.series import launcher_argv, parse_ranks, weak_grid
from parnft.cli import main
from parnft.config import read_config
from parnft.errors import ConfigError

MODEL = """Bench test model: E population with a Wave propagator, driven by a constant.
Time: 0.02 Deltat: 1e-4
Nodes: 48 Longside nodes: 8
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.24
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769
Population 2: drive
 Length: 0.24
 Stimulus: Const - Onset: 0 Mean: 2
Propagator 1: Wave - Tau: 0 Range: 0.08 gamma: 116
Propagator 2: Map - Tau: 0
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 1e-3
Output: Node: All Start: 0.015 Interval: 1e-3
Population: 1.Q
"""


@pytest.fixture
def conf(tmp_path):
    path = tmp_path / "bench.conf"
    path.write_text(MODEL)
    return str(path)


def test_variant_keeps_spacing_and_courant(conf):
    """A resized grid keeps the cell spacing: Length scales with the long side."""
    base = read_config(conf)
    spec = bench_spec(conf, time=0.005, grid=(32, 24))
    assert (spec.grid.longside, spec.grid.shortside, spec.grid.nodes) == (32, 24, 768)
    assert spec.time.steps == 50
    for p0, p1 in zip(base.populations, spec.populations, strict=True):
        assert p1.length / spec.grid.longside == pytest.approx(p0.length / base.grid.longside,
                                                               rel=1e-15)
    # Start beyond the new Time moves to 0, so the variant still validates
    assert spec.output.start == 0.0
    # everything but the edited values is the original text
    changed = [(a, b) for a, b in zip(base.text.split("\n"), variant_text(base, 0.005, (32, 24))
                                      .split("\n"), strict=True) if a != b]
    assert len(changed) == 5  # Time, Nodes line, Start, two Lengths


def test_variant_errors_name_the_option(conf):
    with pytest.raises(ConfigError, match="--grid '7x'"):
        parse_grid("7x")
    with pytest.raises(ConfigError, match="long side"):
        parse_grid("8x16")
    with pytest.raises(ConfigError, match="--time"):
        bench_spec(conf, time=-1.0)
    with pytest.raises(ConfigError, match="--ranks"):
        parse_ranks("1,x")
    with pytest.raises(ConfigError, match="--ranks"):
        parse_ranks("2,2")


@pytest.mark.parametrize("nranks,tile", [(1, (64, 32)), (2, (512, 512)), (4, (100, 50)),
                                         (6, (30, 30))])
def test_weak_grid_gives_every_rank_one_tile(nranks, tile):
    """The weak-series grid is tile x process grid, long side first."""
    from parnft.parallel.tiling import choose_dims

    (nx, ny), (px, py) = weak_grid(nranks, tile)
    assert px * py == nranks and nx >= ny
    assert {nx // px, ny // py} <= set(tile) and nx % px == 0 and ny % py == 0
    assert (nx // px) * (ny // py) == tile[0] * tile[1]
    assert choose_dims(nranks, (ny, nx), (px, py)) == (py, px)


def test_launcher_argv(monkeypatch):
    monkeypatch.delenv("PARNFT_LAUNCHER", raising=False)
    assert launcher_argv(None, 3) == ["mpiexec", "-n", "3"]
    assert launcher_argv("srun --mpi=pmix", 2) == ["srun", "--mpi=pmix", "-n", "2"]
    monkeypatch.setenv("PARNFT_LAUNCHER", "mpirun --oversubscribe")
    assert launcher_argv(None, 4)[:2] == ["mpirun", "--oversubscribe"]


def test_bench_rows_are_consistent(conf, tmp_path):
    """Rows: provenance filled, rate = nodes*steps/wall, the kept output is the run's."""
    out = str(tmp_path / "kept.h5")
    rows = bench_config(conf, MPI.COMM_SELF, repeat=2, out=out, stream=False, label="t")
    assert len(rows) == 2
    for i, r in enumerate(rows):
        assert r["repeat"] == i and r["ranks"] == 1 and r["procs"] == "1x1"
        assert r["nodes"] == 48 and r["steps"] == 200 and r["label"] == "t"
        assert r["node_steps_per_s"] == pytest.approx(48 * 200 / r["wall_s"], rel=1e-12)
        assert 0 < r["compute_s"] <= r["wall_s"] and r["max_rss_mb"] > 10
        assert len(r["git_sha"]) in (40, 7) or r["git_sha"] == "unknown"
        assert r["numba"] and r["mpi_library"] and r["cpu_model"]
    assert rows[1]["compile_s"] == 0.0
    import h5py

    from parnft.api import run

    ref = str(tmp_path / "ref.h5")
    run(conf, ref, comm=MPI.COMM_SELF, progress=False)
    with h5py.File(out, "r") as a, h5py.File(ref, "r") as b:
        np.testing.assert_array_equal(a["pop.1.q"][...], b["pop.1.q"][...])
        assert a["pop.1.q"].shape == (5, 6, 8)


def test_csv_append_and_header(tmp_path):
    path = tmp_path / "r" / "x.csv"
    append_rows(str(path), [{"config": "a", "wall_s": 1.5, "oversubscribed": True}])
    append_rows(str(path), [{"config": "b", "wall_s": 2.0}])
    with open(path) as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == COLUMNS
    rows = read_rows(str(path))
    assert [r["config"] for r in rows] == ["a", "b"]
    assert rows[0]["oversubscribed"] == "true" and float(rows[1]["wall_s"]) == 2.0


def test_cli_bench_appends_rows(conf, tmp_path, capsys):
    path = str(tmp_path / "cli.csv")
    assert main(["bench", conf, "--time", "0.004", "--csv", path, "--no-stream",
                 "--grid", "16x12", "--label", "cli"]) == 0
    (row,) = read_rows(path)
    assert (row["nodes"], row["steps"], row["label"], row["series"]) == ("192", "40", "cli",
                                                                         "single")
    assert "node-steps/s" in capsys.readouterr().out
    assert main(["bench", conf, "--grid", "3x8", "--csv", path]) == 2
    assert "long side" in capsys.readouterr().err
    assert len(read_rows(path)) == 1


def test_strong_series_launches_children(conf, tmp_path):
    """A 1,2-rank strong series, 2 repeats: one row per run, rank counts interleaved."""
    path = str(tmp_path / "series.csv")
    env_ok = os.environ.get("OMPI_ALLOW_RUN_AS_ROOT") == "1"
    assert env_ok, "tests/conftest.py sets the Open MPI root variables"
    assert main(["bench", "--strong", "--ranks", "1,2", conf, "--time", "0.003",
                 "--csv", path, "--no-stream", "--timeout", "120", "--repeat", "2"]) == 0
    rows = read_rows(path)
    assert [r["ranks"] for r in rows] == ["1", "2", "1", "2"]
    assert {r["series"] for r in rows} == {"strong"}
    assert rows[1]["procs"] in ("2x1", "1x2") and rows[0]["nodes"] == rows[1]["nodes"] == "48"
