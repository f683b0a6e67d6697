"""Halo transports side by side: MPI messages against the shared-memory window.

Two measurements, both alternating the variants within one invocation (this
machine drifts 10-20 % between minutes, so only side-by-side numbers count):

``mpiexec -n 2 python benchmarks/halo_transport.py exchange [--work 6000] [--repeats 8]``
    A compiled loop does ``--work`` iterations of a multiply-add (about 6 us
    here, the compute of eirs-default's 72-node tile) and then one exchange
    of eirs-default's four ghosted fields on a 12 x 12 torus, through
    :class:`parnft.parallel.HaloExchange` with ``transport="mpi"`` and
    ``transport="shm"`` alternately, ``--steps`` steps per repeat. Prints one
    JSON line: per transport the median over steps of the exchange's
    microseconds (complete + unpack + pack + post), one value per repeat.

``python benchmarks/halo_transport.py runs CONF [--rounds 6] [--csv FILE]``
    Whole ``parnft bench`` runs of CONF, in rounds of: 1 rank, then 2 ranks
    for each transport (mpi, shm) and halo mode (overlap, blocking); each
    launch times ``--repeat`` runs and appends its rows (with the
    ``halo_transport`` column) to ``--csv``. Prints the median and minimum
    wall seconds of every variant.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys

import numpy as np

VARIANTS = (("1", "", "overlap"), ("2", "mpi", "overlap"), ("2", "mpi", "blocking"),
            ("2", "shm", "overlap"), ("2", "shm", "blocking"))


def exchange(args) -> int:
    from halo_parts import _work as work  # the same dummy step (benchmarks/ on sys.path)
    from mpi4py import MPI
    from numba import njit

    from parnft.kernels.halo import pack_field, unpack_field
    from parnft.parallel import HaloExchange, Tiling, native
    from parnft.parallel.shm import shm_complete, shm_post

    @njit
    def loop_mpi(steps, h, nrecv, st, state, sb, rb, plan, fs, cur, nwork, wt):
        acc = 0.0
        for s in range(steps):
            acc += work(nwork)
            t0 = native.wtime()
            if native.halo_complete(h, nrecv, st, state):
                for k in range(len(fs)):
                    unpack_field(rb, plan, k, fs[k], cur)
            native.halo_begin(h, nrecv, st, state)
            for k in range(len(fs)):
                pack_field(sb, plan, k, fs[k], cur)
            native.halo_post(h, state)
            wt[s] = native.wtime() - t0
        return acc

    @njit
    def loop_shm(steps, wi, wf, sp, rp, win, state, sb, rb, plan, fs, cur, nwork, wt):
        acc = 0.0
        for s in range(steps):
            acc += work(nwork)
            t0 = native.wtime()
            if shm_complete(wi, wf, rb, rp, win, state):
                for k in range(len(fs)):
                    unpack_field(rb, plan, k, fs[k], cur)
            for k in range(len(fs)):
                pack_field(sb, plan, k, fs[k], cur)
            shm_post(wi, wf, sb, sp, win, state)
            wt[s] = native.wtime() - t0
        return acc

    native.load()
    comm = MPI.COMM_WORLD
    res = {"mpi": [], "shm": []}
    with Tiling(comm, (12, 12)) as t:
        ly, lx = t.loc_shape
        cur = np.zeros(1, dtype=np.int64)
        fs = tuple(np.zeros((2, ly + 2, lx + 2)) for _ in range(4))
        plans = {tr: HaloExchange(t, 4, transport=tr) for tr in res}
        wt = np.zeros(args.steps)
        for _ in range(args.repeats):
            for tr, h in plans.items():
                assert h.transport == tr
                comm.Barrier()
                if tr == "mpi":
                    loop_mpi(args.steps, h.handles, h.nrecv, h.statuses, h.state, h.sendbuf,
                             h.recvbuf, h.plan, fs, cur, args.work, wt)
                else:
                    s = h.shm
                    loop_shm(args.steps, s.words_i, s.words_f, s.send_plan, s.recv_plan,
                             s.win_handle, h.state, h.sendbuf, h.recvbuf, h.plan, fs, cur,
                             args.work, wt)
                if h.pending:
                    h.wait([f[0] for f in fs])
                res[tr].append(float(np.median(wt)) * 1e6)
        for h in plans.values():
            h.free()
    if comm.rank == 0:
        print(json.dumps({"ranks": comm.size, "work": args.work, "steps": args.steps,
                          "load1": os.getloadavg()[0],
                          **{f"{k}_us": [round(v, 3) for v in x] for k, x in res.items()}}))
    return 0


def runs(args) -> int:
    walls: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        for ranks, transport, halo in VARIANTS:
            env = dict(os.environ)
            if transport:
                env["PARNFT_HALO_TRANSPORT"] = transport
            before = _rows(args.csv)
            cmd = ["mpiexec", "-n", ranks, "--bind-to", "core", sys.executable, "-m", "parnft",
                   "bench", args.config, "--repeat", str(args.repeat), "--csv", args.csv,
                   "--no-stream", "--halo", halo, "--label", args.label]
            subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL,
                           timeout=600)
            key = f"{ranks} rank(s) {transport or '-'} {halo if ranks != '1' else ''}".strip()
            new = _rows(args.csv)[len(before):]
            walls.setdefault(key, []).extend(float(r["wall_s"]) for r in new)
    for key, w in walls.items():
        print(f"{key:28s} n={len(w):2d} median {statistics.median(w):.3f} s  "
              f"min {min(w):.3f} s")
    return 0


def _rows(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="what", required=True)
    e = sub.add_parser("exchange")
    e.add_argument("--work", type=int, default=6000)
    e.add_argument("--steps", type=int, default=20000)
    e.add_argument("--repeats", type=int, default=8)
    r = sub.add_parser("runs")
    r.add_argument("config")
    r.add_argument("--rounds", type=int, default=6)
    r.add_argument("--repeat", type=int, default=2)
    r.add_argument("--csv", default="benchmarks/results/halo-transport.csv")
    r.add_argument("--label", default="halo transport side by side")
    args = ap.parse_args(argv)
    return exchange(args) if args.what == "exchange" else runs(args)


if __name__ == "__main__":
    raise SystemExit(main())
