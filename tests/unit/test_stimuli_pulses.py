"""PulseSine, PulseSigmoid, PAS and Burst stimuli against plain-Python references.

The references below are written from the formulas of STUDY.md section 2.8
(NFTsim's Timeseries), independently of parnft's kernels: a series clock
starts at -Onset (PulseSigmoid: at 0), advances by dt before each evaluation
(accumulated), and the series adds its value on its nodes while
0 <= t < Duration.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from parnft.config.spec import Params, StimulusSpec
from parnft.errors import ConfigError
from parnft.kernels.stimulus import stim_begin, stim_end
from parnft.model.base import Context
from parnft.model.catalog import lookup

TOL = {"rtol": 1e-13, "atol": 1e-13}


# ---------------------------------------------------------------- references
def ref_pulse_sine(t, amp, width, period=1.0, phase=0.0, pulses=1.0):
    r = math.fmod(t, period)
    if 0 <= r < width and t / period < pulses:
        return amp * math.sin(2.0 * math.pi * (r / width - phase / 360.0))
    return 0.0


def ref_pulse_sigmoid(t, amp, width, period, onset, sigma, count):
    c = math.pi / math.sqrt(3.0)
    p2 = max(math.ceil((t - (onset + width / 2.0)) / period), 1)
    total = 0.0
    for k in (p2 - 1, p2):
        if k < count:
            m = onset + (k * period if k else 0.0)
            total += amp / ((1.0 + math.exp(-c * (t - m) / sigma))
                            * (1.0 + math.exp(-c * (m + width - t) / sigma)))
    return total


def ref_pas(t, isi, n20w, n20h, p25w, p25h, tmsw, tmsh):
    tm = max(0.0, -isi)
    v = 0.0
    if tm <= t < tm + n20w:
        v = -n20h * math.sin(math.pi * (t - tm) / n20w)
    elif tm + n20w <= t < tm + n20w + p25w:
        v = p25h * math.sin(math.pi * (t - tm - n20w) / p25w)
    if tm + n20w / 2 + isi <= t < tm + n20w / 2 + isi + tmsw:
        v += tmsh
    return v


def ref_burst(t, amp, width, bursts, fb, fo, on, off):
    if (math.fmod(t, on + off) < on and math.fmod(t, 1.0 / fo) < bursts / fb
            and math.fmod(t, 1.0 / fb) < width):
        return amp
    return 0.0


def ref_series(value, steps, dt, t0, duration, nodes, nglb):
    """Rows of the stimulus field: ``value(t)`` on ``nodes`` (1-based) while active."""
    out = np.zeros((steps, nglb))
    t = t0
    for n in range(steps):
        t += dt
        if 0.0 <= t < duration:
            for j in nodes or range(1, nglb + 1):
                out[n, j - 1] += value(t)
    return out


# ------------------------------------------------------------------- harness
def run_series(specs, steps, dt, glb_shape=(1, 6), loc_shape=None, loc_start=(0, 0)):
    """Drive the registered series of ``specs`` on one tile as a stimulus population."""
    loc_shape = loc_shape or glb_shape
    ctx = Context(spec=SimpleNamespace(path="<test>"), dt=dt, glb_shape=glb_shape,
                  loc_shape=loc_shape, loc_start=loc_start)
    pop = SimpleNamespace(hist=np.full((3, ctx.nloc), 7.0), ptr=np.zeros(1, dtype=np.int64),
                          q=ctx.field(7.0))
    series = [lookup("stimulus", s.mode)(s, pop, ctx) for s in specs]
    calls = [c for s in series for c in s.calls("population")]
    assert all(s.calls("coupling") == [] for s in series)
    out = np.zeros((steps, ctx.nloc))
    for n in range(1, steps + 1):
        stim_begin(pop.hist, pop.ptr, n)
        for c in calls:
            c.kernel(*c.args, n)
        stim_end(pop.hist, pop.ptr, pop.q, n)
        out[n - 1] = pop.q
    return out


def spec(mode, onset=0.0, duration=None, nodes=(), **params):
    return StimulusSpec(mode=mode, onset=onset, duration=duration, nodes=tuple(nodes),
                        params=Params({k.replace("_", " "): v for k, v in params.items()}))


# --------------------------------------------------------------------- tests
@pytest.mark.parametrize("onset, duration, nodes, prm", [
    (0.0, None, (), dict(Amplitude=2.0, Width=0.05, Period=0.13, Phase=30.0, Pulses=7.0)),
    (0.1, 0.8, (2, 5), dict(Amplitude=-1.5, Width=0.2)),
    (0.25, 0.5, (6,), dict(Amplitude=1.0, Width=0.03, Period=0.04, Pulses=100.0, Phase=-90.0)),
])
def test_pulse_sine_matches_formula(onset, duration, nodes, prm):
    dt = 1e-3
    got = run_series([spec("PulseSine", onset, duration, nodes, **prm)], 1500, dt)
    kw = {"amp": prm["Amplitude"], "width": prm["Width"], "period": prm.get("Period", 1.0),
          "phase": prm.get("Phase", 0.0), "pulses": prm.get("Pulses", 1.0)}
    want = ref_series(lambda t: ref_pulse_sine(t, **kw), 1500, dt, -onset,
                      math.inf if duration is None else duration, nodes, 6)
    np.testing.assert_allclose(got, want, **TOL)
    assert np.count_nonzero(want) > 20


def test_pulse_sine_onset_and_duration_edges():
    dt = 2.0**-10  # exact clock: step n reads t = n dt - Onset
    onset, duration = 64 * dt, 200 * dt
    got = run_series([spec("PulseSine", onset, duration, (3,), Amplitude=1.0, Width=1.0,
                           Phase=-90.0)], 400, dt)
    # first active step: t = 0 (n = 64): Amp sin(pi/2) = 1
    assert got[62, 2] == 0.0 and got[63, 2] == 1.0
    # last active step t = Duration - dt (n = 263); inactive at t = Duration
    assert got[262, 2] != 0.0 and got[263, 2] == 0.0
    assert not np.any(np.delete(got, 2, axis=1))


@pytest.mark.parametrize("onset, duration, nodes, prm", [
    (0.2, None, (1,), dict(Amplitude=3.0, Width=0.3, Period=0.5, Pulses=4.0, Sigma=0.02)),
    (0.5, 1.7, (3, 4, 5), dict(Amplitude=1.0, Width=0.1, Frequency=4.0, Pulses=9.0)),
    (1.0, None, (), dict(Amplitude=3.0, Width=0.25)),
    (0.3, 1.05, (2,), dict(Amplitude=2.0, Width=0.2, Period=0.35, Pulses=50.0)),
])
def test_pulse_sigmoid_matches_formula(onset, duration, nodes, prm):
    dt = 1e-3
    steps = 2500
    got = run_series([spec("PulseSigmoid", onset, duration, nodes, **prm)], steps, dt)
    period = prm.get("Period", 1.0 / prm["Frequency"] if "Frequency" in prm else math.inf)
    pulses = prm.get("Pulses", 1.0)
    sigma = prm.get("Sigma", max(prm["Width"] / 16.0, dt))
    count = int(min(pulses, duration / period)) if duration is not None else int(pulses)
    kw = {"amp": prm["Amplitude"], "width": prm["Width"], "period": period,
          "onset": onset, "sigma": sigma, "count": count}
    # clock from the start of the run; active until Duration + Onset
    end = math.inf if duration is None else duration + onset
    want = ref_series(lambda t: ref_pulse_sigmoid(t, **kw), steps, dt, 0.0, end, nodes, 6)
    np.testing.assert_allclose(got, want, **TOL)
    assert want.max() > 0.9 * prm["Amplitude"]


def test_pulse_sigmoid_onset_is_midpoint_of_first_rise():
    dt = 2.0**-12
    onset, width = 0.5, 0.25
    got = run_series([spec("PulseSigmoid", onset, None, (), Amplitude=2.0, Width=width)],
                     4096, dt)[:, 0]
    n_on = round(onset / dt)  # step whose clock reads exactly Onset
    c = math.pi / math.sqrt(3.0)
    half = 2.0 / (2.0 * (1.0 + math.exp(-c * width / (width / 16.0))))
    assert got[n_on - 1] == pytest.approx(half, rel=1e-12)
    # the rise starts before Onset and the plateau is reached inside the pulse
    assert 0.0 < got[n_on - 100] < half < 1.99 < got[n_on + 200] < 2.0


def test_pulse_sigmoid_count_truncated_by_duration():
    dt = 1e-3
    # Duration/Period = 2.5 -> 2 pulses although Pulses = 5
    got = run_series([spec("PulseSigmoid", 0.1, 1.0, (), Amplitude=1.0, Width=0.1,
                           Period=0.4, Pulses=5.0, Sigma=0.005)], 1100, dt)[:, 0]
    peaks = [got[round((0.1 + k * 0.4 + 0.05) / dt) - 1] for k in range(3)]
    assert peaks[0] > 0.99 and peaks[1] > 0.99 and peaks[2] < 1e-6


def test_pulse_sigmoid_needs_period_for_several_pulses():
    with pytest.raises(ConfigError, match="Period"):
        run_series([spec("PulseSigmoid", 0.0, None, (), Amplitude=1.0, Width=0.1,
                         Pulses=3.0)], 1, 1e-3)


PAS_A = dict(ISI=10e-3, N20_width=2.5e-3, N20_height=5.0, P25_width=3.5e-3, P25_height=5.0,
             TMS_width=0.5e-3, TMS_height=3.0)
PAS_B = dict(ISI=-7e-3, N20_width=12e-3, N20_height=5.0, P25_width=15e-3, P25_height=4.0,
             TMS_width=5e-3, TMS_height=3.0)
PAS_C = dict(ISI=3e-3, N20_width=12e-3, N20_height=5.0, P25_width=15e-3, P25_height=4.0,
             TMS_width=5e-3, TMS_height=3.0)


@pytest.mark.parametrize("onset, duration, nodes, prm", [
    (0.01, None, (), PAS_A), (0.02, 0.3, (1, 6), PAS_B), (0.0, None, (4,), PAS_C),
    (0.05, 0.021, (), PAS_C),
])
def test_pas_matches_formula(onset, duration, nodes, prm):
    dt = 1e-4
    got = run_series([spec("PAS", onset, duration, nodes, **prm)], 1000, dt)
    args = [prm[k] for k in ("ISI", "N20_width", "N20_height", "P25_width", "P25_height",
                             "TMS_width", "TMS_height")]
    # ISI < 0: the local clock starts at -Onset - ISI
    t0 = -onset - min(prm["ISI"], 0.0)
    want = ref_series(lambda t: ref_pas(t, *args), 1000, dt, t0,
                      math.inf if duration is None else duration, nodes, 6)
    np.testing.assert_allclose(got, want, **TOL)
    assert want.min() < -1.0 and want.max() > 2.9


def test_pas_negative_isi_puts_tms_first():
    dt = 1e-4
    got = run_series([spec("PAS", 0.02, None, (), **PAS_B)], 800, dt)[:, 0]
    # clock starts at -Onset - ISI = -13 ms; t_m = 7 ms, so the N20 begins at the
    # global time Onset = 20 ms and the TMS pulse (local 6..11 ms) at 19 ms
    assert np.flatnonzero(got)[0] in (189, 190)  # 19 ms, up to clock rounding
    assert got[185 - 1] == 0.0
    assert got[195 - 1] == 3.0
    n20 = -5.0 * math.sin(math.pi * 1e-3 / 12e-3)
    assert got[210 - 1] == pytest.approx(n20 + 3.0, rel=1e-9)
    assert got[260 - 1] == pytest.approx(-5.0 * math.sin(math.pi * 6e-3 / 12e-3), rel=1e-9)


@pytest.mark.parametrize("onset, duration, nodes, prm", [
    (0.05, 2.5, (2, 6), dict(Amplitude=4.0, Width=5e-3, Bursts=3.0, Burst_Frequency=50.0,
                             Oscillation_Frequency=5.0, On=0.6, Off=0.4)),
    (0.0, None, (), dict(Amplitude=1.0, Width=2e-3, Bursts=5.0, Burst_Frequency=100.0,
                         Oscillation_Frequency=8.0, On=1.0, Off=0.5)),
])
def test_burst_matches_formula(onset, duration, nodes, prm):
    dt = 1e-3
    got = run_series([spec("Burst", onset, duration, nodes, **prm)], 3000, dt)
    args = [prm[k] for k in ("Amplitude", "Width", "Bursts", "Burst_Frequency",
                             "Oscillation_Frequency", "On", "Off")]
    want = ref_series(lambda t: ref_burst(t, *args), 3000, dt, -onset,
                      math.inf if duration is None else duration, nodes, 6)
    np.testing.assert_array_equal(got, want)
    assert np.count_nonzero(want[:, nodes[0] - 1 if nodes else 0]) > 50


def test_superimposed_series_on_a_tile_use_global_node_numbers():
    dt = 1e-3
    specs = [spec("PulseSine", 0.0, None, (2, 6, 7), Amplitude=1.0, Width=0.2, Period=0.3,
                  Pulses=9.0),
             spec("Burst", 0.01, None, (6, 8), Amplitude=4.0, Width=5e-3, Bursts=3.0,
                  Burst_Frequency=50.0, Oscillation_Frequency=5.0, On=0.6, Off=0.4)]
    full = run_series(specs, 600, dt, glb_shape=(2, 4))
    tile = run_series(specs, 600, dt, glb_shape=(2, 4), loc_shape=(1, 4), loc_start=(1, 0))
    np.testing.assert_array_equal(tile, full[:, 4:])
    a = ref_series(lambda t: ref_pulse_sine(t, 1.0, 0.2, 0.3, 0.0, 9.0), 600, dt, 0.0,
                   math.inf, (2, 6, 7), 8)
    b = ref_series(lambda t: ref_burst(t, 4.0, 5e-3, 3.0, 50.0, 5.0, 0.6, 0.4), 600, dt,
                   -0.01, math.inf, (6, 8), 8)
    np.testing.assert_allclose(full, a + b, **TOL)


def test_stimulus_population_through_the_solver():
    from parnft.config import parse_config
    from parnft.outputs import MemoryWriter
    from parnft.solver import Simulation

    text = """Pulse stimuli
Time: 0.5 Deltat: 1e-3
Nodes: 4

    Connection matrix:
From:  1
To 1:  0

Population 1: Stimulation
Length: 0.5
 Stimulus: Superimpose: 3
 Stimulus: PulseSine - Onset: 0.05 Node: 1 2 Amplitude: 2.0 Width: 0.05 Period: 0.13 Pulses: 3
 Stimulus: PulseSigmoid - Onset: 0.2 Node: 2 3 Amplitude: 1.0 Width: 0.1 Sigma: 0.01
 Stimulus: PAS - Onset: 0.1 Node: 4 ISI: 10e-3 N20 width: 2.5e-3 N20 height: 5.0
   P25 width: 3.5e-3 P25 height: 5.0 TMS width: 0.5e-3 TMS height: 3.0

Output: Node: All Start: 0
Population: 1
Dendrite:
Propagator:
Coupling:
"""
    sim = Simulation(parse_config(text))
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    got = w["pop.1.q"]
    dt = 1e-3
    want = ref_series(lambda t: ref_pulse_sine(t, 2.0, 0.05, 0.13, 0.0, 3.0), 500, dt, -0.05,
                      math.inf, (1, 2), 4)
    want += ref_series(lambda t: ref_pulse_sigmoid(t, 1.0, 0.1, math.inf, 0.2, 0.01, 1), 500,
                       dt, 0.0, math.inf, (2, 3), 4)
    want += ref_series(lambda t: ref_pas(t, 10e-3, 2.5e-3, 5.0, 3.5e-3, 5.0, 0.5e-3, 3.0), 500,
                       dt, -0.1, math.inf, (4,), 4)
    np.testing.assert_allclose(got, want, **TOL)
