"""Pulse-train stimulus kernels: PulseSine, PulseSigmoid, PAS and Burst (STUDY.md section 2.8).

Each kernel advances its series clock by dt (:func:`~parnft.kernels.stimulus.tick`)
and, while the series is active (0 <= t < Duration), adds its value to the
newest history slot on its node subset (:func:`~parnft.kernels.stimulus.add_on`).
Between pulses an active series adds 0, as NFTsim. Every formula keeps the
association of NFTsim's C++. All are pointwise in time: no stability bound.
"""

from __future__ import annotations

import math

import numpy as np

from . import kernel
from .stimulus import add_on, tick

#: pi / sqrt(3), NFTsim's literal (the logistic's standard deviation is sigma).
PI_ON_SQRT3 = 1.813799364234217836866491779801435768604278564


@kernel
def pulse_sine_value(t, amp, width, period, phase, pulses):
    """PulseSine at local time t (0 outside a pulse).

    Amp sin(2 pi (fmod(t, P)/Width - Phase/360)) while 0 <= fmod(t, P) < Width
    and t/P < Pulses; Phase in degrees. No stability bound.
    """
    r = np.fmod(t, period)
    if r >= 0.0 and r < width and t / period < pulses:
        return amp * math.sin(2.0 * math.pi * (r / width - phase / 360.0))
    return 0.0


@kernel
def series_pulse_sine(hist, ptr, nodes, clock, dt, duration, amp, width, period, phase,
                      pulses, n):
    """PulseSine: Amp sin(2 pi (fmod(t,P)/W - Phase/360)) during each pulse while active.

    Pulse m covers [m P, m P + W) for m < Pulses. No stability bound.
    """
    t, on = tick(clock, dt, duration)
    if on:
        add_on(hist, ptr, nodes, pulse_sine_value(t, amp, width, period, phase, pulses))


@kernel
def sigmoid_bump(t, mid, amp, width, sigma):
    """One smooth pulse of amplitude Amp rising around ``mid`` and falling around ``mid + W``.

    Amp / ((1 + e^{-c (t - m)/sigma}) (1 + e^{-c ((m + W) - t)/sigma})), c = pi/sqrt(3).
    No stability bound.
    """
    return amp / ((1.0 + math.exp(-PI_ON_SQRT3 * (t - mid) / sigma))
                  * (1.0 + math.exp(-PI_ON_SQRT3 * ((mid + width) - t) / sigma)))


@kernel
def pulse_sigmoid_value(t, amp, width, period, onset, sigma, count, first_mid):
    """PulseSigmoid at time t since the start of the run.

    Pulse k rises around m_k = Onset + k Period (m_0 = Onset) and falls around
    m_k + Width, for k < count. Only the two pulses nearest t are summed:
    p2 = max(ceil((t - first_mid)/Period), 1), p1 = p2 - 1, where
    first_mid = Onset + Width/2. No stability bound.
    """
    p2 = int(max(math.ceil((t - first_mid) / period), 1.0))
    p1 = p2 - 1
    val = 0.0
    if p1 < count:
        m = onset if p1 == 0 else onset + p1 * period
        val = sigmoid_bump(t, m, amp, width, sigma)
    if p2 < count:
        val += sigmoid_bump(t, onset + p2 * period, amp, width, sigma)
    return val


@kernel
def series_pulse_sigmoid(hist, ptr, nodes, clock, dt, duration, amp, width, period, onset,
                         sigma, count, first_mid, n):
    """PulseSigmoid: a train of ``count`` logistic-edged pulses (see :func:`pulse_sigmoid_value`).

    The clock starts at 0, not -Onset, and ``duration`` is Duration + Onset
    (Onset is the midpoint of the first rise, which starts before it). No
    stability bound.
    """
    t, on = tick(clock, dt, duration)
    if on:
        add_on(hist, ptr, nodes,
               pulse_sigmoid_value(t, amp, width, period, onset, sigma, count, first_mid))


@kernel
def pas_value(t, isi, n20w, n20h, p25w, p25h, tmsw, tmsh, t_mns):
    """Paired associative stimulation at local time t.

    Median-nerve response: -N20h sin(pi (t - t_m)/N20w) on [t_m, t_m + N20w),
    then P25h sin(pi ((t - t_m) - N20w)/P25w) on [t_m + N20w, t_m + N20w + P25w);
    plus TMS height on [t_m + N20w/2 + ISI, t_m + N20w/2 + ISI + TMSw).
    t_m = max(0, -ISI). No stability bound.
    """
    val = 0.0
    if t_mns <= t and t < t_mns + n20w:
        val = -n20h * math.sin(math.pi * (t - t_mns) / n20w)
    elif t_mns + n20w <= t and t < t_mns + n20w + p25w:
        val = p25h * math.sin(math.pi * (t - t_mns - n20w) / p25w)
    tms0 = t_mns + n20w / 2.0 + isi
    if tms0 <= t and t < tms0 + tmsw:
        val = val + tmsh
    return val


@kernel
def series_pas(hist, ptr, nodes, clock, dt, duration, isi, n20w, n20h, p25w, p25h, tmsw,
               tmsh, t_mns, n):
    """PAS: N20/P25 half-sine median-nerve response plus a rectangular TMS pulse.

    With ISI < 0 the clock starts at -Onset - ISI and t_m = -ISI, so the
    median-nerve response still begins at Onset while the TMS pulse precedes
    it. No stability bound.
    """
    t, on = tick(clock, dt, duration)
    if on:
        add_on(hist, ptr, nodes, pas_value(t, isi, n20w, n20h, p25w, p25h, tmsw, tmsh, t_mns))


@kernel
def burst_value(t, amp, width, bursts, freq, osc_freq, on_time, off_time):
    """Burst train at local time t: Amp or 0.

    Amp while fmod(t, On + Off) < On (train on), fmod(t, 1/f_osc) < Bursts/f
    (within a burst) and fmod(t, 1/f) < Width (within a pulse); each fmod
    also >= 0. No stability bound.
    """
    a = np.fmod(t, on_time + off_time)
    b = np.fmod(t, 1.0 / osc_freq)
    c = np.fmod(t, 1.0 / freq)
    if (a >= 0.0 and a < on_time and b >= 0.0 and b < bursts / freq
            and c >= 0.0 and c < width):
        return amp
    return 0.0


@kernel
def series_burst(hist, ptr, nodes, clock, dt, duration, amp, width, bursts, freq, osc_freq,
                 on_time, off_time, n):
    """Burst: pulses of ``Width`` at ``Burst Frequency``, grouped ``Bursts`` per oscillation
    period 1/``Oscillation Frequency``, during ``On`` of every ``On + Off`` seconds.

    No stability bound.
    """
    t, on = tick(clock, dt, duration)
    if on:
        add_on(hist, ptr, nodes,
               burst_value(t, amp, width, bursts, freq, osc_freq, on_time, off_time))
