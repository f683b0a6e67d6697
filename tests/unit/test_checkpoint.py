"""Issue #15 at one rank: checkpoints restart bit for bit; bad checkpoints are refused.

Exact-restart method (tests/checkpoint_tools.py): N steps uninterrupted ==
k steps + checkpoint + resume + N - k steps, every dataset byte for byte, at a
pseudo-random k fixed per model, for NFTsim's regression configs
(deterministic, white noise with both generators), a plastic coupling and two
of parnft's own population kinds. Then: a restart of a restart, a corrupted
(one flipped byte) newest checkpoint refused with the previous one used,
mismatching config or version refused (exit 2), and a model array that is
neither registered nor declared refused before the run.
"""

from __future__ import annotations

import logging
import os

import h5py
import numpy as np
import pytest

from parnft.api import run
from parnft.errors import ConfigError
from parnft.io.checkpoint import checkpoint_dir, parse_interval, verify
from parnft.model.state import CheckpointError
from parnft.parallel.stop import RunControl
from tests.boundary_tools import boundary_text
from tests.checkpoint_tools import (
    DETERMINISTIC,
    NOISE,
    PLASTIC,
    ROSETTA,
    SPREADING,
    assert_same_files,
    flip_byte,
    resume,
    split_point,
    stop_at,
    variant,
    varies_after,
    write,
)
from tests.refdata import REPO

CASES = [(n, "counter") for n in DETERMINISTIC + PLASTIC + ROSETTA + SPREADING] + \
    [(n, rng) for n in NOISE for rng in ("counter", "nftsim")]


def _setup(tmp_path, name, rng="counter"):
    text, steps = variant(name)
    conf = write(tmp_path / "m.conf", text)
    ref, _ = run(conf, str(tmp_path / "ref.h5"), progress=False, rng=rng)
    return conf, steps, ref


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("name", "rng"), CASES, ids=[f"{os.path.basename(n)}-{r}"
                                                     for n, r in CASES])
def test_exact_restart(tmp_path, name, rng):
    conf, steps, ref = _setup(tmp_path, name, rng)
    k = split_point(name, steps)
    assert varies_after(ref, k // 3)  # the model evolves after the split
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, k, rng=rng)
    with h5py.File(out + ".partial", "r") as f:
        assert not f.attrs["complete"] and int(f.attrs["samples_written"]) == k // 3
    assert assert_same_files(resume(conf, out, rng=rng), ref) > 0
    assert not os.path.exists(checkpoint_dir(out))  # a finished run's checkpoints go


@pytest.mark.timeout(120)
def test_restart_of_a_restart_with_periodic_checkpoints(tmp_path):
    name = DETERMINISTIC[0]
    conf, steps, ref = _setup(tmp_path, name)
    k1, k2 = sorted({split_point(name, steps, 1), split_point(name, steps, 2)} | {steps // 2})[:2]
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, k1, every=7)
    with pytest.raises(Exception) as info:  # the second leg stops too
        from tests.checkpoint_tools import env

        with env(PARNFT_TEST_SIGNAL_AT=k2):
            resume(conf, out, every=7)
    assert getattr(info.value, "step", None) == k2, info.value
    names = sorted(os.listdir(checkpoint_dir(out)))
    assert len(names) == 2 and names[-1] == f"step-{k2:010d}.h5"  # the last two are kept
    assert_same_files(resume(conf, out, every=7), ref)


@pytest.mark.timeout(120)
def test_flipped_byte_is_refused_and_the_previous_checkpoint_used(tmp_path, caplog):
    name = NOISE[0]
    conf, steps, ref = _setup(tmp_path, name)
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, 40, every=20)  # checkpoints at 20 and 40
    newest = os.path.join(checkpoint_dir(out), f"step-{40:010d}.h5")
    verify(newest)
    flip_byte(newest, "state/population.1/hist", 3)
    with pytest.raises(ValueError, match="checksum mismatch in population.1/hist"):
        verify(newest)
    with caplog.at_level(logging.ERROR, logger="parnft.io"):
        assert_same_files(resume(conf, out), ref)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "step-0000000040.h5" in refused[0] and "crc32" in refused[0]


@pytest.mark.timeout(120)
def test_no_valid_checkpoint_and_mismatches_exit_2(tmp_path, monkeypatch):
    name = NOISE[0]
    conf, steps, _ = _setup(tmp_path, name)
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, 10)
    with pytest.raises(ConfigError, match="rng: checkpoint 'counter', this run 'nftsim'"):
        resume(conf, out, rng="nftsim")
    import parnft

    monkeypatch.setattr(parnft, "__version__", "0.0.0-other")
    with pytest.raises(ConfigError, match="parnft_version: checkpoint") as info:
        resume(conf, out)
    assert info.value.exit_code == 2
    monkeypatch.undo()
    other = write(tmp_path / "other.conf", open(conf).read().replace("Mean: ", "Mean: 1", 1))
    os.replace(out + ".partial", str(tmp_path / "o.h5.partial"))
    os.replace(checkpoint_dir(out), checkpoint_dir(str(tmp_path / "o.h5")))
    with pytest.raises(ConfigError, match="the config text differs"):
        resume(other, str(tmp_path / "o.h5"))
    only = os.path.join(checkpoint_dir(str(tmp_path / "o.h5")), f"step-{10:010d}.h5")
    flip_byte(only, "state/population.1/hist", 0)
    with pytest.raises(ConfigError, match="no valid checkpoint to resume from"):
        resume(conf, str(tmp_path / "o.h5"))
    with pytest.raises(ConfigError, match="nothing to resume"):
        resume(conf, str(tmp_path / "never.h5"))


def test_undeclared_array_fails_before_the_run(tmp_path):
    from parnft.config import read_config
    from parnft.solver import Simulation

    conf = write(tmp_path / "m.conf", variant(DETERMINISTIC[0])[0])
    sim = Simulation(read_config(conf))
    sim.ctx.propagators[1].history_of_something = np.zeros(3)
    with pytest.raises(CheckpointError, match="history_of_something"):
        sim.state_arrays()


@pytest.mark.timeout(120)
def test_the_method_detects_a_lost_state_array(tmp_path, monkeypatch):
    """Declaring the Wave's phi levels as 'param' (not saved) must break the restart."""
    from parnft.model.propagators import Wave

    name = DETERMINISTIC[0]
    conf, steps, ref = _setup(tmp_path, name)
    monkeypatch.setattr(Wave, "checkpoint_arrays", {"buf_phi": "param", "buf_q": "ghosted",
                                                    "cur": "tile"})
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, steps // 2)
    with pytest.raises(AssertionError, match="dataset"):
        assert_same_files(resume(conf, out), ref)


def test_interval_parsing_and_wall_clock_agreement():
    assert parse_interval("5000") == (5000, None)
    assert parse_interval("15min") == (0, 900.0)
    assert parse_interval("30s") == (0, 30.0)
    assert parse_interval("1.5h") == (0, 5400.0)
    for bad in ("0", "1.5", "ten", "-3s", "5 days"):
        with pytest.raises(ConfigError, match="--checkpoint-every"):
            parse_interval(bad)
    assert RunControl(None, checkpoint_seconds=0.0).agree(0).checkpoint
    assert not RunControl(None, checkpoint_seconds=3600.0).agree(0).checkpoint
    assert not RunControl(None).agree(0).checkpoint


@pytest.mark.timeout(120)
def test_wall_clock_checkpoints_then_exact_restart(tmp_path):
    """``--checkpoint-every 0.000001s``: a checkpoint at every agreement point (step 16 first)."""
    name = DETERMINISTIC[0]
    conf, steps, ref = _setup(tmp_path, name)
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, 40, every="0.000001s")
    names = sorted(os.listdir(checkpoint_dir(out)))
    assert len(names) == 2 and names[-1] == f"step-{40:010d}.h5", names  # + a wall-clock one
    assert_same_files(resume(conf, out, every="0.000001s"), ref)


@pytest.mark.timeout(120)
def test_exact_restart_with_neumann_and_dirichlet_edges(tmp_path):
    """Mirror and fixed-value ghosts are refilled from the owned nodes on resume."""
    conf = write(tmp_path / "e.conf", boundary_text("x neumann y dirichlet 0.5", 12, 9, 90))
    ref, _ = run(conf, str(tmp_path / "ref.h5"), progress=False)
    assert varies_after(ref, 41 // 5)
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, 41)
    assert assert_same_files(resume(conf, out), ref) > 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("boundary,sides", [("y absorbing", "NS"), ("x absorbing y neumann", "WE")])
def test_exact_restart_with_absorbing_edges(tmp_path, boundary, sides):
    """Mur's ghosts carry history: saved per edge node, both levels, put back on resume."""
    conf = write(tmp_path / "a.conf", boundary_text(boundary, 12, 9, 90))
    ref, _ = run(conf, str(tmp_path / "ref.h5"), progress=False)
    assert varies_after(ref, 41 // 5)
    out = str(tmp_path / "r.h5")
    err = stop_at(conf, out, 41)
    with h5py.File(err.path, "r") as f:  # the history is in the file, not zeros
        saved = [k for k in f["state"]["propagator.1"] if k.startswith("edge_ghost_")]
        assert sorted(saved) == sorted(f"edge_ghost_{lev}{s}" for lev in (0, 1) for s in sides)
        assert all(np.abs(f["state/propagator.1"][k][()]).max() > 0 for k in saved)
    assert assert_same_files(resume(conf, out), ref) > 0


@pytest.mark.timeout(120)
def test_exact_restart_with_per_node_maps(tmp_path):
    """Maps of every kind of component (firing, dendrite, rate, phi, Range, gamma, nu, Tau):
    their tiles are parameters rebuilt from the config, the state around them is saved."""
    from tests.heterogeneous import sheet, write_maps

    write_maps(str(tmp_path), (7, 10))
    n = 70
    text = sheet((7, 10), time=9e-3, Theta="map(maps.h5 /theta)", Q="map(q.npy)",
                 Sigma="expr(0.0038 * (1 + 0.2 * exp(-((x - Lx/2)**2) / 0.002)))",
                 alpha=" ".join(str(80 + (k % 7)) for k in range(n)), phi="expr(5 + 20 * y)",
                 Range="expr(0.06 + 0.04 * x / Lx)", gamma=" ".join(str(90 + (k % 5))
                                                                    for k in range(n)),
                 nu="expr(1e-4 * (1 + 0.1 * y / Ly))",
                 Tau=" ".join(str((2 + k % 3) * 1e-4) for k in range(n)))
    conf = write(tmp_path / "m.conf", text)
    ref, _ = run(conf, str(tmp_path / "ref.h5"), progress=False)
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, 47)
    assert assert_same_files(resume(conf, out), ref) > 0


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["stuart-landau", "cgle"])
def test_exact_restart_with_dynamics_parameter_maps(tmp_path, name):
    """Per-node alpha of a local (Stuart-Landau) and a spreading (CGLE) kind."""
    folder = "rosetta" if name == "stuart-landau" else "fields"
    text = open(os.path.join(REPO, "configs", folder, f"{name}.conf")).read()
    text = text.replace("alpha: 10 ", "alpha: expr(8 + 4 * x / Lx) ")
    text = text.replace("Time: 0.5 ", "Time: 0.01 ").replace("Time: 0.4 ", "Time: 0.01 ")
    assert "expr(8" in text and "Time: 0.01 " in text
    conf = write(tmp_path / "m.conf", text)
    ref, _ = run(conf, str(tmp_path / "ref.h5"), progress=False)
    out = str(tmp_path / "r.h5")
    stop_at(conf, out, 53)
    assert assert_same_files(resume(conf, out), ref) > 0
