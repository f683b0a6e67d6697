"""Whole-process times: import floor, one-step runs (new and old tree), full runs vs NFTsim.

Usage::

    .venv/bin/python benchmarks/bench_startup.py [--pairs 5] [--old /path/to/old/tree]
        [--nftsim /tmp/nftsim/bin/nftsim] [--csv benchmarks/results/startup.csv]

For each of NFTsim's benchmark configs ``eirs-default`` and ``ei-default``
(``$PARNFT_SHARED/nftsim-ref/benchmarks``), one round runs, in this order:
the import floor (:data:`parnft.bench.startup.FLOOR_CODE`), a one-step
``parnft run`` of this tree, the same with ``--old``'s tree on
``PYTHONPATH`` (if given), the whole config with ``parnft run`` (HDF5
output) and with NFTsim (text output, if ``--nftsim`` is given). Every
command runs once untimed first (compiles or loads caches), then ``--pairs``
rounds are timed, so old and new, parnft and NFTsim alternate under the same
machine load. One CSV row per timed process, with provenance and the 1-minute
load average before it; the medians are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FIELDS = ("timestamp", "git_sha", "git_dirty", "host", "cpu_model", "cores", "numba", "numpy",
          "mpi4py", "h5py", "mpi_library", "config", "config_sha", "what", "repeat",
          "wall_s", "cpu_s", "load1")


def _wall(argv, env, cwd) -> tuple[float, float]:
    from parnft.bench.startup import timed

    return timed(argv, env, cwd)  # cwd: no ./parnft there to shadow PYTHONPATH


def commands(conf: Path, tmp: Path, args) -> dict:
    """``what -> (argv, env)`` of one round, in run order."""
    from parnft.bench.startup import FLOOR_CODE, one_step_text, singleton_env
    from parnft.config import read_config

    spec = read_config(str(conf))
    one = tmp / f"{conf.stem}-1step.conf"
    one.write_text(one_step_text(spec))
    py = sys.executable
    new = singleton_env() | {"PYTHONPATH": str(REPO)}
    cmds = {"floor": ([py, "-c", FLOOR_CODE], new),
            "startup_new": ([py, "-m", "parnft", "run", str(one), "-o", str(tmp / "n1.h5"),
                             "-q"], new)}
    if args.old:
        old = singleton_env() | {"PYTHONPATH": str(Path(args.old).resolve())}
        cmds["startup_old"] = ([py, "-m", "parnft", "run", str(one), "-o",
                                str(tmp / "o1.h5"), "-q"], old)
    cmds["run_new"] = ([py, "-m", "parnft", "run", str(conf), "-o", str(tmp / "full.h5"),
                        "-q"], new)
    if args.nftsim:
        cmds["nftsim"] = ([args.nftsim, "-i", str(conf), "-o", str(tmp / "full.output")],
                          dict(os.environ))
    return cmds, spec


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--old", help="another parnft source tree to time beside this one")
    ap.add_argument("--nftsim", help="NFTsim binary (STUDY.md section 1 build)")
    ap.add_argument("--configs", default="eirs-default,ei-default")
    ap.add_argument("--csv", default=str(REPO / "benchmarks/results/startup.csv"))
    args = ap.parse_args()
    from parnft.bench.provenance import base_row, config_sha

    shared = Path(os.environ.get("PARNFT_SHARED", REPO.parent / "shared"))
    base = base_row()
    rows = []
    for name in args.configs.split(","):
        conf = shared / "nftsim-ref" / "benchmarks" / f"{name}.conf"
        with tempfile.TemporaryDirectory(prefix="parnft-startup-") as tmp:
            cmds, spec = commands(conf, Path(tmp), args)
            for argv, env in cmds.values():
                _wall(argv, env, tmp)  # warm-up: compile or load caches, page cache
            walls = {k: [] for k in cmds}
            cpus = {k: [] for k in cmds}
            for i in range(args.pairs):
                for what, (argv, env) in cmds.items():
                    load = os.getloadavg()[0]
                    w, c = _wall(argv, env, tmp)
                    walls[what].append(w)
                    cpus[what].append(c)
                    rows.append(dict(base, timestamp=dt.datetime.now(dt.UTC).isoformat(
                        timespec="seconds"), config=name, config_sha=config_sha(spec.text),
                        what=what, repeat=i, wall_s=f"{w:.4f}", cpu_s=f"{c:.4f}",
                        load1=f"{load:.2f}"))
        med = {k: statistics.median(v) for k, v in walls.items()}
        cmed = {k: statistics.median(v) for k, v in cpus.items()}
        loads = [float(r["load1"]) for r in rows if r["config"] == name]
        print(f"{name}: load {min(loads):.1f}-{max(loads):.1f}; medians of {args.pairs}: "
              + ", ".join(f"{k} {v:.3f} s" for k, v in med.items()))
        print("  CPU medians: " + ", ".join(f"{k} {v:.3f} s" for k, v in cmed.items()))
        for lab, m in (("wall", med), ("CPU", cmed)):
            print(f"  start-up over the floor ({lab}): new {m['startup_new'] - m['floor']:+.3f} s"
                  + (f", old {m['startup_old'] - m['floor']:+.3f} s" if args.old else ""))
            if args.nftsim:
                print(f"  whole process ({lab}): NFTsim / parnft = "
                      f"{m['nftsim'] / m['run_new']:.2f}")
    path = Path(args.csv)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    import csv

    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerows(rows)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
