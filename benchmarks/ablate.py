"""Where a step's time goes: the generated loop timed with each kernel kind left out.

Usage::

    .venv/bin/python benchmarks/ablate.py MODEL.conf [--steps 50000]

Builds the model on one rank, generates its loop (``parnft.codegen``) and
times it; then, for each kernel kind in the loop, times a copy of the loop
without that kind's calls. The difference is that kind's share of a step
(microseconds). The shares are approximate: a left-out kernel can change the
numbers the others see (and so, rarely, their speed), and kinds that only
make sense together (a ring pointer advance and its reader) should be read
together. Loops are compiled in this process (no disk cache), minutes for a
large model.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from parnft import read_config
from parnft.codegen import plan_loop, source
from parnft.solver import Simulation, strip_rows


def load(src: str, name: str, folder: Path):
    """Import generated loop source ``src`` as module ``name``; return its ``advance``."""
    path = folder / f"{name}.py"
    path.write_text(src)
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.advance


def time_loop(fn, args: tuple, steps: int, repeat: int = 3) -> float:
    """Best of ``repeat`` timings of ``steps`` steps, in microseconds per step."""
    fn(1, *args)  # compile
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(steps, *args)
        best = min(best, time.perf_counter() - t0)
    return best / steps * 1e6


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("conf")
    ap.add_argument("--steps", type=int, default=50000)
    a = ap.parse_args(argv)
    sim = Simulation(read_config(a.conf))
    o = sim.outputs
    plan = plan_loop(sim.step_calls(), o.records(), strip=strip_rows(sim.ctx.loc_shape))
    src = source(plan).replace("cache=True", "cache=False")
    scal = (np.array(plan.floats, dtype=np.float64), np.array(plan.ints, dtype=np.int64))
    # never sample: skip beyond any step count
    args = (0, 10**12, 1, o.tsteps, 0, o.nrows, *scal, *plan.arrays)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = time_loop(load(src, "ablate_base", folder), args, a.steps)
        print(f"{Path(a.conf).name}: {sim.ctx.nloc} nodes, {base:.2f} us per step")
        kinds = sorted(set(re.findall(r"(k\d+_\w+)\(", src)))
        for k in kinds:
            if k.endswith("_record"):
                continue
            body = "\n".join(line for line in src.splitlines()
                             if not line.strip().startswith(k + "("))
            t = time_loop(load(body, f"ablate_{k}", folder), args, a.steps)
            calls = src.count(k + "(")
            print(f"  {k.split('_', 1)[1]:28s} {calls:3d} calls  {base - t:6.2f} us "
                  f"({100 * (base - t) / base:5.1f} %)")
    sim.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
