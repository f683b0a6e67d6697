"""Every config NFTsim ships and runs also runs here (for a short Time).

STUDY.md 4.4: all shipped configs run in NFTsim except Plasticity/pas.conf
(fCaP) and test_coupling_ramp.conf (nus); those and test_time-validation.conf
must instead fail validation with a clear error (tests/unit/test_config_*).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from parnft.config import read_config
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation
from tests.refdata import nftsim_configs, nftsim_ref

NOT_RUN_BY_NFTSIM = {"configs/Plasticity/pas.conf", "configs/test_coupling_ramp.conf",
                     "configs/test_time-validation.conf"}
CONFIGS = [c for c in nftsim_configs("configs") + nftsim_configs("benchmarks")
           + nftsim_configs("test/numerical") if c not in NOT_RUN_BY_NFTSIM]
STEPS = 40


@pytest.mark.parametrize("name", CONFIGS)
def test_runs_briefly_and_stays_finite(name):
    spec = read_config(nftsim_ref(*name.split("/")))
    short = dataclasses.replace(
        spec, time=dataclasses.replace(spec.time, steps=STEPS, time=STEPS * spec.time.deltat),
        output=dataclasses.replace(spec.output, start=0.0, interval=None))
    sim = Simulation(short)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    assert sim.n == STEPS
    assert len(w.time) == STEPS
    for t in sim.outputs.traces:
        data = w[t.key]
        assert data.shape[0] == STEPS
        assert np.all(np.isfinite(data)), f"{name}: {t.name} not finite"
    for pop in sim.ctx.populations.values():
        assert np.all(np.isfinite(pop.q))
