"""Before/after measurements of the compiled multi-rank step loop (issue 16, item 1).

    python benchmarks/compiled_halo.py --before /path/to/old/tree [--repeat 3]

Runs ``parnft bench`` (one MPI job per run, ``--no-stream``) on NFTsim's
``eirs-default`` and ``ei-default`` at 1 and 2 ranks, with the code of this
tree ("after") and of ``--before`` (the same command with ``PYTHONPATH``
switched), interleaved: repeat, then tree, then config, then rank count, so
the machine's drift hits both alike. Then a short strong series of EIRS
512 x 512 (``configs/bench/eirs-256.conf --grid 512x512``) at 1 and 2 ranks
with this tree. Every row of ``parnft bench`` gets four more columns: the
tree, its git commit, and the 1-minute load average before and after the run
(``os.getloadavg``), and goes to ``benchmarks/results/compiled-halo.csv``
(strong rows to ``compiled-halo-strong.csv``, with the ping-pong fit beside
it). With ``--step-cost`` it runs ``benchmarks/step_cost.py`` instead (best of
many short calls, robust to a loaded machine; same interleaving) and writes
``compiled-halo-step-cost.csv``. Finally it prints the per-step fixed cost of
the multi-rank path,

    t_fixed = wall(2 ranks) / steps - wall(1 rank) / (2 steps),

per repeat (the 2-rank run against the 1-rank run of the same repeat) and
the projection of the strong series to 64, 256 and 1024 ranks
(:func:`parnft.bench.model.model_from_csv`) with the measured ``t_fixed``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PARNFT_SHARED", ROOT.parent / "shared"))
RESULTS = ROOT / "benchmarks" / "results"
CONFIGS = ("eirs-default", "ei-default")
EXTRA = ("tree", "tree_commit", "load1_before", "load1_after")


def _commit(tree: Path) -> str:
    out = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True)
    if out.returncode == 0:
        return out.stdout.strip()
    stamp = tree / "COMMIT"  # an exported tree (git archive) names its commit here
    return stamp.read_text().strip() if stamp.exists() else "unknown"


def _bench(tree: Path, ranks: int, args: list[str], label: str) -> list[dict]:
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = os.path.join(tmp, "rows.csv")
        load0 = os.getloadavg()[0]
        cmd = ["mpiexec", "-n", str(ranks), sys.executable, "-m", "parnft", "bench", *args,
               "--csv", csv_path, "--label", label, "--no-stream"]
        subprocess.run(cmd, env=env, cwd=str(ROOT), check=True, timeout=1800,
                       stdout=subprocess.DEVNULL)
        load1 = os.getloadavg()[0]
        with open(csv_path, newline="") as fh:
            rows = list(csv.DictReader(fh))
        pp = os.path.join(tmp, "rows.pingpong.json")
        pingpong = Path(pp).read_text() if os.path.exists(pp) else None
    for r in rows:
        r.update(tree=label, tree_commit=_commit(tree), load1_before=f"{load0:.2f}",
                 load1_after=f"{load1:.2f}")
        if tree.resolve() != ROOT:  # provenance read this checkout's git, not the tree's
            r.update(git_sha=r["tree_commit"], git_dirty="false")
        r["_pingpong"] = pingpong
    return rows


def _append(path: Path, rows: list[dict]) -> None:
    rows = [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows]
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        if new:
            w.writeheader()
        w.writerows(rows)


def fixed_costs(rows: list[dict]) -> dict:
    """``(tree, config) -> [t_fixed per repeat]`` in seconds (see the module docstring)."""
    runs: dict = {}
    for r in rows:
        key = (r["tree"], Path(r["config"]).stem, int(r["repeat_index"]))
        runs.setdefault(key, {})[int(r["ranks"])] = float(r["wall_s"]) / int(r["steps"])
    out: dict = {}
    for (tree, conf, _), per in sorted(runs.items()):
        if 1 in per and 2 in per:
            out.setdefault((tree, conf), []).append(per[2] - per[1] / 2)
    return out


def _step_cost(tree: Path, ranks: int, conf: str, calls: int, halo: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="1",
               OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    cmd = ["mpiexec", "-n", str(ranks), sys.executable, str(ROOT / "benchmarks" / "step_cost.py"),
           conf, "--calls", str(calls), "--halo", halo]
    out = subprocess.run(cmd, env=env, cwd=str(ROOT), check=True, timeout=1800,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def step_costs(trees: dict, confs: dict, repeat: int, calls: int, halos=("overlap",)) -> None:
    """Interleaved best-of-N per-step costs; rows to ``compiled-halo-step-cost.csv``."""
    out = RESULTS / "compiled-halo-step-cost.csv"
    rows = []
    for rep in range(repeat):
        for halo in halos:
            for name, tree in trees.items():
                for c in confs.values():
                    for n in (1, 2):
                        r = _step_cost(tree, n, c, calls, halo)
                        r.update(tree=name, tree_commit=_commit(tree), repeat_index=rep,
                                 timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"))
                        print(json.dumps(r), flush=True)
                        _append(out, [r])
                        rows.append(r)
    best: dict = {}
    for r in rows:
        key = (r["tree"], r["config"], r["halo"], r["ranks"])
        best[key] = min(best.get(key, math.inf), r["min_us"])
    for (tree, conf, halo, ranks), v in sorted(best.items()):
        if ranks == 2 and (tree, conf, halo, 1) in best:
            one = best[(tree, conf, halo, 1)]
            print(f"{tree:6s} {conf:18s} {halo:8s}: 1 rank {one:.2f} us/step, 2 ranks "
                  f"{v:.2f} us/step, t_fixed = {v - one / 2:.2f} us")


def projections(t_fixed_s: dict) -> list[dict]:
    """Strong EIRS 512 x 512 projected to 64, 256, 1024 ranks for each fixed cost per step.

    Two calibrations (:func:`parnft.bench.model.calibrate`): the 1- and 2-rank
    runs of this work (``compiled-halo-strong.csv``, machine loaded) and the
    ``strong`` rows of ``bench.csv`` (the same model and grid measured on a
    quiet machine; at 17 ms per step the fixed cost does not change them). The
    halo message cost is the ping-pong fit beside ``compiled-halo-strong.csv``.
    ``t_fixed_s``: ``label -> seconds``; the result goes to
    ``compiled-halo.model.csv``.
    """
    from parnft.bench.model import PROJECT_RANKS, model_from_csv
    from parnft.bench.pingpong import load_pingpong

    pp = load_pingpong(str(RESULTS / "compiled-halo-strong.pingpong.json"))
    quiet = [r for r in csv.DictReader(open(RESULTS / "bench.csv", newline=""))
             if r["label"] == "strong" and r["config"].endswith("eirs-256.conf")
             and r["nodes"] == "262144" and r["ranks"] in ("1", "2")]
    sources = {"loaded (this work)": RESULTS / "compiled-halo-strong.csv"}
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        if quiet:
            q = Path(tmp) / "quiet.csv"
            with open(q, "w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(quiet[0]))
                w.writeheader()
                w.writerows(quiet)
            sources["quiet (bench.csv strong)"] = q
        for calib, path in sources.items():
            for label, tf in t_fixed_s.items():
                res = model_from_csv(str(path), pp.latency_s, pp.bandwidth_bps,
                                     step_overhead_s=tf, out=str(Path(tmp) / "m"))
                inp = res["inputs"][0]
                for r in res["rows"]:
                    if r["ranks"] in (1, 2, *PROJECT_RANKS):
                        out.append({"calibration": calib, "t_fixed_us": 1e6 * tf,
                                    "t_fixed_from": label, "ranks": r["ranks"],
                                    "tile": f"{r['tile_ly']}x{r['tile_lx']}",
                                    "t_step_us": 1e6 * r["t_step"],
                                    "efficiency": r["efficiency"],
                                    "contention": inp["contention"],
                                    "imbalance": inp["imbalance"],
                                    "latency_us": 1e6 * pp.latency_s,
                                    "bandwidth_gbs": pp.bandwidth_bps / 1e9})
    with open(RESULTS / "compiled-halo.model.csv", "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(out[0]))
        w.writeheader()
        w.writerows(out)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--before", type=Path, help="tree of the old code")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--strong-time", type=float, default=0.02,
                    help="simulated seconds of the EIRS 512 x 512 runs (default 0.02)")
    ap.add_argument("--strong-repeat", type=int, default=2)
    ap.add_argument("--skip-strong", action="store_true")
    ap.add_argument("--step-cost", action="store_true",
                    help="best-of-N per-step costs (benchmarks/step_cost.py) instead")
    ap.add_argument("--calls", type=int, default=400, help="timed calls per --step-cost run")
    ap.add_argument("--project", nargs="+", metavar="LABEL=US",
                    help="only project strong EIRS 512x512 with these fixed costs per step")
    args = ap.parse_args(argv)
    if args.project:
        tf = {k: float(v) * 1e-6 for k, v in (a.split("=") for a in args.project)}
        for r in projections(tf):
            print(f"{r['calibration']:26s} t_fixed {r['t_fixed_us']:6.1f} us "
                  f"({r['t_fixed_from']}): {r['ranks']:5d} ranks, tile {r['tile']:>9s}: "
                  f"efficiency {r['efficiency']:.3f}")
        return 0
    trees = {"before": args.before.resolve(), "after": ROOT}
    confs = {c: str(SHARED / "nftsim-ref" / "benchmarks" / f"{c}.conf") for c in CONFIGS}
    if args.step_cost:
        step_costs(trees, confs, args.repeat, args.calls, ("overlap", "blocking"))
        return 0
    out = RESULTS / "compiled-halo.csv"
    for tree in trees.values():  # warm-up: compile or load every loop once, not recorded
        for c in confs.values():
            for n in (1, 2):
                _bench(tree, n, [c, "--time", "0.01"], "warm-up")
    rows = []
    for rep in range(args.repeat):
        for name, tree in trees.items():
            for c in confs.values():
                for n in (1, 2):
                    got = _bench(tree, n, [c], name)
                    for r in got:
                        r["repeat_index"] = rep
                        print(f"{name:6s} {Path(c).stem:12s} {n} rank(s): wall {r['wall_s']} s, "
                              f"halo {r['halo_s']} s (load {r['load1_before']} -> "
                              f"{r['load1_after']})", flush=True)
                    _append(out, got)
                    rows += got
    fixed = fixed_costs(rows)
    for (tree, conf), vals in sorted(fixed.items()):
        print(f"t_fixed {tree:6s} {conf:12s}: " + ", ".join(f"{1e6 * v:.1f}" for v in vals)
              + f" us (median {1e6 * statistics.median(vals):.1f})")
    if args.skip_strong:
        return 0
    strong = RESULTS / "compiled-halo-strong.csv"
    eirs = str(ROOT / "configs" / "bench" / "eirs-256.conf")
    for rep in range(args.strong_repeat):
        for n in (1, 2):
            got = _bench(ROOT, n, [eirs, "--grid", "512x512", "--time", str(args.strong_time),
                                   "--series", "strong"], "after")
            for r in got:
                r["repeat_index"] = rep
                print(f"strong EIRS 512x512 {n} rank(s): wall {r['wall_s']} s (load "
                      f"{r['load1_before']} -> {r['load1_after']})", flush=True)
                if r["_pingpong"]:
                    (RESULTS / "compiled-halo-strong.pingpong.json").write_text(r["_pingpong"])
            _append(strong, got)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
