"""The soma of a population with local dynamics: a declared kind advanced by RK4.

A :class:`DynamicsSoma` is the member of the population family built from a
:class:`~parnft.model.declare.Dynamics` declaration (``Dynamics: <Kind>`` in
a ``.conf``). It plays the part a firing response plays in an NFTsim
population: it reads the population's input rows ``vd`` (one per incoming
connection: a dendrite's potential, or nu*phi for a ``Direct`` dendrite),
advances its named per-node state variables by one RK4 step with the summed
input held constant, and writes Q = rate(s, p) into the population's history
ring and Q field, the contract every propagator reads (delays included).
The kernel is generated from the declaration (:mod:`parnft.model.rk4gen`).
"""

from __future__ import annotations

import math

import numpy as np

from ..config.spec import DynamicsSpec
from ..kernels.firing import ring_next
from . import dynamics, rk4gen
from .base import Call, Component, Context, Ranged, config_problem


def resolved(spec: DynamicsSpec, ctx: Context):
    """``(kind, values)``: the declaration and every parameter/initial value of ``spec``."""
    try:
        kind = dynamics.lookup(spec.kind)
    except KeyError as exc:
        raise config_problem(ctx.spec, spec.loc, "Dynamics", spec.kind, str(exc).strip("'\""),
                             "name a known kind (parnft models), or load its plugin with "
                             "--plugin FILE or 'Plugin: FILE'") from None
    return kind, kind.resolve(spec.params)


def initial_rate(spec: DynamicsSpec, ctx: Context) -> float:
    """Q at t = 0: rate(s(0), p) of the kind at its initial state."""
    kind, values = resolved(spec, ctx)
    q = float(kind.rate(kind.initial_state(values), kind.param_tuple(values)))
    if not math.isfinite(q):
        raise config_problem(ctx.spec, spec.loc, "Dynamics", spec.kind,
                             f"the initial rate Q = rate(s(0)) of {spec.kind} is {q}",
                             "give finite initial values <var>_0 inside the kind's domain")
    return q


def initial_outputs(spec: DynamicsSpec, ctx: Context) -> tuple[float, ...]:
    """The extra emitted rates at t = 0: emit(s(0), p) (empty for a kind without outputs)."""
    kind, values = resolved(spec, ctx)
    if not kind.outputs:
        return ()
    out = kind.emit(kind.initial_state(values), kind.param_tuple(values))
    return tuple(float(v) for v in out)


class DynamicsSoma(Component):
    """Named state variables advanced by a declared kind's RK4 kernel; outputs Q and the state.

    Parameters
    ----------
    spec : DynamicsSpec
        The ``Dynamics:`` block of the population.
    pop : parnft.model.populations.NeuralPopulation
        Provides the input rows ``vd``, the ring ``hist``/``ptr`` and ``q``.
    ctx : Context
    """

    checkpoint_arrays = {"chan": "param"}

    def __init__(self, spec: DynamicsSpec, pop, ctx: Context):
        self.kind, values = resolved(spec, ctx)
        self.pop = pop
        self.dt = ctx.dt
        owner = f"population.{pop.index}"
        init = self.kind.initial_state(values)
        self.state = [ctx.alloc(owner, v.name, "nodes", s0) for v, s0 in
                      zip(self.kind.state, init, strict=True)]
        self.params = self.kind.param_tuple(values)
        # input channel of each input row (connection order); none: one summed input
        self.chan = None
        if self.kind.inputs:
            words = [ctx.spec.dendrites[j - 1].params.get("Input", self.kind.inputs[0])
                     for j in pop.incoming]
            self.chan = np.array([self.kind.inputs.index(w) for w in words], dtype=np.int64)
        self.whole, self.nodes = rk4gen.kernels(self.kind)
        self.fields = {name: e.q for name, e in pop.emitted.items()}
        self.fields.update({v.name: a for v, a in zip(self.kind.state, self.state, strict=True)})
        self.units = self.kind.units

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        pop = self.pop
        inputs = (pop.vd,) if self.chan is None else (pop.vd, self.chan)
        extra = tuple(a for e in pop.emitted.values() for a in (e.hist, e.q))
        args = (*inputs, *self.state, pop.hist, pop.ptr, pop.q, *extra, *self.params, self.dt)
        before = (Call(ring_next, (pop.ptr, pop.hist.shape[0])),)
        return [Call(self.whole, args, Ranged(self.nodes, args, before=before))]
