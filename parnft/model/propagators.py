"""Propagators: the field phi_j carried by connection j from its presynaptic population."""

from __future__ import annotations

import numpy as np

from ..config.spec import PropagatorSpec
from ..kernels.delay import map_step
from ..kernels.ode import harmonic_integral_step, harmonic_step
from ..kernels.wave import wave5_constants, wave5_step, wave9_constants, wave9_step
from .base import Call, Component, Context, per_node
from .registry import register


class Propagator(Component):
    """Common state: the presynaptic history, per-node delays and the output phi.

    phi starts at ``phi:`` when given, else at the presynaptic Qinit (steady).
    """

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        self.spec = spec
        conn = ctx.spec.connections[spec.index - 1]
        self.pre = ctx.populations[conn.pre]
        taus = np.rint(np.asarray(spec.tau, dtype=float) / ctx.dt).astype(np.int64)
        self.tau = per_node(taus, ctx.nloc, ctx.glb_index, "Tau").astype(np.int64)
        self.phi_init = self.pre.q_init if spec.phi_init is None else float(spec.phi_init)
        self.phi = ctx.field(self.phi_init)
        self.dt = ctx.dt
        self.fields = {"phi": self.phi}

    def _delay_args(self) -> tuple:
        return (self.pre.hist, self.pre.ptr, self.tau)

    def uniform_tau(self) -> int:
        """The delay [steps] of every node when all are equal, else -1."""
        return int(self.tau[0]) if self.tau.size and np.all(self.tau == self.tau[0]) else -1


@register("propagator", "Map")
class Map(Propagator):
    """phi(r, t) = Q_pre(r, t - tau): no spatial spread."""

    def calls(self, stage: str) -> list[Call]:
        if stage != "propagator":
            return []
        return [Call(map_step, (self.phi,) + self._delay_args() + (self.uniform_tau(),))]


@register("propagator", "Harmonic")
class Harmonic(Propagator):
    """(1/gamma^2 d2/dt2 + 2/gamma d/dt + 1) phi = Q_pre(t - tau) per node, RK4."""

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        super().__init__(spec, ctx)
        self.state = ctx.field(self.phi_init)
        self.dstate = ctx.field(0.0)
        self.gamma = float(spec.gamma)

    def calls(self, stage: str) -> list[Call]:
        if stage != "propagator":
            return []
        g = self.gamma * self.gamma
        return [Call(harmonic_step, (self.state, self.dstate, self.phi) + self._delay_args()
                     + (g, 2.0 / self.gamma, self.dt))]


@register("propagator", "HarmonicIntegral")
class HarmonicIntegral(Harmonic):
    """The harmonic ODE solved exactly for Q linear over each step."""

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        super().__init__(spec, ctx)
        self.q_old = ctx.field(self.pre.q_init)

    def calls(self, stage: str) -> list[Call]:
        if stage != "propagator":
            return []
        return [Call(harmonic_integral_step, (self.state, self.dstate, self.q_old, self.phi)
                     + self._delay_args() + (self.gamma, self.dt))]


@register("propagator", "Wave")
class Wave(Propagator):
    """2D damped wave equation, explicit 5-point scheme on the ghosted tile.

    (1/gamma^2 d2/dt2 + 2/gamma d/dt + 1 - r^2 nabla^2) phi = Q_pre(t - tau).
    On a one-node grid NFTsim replaces it by :class:`Harmonic` (see
    :func:`make_propagator`). Correct on rectangular grids (NFTsim is not,
    STUDY.md section 9.1).
    """

    corners = False

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        super().__init__(spec, ctx)
        self.buf_phi = ctx.ghosted(2, self.phi_init)
        self.buf_q = ctx.ghosted(2, self.pre.q_init)
        self.cur = np.zeros(1, dtype=np.int64)
        self.dx = ctx.dx(self.pre.index)
        self.range = float(spec.range)
        self.gamma = float(spec.gamma)

    def constants(self) -> tuple:
        """Scheme constants after the delay arguments."""
        return wave5_constants(self.dt, self.dx, self.range, self.gamma)

    kernel = staticmethod(wave5_step)

    def calls(self, stage: str) -> list[Call]:
        if stage != "propagator":
            return []
        return [Call(self.kernel, (self.buf_phi, self.buf_q, self.cur, self.phi)
                     + self._delay_args() + tuple(self.constants()))]

    def wave_fields(self) -> list:
        return [(self.buf_phi, self.buf_q, self.cur, self.corners)]


@register("propagator", "WaveLegacy")
class WaveLegacy(Wave):
    """NFTsim's older 9-point wave scheme, kept for published results."""

    corners = True
    kernel = staticmethod(wave9_step)

    def constants(self) -> tuple:
        p2, dfact, a10, b, c2, e2 = wave9_constants(self.dt, self.dx, self.range, self.gamma)
        return (dfact, a10, b, c2, e2)


def make_propagator(spec: PropagatorSpec, ctx: Context, cls) -> Propagator:
    """Instantiate ``cls``; a wave on a one-node grid becomes Harmonic (as NFTsim)."""
    if issubclass(cls, Wave) and ctx.spec.grid.nodes == 1:
        cls = Harmonic
    return cls(spec, ctx)
