"""Cost of a checkpoint: seconds to write and to resume, bytes on disk (issue 15).

Usage::

    .venv/bin/python benchmarks/checkpoint_cost.py [--grid 512] [--ranks 1 2]
        [--csv benchmarks/results/checkpoint.csv]

For each rank count, ``mpiexec -n R`` runs this file as a worker on the EIRS
benchmark model (configs/bench/eirs-256.conf scaled to ``--grid`` at the same
spacing): 30 steps with ``--checkpoint-every 10`` (checkpoints at steps 10
and 20; the first compiles nothing new, the write includes rank 0's CRC-32
pass over the file), then the same run stopped at step 20 and resumed
(finding, verifying and loading the checkpoint, refilling the ghosts). One CSV
row per rank count with provenance, the 1-minute load average, the seconds
per checkpoint written, the resume seconds, the checkpoint's bytes, the
seconds per step, and the fraction of run time a checkpoint every 15 minutes
of wall clock costs (write seconds / 900 s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

STEPS, EVERY, INTERVAL_S = 30, 10, 900.0


def model_text(grid: int) -> str:
    """configs/bench/eirs-256.conf on a grid x grid sheet, 30 steps."""
    from parnft.bench.resize import variant_text
    from parnft.config import read_config

    spec = read_config(str(REPO / "configs/bench/eirs-256.conf"))
    return variant_text(spec, time=STEPS * spec.time.deltat, grid=(grid, grid))


def worker(folder: str) -> None:
    """One measurement on COMM_WORLD; rank 0 prints a JSON line."""
    from mpi4py import MPI

    from parnft.api import run
    from parnft.errors import Checkpointed
    from parnft.io.checkpoint import checkpoint_dir

    comm = MPI.COMM_WORLD
    conf = os.path.join(folder, "m.conf")
    out = os.path.join(folder, "a.h5")
    _, stats = run(conf, out, comm=comm, progress=False, checkpoint_every=EVERY)
    write_s = comm.allreduce(stats.checkpoint, op=MPI.MAX) / ((STEPS - 1) // EVERY)
    step_s = comm.allreduce(stats.compute + stats.halo, op=MPI.MAX) / STEPS
    out2 = os.path.join(folder, "b.h5")
    os.environ["PARNFT_TEST_SIGNAL_AT"] = str(2 * EVERY)
    try:
        run(conf, out2, comm=comm, progress=False, checkpoint_every=EVERY)
    except Checkpointed:
        pass
    del os.environ["PARNFT_TEST_SIGNAL_AT"]
    size = 0
    if comm.rank == 0:
        folder2 = checkpoint_dir(out2)
        size = max(os.path.getsize(os.path.join(folder2, n)) for n in os.listdir(folder2))
    comm.Barrier()
    t0 = time.perf_counter()
    _, st2 = run(conf, out2, comm=comm, progress=False, resume=True)
    total = comm.allreduce(time.perf_counter() - t0, op=MPI.MAX)
    resume_s = comm.allreduce(st2.restore, op=MPI.MAX)
    if comm.rank == 0:
        print(json.dumps({"write_s": write_s, "resume_s": resume_s, "bytes": size,
                          "step_s": step_s, "resume_run_s": total}))


def main(argv=None) -> int:
    from parnft.bench.provenance import base_row, config_sha

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--grid", type=int, default=512)
    p.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    p.add_argument("--csv", default=str(REPO / "benchmarks/results/checkpoint.csv"))
    p.add_argument("--worker", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.worker:
        worker(a.worker)
        return 0
    text = model_text(a.grid)
    rows = []
    for r in a.ranks:
        folder = tempfile.mkdtemp(prefix="parnft-ckpt-bench-")
        try:
            Path(folder, "m.conf").write_text(text)
            load1 = os.getloadavg()[0]
            cmd = [shutil.which("mpiexec"), "-n", str(r), sys.executable, __file__,
                   "--worker", folder]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode:
                sys.exit(f"{' '.join(cmd)} failed ({res.returncode}):\n{res.stderr[-4000:]}")
            m = json.loads([ln for ln in res.stdout.splitlines() if ln.startswith("{")][-1])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        row = base_row() | {"config": f"eirs-256 at {a.grid}x{a.grid}",
                            "config_sha": config_sha(text), "what": f"checkpoint {r} ranks",
                            "ranks": r, "load1": round(load1, 2), **m,
                            "fraction_at_15min": m["write_s"] / INTERVAL_S}
        rows.append(row)
        print(f"{r} rank(s): write {m['write_s']:.2f} s, resume {m['resume_s']:.2f} s, "
              f"{m['bytes'] / 1e9:.2f} GB, {m['step_s'] * 1e3:.1f} ms/step, "
              f"{100 * row['fraction_at_15min']:.2f} % at a 15 min interval (load {load1:.1f})")
    _write_csv(a.csv, rows)
    return 0


def _write_csv(path: str, rows: list[dict]) -> None:
    import csv

    new = not os.path.exists(path)
    keys = list(rows[0])
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        if new:
            w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    sys.exit(main())
