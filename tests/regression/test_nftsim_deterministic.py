"""parnft against NFTsim's own regression outputs (deterministic cases).

Reference: ``shared/nftsim-ref/outputs-this-machine/<case>.output``, written by
NFTsim built without FMA contraction on this machine kind (STUDY.md 0.2).
Values there carry 15 significant digits, so after reading both files the
arrays are compared with a relative tolerance of 1e-12 (the issue's bound);
in practice parnft reproduces them exactly (the test also records the
fraction of identical values and requires it to be 1 for the cases where
STUDY.md reports NFTsim builds themselves agree bit for bit).
"""

from __future__ import annotations

import numpy as np
import pytest

from parnft.api import run
from parnft.io.nftsim_text import read_output
from tests.refdata import nftsim_ref

CASES = ["coupling-map", "coupling-ramp-zero", "coupling-ramp", "e-cortical-legacy",
         "e-cortical", "e-erps", "eirs-aerp"]
RTOL = 1e-12


@pytest.mark.parametrize("case", CASES)
def test_matches_nftsim(case, tmp_path):
    conf = nftsim_ref("test", "numerical", f"{case}.conf")
    ref = read_output(nftsim_ref("outputs-this-machine", f"{case}.output"))
    out, _ = run(str(conf), str(tmp_path / f"{case}.output"), progress=False)
    got = read_output(out)
    assert got.names == ref.names
    assert got.nodes == ref.nodes
    np.testing.assert_array_equal(got.time, ref.time)
    assert got.data.shape == ref.data.shape
    scale = np.maximum(np.abs(ref.data), np.finfo(float).tiny)
    rel = np.abs(got.data - ref.data) / scale
    assert rel.max() <= RTOL, f"{case}: max relative difference {rel.max():.3e}"
    # echo of the configuration, as NFTsim writes it
    assert got.config_text.strip() == ref.config_text.strip()
