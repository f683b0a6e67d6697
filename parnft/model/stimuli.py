"""Stimulus time series of external populations (NFTsim's Timeseries kinds)."""

from __future__ import annotations

import math

import numpy as np

from ..config.spec import StimulusSpec
from ..kernels.libm_check import agrees_with_libm
from ..kernels.rng import node_keys
from ..kernels.stimulus import (
    series_const,
    series_const_nodes,
    series_pulse_rect,
    series_sine,
    series_tick,
    series_white,
    series_white_coherent,
    series_white_libm,
    series_white_libm_nodes,
    series_white_nodes,
)
from .base import Call, Component, Context, Ranged
from .registry import register


class Series(Component):
    """Common state: local clock (starts at -Onset), Duration, node subset.

    ``clock`` advances by dt before the series fires, so at step n it reads
    n dt - Onset (accumulated, as NFTsim).
    """

    kernel = None
    #: clock: accumulated (t += dt, as NFTsim), so saved bit for bit, never recomputed
    checkpoint_arrays = {"clock": "tile", "nodes": "param", "on": "scratch"}

    def __init__(self, spec: StimulusSpec, pop, ctx: Context):
        self.spec = spec
        self.pop = pop
        self.nodes = ctx.local_nodes(spec.nodes)
        self.clock = np.array([-float(spec.onset)])
        self.duration = math.inf if spec.duration is None else float(spec.duration)
        self.dt = ctx.dt
        self.on = np.zeros(1, dtype=np.bool_)  # active this step (strip form)
        self.fields = {}

    def p(self, key: str, default=None) -> float:
        """Numeric parameter ``key`` of the series, or ``default``."""
        v = self.spec.params.get(key, default)
        if v is None:
            raise KeyError(key)
        return float(v[0] if isinstance(v, tuple) else v)

    def head(self) -> tuple:
        """Leading kernel arguments shared by all series kernels."""
        return (self.pop.hist, self.pop.ptr, self.nodes, self.clock, self.dt, self.duration)

    def scalars(self) -> tuple:
        """The mode's own scalar arguments."""
        return ()

    @property
    def on_every_node(self) -> bool:
        """True when the series drives every node of the tile, in order."""
        return bool(np.array_equal(self.nodes, np.arange(self.pop.q.shape[0])))

    def ticked(self, kernel_nodes, args: tuple) -> Ranged | None:
        """The strip form of a series on every node: clock tick once, then ``kernel_nodes``.

        ``args`` follow the kernel's ``(i0, i1)``; the tick writes ``self.on``,
        which they should include. None when the series drives only some nodes.
        """
        if not self.on_every_node:
            return None
        before = Call(series_tick, (self.clock, self.dt, self.duration, self.on))
        return Ranged(kernel_nodes, args, before=(before,))

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        return [Call(self.kernel, self.head() + self.scalars())]


@register("stimulus", "Const")
class Const(Series):
    """The value ``Mean`` while active."""

    kernel = staticmethod(series_const)

    def scalars(self) -> tuple:
        return (self.p("Mean"),)

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        ranged = self.ticked(series_const_nodes,
                             (self.pop.hist, self.pop.ptr, self.on) + self.scalars())
        return [Call(self.kernel, self.head() + self.scalars(), ranged)]


@register("stimulus", "PulseRect")
class PulseRect(Series):
    """Rectangular pulses: Amplitude for Width seconds every Period (1/Frequency), Pulses times."""

    kernel = staticmethod(series_pulse_rect)

    def scalars(self) -> tuple:
        if "Period" in self.spec.params:
            period = self.p("Period")
        elif "Frequency" in self.spec.params:
            period = 1.0 / self.p("Frequency")
        else:
            period = math.inf
        return (self.p("Amplitude"), self.p("Width"), period, self.p("Pulses", 1.0))


@register("stimulus", "Sine")
class Sine(Series):
    """Amplitude sin(2 pi Frequency t) while active."""

    kernel = staticmethod(series_sine)

    def scalars(self) -> tuple:
        return (self.p("Amplitude"), self.p("Frequency"))


def white_std(spec: StimulusSpec, ctx: Context, pop_length: float) -> float:
    """Standard deviation of a White series: ``StdDev``, or from the amplitude spectral density.

    With ASD: sigma = sqrt(8 pi^3 ASD^2 / (dt dx^2)) on a grid (dx = Length/L, the
    true node spacing; NFTsim uses Length/sqrt(Nodes), wrong on rectangular
    grids, its issue #173), sigma = sqrt(2 pi ASD^2 / dt) on a single node.
    """
    prm = spec.params
    if "StdDev" in prm:
        return float(prm["StdDev"])
    asd = float(prm["ASD"])
    if ctx.spec.grid.nodes == 1:
        return math.sqrt(2.0 * math.pi * asd * asd / ctx.dt)
    dx = pop_length / ctx.glb_shape[1]
    return math.sqrt(8.0 * math.pi ** 3 * asd * asd / (ctx.dt * dx * dx))


#: generator name -> {class: its twin drawing from that generator}; filled by
#: the generator's module (parnft.model.stimuli_nftsim for "nftsim"), which
#: imports this one, never the reverse
RNG_TWINS: dict[str, dict[type, type]] = {}
#: generators the classes of this module draw from themselves
NATIVE_RNGS = ("counter",)


@register("stimulus", "White")
class White(Series):
    """Gaussian white noise, independent per node and step, N(Mean, sigma^2).

    The draw is keyed by (seed, stream, global node, step), so the field is
    identical for every rank count. Seed: ``Ranseed`` or NFTsim's counter
    (1, 2, ... in construction order).
    """

    kernel = staticmethod(series_white)
    #: the draws are keyed by (seed, stream, global node, step): no generator state
    checkpoint_arrays = {"gidx": "param", "keys": "param", "sel_keys": "param",
                         "work": "scratch", "coherent_key": "param"}

    @property
    def _kernel(self):
        """:func:`series_white` where its inlined log reproduces libm, else the libm twin."""
        if self.kernel is series_white and not agrees_with_libm():
            return series_white_libm
        return self.kernel

    def __new__(cls, spec: StimulusSpec, pop, ctx: Context):
        # another generator (rng="nftsim": mt19937_64, docs/rng.md): build the twin
        # class that a generator module registered for it (RNG_TWINS)
        if ctx.rng not in NATIVE_RNGS:
            if ctx.rng not in RNG_TWINS:
                raise ValueError(f"no noise generator {ctx.rng!r} is loaded (known: "
                                 f"{', '.join(sorted(NATIVE_RNGS + tuple(RNG_TWINS)))})")
            cls = RNG_TWINS[ctx.rng].get(cls, cls)
        return super().__new__(cls)

    def __init__(self, spec: StimulusSpec, pop, ctx: Context):
        super().__init__(spec, pop, ctx)
        auto = ctx.next_seed()
        self.seed = int(self.p("Ranseed", auto))
        self.stream = auto
        self.std = white_std(spec, ctx, pop.spec.length)
        self.gidx = ctx.glb_index
        self.keys = np.empty(len(self.gidx), dtype=np.uint64)
        node_keys(self.seed, self.stream, self.gidx, self.keys)
        self.sel_keys = self.keys[self.nodes]  # the key of nodes[m], contiguous
        self.work = np.zeros((3, len(self.nodes)))  # the kernel's scratch

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        h = self.head()
        kern = self._kernel
        scal = (self.p("Mean", 0.0), self.std)
        ranged = None
        if kern in (series_white, series_white_libm):
            nodes = series_white_nodes if kern is series_white else series_white_libm_nodes
            ranged = self.ticked(nodes, (self.pop.hist, self.pop.ptr, self.sel_keys, self.work,
                                         self.on) + scal)
        return [Call(kern, h[:3] + (self.sel_keys, self.work) + h[3:] + scal, ranged)]


@register("stimulus", "WhiteCoherent")
class WhiteCoherent(White):
    """One Gaussian draw per step applied to all of the series' nodes."""

    kernel = staticmethod(series_white_coherent)

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        key = np.empty(1, dtype=np.uint64)  # global node 0's key: the same on every rank
        node_keys(self.seed, self.stream, np.zeros(1, dtype=np.int64), key)
        self.coherent_key = key
        h = self.head()
        return [Call(self.kernel, h[:3] + (key,) + h[3:]
                     + (self.p("Mean", 0.0), self.std))]
