"""The generated loop with MPI calls inside is cached on disk: a new process loads it.

numba refuses to cache functions that call through ctypes pointers ("dynamic
globals"); parnft's binding (:mod:`parnft.parallel.native`) names LLVM symbols
instead, so the loop is cacheable. Two fresh processes build the same exchange
loop (a 1-rank tiling: every side wraps onto the tile) with one cache folder;
the second must load it (numba's dispatcher counts a cache hit, no miss), and
both must fill the ghost frame as ``numpy.pad(..., mode="wrap")`` does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import json
import numpy as np
from mpi4py import MPI
from parnft.codegen import Exchange, compile_loop, plan_loop
from parnft.kernels.wave import flip_level
from parnft.model.base import Call
from parnft.parallel import Tiling, native
from parnft.parallel.halo import HaloExchange

native.load()
with Tiling(MPI.COMM_SELF, (4, 6)) as t:
    a = np.zeros((2, 6, 8))
    cur = np.zeros(1, dtype=np.int64)
    a[0, 1:-1, 1:-1] = np.arange(24.0).reshape(4, 6)
    halo = HaloExchange(t, 1, corners=True)
    ex = Exchange("blocking", halo, [(a, cur)], None, [], native.ABI)
    calls = [Call(flip_level, (cur,)), Call(flip_level, (cur,))]
    plan = plan_loop(calls, [], sample=False, exchange=ex)
    fn = compile_loop(plan)
    z = np.zeros(1, dtype=np.int64)
    fn(2, 0, 0, 1, z, 0, 1, np.array(plan.floats), np.array(plan.ints, dtype=np.int64),
       *plan.arrays)
    halo.free()
print(json.dumps({"hits": sum(fn.stats.cache_hits.values()),
                  "misses": sum(fn.stats.cache_misses.values()),
                  "wrapped": bool((a[0] == np.pad(a[0, 1:-1, 1:-1], 1, mode="wrap")).all())}))
"""


def _fresh_process(cache: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMIX", "OMPI_COMM"))}
    env.update(PARNFT_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.timeout(600)
def test_exchange_loop_loads_from_the_disk_cache_in_a_new_process(tmp_path):
    first = _fresh_process(tmp_path)
    second = _fresh_process(tmp_path)
    assert first["wrapped"] and second["wrapped"]
    assert first["misses"] == 1
    assert second == {"hits": 1, "misses": 0, "wrapped": True}
