"""The scaling model against hand-computed cases."""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from parnft.bench.model import (
    ModelInputs,
    halo_time,
    model_from_csv,
    project,
    read_rows,
    squarest_dims,
    step_time,
    tile_of,
)

COLUMNS = ("timestamp, label, series, config, config_sha, git_sha, git_dirty, parnft, numba, "
           "numpy, mpi4py, h5py, mpi_library, host, cpu_model, cores, ranks, procs, "
           "oversubscribed, halo, nodes, nodes_per_rank, steps, repeat, wall_s, compute_s, "
           "halo_s, output_s, compile_s, node_steps_per_s, node_steps_per_s_per_rank, "
           "max_rss_mb, rss_mb_per_rank, bytes_per_node_step, stream_triad_gbs, "
           "bandwidth_fraction").split(", ")


def test_zero_halo_cost_scales_perfectly():
    inp = ModelInputs(t_node=1e-8, latency_s=0.0, bandwidth_bps=math.inf)
    for series, geom in (("strong", {"grid": (1024, 1024)}), ("weak", {"tile": (512, 512)})):
        rows = project(inp, [2, 4, 64, 256, 1024], series=series, **geom)
        assert [r["ranks"] for r in rows] == [1, 2, 4, 64, 256, 1024]
        for r in rows:
            assert r["t_halo"] == 0.0
            assert r["speedup"] == pytest.approx(r["ranks"], rel=1e-12)
            assert r["efficiency"] == pytest.approx(1.0, rel=1e-12)


def test_known_latency_bandwidth_strong_4_ranks():
    """1024^2 grid on 2x2 ranks: 512^2 tiles, 4 messages of 512 x 2 fields x 8 = 8192 B."""
    a, b, t_node = 1e-5, 1e9, 1e-8
    t1 = t_node * 1024 * 1024  # 0.01048576 s
    t_comp = t_node * 512 * 512  # 0.00262144 s
    t_halo = 4 * (a + 8192 / b)  # 7.2768e-5 s
    blocking = ModelInputs(t_node, a, b, nfields=2, halo="blocking")
    tc, th, ts = step_time((512, 512), (2, 2), blocking)
    assert (tc, th, ts) == pytest.approx((t_comp, t_halo, t_comp + t_halo), rel=1e-12)
    row = project(blocking, [4], series="strong", grid=(1024, 1024))[1]
    assert row["procs"] == "2x2" and (row["tile_ly"], row["tile_lx"]) == (512, 512)
    # efficiency = t1 / (4 (t_comp + t_halo)) = 0.97299...
    assert row["efficiency"] == pytest.approx(t1 / (4 * (t_comp + t_halo)), rel=1e-12)
    assert row["efficiency"] == pytest.approx(0.972991, abs=1e-6)
    # overlap hides the whole halo behind half the compute ...
    over = ModelInputs(t_node, a, b, nfields=2, halo="overlap", hide_fraction=0.5)
    assert project(over, [4], series="strong", grid=(1024, 1024))[1]["efficiency"] == 1.0
    # ... but only 1% of the compute (2.62144e-5 s) hides part of it
    part = ModelInputs(t_node, a, b, nfields=2, halo="overlap", hide_fraction=0.01)
    assert step_time((512, 512), (2, 2), part)[2] == pytest.approx(
        t_comp + t_halo - 0.01 * t_comp, rel=1e-12)


def test_fixed_step_overhead_only_on_several_ranks():
    """100 us per step on 2+ ranks: strong 2 ranks of a 1e-3 s step gives 5e-4 + 1e-4 s."""
    inp = ModelInputs(t_node=1e-9, step_overhead_s=1e-4)
    rows = project(inp, [2], series="strong", grid=(1000, 1000))
    assert rows[0]["t_step"] == pytest.approx(1e-3)
    assert rows[1]["t_step"] == pytest.approx(6e-4)
    assert rows[1]["efficiency"] == pytest.approx(1e-3 / (2 * 6e-4))


def test_messages_only_to_other_ranks():
    inp = ModelInputs(1e-8, 2e-6, 1e9, nfields=4)
    # 2 ranks stacked in y: north and south messages only (lx = 100 strips)
    assert halo_time((50, 100), (2, 1), inp) == pytest.approx(2 * (2e-6 + 100 * 4 * 8 / 1e9))
    assert halo_time((50, 100), (1, 2), inp) == pytest.approx(2 * (2e-6 + 50 * 4 * 8 / 1e9))
    assert halo_time((50, 100), (1, 1), inp) == 0.0
    corners = ModelInputs(1e-8, 2e-6, 1e9, nfields=4, corners=True)
    assert halo_time((50, 100), (2, 1), corners) == pytest.approx(
        2 * (2e-6 + 100 * 32 / 1e9) + 4 * (2e-6 + 32 / 1e9))
    assert halo_time((50, 100), (2, 2), ModelInputs(1e-8, 1.0, 1e9, nfields=0)) == 0.0


def test_strong_load_imbalance():
    """12x12 grid on 64 ranks (8x8): 2x2 tiles, speed-up 144 / 4 = 36 without halo cost."""
    rows = project(ModelInputs(1e-7, 0.0, math.inf), [64], series="strong", grid=(12, 12))
    assert rows[1]["procs"] == "8x8" and rows[1]["speedup"] == pytest.approx(36.0)
    assert rows[1]["efficiency"] == pytest.approx(36 / 64)


def test_weak_256_ranks():
    """512^2 per rank on 16x16 ranks: 4 messages of 8192 B; efficiency t1 / t256."""
    a, b, t_node = 5e-6, 2e9, 2e-8
    t_comp = t_node * 512 * 512
    t_halo = 4 * (a + 8192 / b)
    row = project(ModelInputs(t_node, a, b, halo="blocking"), [256], series="weak",
                  tile=(512, 512))[1]
    assert row["procs"] == "16x16"
    assert row["efficiency"] == pytest.approx(t_comp / (t_comp + t_halo), rel=1e-12)
    assert row["speedup"] == pytest.approx(256 * t_comp / (t_comp + t_halo), rel=1e-12)


def test_shared_host_bandwidth_bounds_compute():
    """16 ranks per host sharing 100 GB/s at 1000 B/node-step: 1.6e-7 s per node-step."""
    inp = ModelInputs(t_node=1e-8, bytes_per_node_step=1000.0, host_gbs=100.0,
                      ranks_per_host=16)
    assert inp.node_time(1) == pytest.approx(1e-8)  # 1000 B / 100 GB/s = 1e-8: at the limit
    assert inp.node_time(4) == pytest.approx(4e-8)
    assert inp.node_time(16) == inp.node_time(1024) == pytest.approx(1.6e-7)
    rows = project(inp, [4, 64], series="weak", tile=(64, 64))
    assert [r["efficiency"] for r in rows] == pytest.approx([1.0, 0.25, 1 / 16])
    # without the bandwidth term the same inputs scale perfectly (zero halo cost)
    free = ModelInputs(t_node=1e-8)
    assert project(free, [64], series="weak", tile=(64, 64))[1]["efficiency"] == 1.0


def test_config_facts_eirs():
    """EIRS: 4 Wave propagators, 2 of them shared (4 halo fields); the two computed waves
    stream 144 of the 1048 bytes per node-step (hand count in docs/performance-model.md)."""
    from parnft.bench.model import config_facts

    facts = config_facts(Path(__file__).parents[2] / "configs" / "eirs-corticothalamic.conf")
    assert facts == {"nfields": 4, "corners": False, "hide_fraction": pytest.approx(904 / 1048)}
    assert config_facts("no/such.conf") is None


def test_helpers():
    assert squarest_dims(1) == (1, 1) and squarest_dims(8) == (4, 2)
    assert squarest_dims(1024) == (32, 32) and squarest_dims(7) == (7, 1)
    assert tile_of("512x256") == (256, 512) and tile_of(144.0) == (12, 12)
    with pytest.raises(ValueError, match="series"):
        project(ModelInputs(1e-8), [2], series="diagonal", grid=(4, 4))


def _row(**kw):
    row = dict.fromkeys(COLUMNS, "")
    row.update(series="strong", config="no/such.conf", halo="blocking", oversubscribed="false",
               steps=100, repeat=1)
    row.update(kw)
    return row


def test_model_from_csv_writes_next_to_measurements(tmp_path):
    path = tmp_path / "bench.csv"
    rows = [
        # two 1-rank repeats: the faster one (1e-8 s per node-step) is the reference
        _row(ranks=1, procs="1x1", nodes=65536, nodes_per_rank=65536, compute_s=0.0656),
        _row(ranks=1, procs="1x1", nodes=65536, nodes_per_rank=65536, compute_s=0.065536),
        _row(ranks=2, procs="1x2", nodes=65536, nodes_per_rank=32768, compute_s=0.04),
        _row(series="weak", config="w.conf", ranks=1, procs="1x1", nodes=262144,
             nodes_per_rank="512x512", compute_s=0.524288),
    ]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    assert read_rows(path)[0]["compute_s"] == 0.0656
    a, b = 1e-5, 1e9
    res = model_from_csv(path, a, b, nfields=2)
    assert res["csv"] == str(tmp_path / "bench.model.csv")
    doc = json.loads((tmp_path / "bench.model.json").read_text())
    assert doc["latency_s"] == a and len(doc["rows"]) == len(res["rows"])
    strong = [r for r in res["rows"] if r["series"] == "strong"]
    assert [r["ranks"] for r in strong] == [1, 2, 64, 256, 1024]
    assert [r["measured"] for r in strong] == [True, True, False, False, False]
    # 256x256 grid, t_node = 0.065536 / (65536 * 100) = 1e-8; 2 ranks: 128x256 tiles,
    # N and S messages of 256 x 2 x 8 = 4096 B
    t1 = 1e-8 * 65536
    t2 = 1e-8 * 32768 + 2 * (a + 4096 / b)
    assert strong[1]["speedup"] == pytest.approx(t1 / t2, rel=1e-12)
    weak = [r for r in res["rows"] if r["series"] == "weak"]
    assert weak[0]["t_compute"] == pytest.approx(2e-8 * 262144)  # 0.524288 / 100 steps
    with open(res["csv"]) as fh:
        assert len(list(csv.DictReader(fh))) == len(res["rows"])


def test_plot_results_draws_the_csv(tmp_path):
    """PNGs exist, and the plotted points are the CSV's best repeats, normalised by hand."""
    from parnft.bench.pingpong import PingPongResult, pingpong_path, save_pingpong
    from parnft.bench.plot import plot_results

    path = tmp_path / "bench.csv"
    rows = [  # strong: 1 rank twice (best 1.0e6), 2 ranks (1.8e6), 4 ranks oversubscribed
        _row(ranks=1, nodes=4096, compute_s=0.41, node_steps_per_s=0.9e6),
        _row(ranks=1, nodes=4096, compute_s=0.40, node_steps_per_s=1.0e6,
             bytes_per_node_step=1000.0, stream_triad_gbs=20.0),
        _row(ranks=2, nodes=4096, compute_s=0.2, node_steps_per_s=1.8e6,
             bytes_per_node_step=1000.0, stream_triad_gbs=30.0),
        _row(ranks=4, nodes=4096, compute_s=0.2, node_steps_per_s=2.0e6,
             oversubscribed="true"),
        _row(series="weak", config="w.conf", ranks=1, nodes=1024, nodes_per_rank=1024,
             compute_s=0.1, node_steps_per_s=1.0e6),
        _row(series="weak", config="w.conf", ranks=2, nodes=2048, nodes_per_rank=1024,
             compute_s=0.1, node_steps_per_s=1.9e6),
    ]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    save_pingpong(PingPongResult([8, 800], [1e-6, 2e-6], 1e-6, 8e8), pingpong_path(path))
    out = tmp_path / "png"
    res = plot_results(path, out)
    names = sorted(os.path.basename(p) for p in res)
    assert names == ["efficiency_strong.png", "efficiency_weak.png", "roofline.png",
                     "speedup_strong.png", "speedup_weak.png"]
    for p in res:
        with open(p, "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    strong = res[str(out / "speedup_strong.png")]["such (blocking)"]
    assert strong["ranks"].tolist() == [1, 2, 4]
    np.testing.assert_allclose(strong["speedup"], [1.0, 1.8, 2.0])
    np.testing.assert_allclose(strong["efficiency"], [1.0, 0.9, 0.5])
    assert strong["oversubscribed"].tolist() == [False, False, True]
    # the model (from the ping-pong file) is drawn from 1 to 1024 ranks
    assert strong["model_ranks"].tolist() == [1, 2, 4, 64, 256, 1024]
    assert (tmp_path / "bench.model.json").exists()
    weak = res[str(out / "efficiency_weak.png")]["w (blocking)"]
    np.testing.assert_allclose(weak["efficiency"], [1.0, 0.95])
    roof = res[str(out / "roofline.png")]
    np.testing.assert_allclose(roof["achieved_gbs"], [1.0, 1.8])  # 1000 B x rate / 1e9
    np.testing.assert_allclose(roof["fraction"], [1.0 / 20, 1.8 / 30])
    assert roof["ranks"].tolist() == [1, 2] and not roof["oversubscribed"].any()


def test_calibration_from_a_full_host(tmp_path):
    """2 ranks on a 2-core host: compute per node-step 10 % up, waits 5 % of the compute."""
    path = tmp_path / "bench.csv"
    tile = 512 * 512
    rows = [  # weak series, 100 steps; 1-rank compute 1e-8 s per node-step (median of two)
        _row(series="weak", config="w.conf", ranks=1, procs="1x1", nodes=tile,
             nodes_per_rank="512x512", compute_s=0.9e-8 * tile * 100, cores=2),
        _row(series="weak", config="w.conf", ranks=1, procs="1x1", nodes=tile,
             nodes_per_rank="512x512", compute_s=1.1e-8 * tile * 100, cores=2),
        _row(series="weak", config="w.conf", ranks=2, procs="2x1", nodes=2 * tile,
             nodes_per_rank="512x512", compute_s=1.1e-8 * tile * 100, cores=2,
             halo_s=0.05 * 1.1e-8 * tile * 100),
        _row(series="weak", config="w.conf", ranks=4, procs="2x2", nodes=4 * tile,
             nodes_per_rank="512x512", compute_s=3e-8 * tile * 100, cores=2,
             oversubscribed="true", halo_s=1.0),
    ]
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    res = model_from_csv(path, 0.0, math.inf, nfields=2, bandwidth_limit=False)
    (inp,) = res["inputs"]
    assert inp["contention"] == pytest.approx(1.1) and inp["imbalance"] == pytest.approx(0.05)
    assert inp["calibrated_on_ranks"] == 2
    eff = {r["ranks"]: r["efficiency"] for r in res["rows"]}
    # both factors are medians over the repeats; they scale the best 1-rank t_node
    assert eff[256] == eff[2] == pytest.approx(1 / (1.1 * 1.05), rel=1e-12)
    uncal = model_from_csv(path, 0.0, math.inf, nfields=2, bandwidth_limit=False,
                           calibrated=False)
    assert {r["ranks"]: r["efficiency"] for r in uncal["rows"]}[256] == pytest.approx(1.0)
