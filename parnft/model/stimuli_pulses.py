"""Pulse-train stimulus series: PulseSine, PulseSigmoid, PAS, Burst (STUDY.md section 2.8).

Config syntax (Onset/Duration/Node common to every series, see
:class:`parnft.model.stimuli.Series`)::

    Stimulus: PulseSine - [Onset:] [Duration:] [Node:] Amplitude: Width: [Period:] [Phase:]
              [Pulses:]
    Stimulus: PulseSigmoid - ... Amplitude: Width: [Period:|Frequency:] [Pulses:] [Sigma:]
    Stimulus: PAS - ... ISI: N20 width: N20 height: P25 width: P25 height:
              TMS width: TMS height:
    Stimulus: Burst - ... Amplitude: Width: Bursts: Burst Frequency:
              Oscillation Frequency: On: Off:

The formulas are in :mod:`parnft.kernels.stimulus_pulses`.
"""

from __future__ import annotations

import math

from ..config.spec import StimulusSpec
from ..kernels.stimulus_pulses import (
    series_burst,
    series_pas,
    series_pulse_sigmoid,
    series_pulse_sine,
)
from .base import Context, config_problem
from .registry import register
from .stimuli import Series

#: Largest pulse count kept (NFTsim stores one midpoint per pulse; the kernel
#: only compares indices with it).
MAX_PULSES = 2**53


def _problem(series: Series, ctx: Context, key: str, value, rule: str, fix: str):
    return config_problem(ctx.spec, series.spec.loc, key, value, rule, fix)


@register("stimulus", "PulseSine")
class PulseSine(Series):
    """Sine pulses: Amp sin(2 pi (fmod(t,P)/Width - Phase/360)) for Width seconds every Period.

    Defaults (NFTsim): Period 1 s, Phase 0 degrees, Pulses 1.
    """

    kernel = staticmethod(series_pulse_sine)

    def scalars(self) -> tuple:
        return (self.p("Amplitude"), self.p("Width"), self.p("Period", 1.0),
                self.p("Phase", 0.0), self.p("Pulses", 1.0))


@register("stimulus", "PulseSigmoid")
class PulseSigmoid(Series):
    """Pulses with logistic edges; ``Onset`` is the midpoint of the first rise.

    Unlike the other series the clock runs from the start of the run (t = 0,
    not -Onset) and the series stays active until Duration + Onset. Pulse
    centres of the rises are Onset + k Period for k < count, with
    count = int(min(Pulses, Duration/Period)) when both are finite, else
    int(Pulses). Sigma defaults to max(Width/16, dt).

    Parameters
    ----------
    spec : StimulusSpec
    pop : StimulusPopulation
    ctx : Context
    """

    kernel = staticmethod(series_pulse_sigmoid)

    def __init__(self, spec: StimulusSpec, pop, ctx: Context):
        super().__init__(spec, pop, ctx)
        prm = spec.params
        self.onset = float(spec.onset)
        self.amp = self.p("Amplitude")
        self.width = self.p("Width")
        if "Period" in prm:
            self.period = self.p("Period")
        elif "Frequency" in prm:
            self.period = 1.0 / self.p("Frequency")
        else:
            self.period = math.inf
        pulses = self.p("Pulses", 1.0)
        self.sigma = self.p("Sigma") if "Sigma" in prm else max(self.width / 16.0, ctx.dt)
        if self.duration != math.inf and self.period != math.inf:
            count = min(pulses, self.duration / self.period)
        else:
            count = pulses
        # NFTsim truncates the count to an unsigned integer
        self.count = int(min(max(count, 0.0), MAX_PULSES))
        if self.count > 1 and self.period == math.inf:
            raise _problem(self, ctx, "Pulses", pulses,
                           "several PulseSigmoid pulses need a Period or Frequency",
                           "add Period: or Frequency:, or set Pulses: 1")
        if self.sigma <= 0.0:
            raise _problem(self, ctx, "Sigma", self.sigma, "Sigma must be positive",
                           "give a positive Sigma")
        self.first_mid = self.onset + (self.width / 2.0)
        self.clock[0] = 0.0
        if self.duration != math.inf:
            self.duration = self.duration + self.onset

    def scalars(self) -> tuple:
        return (self.amp, self.width, self.period, self.onset, self.sigma, self.count,
                self.first_mid)


@register("stimulus", "PAS")
class PAS(Series):
    """Paired associative stimulation: median-nerve N20/P25 response plus a TMS pulse ISI later.

    With ISI < 0 (TMS first) the local clock starts at -Onset - ISI and the
    median-nerve response is delayed by -ISI within it (t_m = -ISI), as NFTsim.

    Parameters
    ----------
    spec : StimulusSpec
    pop : StimulusPopulation
    ctx : Context
    """

    kernel = staticmethod(series_pas)

    def __init__(self, spec: StimulusSpec, pop, ctx: Context):
        super().__init__(spec, pop, ctx)
        self.isi = self.p("ISI")
        if self.isi < 0.0:
            self.clock[0] = self.clock[0] - self.isi
            self.t_mns = -self.isi
        else:
            self.t_mns = 0.0

    def scalars(self) -> tuple:
        return (self.isi, self.p("N20 width"), self.p("N20 height"), self.p("P25 width"),
                self.p("P25 height"), self.p("TMS width"), self.p("TMS height"), self.t_mns)


@register("stimulus", "Burst")
class Burst(Series):
    """Burst trains: Amp during pulses of Width at Burst Frequency, Bursts pulses per
    oscillation period, during On of every On + Off seconds.

    Parameters
    ----------
    spec : StimulusSpec
    pop : StimulusPopulation
    ctx : Context
    """

    kernel = staticmethod(series_burst)

    def __init__(self, spec: StimulusSpec, pop, ctx: Context):
        super().__init__(spec, pop, ctx)
        for key in ("Burst Frequency", "Oscillation Frequency"):
            if self.p(key) == 0.0:
                raise _problem(self, ctx, key, 0.0, f"{key} must be non-zero",
                               f"give a positive {key}")

    def scalars(self) -> tuple:
        return (self.p("Amplitude"), self.p("Width"), self.p("Bursts"),
                self.p("Burst Frequency"), self.p("Oscillation Frequency"), self.p("On"),
                self.p("Off"))
