"""Per-step cost of a model on this job's ranks, from many short timed calls (best of N).

    mpiexec -n R python benchmarks/step_cost.py CONF [--steps 64] [--calls 300] [--halo overlap]

Builds the model on the job's ranks (``Simulation``; the loop compiled or
loaded from the cache first), then times ``--calls`` calls of
``Simulation.run(steps=K)``, each after a barrier, as the slowest rank's
wall time. It prints one JSON line: the minimum, the 10th percentile and the
median of the seconds per step over the calls, the 1-minute load average
before and after, the ``halo`` seconds per step of the fastest call (the
slowest rank's), and which code ran (``parnft.__file__``, native MPI or not).

Why the minimum: on a machine shared with other jobs (2 cores and a load of
10 here) a rank is often descheduled, and every step of a multi-rank run
waits for its partner, so whole-run wall times measure the scheduler. A call
of K steps (a fraction of a millisecond to a few ms, under one scheduler time
slice) in which both ranks ran gives the cost of the code itself; the
minimum over hundreds of calls finds such calls. The script uses only
``Simulation.run(steps=...)``, so the same file measures old and new code
(``PYTHONPATH`` switched).
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
from mpi4py import MPI


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("config")
    ap.add_argument("--steps", type=int, default=64, help="steps per timed call")
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--halo", default="overlap")
    args = ap.parse_args(argv)
    import parnft
    from parnft.config import read_config
    from parnft.solver import Simulation

    comm = MPI.COMM_WORLD
    spec = read_config(args.config)
    sim = Simulation(spec, comm, halo=args.halo)
    sim.run(steps=args.steps)  # compile or load, and warm up
    load0 = os.getloadavg()[0]
    per_step, halo = [], []
    for _ in range(args.calls):
        if sim.n + args.steps > spec.time.steps:
            break
        comm.Barrier()
        h0 = sim.stats.halo
        t0 = time.perf_counter()
        sim.run(steps=args.steps)
        el, dh = comm.allreduce((time.perf_counter() - t0, sim.stats.halo - h0),
                                op=MPI.MAX)  # tuples: max by wall time
        per_step.append(el / args.steps)
        halo.append(dh / args.steps)
    load1 = os.getloadavg()[0]
    native = getattr(sim, "native_mpi", None)
    loops = len(sim._loops)
    sim.close()
    if comm.rank == 0:
        a = np.array(per_step)
        print(json.dumps({
            "config": os.path.basename(args.config), "ranks": comm.size, "halo": args.halo,
            "steps_per_call": args.steps, "calls": len(a), "min_us": 1e6 * a.min(),
            "p10_us": 1e6 * np.percentile(a, 10), "median_us": 1e6 * np.median(a),
            "halo_us_of_min": 1e6 * halo[int(np.argmin(a))],
            "load1_before": load0, "load1_after": load1, "parnft": parnft.__file__,
            "native_mpi": native, "compiled_loops": loops}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
