"""Time parnft on NFTsim's benchmark configs and compare with NFTsim (STUDY.md 6).

Usage::

    .venv/bin/python benchmarks/bench_nftsim.py [--repeat 3] [--csv benchmarks/results/nftsim.csv]

For each config: one warm-up run (numba compiles or loads its cache), then
``--repeat`` timed runs in this process (``compute`` = the time loop, and
``run`` = build + loop + output) and one timed ``parnft run`` subprocess
(``wall``, what a user waits, including Python start-up). Seconds per
node-step are printed beside NFTsim's as-shipped native build on this machine
kind, and one CSV row per config is appended with provenance, including the
1-minute load average before and after the config's runs (the machine is
shared: compare rows taken at low load, and run under ``taskset -c 1``).
Columns added since the file was started are appended to its header; older
rows leave them empty.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# STUDY.md section 6: NFTsim native build, one core of this machine kind
NFTSIM = {"eirs-default": {"wall": 8.47, "s_per_node_step": 3.92e-7},
          "ei-default": {"wall": 4.20, "s_per_node_step": 2.05e-7}}


def shared() -> Path:
    return Path(os.environ.get("PARNFT_SHARED", REPO.parent / "shared"))


def bench(name: str, repeat: int) -> dict:
    from mpi4py import MPI

    from parnft.api import run
    from parnft.config import read_config

    conf = shared() / "nftsim-ref" / "benchmarks" / f"{name}.conf"
    spec = read_config(conf)
    node_steps = spec.grid.nodes * spec.time.steps
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "b.h5")
        run(str(conf), out, comm=MPI.COMM_SELF, progress=False)  # warm-up / compile
        best = None
        for _ in range(repeat):
            t0 = time.perf_counter()
            _, st = run(str(conf), out, comm=MPI.COMM_SELF, progress=False)
            total = time.perf_counter() - t0
            if best is None or st.compute < best[0].compute:
                best = (st, total)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "parnft", "run", "-q", str(conf), "-o", out],
                       check=True, env={**os.environ, "NUMBA_NUM_THREADS": "1"})
        wall = time.perf_counter() - t0
    st, total = best
    ref = NFTSIM[name]
    return {
        "config": name, "nodes": spec.grid.nodes, "steps": spec.time.steps,
        "compute_s": round(st.compute, 4), "run_s": round(total, 4), "wall_s": round(wall, 4),
        "s_per_node_step": st.compute / node_steps,
        "nftsim_s_per_node_step": ref["s_per_node_step"],
        "speedup_compute": ref["s_per_node_step"] / (st.compute / node_steps),
        "speedup_wall": ref["wall"] / wall,
        "load1_before": round(load0, 2), "load1_after": round(os.getloadavg()[0], 2),
        "affinity": ",".join(str(c) for c in sorted(os.sched_getaffinity(0))),
    }


def _cpu_model() -> str:
    from parnft.bench.provenance import cpu_model

    return cpu_model()


def provenance() -> dict:
    import numba
    import numpy

    from parnft import __version__
    from parnft.provenance import git_sha

    return {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "git_sha": git_sha(), "parnft": __version__, "numba": numba.__version__,
            "numpy": numpy.__version__, "python": platform.python_version(),
            "host": platform.node(), "cpu": _cpu_model(), "ranks": 1}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--csv", default=str(REPO / "benchmarks" / "results" / "nftsim.csv"))
    ap.add_argument("configs", nargs="*", default=list(NFTSIM))
    args = ap.parse_args(argv)
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    prov = provenance()
    rows = [{**prov, **bench(c, args.repeat)} for c in args.configs]
    print(f"{'config':14s} {'nodes':>6s} {'steps':>7s} {'loop s':>8s} {'wall s':>7s} "
          f"{'s/(node*step)':>14s} {'NFTsim':>9s} {'x (loop)':>9s} {'x (wall)':>9s}")
    for r in rows:
        print(f"{r['config']:14s} {r['nodes']:6d} {r['steps']:7d} {r['compute_s']:8.3f} "
              f"{r['wall_s']:7.2f} {r['s_per_node_step']:14.3e} "
              f"{r['nftsim_s_per_node_step']:9.2e} {r['speedup_compute']:9.2f} "
              f"{r['speedup_wall']:9.2f}")
    append_rows(Path(args.csv), rows)
    print(f"appended {len(rows)} rows to {args.csv}")
    return 0


def append_rows(path: Path, rows: list[dict]) -> None:
    """Append ``rows`` to the CSV at ``path``, extending its header with new columns."""
    path.parent.mkdir(parents=True, exist_ok=True)
    old_rows, fields = [], []
    if path.exists():
        with path.open(newline="") as f:
            reader = csv.DictReader(f)
            fields = list(reader.fieldnames or [])
            old_rows = list(reader)
    extra = [k for r in rows for k in r if k not in fields]
    fields += list(dict.fromkeys(extra))
    if extra or not path.exists():
        with path.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields, restval="")
            w.writeheader()
            w.writerows(old_rows)
    with path.open("a", newline="") as f:
        csv.DictWriter(f, fieldnames=fields, restval="").writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
