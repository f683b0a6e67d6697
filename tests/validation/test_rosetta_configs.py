"""Every config in configs/rosetta validates, runs briefly, and shows what its header says.

* each file reads without a problem and runs 40 steps on its own grid with
  finite outputs (the tests/regression/test_shipped_configs.py check);
* shortened (and, where no stimulus names a node, shrunk to 16 x 16 with the
  same node spacing) the fields do what the headers promise: the ING field
  oscillates in the gamma band (30-100 Hz), the Jansen-Rit sheet in the alpha
  band (8-13 Hz), the Wilson-Cowan 1972 field near its 25 Hz cycle
  (22-28 Hz), the Coombes-Byrne field oscillates, the Stuart-Landau field
  stays on its cycle (radius sqrt(alpha/gamma) = 10 s^-1 within 10 % away
  from the kick) and the harmonic sheet rings at 10 Hz after its pulse.
  Frequencies are the peak of the periodogram of the spatial mean (or of the
  pulsed node), resolution 1/T.
"""

from __future__ import annotations

import dataclasses
import math
import pathlib
import re

import numpy as np
import pytest

from parnft.bench.resize import variant_text
from parnft.config import parse_config, read_config
from parnft.outputs import MemoryWriter
from parnft.solver import Simulation

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = sorted(p.name for p in (ROOT / "configs" / "rosetta").glob("*.conf"))
STEPS = 40


def spec_of(name):
    return read_config(str(ROOT / "configs" / "rosetta" / name))


def run(spec_or_text):
    spec = parse_config(spec_or_text) if isinstance(spec_or_text, str) else spec_or_text
    sim = Simulation(spec)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    return sim, w


def test_every_rung_has_a_config():
    kinds = {p.dynamics.kind for n in CONFIGS for p in spec_of(n).populations if p.dynamics}
    assert kinds == {"HarmonicOscillator", "StuartLandau", "WilsonCowan", "JansenRit", "QIF",
                     "CoombesByrne"}
    assert "jansen-rit-composed.conf" in CONFIGS


@pytest.mark.parametrize("name", CONFIGS)
def test_runs_briefly_and_stays_finite(name):
    spec = spec_of(name)
    short = dataclasses.replace(
        spec, time=dataclasses.replace(spec.time, steps=STEPS, time=STEPS * spec.time.deltat),
        output=dataclasses.replace(spec.output, start=0.0, interval=None))
    sim, w = run(short)
    assert sim.n == STEPS and len(w.time) == STEPS
    for t in sim.outputs.traces:
        assert np.all(np.isfinite(w[t.key])), f"{name}: {t.name} not finite"


def peak_frequency(x, dt):
    x = np.asarray(x, dtype=float) - np.mean(x)
    f = np.fft.rfftfreq(x.size, dt)
    power = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    return f[1 + np.argmax(power[1:])]


def shrunk(name, time, side=16):
    """The config on a side x side grid of the same spacing, for ``time`` seconds."""
    spec = spec_of(name)
    return variant_text(spec, time=time, grid=(side, side), scale_length=True)


@pytest.mark.parametrize("name,key,time,lo,hi", [
    ("ing.conf", "pop.1.r", 0.2, 30.0, 100.0),
    ("jansen-rit.conf", "pop.1.v", 1.0, 8.0, 13.0),
    ("wilson-cowan.conf", "pop.1.x", 0.4, 22.0, 28.0),
    ("coombes-byrne.conf", "pop.1.r", 0.2, 10.0, 100.0),
])
def test_noise_driven_fields_oscillate_in_their_band(name, key, time, lo, hi):
    sim, w = run(shrunk(name, time))
    data = w[key]
    assert data.shape[1] == 256 and np.all(np.isfinite(data))
    tail = data[data.shape[0] // 4:]
    dt = w.time[1] - w.time[0]
    f = peak_frequency(tail.mean(axis=1), dt)
    assert lo <= f <= hi, (name, f)
    assert np.ptp(tail.mean(axis=1)) > 0.2 * np.abs(tail).mean()   # a rhythm, not noise


def _pulsed(name, time):
    spec = spec_of(name)
    return run(variant_text(spec, time=time))


def test_stuart_landau_field_stays_on_its_cycle():
    sim, w = _pulsed("stuart-landau.conf", 0.2)
    x = w["pop.1.x"]
    far = x[:, 0]                                     # node 1, a corner, 0.35 m from the kick
    assert 9.0 <= np.abs(far).max() <= 11.0
    f = peak_frequency(far, w.time[1] - w.time[0])
    assert 7.5 <= f <= 12.5, f
    assert np.ptp(x[-1]) > 0                          # the kick made the field non-uniform


def test_harmonic_sheet_rings_after_the_pulse():
    sim, w = _pulsed("harmonic.conf", 0.3)
    centre = w["pop.1.x"][:, 2080]                    # node 2081, the pulsed one
    t = w.time
    assert np.abs(centre[t < 0.02]).max() == 0.0      # at rest before the pulse
    f = peak_frequency(centre[t > 0.05], t[1] - t[0])
    assert 8.0 <= f <= 12.0, f
    ring = w["pop.1.x"][-1].reshape(64, 64)
    assert np.abs(ring[32, 40]) > 0 and np.abs(ring[32, 40]) < np.abs(centre).max()


@pytest.mark.parametrize("name,dt,limit", [
    ("ing.conf", 2e-4, 1e-4),                # min(tau, tau_s)/20 = 2 ms/20
    ("jansen-rit.conf", 2e-3, 1e-3),         # 1/max(a, b)/10 = 10 ms/10
    ("wilson-cowan.conf", 5e-4, 4e-4),       # min(tau)/20 = 8 ms/20
    ("harmonic.conf", 2e-3,                  # 2 pi/|alpha + i omega|/100, alpha = -5
     2 * math.pi / math.hypot(5.0, 20 * math.pi) / 100),
])
def test_step_size_rule_names_the_kind_and_the_fix(name, dt, limit):
    from parnft.errors import StabilityError

    text = (ROOT / "configs" / "rosetta" / name).read_text()
    bad = re.sub(r"Deltat: \S+", f"Deltat: {dt:g}", text, count=1)
    assert bad != text
    with pytest.raises(StabilityError) as err:
        parse_config(bad)
    msg = str(err.value)
    kind = next(p.dynamics.kind for p in spec_of(name).populations if p.dynamics)
    assert "step-size rule" in msg and kind in msg and "use Deltat <=" in msg
    bound = float(msg.split("use Deltat <=")[1].split()[0])
    assert bound == pytest.approx(limit, rel=1e-5)   # printed with 6 digits


def test_a_mistyped_choice_is_a_config_error_with_the_choices():
    from parnft.errors import ConfigError

    text = (ROOT / "configs" / "rosetta" / "wilson-cowan.conf").read_text()
    with pytest.raises(ConfigError) as err:
        parse_config(text.replace("sigmoid: shifted", "sigmoid: shiftd"))
    assert "did you mean 'shifted'" in str(err.value) and "logistic" in str(err.value)
