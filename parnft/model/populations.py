"""Neural and stimulus populations: firing-rate history rings and soma state.

A population's firing rate Q is kept in a ring buffer ``hist`` of H slots
(H = longest delay, in steps, of the propagators it feeds, plus one), so a
propagator with delay tau reads slot ``(ptr - tau) mod H``. All slots start at
the initial rate, i.e. the past is the steady state. NFTsim's ring has an
off-by-one (a one-step Tau gives no delay, STUDY.md section 9.3): here every
Tau is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..config.spec import PopulationSpec
from ..kernels.firing import ring_next
from ..kernels.stimulus import stim_begin, stim_begin_nodes, stim_end, stim_end_nodes
from . import dynamics
from .base import Call, Component, Context, Ranged
from .catalog import lookup
from .soma import DynamicsSoma, initial_outputs, initial_rate


def history_length(ctx: Context, population: int) -> int:
    """Ring length for ``population``: 1 + the largest Tau in steps of its outgoing propagators."""
    longest = 0
    for c in ctx.spec.outgoing(population):
        tau = ctx.spec.propagators[c.index - 1].tau
        longest = max(longest, max(int(round(t / ctx.dt)) for t in tau))
    return longest + 1


class Population(Component):
    """State common to every kind: the Q history ring, its pointer and Q output.

    The arrays are named (:meth:`Context.alloc`) under ``population.<k>``:
    ``hist`` (the ring), ``ptr`` (its pointer) and ``Q`` (unless the ring has one
    slot, which then is Q).
    """

    #: the initial rate (a number, or a per-node map's tile): rebuilt from the config
    checkpoint_arrays = {"q_init": "param"}

    def __init__(self, spec: PopulationSpec, ctx: Context, q_init: float | None = None):
        self.spec = spec
        self.index = spec.index
        # a number, or this tile's values of a per-node map (docs/heterogeneous.md)
        self.q_init = ctx.nodal(spec.q_init if q_init is None else q_init)
        owner = f"population.{spec.index}"
        self.hist = ctx.alloc(owner, "hist", "rows", self.q_init,
                              rows=history_length(ctx, spec.index))
        self.ptr = ctx.alloc(owner, "ptr", "scalar", 0, dtype=np.int64)
        # a one-slot ring (no delayed reader) holds exactly Q: share its memory, so a
        # step writes Q once (the kernels' second store hits the same cache line)
        self.q = (self.hist[0] if self.hist.shape[0] == 1
                  else ctx.alloc(owner, "Q", "nodes", self.q_init))
        self.fields = {"Q": self.q}
        self.units = {"Q": "s^-1"}


@dataclass
class Emitted:
    """An extra emitted rate of a population with dynamics (``Dynamics.outputs``).

    It has its own history ring and field (named ``hist_<name>`` and ``<name>``
    under ``population.<k>``) and shares the population's ring pointer, so a
    propagator reads it exactly as it reads Q (``Source: <name>``).
    """

    index: int
    name: str
    hist: np.ndarray
    ptr: np.ndarray
    q: np.ndarray
    q_init: float | np.ndarray

    @classmethod
    def alloc(cls, pop: Population, name: str, value, ctx: Context) -> Emitted:
        owner = f"population.{pop.index}"
        hist = ctx.alloc(owner, f"hist_{name}", "rows", value, rows=pop.hist.shape[0])
        q = hist[0] if hist.shape[0] == 1 else ctx.alloc(owner, name, "nodes", value)
        return cls(pop.index, name, hist, pop.ptr, q,
                   value if isinstance(value, np.ndarray) else float(value))


class NeuralPopulation(Population):
    """A population with dendrites and a soma: a firing response or a declared dynamics.

    ``vd[r]`` is the potential of the r-th incoming dendrite (connection
    order), written by that dendrite's kernel; the firing kernel sums them
    into ``v`` and writes Q. With ``Dynamics: <Kind>`` the soma is a
    :class:`~parnft.model.soma.DynamicsSoma` whose RK4 kernel reads the same
    rows; without a ``Q:`` key its initial rate is rate(s(0)).
    """

    #: v: the summed potential, read by plasticity at the next step's coupling stage.
    checkpoint_arrays = {"v": "nodes"}

    def __init__(self, spec: PopulationSpec, ctx: Context):
        q0 = None
        if spec.dynamics is not None and not math.isfinite(spec.q_init):
            q0 = initial_rate(spec.dynamics, ctx)
        super().__init__(spec, ctx, q0)
        self.emitted: dict[str, Emitted] = {}
        if spec.dynamics is not None:
            kind = dynamics.lookup(spec.dynamics.kind)
            for var, e0 in zip(kind.outputs, initial_outputs(spec.dynamics, ctx), strict=True):
                self.emitted[var.name] = Emitted.alloc(self, var.name, e0, ctx)
        self.incoming = [c.index for c in ctx.spec.incoming(spec.index)]
        owner = f"population.{spec.index}"
        self.vd = ctx.alloc(owner, "vd", "rows", 0.0, rows=len(self.incoming))
        self.v = ctx.field(0.0)
        self.dendrites: list = []
        self.firing = None

    def output(self, name: str) -> Emitted:
        """The extra emitted rate ``name`` (``Propagator j: ... Source: name``)."""
        return self.emitted[name]

    def build(self, ctx: Context) -> None:
        """Create dendrites (needs the couplings) and the firing response."""
        for row, j in enumerate(self.incoming):
            dspec = ctx.spec.dendrites[j - 1]
            cls = lookup("dendrite", dspec.kind)
            self.dendrites.append(cls(dspec, ctx, self.vd[row], ctx.couplings[j]))
        self.v[:] = self.vd.sum(axis=0) if len(self.incoming) else 0.0
        if self.spec.dynamics is not None:
            self.firing = DynamicsSoma(self.spec.dynamics, self, ctx)
        else:
            cls = lookup("firing", self.spec.firing.kind)
            self.firing = cls(self.spec.firing, self, ctx)
        self.fields = {"Q": self.q, **self.firing.fields}
        self.units = {"Q": "s^-1", **getattr(self.firing, "units", {})}

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        out = []
        for d in self.dendrites:
            out += d.calls(stage)
        return out + self.firing.calls(stage)


class StimulusPopulation(Population):
    """An external population: Q is the sum of its stimulus series."""

    def __init__(self, spec: PopulationSpec, ctx: Context):
        super().__init__(spec, ctx)
        stim = spec.stimulus
        parts = stim.parts if stim.mode == "Superimpose" else (stim,)
        self.series = [lookup("stimulus", p.mode)(p, self, ctx) for p in parts]

    def build(self, ctx: Context) -> None:
        """Nothing to link: a stimulus reads no other component."""

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        ring = self.hist, self.ptr
        out = [Call(stim_begin, ring, Ranged(stim_begin_nodes, ring, before=(
            Call(ring_next, (self.ptr, self.hist.shape[0])),)))]
        for s in self.series:
            out += s.calls(stage)
        end = (self.hist, self.ptr, self.q)
        return out + [Call(stim_end, end, Ranged(stim_end_nodes, end))]


def make_population(spec: PopulationSpec, ctx: Context) -> Population:
    """The population object for ``spec`` (stimulus or neural)."""
    return StimulusPopulation(spec, ctx) if spec.is_stimulus else NeuralPopulation(spec, ctx)
