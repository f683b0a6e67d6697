"""Preflight (parnft.config.preflight): memory, disk, int64 and run time before any allocation.

The machine is faked: ``root`` points at a folder with ``proc/meminfo`` and
cgroup files, the environment is a dict, and the free disk space is patched,
so the expected numbers follow from the formulas of the module notes.
"""

from __future__ import annotations

import shutil
from collections import namedtuple
from pathlib import Path

import pytest

from parnft.config import parse_config
from parnft.config import preflight as P
from parnft.config.summary import memory_per_rank
from parnft.errors import ConfigError, ResourceError
from tests.malformed_cases import BASE, mutate

GiB = 2**30
#: BASE on a 20000 x 20000 grid: the issue's "validates, then fills the machine's RAM".
#: gamma and Range scaled so that the Wave still meets the Courant condition.
HUGE = mutate("Nodes: 16", "Nodes: 400000000",
              mutate("Range: 0.3 gamma: 100", "Range: 0.0001 gamma: 1"))


def machine(tmp_path: Path, avail_kib: int = 64 * 2**20, cgroup: str | None = None,
            v1: str | None = None) -> Path:
    """A fake root: MemAvailable ``avail_kib`` KiB, optional cgroup v2 / v1 limit files."""
    root = tmp_path / "root"
    (root / "proc" / "self").mkdir(parents=True)
    (root / "proc" / "meminfo").write_text(f"MemTotal: 999999999 kB\nMemAvailable: "
                                           f"{avail_kib} kB\n")
    lines = []
    if cgroup is not None:
        d = root / "sys" / "fs" / "cgroup" / "job"
        d.mkdir(parents=True)
        (d / "memory.max").write_text(cgroup + "\n")
        (d / "memory.current").write_text(str(3 * GiB) + "\n")
        (d / "memory.stat").write_text(f"anon 1\ninactive_file {2 * GiB}\n")
        lines.append("0::/job")
    if v1 is not None:
        d = root / "sys" / "fs" / "cgroup" / "memory" / "slurm"
        d.mkdir(parents=True)
        (d / "memory.limit_in_bytes").write_text(v1 + "\n")
        (d / "memory.usage_in_bytes").write_text(str(GiB) + "\n")
        (d / "memory.stat").write_text(f"total_inactive_file {GiB // 2}\n")
        lines.append("4:memory:/slurm")
    (root / "proc" / "self" / "cgroup").write_text("\n".join(lines) + "\n")
    return root


def test_memavailable_shared_by_the_ranks_of_the_host(tmp_path):
    root = machine(tmp_path, avail_kib=8 * 2**20)
    assert P.memory_budget(1, {}, root).bytes == 8 * GiB
    b = P.memory_budget(4, {}, root)  # no launcher variable: all 4 ranks on this host
    assert b.bytes == 2 * GiB and "MemAvailable 8 GiB / 4 ranks on this host" in b.source
    b = P.memory_budget(8, {"OMPI_COMM_WORLD_LOCAL_SIZE": "2"}, root)
    assert b.bytes == 4 * GiB
    b = P.memory_budget(8, {"SLURM_NTASKS": "8", "SLURM_JOB_NUM_NODES": "4"}, root)
    assert b.bytes == 4 * GiB
    assert P.ranks_per_host(8, {"SLURM_NTASKS_PER_NODE": "4(x2)"}) == 4


def test_cgroup_v2_limit_less_use_without_page_cache(tmp_path):
    root = machine(tmp_path, cgroup=str(6 * GiB))
    b = P.memory_budget(1, {}, root)
    assert b.bytes == 6 * GiB - (3 * GiB - 2 * GiB)  # limit - (current - inactive_file)
    assert "cgroup" in b.source
    assert P.memory_budget(1, {}, machine(tmp_path / "m", cgroup="max")).bytes == 64 * GiB


def test_cgroup_v1_and_slurm(tmp_path):
    root = machine(tmp_path, v1=str(4 * GiB))
    assert P.memory_budget(1, {}, root).bytes == 4 * GiB - GiB // 2
    assert P.memory_budget(1, {}, machine(tmp_path / "n", v1=str(2**63 - 4096))).bytes \
        == 64 * GiB  # v1's "no limit"
    env = {"SLURM_MEM_PER_NODE": "2048"}
    assert P.memory_budget(2, env, machine(tmp_path / "a")).bytes == GiB
    env = {"SLURM_MEM_PER_CPU": "1000", "SLURM_CPUS_PER_TASK": "3"}
    b = P.memory_budget(2, env, machine(tmp_path / "b"))
    assert b.bytes == 3000 * 2**20 and "SLURM_MEM_PER_CPU" in b.source
    assert P.memory_budget(1, {}, tmp_path / "nothing").bytes is None


def test_estimate_of_base():
    """BASE: 16 nodes, 100 steps, Output 4 fields at 2 nodes, every 2 steps from 0."""
    spec = parse_config(BASE, path="b.conf")
    e = P.estimate(spec, 1)
    assert e.state == memory_per_rank(spec, 1)[0]
    assert (e.samples, e.columns) == (50, 8)
    assert e.buffer == 50 * 8 * 8  # the whole run fits one buffer
    assert e.memory == e.state + e.buffer + P.RUNTIME_BYTES
    assert e.out_bytes == 50 * (8 + 1) * 8 + len(BASE)
    assert e.gather == 0  # one rank, HDF5: nothing is gathered
    text = P.estimate(spec, 1, "nftsim")
    assert text.out_bytes == 50 * (24 + 22 * 8) + len(BASE)
    assert text.gather == 6 * 50 * 8 * 8 and text.memory == e.memory + text.gather
    assert P.estimate(spec, 4).gather == 2 * 50 * 8 * 8
    assert e.node_steps == 16 * 100 and e.seconds == pytest.approx(1600 / 1.5e7)
    e4 = P.estimate(spec, 4)
    assert e4.tile == (2, 2) and e4.node_steps == 4 * 100
    assert P.estimate(spec, 32).tile is None


def test_huge_grid_is_refused_with_the_fix(tmp_path):
    spec = parse_config(HUGE, path="huge.conf")
    rep = P.preflight(spec, 1, tmp_path / "o.h5", env={}, root=machine(tmp_path, 16 * 2**20))
    assert rep.estimate.state == memory_per_rank(spec, 1)[0] > 50 * GiB
    (line,) = rep.refusals
    assert line.startswith("huge.conf: memory: about ") and "but 16 GiB available" in line
    assert "fix: fewer nodes per rank: more ranks on more hosts" in line and "--force" in line
    e = rep.estimate  # ranks needed: the state over what a 16 GiB rank has left (3.6 -> 4)
    assert -(-e.state // (16 * GiB - e.runtime - e.buffer - e.gather)) == 4
    assert "(at least 4 ranks with 16 GiB each, the state is about" in line
    with pytest.raises(ResourceError) as err:
        P.enforce(rep)
    assert err.value.exit_code == 5 and str(err.value) == line
    P.enforce(rep, force=True)  # --force goes on
    ok = P.preflight(spec, 64, tmp_path / "o.h5", env={"OMPI_COMM_WORLD_LOCAL_SIZE": "1"},
                     root=machine(tmp_path / "big", 16 * 2**20))
    assert ok.refusals == []  # 64 ranks, one per host: about 1.1 GiB per rank


def test_long_tau_fix_names_the_history(tmp_path):
    spec = parse_config(mutate("Tau: 1e-4", "Tau: 100"), path="t.conf")  # 1e6 steps of history
    rep = P.preflight(spec, 1, tmp_path / "o.h5", env={}, root=machine(tmp_path, 2**18))
    (line,) = rep.refusals  # 128 MiB of history + 256 MiB runtime > 256 MiB
    assert "fix: a shorter Tau (the delay history holds Tau/Deltat steps per node" in line


def test_disk_refusal(tmp_path, monkeypatch):
    spec = parse_config(BASE, path="b.conf")
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: usage(10**6, 10**6 - 1000, 1000))
    rep = P.preflight(spec, 1, tmp_path / "new" / "deeper" / "o.h5", env={},
                      root=machine(tmp_path))
    assert rep.folder == str(tmp_path)  # the nearest existing parent of the output
    (line,) = rep.refusals
    assert "disk: the output needs about" in line and "1000 B" not in line
    assert "fix: a longer Interval, fewer output nodes (Output: Node:)" in line


def test_int64_cannot_be_forced(tmp_path):
    """2^50 steps of 16384 nodes written every step: 2^64 values, beyond int64."""
    text = mutate("Nodes: 16", "Nodes: 16384", mutate("Output: Node: 1 2", "Output: Node: All",
                  mutate("Time: 0.01 ", f"Time: {2**50 * 1e-4!r} ",
                         mutate("Interval: 2e-4", "Interval: 1e-4"))))
    text = text.replace("Range: 0.3 gamma: 100", "Range: 0.03 gamma: 100")
    spec = parse_config(text, path="i.conf")
    assert spec.time.steps == 2**50
    rep = P.preflight(spec, 1, tmp_path / "o.h5", env={}, root=machine(tmp_path))
    assert any("beyond int64" in r and "--force cannot" in r for r in rep.impossible)
    with pytest.raises(ResourceError):
        P.enforce(rep, force=True)


def test_report_lines():
    spec = parse_config(BASE, path="b.conf")
    lines = P.preflight(spec, 1, env={}).lines()
    assert lines[0].startswith("preflight: memory about 256 MiB per rank (state 3 KiB")
    assert "HDF5, 50 samples x 8 columns" in lines[1]
    assert "1.6e+03 node-steps per rank" in lines[2]


# --- the commands ---------------------------------------------------------------------------
def test_validate_and_run_refuse_the_huge_grid(tmp_path, monkeypatch, capsys):
    """Issue #12 F5: 20000 x 20000 is refused by validate and run (exit 5), nothing written."""
    from mpi4py import MPI

    from parnft import api
    from parnft.cli import main

    conf = tmp_path / "huge.conf"
    conf.write_text(HUGE)
    monkeypatch.setenv("SLURM_MEM_PER_CPU", "4096")  # 4 GiB per rank, on any machine
    assert main(["validate", str(conf)]) == 5
    err = capsys.readouterr().err
    assert "memory: about" in err and "fix: fewer nodes per rank" in err
    assert main(["validate", str(conf), "--force"]) == 0
    assert "preflight: REFUSED" in capsys.readouterr().out

    def no_build(*_a, **_k):
        raise AssertionError("the Simulation was built")

    monkeypatch.setattr("parnft.solver.Simulation", no_build)
    with pytest.raises(ResourceError):
        api.run(str(conf), str(tmp_path / "huge.h5"), comm=MPI.COMM_SELF, progress=False)
    assert not (tmp_path / "huge.h5").exists()


def test_validate_untileable_rank_count(tmp_path):
    from parnft.commands.validate import _validate

    conf = tmp_path / "b.conf"
    conf.write_text(BASE)
    with pytest.raises(ConfigError, match="32 ranks cannot tile the 4 x 4 grid"):
        _validate(str(conf), 32, None, None, False)
    text = _validate(str(conf), 4, None, None, False)
    assert "preflight: memory about" in text and "largest tile 2 x 2" in text


def test_dev_zero_is_not_read_without_bound():
    """Issue #12 F15: /dev/zero gives a ConfigError after at most MAX_BYTES + 1 bytes."""
    from parnft.config import read_config

    with pytest.raises(ConfigError, match="larger than 64 MiB"):
        read_config("/dev/zero")
