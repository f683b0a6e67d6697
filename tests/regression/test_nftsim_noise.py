"""NFTsim-compatible white noise (``rng="nftsim"``) against NFTsim's outputs, bit for bit.

Reference: ``shared/nftsim-ref/outputs-this-machine/<case>.output``, written by
NFTsim built without FMA contraction (STUDY.md 0.2). Both files are read with
:func:`parnft.io.nftsim_text.read_output` (15 significant digits) and compared.

Tolerance: **none**, the arrays must be identical. A relative difference up to
1e-12 (the project's bound for NFTsim comparisons) is reported separately so a
failure says how far off it is. The generator itself is checked against the
values the C++ standard and libstdc++ 12 give.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from numba import njit

from parnft.api import run
from parnft.io.nftsim_text import read_output
from parnft.kernels.mt19937 import mt_next, mt_seed, new_cache, normal, skip_normal
from tests.refdata import nftsim_ref

CASES = ["stimulus-white-no-grid", "stimulus-white-rectangular-grid",
         "stimulus-white-square-grid", "eirs-coupling-ramp", "eirs-dendrite-integral",
         "eirs-eyes-closed", "eirs-spindles"]
RTOL = 1e-12


def _compare(got, ref, case: str) -> None:
    assert got.names == ref.names
    assert got.nodes == ref.nodes
    np.testing.assert_array_equal(got.time, ref.time)
    assert got.data.shape == ref.data.shape
    scale = np.maximum(np.abs(ref.data), np.finfo(float).tiny)
    rel = float((np.abs(got.data - ref.data) / scale).max())
    same = float(np.mean(got.data == ref.data))
    assert rel <= RTOL, f"{case}: max relative difference {rel:.3e}"
    assert same == 1.0, f"{case}: {same:.6%} identical, max relative difference {rel:.3e}"


@pytest.mark.parametrize("case", CASES)
def test_noise_matches_nftsim(case, tmp_path):
    conf = nftsim_ref("test", "numerical", f"{case}.conf")
    ref = read_output(nftsim_ref("outputs-this-machine", f"{case}.output"))
    out, _ = run(str(conf), str(tmp_path / f"{case}.output"), rng="nftsim", progress=False)
    _compare(read_output(out), ref, case)


@pytest.mark.parametrize("nranks", [2, 4])
def test_noise_independent_of_rank_count(nranks, tmp_path):
    """Every rank walks the whole stream: 2 or 4 ranks give NFTsim's values too."""
    mpirun = shutil.which("mpirun") or shutil.which("mpiexec")
    assert mpirun, "mpirun/mpiexec must be installed (setup.sh installs openmpi-bin)"
    case = "stimulus-white-square-grid"
    conf = nftsim_ref("test", "numerical", f"{case}.conf")
    ref = read_output(nftsim_ref("outputs-this-machine", f"{case}.output"))
    out = tmp_path / f"{case}.output"
    cmd = [mpirun, "-n", str(nranks), sys.executable, "-m", "parnft", "run", str(conf),
           "-o", str(out), "--rng", "nftsim", "-q"]
    # env: os.environ as Python started, without what MPI_Init (singleton) added to
    # this process's C environment, which would confuse the child mpirun
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                          env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    _compare(read_output(out), ref, f"{case} on {nranks} ranks")


def test_unknown_rng_rejected(tmp_path):
    conf = nftsim_ref("test", "numerical", "stimulus-white-no-grid.conf")
    from parnft.errors import ParnftError

    with pytest.raises(ParnftError, match="rng"):
        run(str(conf), str(tmp_path / "x.output"), rng="mersenne", progress=False)


@njit(cache=False)
def _outputs(state, pos, count):
    out = np.empty(count, dtype=np.uint64)
    for i in range(count):
        out[i] = mt_next(state, pos)
    return out


@njit(cache=False)
def _normals(state, pos, cache, skip, mean, std):
    out = np.full(skip.shape[0], np.nan)
    for i in range(skip.shape[0]):
        if skip[i]:
            skip_normal(state, pos, cache)
        else:
            out[i] = normal(state, pos, cache, mean, std)
    return out


def test_mt19937_64_standard_values():
    """C++ [rand.predef]: the 10000th output of a default (5489) mt19937_64."""
    state, pos = mt_seed(5489)
    out = _outputs(state, pos, 10000)
    assert int(out[0]) == 14514284786278117030
    assert int(out[-1]) == 9981545732273789042


def test_normal_matches_libstdcxx():
    """``std::normal_distribution<double>(0, 1)`` on ``std::mt19937_64(1)`` (g++ 12)."""
    expected = [float.fromhex(h) for h in
                ("-0x1.8c1da014dda1p-2", "-0x1.42c3b2b72217p-5", "0x1.5fa75918ca314p-1")]
    state, pos = mt_seed(1)
    got = _normals(state, pos, new_cache(), np.zeros(3, dtype=np.bool_), 0.0, 1.0)
    assert got.tolist() == expected
    # z * sigma + mean, and skipping a draw leaves the later ones unchanged
    state, pos = mt_seed(1)
    got = _normals(state, pos, new_cache(), np.array([True, False, True]), 1.5, 0.25)
    assert got[1] == expected[1] * 0.25 + 1.5


def test_skip_keeps_stream():
    """Skipping any subset of draws leaves the other values bit-identical."""
    n = 20001
    state, pos = mt_seed(12345)
    full = _normals(state, pos, new_cache(), np.zeros(n, dtype=np.bool_), 0.0, 1.0)
    skip = np.random.default_rng(3).random(n) < 0.7
    state, pos = mt_seed(12345)
    part = _normals(state, pos, new_cache(), skip, 0.0, 1.0)
    np.testing.assert_array_equal(part[~skip], full[~skip])
