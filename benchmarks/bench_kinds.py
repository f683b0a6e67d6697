"""One benchmark row per population kind, and NFTsim models old tree vs new.

Usage::

    .venv/bin/python benchmarks/bench_kinds.py kinds [--repeat 3]
    .venv/bin/python benchmarks/bench_kinds.py nftsim --old /tmp/old [--pairs 5]

``kinds``: each kind's example config (configs/rosetta/, and
configs/bench/relaxation-field.conf for Relaxation) resized by
``parnft bench --grid 256x256`` (same cell spacing) and run for
:data:`STEPS` steps on one rank; ``parnft bench`` appends the row
(node-steps/s, bytes per node-step from the roofline count, provenance) to
benchmarks/results/kinds.csv with ``label`` = ``kind=<name>``.

``nftsim``: NFTsim's ``eirs-default`` and ``ei-default`` (../shared/nftsim-ref/
benchmarks) timed with ``parnft bench --repeat 1``, alternating an old
source tree (``--old``, e.g. ``git archive d7a9fb9 parnft | tar -x -C
/tmp/old``) and this one, ``--pairs`` times, rows appended to
benchmarks/results/nftsim-before-after.csv (``label`` = ``tree=old|new``).
Compare ``compute_s`` (the time loop) medians and minima: the machine drifts
10-15 % between minutes, alternation puts the drift on both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("PARNFT_SHARED", REPO.parent / "shared"))
#: kind -> example config
KINDS = {
    "Relaxation": "configs/bench/relaxation-field.conf",
    "HarmonicOscillator": "configs/rosetta/harmonic.conf",
    "StuartLandau": "configs/rosetta/stuart-landau.conf",
    "WilsonCowan": "configs/rosetta/wilson-cowan.conf",
    "JansenRit": "configs/rosetta/jansen-rit.conf",
    "QIF": "configs/rosetta/ing.conf",
    "CoombesByrne": "configs/rosetta/coombes-byrne.conf",
    "composed Jansen-Rit (NFTsim parts)": "configs/rosetta/jansen-rit-composed.conf",
}
STEPS = 200
GRID = "256x256"


def _deltat(conf: Path) -> float:
    sys.path.insert(0, str(REPO))
    from parnft.config import read_config

    return read_config(str(conf)).time.deltat


def _env(tree: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), NUMBA_NUM_THREADS="1")
    return env


def _bench(tree: Path, conf: Path, csv: Path, label: str, extra: list[str]) -> None:
    cmd = [sys.executable, "-m", "parnft", "bench", str(conf), "--csv", str(csv),
           "--label", label, "--no-stream", *extra]
    subprocess.run(cmd, env=_env(tree), check=True, cwd=REPO)


def kinds(args) -> None:
    for kind, rel in KINDS.items():
        conf = REPO / rel
        t = STEPS * _deltat(conf)
        _bench(REPO, conf, Path(args.csv), f"kind={kind}",
               ["--grid", GRID, "--time", repr(t), "--repeat", str(args.repeat)])


def nftsim(args) -> None:
    old = Path(args.old).resolve()
    confs = [SHARED / "nftsim-ref" / "benchmarks" / f"{n}.conf"
             for n in ("eirs-default", "ei-default")]
    for tree, tag in ((old, "old"), (REPO, "new")):  # warm-up: compile or load caches
        for conf in confs:
            _bench(tree, conf, Path("/tmp/parnft-warm.csv"),
                   f"warm {tag}", ["--time", "0.001"])
    for _ in range(args.pairs):
        for conf in confs:
            for tree, tag in ((old, "old"), (REPO, "new")):
                _bench(tree, conf, Path(args.csv), f"tree={tag}", ["--repeat", "1"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    k = sub.add_parser("kinds")
    k.add_argument("--repeat", type=int, default=3)
    k.add_argument("--csv", default=str(REPO / "benchmarks/results/kinds.csv"))
    n = sub.add_parser("nftsim")
    n.add_argument("--old", required=True, help="old parnft source tree (holds parnft/)")
    n.add_argument("--pairs", type=int, default=5)
    n.add_argument("--csv", default=str(REPO / "benchmarks/results/nftsim-before-after.csv"))
    args = ap.parse_args()
    (kinds if args.what == "kinds" else nftsim)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
