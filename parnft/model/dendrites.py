"""Dendrites: the synaptic response V_j of connection j to its drive P_j."""

from __future__ import annotations

import numpy as np

from ..config.spec import DendriteSpec
from ..kernels.coupling import couple_uniform, couple_uniform_nodes
from ..kernels.direct import direct_copy, direct_copy_nodes
from ..kernels.ode import (
    dendrite_coupled,
    dendrite_coupled_nodes,
    dendrite_integral_step,
    dendrite_integral_step_nodes,
    dendrite_step,
    dendrite_step_nodes,
)
from .base import Call, Component, Context, Ranged
from .registry import register


def initial_potential(spec: DendriteSpec, coupling, ctx: Context):
    """V(0): ``V: <number>`` if given, else the steady state nu(0) * Qinit(pre).

    NFTsim ignores a numeric ``V`` and starts at 0 (STUDY.md section 9.4);
    parnft honours it.
    """
    if isinstance(spec.v_init, (int, float)) and not isinstance(spec.v_init, bool):
        return ctx.nodal(spec.v_init)  # a number, or this tile's values of a map
    conn = ctx.spec.connections[spec.index - 1]
    pre = ctx.populations[conn.pre]
    source = ctx.spec.propagators[spec.index - 1].source  # an extra emitted rate, or None
    q0 = pre.output(source).q_init if source else pre.q_init
    return coupling.nu_init * q0


@register("dendrite", "Dendrite")
class Dendrite(Component):
    """(1/(alpha beta)) V'' + (1/alpha + 1/beta) V' + V = P, by RK4 (NFTsim's default).

    Outputs ``V``.
    """

    checkpoint_arrays = {"dv": "nodes", "alpha": "param", "beta": "param", "f": "param",
                         "g": "param"}

    def __init__(self, spec: DendriteSpec, ctx: Context, v: np.ndarray, coupling):
        self.spec = spec
        self.v = v
        self.v[:] = initial_potential(spec, coupling, ctx)
        self.dv = ctx.field(0.0)
        self.drive = coupling.drive
        self.coupling = coupling
        self.dt = ctx.dt
        # numbers, or per-node tile arrays of a map (the kernels take either)
        self.alpha = ctx.nodal(spec.alpha)
        self.beta = ctx.nodal(spec.beta)
        #: the ODE's coefficients 1/alpha + 1/beta and alpha beta (numbers, or per node)
        self.f = 1.0 / self.alpha + 1.0 / self.beta
        self.g = self.alpha * self.beta
        self.fields = {"V": self.v}
        # P = nu phi with one constant nu: formed in the dendrite kernel (same bits),
        # so no drive array is written and read back each step
        gain = getattr(coupling, "gain", lambda: None)()
        self.folded = coupling.fold() if type(self) is Dendrite and gain is not None else None

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        f, g = self.f, self.g
        if self.folded is not None:
            nu, phi = self.folded
            args = (self.v, self.dv, nu, phi, f, g, self.dt)
            return [Call(dendrite_coupled, args, Ranged(dendrite_coupled_nodes, args))]
        args = (self.v, self.dv, self.drive, f, g, self.dt)
        return [Call(dendrite_step, args, Ranged(dendrite_step_nodes, args))]


@register("dendrite", "Integral")
class DendriteIntegral(Dendrite):
    """Exact solution of the dendrite ODE for P linear over the step (no RK4 error)."""

    checkpoint_arrays = {"p_old": "nodes"}

    def __init__(self, spec: DendriteSpec, ctx: Context, v: np.ndarray, coupling):
        super().__init__(spec, ctx, v, coupling)
        self.p_old = self.v.copy()

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        args = (self.v, self.dv, self.p_old, self.drive, self.alpha, self.beta, self.dt)
        return [Call(dendrite_integral_step, args, Ranged(dendrite_integral_step_nodes, args))]


@register("dendrite", "Direct")
class DirectDendrite(Component):
    """No synaptic filter: V = P = nu phi (``Dendrite j: Direct``, or no Dendrite block
    on a connection into a population with Dynamics). Outputs ``V``.

    With one constant nu the product is formed here (the coupling makes no
    call), as the RK4 dendrite does; otherwise the coupling's drive is copied.
    """

    def __init__(self, spec: DendriteSpec, ctx: Context, v: np.ndarray, coupling):
        self.spec = spec
        self.v = v
        self.v[:] = initial_potential(spec, coupling, ctx)
        self.drive = coupling.drive
        self.fields = {"V": self.v}
        gain = getattr(coupling, "gain", lambda: None)()
        self.folded = coupling.fold() if gain is not None else None

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        if self.folded is not None:
            nu, phi = self.folded
            args = (nu, phi, self.v)
            return [Call(couple_uniform, args, Ranged(couple_uniform_nodes, args))]
        args = (self.v, self.drive)
        return [Call(direct_copy, args, Ranged(direct_copy_nodes, args))]
