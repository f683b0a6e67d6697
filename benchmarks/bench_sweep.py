"""Sweep throughput: ``parnft sweep`` on R-rank groups against one ``parnft run`` per member.

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--members 64] [--ranks 2] [--rounds 1]
        [--key Coupling.1.nu] [--lo 0.00145] [--hi 0.0016] [--csv benchmarks/results/sweep.csv]

Builds a table of ``--members`` values of one key of NFTsim's ``eirs-default``
benchmark (evenly spaced in [lo, hi]), then per round times, one after the
other:

* ``ensemble``: ``mpiexec -n RANKS parnft sweep eirs-default.conf --table T -R 1``;
* ``separate``: the members' configs (the ``member-NNNN.conf`` the sweep
  wrote) run as separate ``parnft run`` processes, ``RANKS`` at a time
  (``xargs -P RANKS``), the way a job array or a shell loop would.

Both start with the model's 1-rank loop in the disk cache (an untimed
one-step run fills it). Members per minute = members / wall * 60. Every
separate run's output is compared bit for bit with the ensemble member's
file (a throughput that changed the results would not count). One CSV row
per (round, mode) with provenance and the 1-minute load averages before and
after, since other work may share the machine.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FIELDS = ("timestamp", "git_sha", "git_dirty", "host", "cpu_model", "cores", "numba", "numpy",
          "mpi4py", "h5py", "mpi_library", "config", "config_sha", "key", "members", "ranks",
          "ranks_per_member", "mode", "round", "wall_s", "cpu_s", "members_per_min",
          "members_per_cpu_min", "failed", "load1_before", "load1_after")


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def _run(argv, env, **kw) -> tuple[float, float]:
    """Wall and CPU seconds (all descendants: the launcher waits for its ranks)."""
    c0, t0 = _cpu(), time.perf_counter()
    res = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True, **kw)
    t1 = time.perf_counter()
    if res.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(map(str, argv))} failed ({res.returncode}):\n"
                         f"{res.stderr[-3000:]}")
    return t1 - t0, _cpu() - c0


def _same(a: Path, b: Path) -> bool:
    import h5py

    def data(p):
        out = {}
        with h5py.File(p, "r") as f:
            f.visititems(lambda n, o: out.__setitem__(n, o[()].tobytes())
                         if isinstance(o, h5py.Dataset) else None)
        return out

    return data(a) == data(b)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--members", type=int, default=64)
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--config", default="eirs-default")
    ap.add_argument("--key", default="Coupling.1.nu")
    ap.add_argument("--lo", type=float, default=0.00145)
    ap.add_argument("--hi", type=float, default=0.0016)
    ap.add_argument("--csv", default=str(REPO / "benchmarks/results/sweep.csv"))
    args = ap.parse_args()
    from parnft.bench.provenance import base_row, config_sha
    from parnft.bench.startup import one_step_text, singleton_env
    from parnft.config import read_config

    shared = Path(os.environ.get("PARNFT_SHARED", REPO.parent / "shared"))
    conf = shared / "nftsim-ref" / "benchmarks" / f"{args.config}.conf"
    spec = read_config(str(conf))
    env = singleton_env() | {"PYTHONPATH": str(REPO)}
    py = sys.executable
    n = args.members
    vals = [f"{args.lo + (args.hi - args.lo) * i / max(1, n - 1):.6g}" for i in range(n)]
    base = base_row()
    rows = []
    with tempfile.TemporaryDirectory(prefix="parnft-sweepbench-") as tmp:
        tmp = Path(tmp)
        table = tmp / "t.tsv"
        table.write_text("\n".join([args.key, *vals]) + "\n")
        one = tmp / "one.conf"
        one.write_text(one_step_text(spec))
        cwd = str(tmp)  # no ./parnft there to shadow PYTHONPATH
        _run([py, "-m", "parnft", "run", str(one), "-o", str(tmp / "one.h5"), "-q"], env,
             cwd=cwd)
        for rnd in range(args.rounds):
            ens = tmp / "ens"
            shutil.rmtree(ens, ignore_errors=True)
            sep = tmp / "sep"
            shutil.rmtree(sep, ignore_errors=True)
            sep.mkdir()
            walls = {}
            for mode in ("ensemble", "separate"):
                load0 = os.getloadavg()[0]
                if mode == "ensemble":
                    w, c = _run(["mpiexec", "-n", str(args.ranks), py, "-m", "parnft", "sweep",
                              str(conf), "--table", str(table), "-R", "1", "-o", str(ens),
                              "-q"], env, cwd=cwd)
                else:
                    confs = sorted(ens.glob("member-*.conf"))
                    script = (f'"{py}" -m parnft run "$0" -o "{sep}/$(basename "$0" .conf).h5"'
                              " -q")
                    w, c = _run(["xargs", "-P", str(args.ranks), "-n", "1", "sh", "-c", script],
                             env, input="\n".join(map(str, confs)), cwd=cwd)
                load1 = os.getloadavg()[0]
                walls[mode] = w
                import h5py

                with h5py.File(ens / "index.h5", "r") as f:
                    failed = int(f.attrs["members_failed"])
                rows.append(dict(base, timestamp=dt.datetime.now(dt.UTC).isoformat(
                    timespec="seconds"), config=args.config, config_sha=config_sha(spec.text),
                    key=args.key, members=n, ranks=args.ranks, ranks_per_member=1,
                    mode=mode, round=rnd, wall_s=f"{w:.3f}", cpu_s=f"{c:.3f}",
                    members_per_min=f"{n / w * 60:.2f}",
                    members_per_cpu_min=f"{n / c * 60:.2f}", failed=failed,
                    load1_before=f"{load0:.2f}", load1_after=f"{load1:.2f}"))
                print(f"round {rnd} {mode}: {n} members in {w:.2f} s = {n / w * 60:.1f} "
                      f"members/min; CPU {c:.2f} s = {n / c * 60:.1f} members per CPU-minute "
                      f"(load {load0:.1f} -> {load1:.1f})", flush=True)
            same = all(_same(ens / f"member-{i:04d}.h5", sep / f"member-{i:04d}.h5")
                       for i in range(n) if (sep / f"member-{i:04d}.h5").exists())
            print(f"round {rnd}: ensemble {walls['separate'] / walls['ensemble']:.2f}x the "
                  f"throughput of separate runs; outputs bitwise equal: {same}")
            if not same:
                raise SystemExit("ensemble and separate outputs differ")
    path = Path(args.csv)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        if new:
            w.writeheader()
        w.writerows(rows)
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
