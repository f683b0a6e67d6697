"""Helpers of the checkpoint tests: short model variants, stop-and-resume runs, file compares.

The exact-restart method (the climate models' ERS test): a run of N steps
without a break is the reference; the same run stopped at step k by the test
hook ``PARNFT_TEST_SIGNAL_AT=k`` (rank 0 behaves as if SIGTERM had arrived
then, so every rank checkpoints step k and stops with exit code 75), then
resumed with ``resume=True``, must give an output whose every dataset is
identical byte for byte.
"""

from __future__ import annotations

import contextlib
import math
import os
import zlib

import h5py
import numpy as np
import pytest

from parnft.api import run
from parnft.bench.resize import variant_text
from parnft.errors import Checkpointed
from tests.refdata import REPO, nftsim_ref

#: Models of the exact-restart tests: NFTsim regression configs (deterministic, with
#: white noise, time-varying couplings), a plastic coupling and parnft's own kinds.
DETERMINISTIC = ["test/numerical/e-cortical.conf", "test/numerical/eirs-coupling-ramp.conf",
                 "test/numerical/eirs-dendrite-integral.conf"]
NOISE = ["test/numerical/stimulus-white-square-grid.conf", "test/numerical/e-erps.conf"]
PLASTIC = ["configs/Plasticity/bcm.conf"]
ROSETTA = ["configs/rosetta/wilson-cowan.conf", "configs/rosetta/jansen-rit.conf"]
#: A kind whose state spreads (stage arrays and mid-step ghost fills, issue 14).
SPREADING = ["configs/fields/cgle.conf"]


def variant(name: str, extra_steps: int = 60) -> tuple[str, int]:
    """``(config text, steps)``: a short all-node variant of ``name`` on an odd square grid.

    Long enough for the longest delay to be read from the history plus
    ``extra_steps``; every node sampled every 3 steps, so split points fall
    both on and between samples. The grid (as tests/mpi/test_rank_sweep.py)
    keeps at least the original nodes (so ``Node:`` subsets stay valid), and
    its side divides evenly by no rank count of the tests.
    """
    from parnft.config import read_config

    path = REPO / name if name.startswith(("configs/rosetta", "configs/fields")) \
        else nftsim_ref(name)
    spec = read_config(str(path))
    dt = spec.time.deltat
    tau = max((max(p.tau) for p in spec.propagators), default=0.0)
    steps = min(spec.time.steps, int(math.ceil(tau / dt)) + extra_steps)
    side = max(spec.grid.longside, 6) + 1 if spec.grid.longside > 1 else 26
    if side % 2 == 0 or side % 3 == 0:
        side += 2 if side % 2 else 1
    grid = (side, side)
    return variant_text(spec, time=steps * dt, grid=grid, interval=3 * dt,
                        scale_length=spec.grid.longside > 1, all_nodes=True), steps


def split_point(name: str, steps: int, salt: int = 0) -> int:
    """A pseudo-random split step in [1, steps - 1], fixed per model (reproducible)."""
    rng = np.random.default_rng(zlib.crc32(f"{name}:{salt}".encode()))
    return int(rng.integers(1, max(2, steps)))


@contextlib.contextmanager
def env(**values):
    """Set environment variables (every rank of an in-process MPI test) for a block."""
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def stop_at(conf: str, out: str, k: int, every=None, **kw) -> Checkpointed:
    """Run ``conf`` with checkpoints, stopped at step ``k``: the Checkpointed error."""
    with env(PARNFT_TEST_SIGNAL_AT=k), pytest.raises(Checkpointed) as info:
        run(conf, out, progress=False, checkpoint_every=every or 10 ** 9, **kw)
    assert info.value.step == k and info.value.exit_code == 75
    return info.value


def resume(conf: str, out: str, every=None, **kw) -> str:
    """Resume ``out`` from its newest valid checkpoint and run to the end; the output path."""
    path, _ = run(conf, out, progress=False, resume=True, checkpoint_every=every, **kw)
    return path


def assert_same_files(a: str, b: str) -> int:
    """Every dataset of ``a`` equals ``b``'s byte for byte (NaN payloads, -0.0 included)."""
    n = 0
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        keys = sorted(k for k in fb if isinstance(fb[k], h5py.Dataset))
        assert keys == sorted(k for k in fa if isinstance(fa[k], h5py.Dataset))
        for k in keys:
            x, y = fa[k][()], fb[k][()]
            assert x.shape == y.shape and x.dtype == y.dtype, k
            assert np.array_equal(np.ascontiguousarray(x).view(np.uint8),
                                  np.ascontiguousarray(y).view(np.uint8)), f"dataset {k}"
            n += y.size
        assert fa.attrs["complete"] and fb.attrs["complete"]
    return n


def varies_after(path: str, sample: int) -> bool:
    """True when some traced field changes after ``sample`` (the test is not vacuous)."""
    with h5py.File(path, "r") as f:
        return any(np.any(np.diff(f[k][sample:], axis=0) != 0) for k in f
                   if isinstance(f[k], h5py.Dataset) and f[k].ndim >= 2)


def write(path, text: str) -> str:
    """Write ``text`` to ``path``; returns the path as str."""
    with open(path, "w") as f:
        f.write(text)
    return str(path)


def flip_byte(path: str, dataset: str, index: int = 0) -> None:
    """Flip one byte inside the stored values of ``dataset`` (contiguous layout)."""
    with h5py.File(path, "r") as f:
        off = f[dataset].id.get_offset()
    assert off is not None, dataset
    with open(path, "r+b") as f:
        f.seek(off + index)
        b = f.read(1)
        f.seek(off + index)
        f.write(bytes([b[0] ^ 0x10]))
