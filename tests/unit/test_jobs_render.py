"""``parnft jobs``: key-path substitution, sweep tables, rendered scripts and their errors.

The scripts themselves run on a real SLURM in tests/slurm; here every kind is
rendered, checked with ``bash -n`` and for the lines that matter, every bad
option gives a ConfigError (exit code 2 through the CLI) naming the option,
and the examples under jobs/examples are what their recorded command renders.
"""

from __future__ import annotations

import difflib
import shlex
import subprocess
from pathlib import Path

import pytest

from parnft.cli import main
from parnft.config import parse_config, read_config
from parnft.errors import ConfigError
from parnft.jobs import JobOptions, render
from parnft.jobs import sweep as sw
from parnft.jobs.collect import collect

REPO = Path(__file__).resolve().parents[2]
ERPS = REPO / "configs" / "e-erps.conf"
EIRS = REPO / "configs" / "eirs-corticothalamic.conf"
SMALL = REPO / "tests" / "slurm" / "small.conf"


def _changed_lines(a: str, b: str) -> list[str]:
    return [d for d in difflib.ndiff(a.splitlines(), b.splitlines()) if d[:1] in "+-"]


# --- key paths ---------------------------------------------------------------------------
def test_set_values_changes_only_the_named_values():
    text = ERPS.read_text()
    new = sw.set_values(text, {"Propagator.1.gamma": "40", "Coupling.2.nu": "2e-4",
                               "Population.1.Sigma": "0.004", "Dendrite.2.alpha": "50",
                               "Time": "0.125"})
    spec = parse_config(new)
    assert spec.propagators[0].gamma == 40.0
    assert spec.couplings[1].nu == (2e-4,)
    assert spec.populations[0].firing.params["Sigma"] == 0.004
    assert [d.alpha for d in spec.dendrites] == [83.0, 50.0]
    assert spec.time.time == 0.125
    changed = _changed_lines(text, new)
    assert len(changed) == 2 * 5  # five lines out, five in; header and layout kept
    assert "+ Propagator 1: Wave - Tau: 0 Range: 0.2 gamma: 40" in changed


def test_key_paths_superimposed_stimulus_and_lists():
    text = ERPS.read_text()
    paths = {k.dotted for k in sw.value_keys(text)}
    assert {"Population.2.Stimulus.1.Onset", "Population.2.Stimulus.2.Onset",
            "Connection matrix.To.1", "Output.Interval"} <= paths
    new = sw.set_values(text, {"Stimulus.2.Amplitude": "-3", "Connection matrix.To.2": "0 0"})
    assert "Node: 2097 Amplitude: -3 Width" in new
    # a list key replaces all its numbers, not the comment words after them
    t = "Time: 1 Deltat: 0.1\nCoupling 1: Map - nu: 1 2 old values 3\n"
    assert "nu: 5 6 old values 3" in sw.set_values(t, {"Coupling.1.nu": "5 6"})


@pytest.mark.parametrize("path, message", [
    ("Onset", "ambiguous"),                      # two stimulus parts
    ("Population.2.Stimulus.Onset", "Population.2.Stimulus.1.Onset (line 29)"),
    ("Propagator.2.gamma", "keys named 'gamma' there: Propagator.1.gamma"),
    ("Bath", "the file has no key 'Bath'"),
])
def test_bad_key_paths_name_the_candidates(path, message):
    with pytest.raises(ConfigError, match="sweep key") as err:
        sw.find_key(ERPS.read_text(), path, "e-erps.conf")
    assert message in str(err.value)
    assert "e-erps.conf" in str(err.value)


def test_sweep_table_is_the_product_and_tables_read_back(tmp_path):
    keys, rows = sw.sweep_table(["A=1,2", "B=x,y,z"])
    assert keys == ["A", "B"]
    assert rows == [["1", "x"], ["1", "y"], ["1", "z"], ["2", "x"], ["2", "y"], ["2", "z"]]
    assert sw.read_table("t", sw.format_table(keys, rows)) == (keys, rows)
    f = tmp_path / "p.tsv"
    f.write_text("# comment\nPropagator.1.Tau  gamma\n\n0 1\n")
    assert sw.read_table(f) == (["Propagator.1.Tau", "gamma"], [["0", "1"]])
    f.write_text("Tau\tgamma\n0 0\t1\n")  # tabs: a value may hold spaces
    assert sw.read_table(f) == (["Tau", "gamma"], [["0 0", "1"]])
    f.write_text("A B\n1 2\n3\n")
    with pytest.raises(ConfigError, match=r"p.tsv:3: 1 values for 2 keys"):
        sw.read_table(f)
    for bad in ("A", "A=", "A=1,,2", "=1"):
        with pytest.raises(ConfigError, match="expected KEY=v1,v2"):
            sw.sweep_table([bad])
    with pytest.raises(ConfigError, match="given twice"):
        sw.sweep_table(["A=1", "A=2"])


# --- rendering ---------------------------------------------------------------------------
def _bash_ok(text: str, tmp_path: Path) -> None:
    f = tmp_path / "job.sbatch"
    f.write_text(text)
    res = subprocess.run(["bash", "-n", str(f)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_render_single_sets_allocation_environment_and_launcher(tmp_path):
    o = JobOptions("single", [str(ERPS), str(SMALL)], nodes=2, tasks_per_node=8,
                   time_limit="1-00:00:00", partition="gpu.q", account="proj-1",
                   module_lines=["module load openmpi", "source venv/bin/activate"],
                   outdir="$SCRATCH/runs", parnft="/opt/parnft/bin/parnft", label="a b",
                   sbatch=["--mem=4G"])
    text = render(o)
    _bash_ok(text, tmp_path)
    lines = text.splitlines()
    assert lines[0] == "#!/bin/bash"
    for want in ("#SBATCH --nodes=2", "#SBATCH --ntasks-per-node=8", "#SBATCH --mem=4G",
                 "#SBATCH --time=1-00:00:00", "#SBATCH --partition=gpu.q",
                 "#SBATCH --account=proj-1", 'OUT="$SCRATCH/runs"',
                 'PARNFT="/opt/parnft/bin/parnft"', "NTASKS=${SLURM_NTASKS:-16}",
                 '  srun --mpi=pmix -n "$n" "$@"', f'  "{ERPS}"', f'  "{SMALL}"'):
        assert want in lines, want
    assert lines.index("module load openmpi") < lines.index("source venv/bin/activate")
    # every #SBATCH line comes before the first command, or sbatch ignores it
    first_cmd = lines.index("set -euo pipefail")
    assert all(i < first_cmd for i, ln in enumerate(lines) if ln.startswith("#SBATCH"))
    assert "--label 'a b'\" job=${SLURM_JOB_ID:-none}\"" in text
    assert '-o "$OUT/$name.h5"' in text


def test_render_launchers_and_series(tmp_path):
    text = render(JobOptions("strong", [str(SMALL)], tasks_per_node=6, launcher="mpirun",
                             launcher_args="--bind-to core"))
    _bash_ok(text, tmp_path)
    assert "RANKS=(1 2 4 6)" in text
    assert '  mpirun -n "$n" --bind-to core "$@"' in text
    assert "--series strong" in text
    text = render(JobOptions("weak", [str(SMALL)], tasks_per_node=4, nodes_per_rank="12x12",
                             srun_mpi="default", ranks=[1, 2, 4]))
    _bash_ok(text, tmp_path)
    assert '  srun -n "$n" "$@"' in text
    assert '  "1 12x12 1x1"\n  "2 24x12 2x1"\n  "4 24x24 2x2"' in text
    text = render(JobOptions("single", [str(SMALL)], srun_mpi="pmix_v4"))
    assert "srun --mpi=pmix_v4 -n" in text


def test_render_sweep_embeds_the_table(tmp_path):
    text = render(JobOptions("sweep", [str(SMALL)], sweep=["Propagator.1.gamma=20,30",
                                                           "Coupling.1.nu=1e-4,2e-4"],
                             array_limit=2))
    _bash_ok(text, tmp_path)
    assert "#SBATCH --array=0-3%2" in text
    assert "#SBATCH --output=%x-%A_%a.out" in text
    table = text.split("<<'PARNFT_SWEEP_TABLE'\n")[1].split("PARNFT_SWEEP_TABLE")[0]
    assert sw.read_table("t", table) == (["Propagator.1.gamma", "Coupling.1.nu"],
                                         [["20", "1e-4"], ["20", "2e-4"], ["30", "1e-4"],
                                          ["30", "2e-4"]])
    assert 'CSV="$OUT/bench-task${SLURM_ARRAY_TASK_ID:-0}.csv"' in text


def test_render_sweep_ensemble_is_one_parnft_sweep_launch(tmp_path):
    text = render(JobOptions("sweep", [str(SMALL)], tasks_per_node=4, mode="ensemble",
                             ranks_per_member=2, procs="2x1",
                             sweep=["Propagator.1.gamma=20,30", "Coupling.1.nu=1e-4,2e-4"]))
    _bash_ok(text, tmp_path)
    assert "#SBATCH --array" not in text and "#SBATCH --output=%x-%j.out" in text
    launches = [ln for ln in text.splitlines() if ln.startswith("launch ")]
    assert len(launches) == 1 and '"$PARNFT" sweep "$BASE" --table "$table"' in launches[0]
    assert ('--ranks-per-member 2 -o "$OUT/$name-sweep" --halo auto --procs 2x1 || rc=$?'
            in text)
    table = text.split("<<'PARNFT_SWEEP_TABLE'\n")[1].split("PARNFT_SWEEP_TABLE")[0]
    assert sw.read_table("t", table) == (["Propagator.1.gamma", "Coupling.1.nu"],
                                         [["20", "1e-4"], ["20", "2e-4"], ["30", "1e-4"],
                                          ["30", "2e-4"]])
    assert "ensemble" in text.splitlines()[1]


def test_rendered_ensemble_job_runs(tmp_path):
    """The ensemble script, launched by mpirun outside SLURM, runs the members."""
    import h5py

    conf = tmp_path / "small.conf"
    conf.write_text(SMALL.read_text())
    text = render(JobOptions("sweep", [str(conf)], tasks_per_node=2, mode="ensemble",
                             launcher="mpirun", outdir=str(tmp_path / "o"),
                             sweep=["Propagator.1.gamma=20,30,40"]))
    job = tmp_path / "job.sbatch"
    job.write_text(text)
    from parnft.bench.startup import singleton_env

    # this process may be an MPI singleton already: the job must not inherit its variables
    res = subprocess.run(["bash", str(job)], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path, env=singleton_env())
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    with h5py.File(tmp_path / "o" / "small-sweep" / "index.h5", "r") as f:
        assert [s.decode() for s in f["status"][()]] == ["ok"] * 3
        assert list(f["group"][()]) == [0, 1, 0]  # 2 ranks, 1 per member: round robin


@pytest.mark.parametrize("opts, message", [
    (dict(kind="sweep", sweep=["gamma=1"], mode="batch"), "--mode 'batch': unknown sweep"),
    (dict(kind="single", mode="ensemble"), "only a sweep job takes them, not single"),
    (dict(kind="sweep", sweep=["gamma=1"], ranks_per_member=2),
     "--ranks-per-member 2: only an ensemble sweep takes it"),
    (dict(kind="sweep", sweep=["gamma=1"], mode="ensemble", ranks_per_member=3,
          tasks_per_node=4), "--ranks-per-member 3: must divide the allocation's 4 tasks"),
    (dict(kind="sweep", sweep=["gamma=1"], mode="ensemble", array_limit=2),
     "--array-limit 2: an ensemble runs parnft sweep"),
    (dict(kind="sweep", sweep=["gamma=1"], mode="ensemble", sim_time=0.01),
     "--sim-time 0.01: an ensemble runs parnft sweep"),
    (dict(kind="nightly"), "KIND 'nightly': unknown job kind; use one of single"),
    (dict(launcher="mpiexec"), "--launcher 'mpiexec': unknown launcher; use srun or mpirun"),
    (dict(srun_mpi="pmix --x"), "--srun-mpi 'pmix --x': not an MPI plugin name"),
    (dict(time_limit="1h"), "--time-limit '1h': not a SLURM time"),
    (dict(partition="a b"), "--partition 'a b': contains characters"),
    (dict(tasks_per_node=0), "--tasks-per-node 0: must be a positive integer"),
    (dict(workdir="my runs"), "--workdir 'my runs': #SBATCH --chdir takes one path"),
    (dict(kind="strong", ranks=[1, 8], tasks_per_node=4), "more ranks than the allocation's 4"),
    (dict(kind="strong", ranks=[1, 1]), "needs distinct positive counts"),
    (dict(kind="strong", procs="2x1", tasks_per_node=2), "--procs '2x1': a strong series"),
    (dict(kind="weak"), "--nodes-per-rank '': a weak series needs the tile size"),
    (dict(kind="weak", nodes_per_rank="4x8"), "--grid '4x8': NX (4) is the long side"),
    (dict(kind="single", ranks=[1]), "--ranks [1]: a single job runs on all its tasks"),
    (dict(kind="single", sweep=["gamma=1,2"]), "only a sweep job takes them, not single"),
    (dict(kind="sweep"), "a sweep needs exactly one source of parameter sets"),
    (dict(kind="sweep", configs=[str(SMALL), str(ERPS)], sweep=["gamma=1"]),
     "a sweep takes exactly one base config"),
    (dict(kind="sweep", sweep=["gamma=30,900"]),
     "sweep task 1 (gamma=900)"),                   # Courant number > 1/sqrt(2)
    (dict(kind="sweep", sweep=["nothere=1"]), "sweep key 'nothere' matches no key"),
    (dict(kind="single", sim_time=0.01), "Time is not a multiple of Deltat"),
    (dict(kind="single", procs="3x1", tasks_per_node=2), "process grid 3x1 (PXxPY) has 3"),
    (dict(kind="single", configs=["missing.conf"]), "config missing.conf is not valid"),
    (dict(kind="single", configs=[str(SMALL), str(SMALL)]), "share a file name"),
])
def test_bad_options_are_clear_errors(opts, message):
    kw = dict(kind="single", configs=[str(SMALL)]) | opts
    with pytest.raises(ConfigError) as err:
        render(JobOptions(**kw))
    assert message in str(err.value)


def test_cli_render_errors_exit_2(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:  # argparse: unknown choice
        main(["jobs", "render", "single", str(SMALL), "--launcher", "aprun"])
    assert exc.value.code == 2
    assert "invalid choice: 'aprun'" in capsys.readouterr().err
    assert main(["jobs", "render", "single", str(SMALL), "--time-limit", "soon"]) == 2
    assert "--time-limit 'soon': not a SLURM time" in capsys.readouterr().err
    out = tmp_path / "j.sbatch"
    assert main(["jobs", "render", "single", str(SMALL), "-o", str(out)]) == 0
    assert out.read_text().startswith("#!/bin/bash") and out.stat().st_mode & 0o100


def test_examples_are_what_their_command_renders(monkeypatch, capsys):
    """jobs/examples/*.sbatch record their command; rendering it again gives the file."""
    monkeypatch.chdir(REPO)
    examples = sorted((REPO / "jobs" / "examples").glob("*.sbatch"))
    assert {p.stem for p in examples} >= {"single", "strong", "weak", "sweep"}
    for path in examples:
        text = path.read_text()
        cmd = text.splitlines()[2].removeprefix("# rendered by: ")
        argv = shlex.split(cmd)
        assert argv[:3] == ["parnft", "jobs", "render"]
        assert main(argv[1:]) == 0
        assert capsys.readouterr().out == text, f"{path.name} is stale: run its command"


def test_recorded_command_renders_the_same_script(monkeypatch, capsys, tmp_path):
    o = JobOptions("sweep", [str(SMALL)], tasks_per_node=2, launcher_args="--cpu-bind=cores",
                   label="-x y", sbatch=["--mem=1G"], module_lines=["export A='1 2'"],
                   sweep=["Propagator.1.gamma=20,30", "Time=0.0244140625"], array_limit=1,
                   sim_time=0.01220703125, outdir="o d", csv="c.csv", parnft="p")
    text = render(o)
    argv = shlex.split(text.splitlines()[2].removeprefix("# rendered by: "))
    assert main(argv[1:]) == 0
    assert capsys.readouterr().out == text


# --- parnft jobs config / collect --------------------------------------------------------
def test_jobs_config_applies_a_table_row(tmp_path, monkeypatch, capsys):
    import io

    out = tmp_path / "t.conf"
    table = "Propagator.1.gamma\tPopulation.2.Stimulus.Amplitude\n20\t1\n40\t3\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(table))
    assert main(["jobs", "config", str(SMALL), "--task", "1", "--params", "-",
                 "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == (
        "Propagator.1.gamma=40 Population.2.Stimulus.Amplitude=3")
    spec = read_config(out)
    assert spec.propagators[0].gamma == 40.0
    assert spec.populations[1].stimulus.params["Amplitude"] == 3.0
    assert main(["jobs", "config", str(SMALL), "--set", "Time=0.01"]) == 2  # not k*Deltat
    assert "Time is not a multiple of Deltat" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(table))
    assert main(["jobs", "config", str(SMALL), "--task", "2", "--params", "-"]) == 2
    assert "has 2 rows (tasks 0..1)" in capsys.readouterr().err


def test_collect_joins_task_csvs_in_task_order(tmp_path):
    for i in (10, 2, 1):
        (tmp_path / f"bench-task{i}.csv").write_text(f"a,b\n{i},x\n")
    assert collect([str(tmp_path)], str(tmp_path / "all.csv")) == 3
    assert (tmp_path / "all.csv").read_text().split() == ["a,b", "1,x", "2,x", "10,x"]
    (tmp_path / "other.csv").write_text("a,c\n1,2\n")
    with pytest.raises(ConfigError, match="other columns"):
        collect([str(tmp_path)], str(tmp_path / "all2.csv"))
