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

import numpy as np

from ..config.maps import is_map
from ..config.spec import DynamicsSpec
from ..kernels.firing import ring_next
from . import dynamics, rk4gen, rk4space
from .base import Call, Component, Context, GhostFill, Ranged, config_problem


def resolved(spec: DynamicsSpec, ctx: Context):
    """``(kind, values)``: the declaration and every parameter/initial value of ``spec``."""
    try:
        kind = dynamics.lookup(spec.kind)
    except KeyError as exc:
        raise config_problem(ctx.spec, spec.loc, "Dynamics", spec.kind, str(exc).strip("'\""),
                             "name a known kind (parnft models), or load its plugin with "
                             "--plugin FILE or 'Plugin: FILE'") from None
    return kind, kind.resolve(spec.params)


def nodal_values(spec: DynamicsSpec, ctx: Context):
    """``(kind, params, init)``: the parameter and initial-state tuples for this tile.

    Each entry is a float, or this tile's flat array where the ``.conf`` gave a
    per-node map (``docs/heterogeneous.md``).
    """
    kind, values = resolved(spec, ctx)
    params = tuple(ctx.nodal(spec.params[p.name]) if is_map(spec.params.get(p.name)) else v
                   for p, v in zip(kind.params, kind.param_tuple(values), strict=True))
    init = tuple(ctx.nodal(spec.params[f"{v.name}_0"])
                 if is_map(spec.params.get(f"{v.name}_0")) else s0
                 for v, s0 in zip(kind.state, kind.initial_state(values), strict=True))
    return kind, params, init


def _per_node(fn, s, p, nloc: int):
    """``fn(s, p)`` (a float or a tuple), at each node when ``s`` or ``p`` holds arrays."""
    if not any(isinstance(x, np.ndarray) for x in s + p):
        return fn(s, p)
    outs = [fn(tuple(float(x[i]) if isinstance(x, np.ndarray) else x for x in s),
               tuple(float(x[i]) if isinstance(x, np.ndarray) else x for x in p))
            for i in range(nloc)]
    if isinstance(outs[0], tuple):
        return tuple(np.array([o[k] for o in outs], dtype=float) for k in range(len(outs[0])))
    return np.array(outs, dtype=float)


def initial_rate(spec: DynamicsSpec, ctx: Context):
    """Q at t = 0: rate(s(0), p) of the kind at its initial state (per node with maps)."""
    kind, params, init = nodal_values(spec, ctx)
    q = _per_node(kind.rate, init, params, ctx.nloc)
    q = float(q) if not isinstance(q, np.ndarray) else q
    if not np.all(np.isfinite(q)):
        raise config_problem(ctx.spec, spec.loc, "Dynamics", spec.kind,
                             f"the initial rate Q = rate(s(0)) of {spec.kind} is {q}",
                             "give finite initial values <var>_0 inside the kind's domain")
    return q


def initial_outputs(spec: DynamicsSpec, ctx: Context) -> tuple[float, ...]:
    """The extra emitted rates at t = 0: emit(s(0), p) (empty for a kind without outputs)."""
    kind, params, init = nodal_values(spec, ctx)
    if not kind.outputs:
        return ()
    out = _per_node(kind.emit, init, params, ctx.nloc)
    return tuple(v if isinstance(v, np.ndarray) else float(v) for v in out)


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

    checkpoint_arrays = {"chan": "param", "params": "param"}

    def __init__(self, spec: DynamicsSpec, pop, ctx: Context):
        self.kind, self.params, init = nodal_values(spec, ctx)
        self.pop = pop
        self.dt = ctx.dt
        owner = f"population.{pop.index}"
        self.state = [ctx.alloc(owner, v.name, "nodes", s0) for v, s0 in
                      zip(self.kind.state, init, strict=True)]
        # input channel of each input row (connection order); none: one summed input
        self.chan = None
        if self.kind.inputs:
            words = [ctx.spec.dendrites[j - 1].params.get("Input", self.kind.inputs[0])
                     for j in pop.incoming]
            self.chan = np.array([self.kind.inputs.index(w) for w in words], dtype=np.int64)
        nodal = any(isinstance(p, np.ndarray) for p in self.params)
        self.spatial = None
        if self.kind.spatial:  # local parameters may be maps, the coefficients not
            values = {p.name: v for p, v in zip(self.kind.params, self.params, strict=True)}
            self.spatial = _SpatialStages(self, values, ctx, owner, nodal)
        else:
            self.whole, self.nodes = rk4gen.kernels(self.kind, nodal)
        self.fields = {name: e.q for name, e in pop.emitted.items()}
        self.fields.update({v.name: a for v, a in zip(self.kind.state, self.state, strict=True)})
        self.units = self.kind.units

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        if self.spatial is not None:
            return self.spatial.calls()
        pop = self.pop
        inputs = (pop.vd,) if self.chan is None else (pop.vd, self.chan)
        extra = tuple(a for e in pop.emitted.values() for a in (e.hist, e.q))
        args = (*inputs, *self.state, pop.hist, pop.ptr, pop.q, *extra, *self.params, self.dt)
        before = (Call(ring_next, (pop.ptr, pop.hist.shape[0])),)
        return [Call(self.whole, args, Ranged(self.nodes, args, before=before))]


class _SpatialStages:
    """The four RK4 stages of a kind with spatial operators, a ghost fill before each.

    Arrays (this tile): ``Ya``, ``Yb`` ghosted ``(m, ly+2, lx+2)`` stage states
    (all m variables; only the spreading ones, :attr:`Dynamics.spreading`, are
    exchanged), one accumulator per variable (``rk4_acc_<var>``, scratch). The
    scheme and its association order: :mod:`parnft.model.rk4space`. With
    ``nodal`` some parameters of the local dynamics are per-node arrays; the
    spatial coefficients (the parameters the declared terms read) must be
    numbers (the config refuses maps on them, :func:`parnft.config.dynamics.map_keys`).
    """

    #: the stage states: rewritten from the state (load) and filled before every read
    checkpoint_arrays = {"ya": "scratch", "yb": "scratch"}

    def __init__(self, soma: DynamicsSoma, values: dict, ctx: Context, owner: str,
                 nodal: bool = False):
        kind = soma.kind
        m = len(kind.state)
        self.soma = soma
        arrays = sorted({c for op in kind.spatial for c in op.coefs
                         if isinstance(values[c], np.ndarray)})
        if arrays:
            raise ValueError(f"Dynamics {kind.name}: the spatial coefficient(s) "
                             f"{', '.join(arrays)} must be one number, not a per-node array")
        self.k = rk4space.kernels(kind, nodal)
        self.ya = ctx.ghosted(m)
        self.yb = ctx.ghosted(m)
        self.acc = [ctx.alloc(owner, f"rk4_acc_{v.name}", "nodes", 0.0, role="scratch")
                    for v in kind.state]
        dx = ctx.dx(soma.pop.index)
        self.coefs = tuple(op.value(values) for op in kind.spatial)
        self.idx2 = 1.0 / (dx * dx)
        names = [v.name for v in kind.state]
        levels = [np.array([names.index(v)], dtype=np.int64) for v in kind.spreading]
        self.fill_a = GhostFill(tuple((self.ya, c) for c in levels))
        self.fill_b = GhostFill(tuple((self.yb, c) for c in levels))

    def calls(self) -> list:
        soma, pop, k = self.soma, self.soma.pop, self.k
        inputs = (pop.vd,) if soma.chan is None else (pop.vd, soma.chan)
        extra = tuple(a for e in pop.emitted.values() for a in (e.hist, e.q))
        tail = (*soma.params, *self.coefs, self.idx2, soma.dt)
        S, A = tuple(soma.state), tuple(self.acc)

        def call(role, args, before=()):
            return Call(k[role], args, Ranged(k[f"{role}_rows"], args, unit="rows",
                                              before=before))

        out = [call("load", (*S, self.ya)), self.fill_a]
        for role, yi, yo, fill in (("s1", self.ya, self.yb, self.fill_b),
                                   ("s2", self.yb, self.ya, self.fill_a),
                                   ("s3", self.ya, self.yb, self.fill_b)):
            out += [call(role, (*inputs, *S, yi, yo, *A, *tail)), fill]
        args4 = (*inputs, *S, self.yb, *A, pop.hist, pop.ptr, pop.q, *extra, *tail)
        out.append(call("s4", args4, before=(Call(ring_next, (pop.ptr, pop.hist.shape[0])),)))
        return out
