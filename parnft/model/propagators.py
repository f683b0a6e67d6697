"""Propagators: the field phi_j carried by connection j from its presynaptic population."""

from __future__ import annotations

import numpy as np

from ..boundary.absorbing import mur_constants
from ..boundary.calls import history_sides, load_ghosts, prime_fills, save_ghosts, wave_fills
from ..config.spec import PropagatorSpec
from ..errors import ConfigError
from ..kernels.delay import map_step, map_step_nodes
from ..kernels.ode import (
    harmonic_integral_step,
    harmonic_integral_step_nodes,
    harmonic_step,
    harmonic_step_nodes,
)
from ..kernels.wave import (
    flip_level,
    wave5_constants,
    wave5_step,
    wave5_step_frame,
    wave5_step_inner,
    wave5_step_rows,
    wave9_constants,
    wave9_step,
    wave9_step_frame,
    wave9_step_inner,
    wave9_step_rows,
)
from .base import Call, Component, Context, Ranged, per_node
from .registry import register


class Propagator(Component):
    """Common state: the presynaptic history, per-node delays and the output phi.

    phi starts at ``phi:`` when given, else at the presynaptic Qinit (steady).
    """

    #: True when every input of the propagator is in its :class:`PropagatorSpec`
    #: and its presynaptic population, so two with equal keys compute the same
    #: phi (:func:`make_propagator` then builds the second as :class:`Shared`).
    #: A new kind that reads anything else sets it False.
    shareable = True
    checkpoint_arrays = {"phi": "nodes", "tau": "param", "phi_init": "param"}

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        self.spec = spec
        conn = ctx.spec.connections[spec.index - 1]
        self.pre = ctx.populations[conn.pre]
        if getattr(spec, "source", None):  # an extra emitted rate of a Dynamics population
            self.pre = self.pre.output(spec.source)
        taus = np.rint(np.asarray(spec.tau, dtype=float) / ctx.dt).astype(np.int64)
        self.tau = per_node(taus, ctx.nloc, ctx.glb_index, "Tau").astype(np.int64)
        # a number or per-node tile values (a map, or a presynaptic Q map)
        self.phi_init = self.pre.q_init if spec.phi_init is None else ctx.nodal(spec.phi_init)
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
        args = (self.phi,) + self._delay_args() + (self.uniform_tau(),)
        return [Call(map_step, args, Ranged(map_step_nodes, args))]


@register("propagator", "Harmonic")
class Harmonic(Propagator):
    """(1/gamma^2 d2/dt2 + 2/gamma d/dt + 1) phi = Q_pre(t - tau) per node, RK4."""

    checkpoint_arrays = {"state": "nodes", "dstate": "nodes"}

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        super().__init__(spec, ctx)
        self.state = ctx.field(self.phi_init)
        self.dstate = ctx.field(0.0)
        self.gamma = float(spec.gamma)

    def calls(self, stage: str) -> list[Call]:
        if stage != "propagator":
            return []
        g = self.gamma * self.gamma
        args = ((self.state, self.dstate, self.phi) + self._delay_args()
                + (g, 2.0 / self.gamma, self.dt))
        return [Call(harmonic_step, args, Ranged(harmonic_step_nodes, args))]


@register("propagator", "HarmonicIntegral")
class HarmonicIntegral(Harmonic):
    """The harmonic ODE solved exactly for Q linear over each step."""

    checkpoint_arrays = {"q_old": "nodes"}

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        super().__init__(spec, ctx)
        self.q_old = ctx.field(self.pre.q_init)

    def calls(self, stage: str) -> list[Call]:
        if stage != "propagator":
            return []
        args = ((self.state, self.dstate, self.q_old, self.phi) + self._delay_args()
                + (self.gamma, self.dt))
        return [Call(harmonic_integral_step, args, Ranged(harmonic_integral_step_nodes, args))]


@register("propagator", "Wave")
class Wave(Propagator):
    """2D damped wave equation, explicit 5-point scheme on the ghosted tile.

    (1/gamma^2 d2/dt2 + 2/gamma d/dt + 1 - r^2 nabla^2) phi = Q_pre(t - tau),
    with ``Range`` r and ``gamma`` numbers or per-node maps (then each node
    has its own, in the local non-conservative form of
    :mod:`parnft.kernels.wave`; the scheme's constants and Mur's edge
    constants become per-node arrays). On a one-node grid NFTsim replaces it
    by :class:`Harmonic` (see :func:`make_propagator`). Correct on
    rectangular grids (NFTsim is not, STUDY.md section 9.1).
    """

    corners = False
    #: both time levels of phi and Q, and which one is current; r and gamma are
    #: this tile's values of a map (or numbers), rebuilt from the config
    checkpoint_arrays = {"buf_phi": "ghosted", "buf_q": "ghosted", "cur": "tile",
                         "range": "param", "gamma": "param"}
    #: Names of :meth:`constants` (per-node ones are registered under them).
    constant_names = ("p2", "dfact", "c10", "c2", "em", "ep")
    #: True when the kernels take per-node constants (Range and gamma maps).
    nodal_media = True

    def __init__(self, spec: PropagatorSpec, ctx: Context):
        super().__init__(spec, ctx)
        self.buf_phi = ctx.ghosted(2, self.phi_init)
        self.buf_q = ctx.ghosted(2, self.pre.q_init)
        self.cur = np.zeros(1, dtype=np.int64)
        self.dx = ctx.dx(self.pre.index)
        # numbers, or this tile's per-node values of a map
        self.range = ctx.nodal(spec.range)
        self.gamma = ctx.nodal(spec.gamma)
        if not self.nodal_media and not (isinstance(self.range, float)
                                         and isinstance(self.gamma, float)):
            raise ConfigError(f"Propagator {spec.index}: {type(self).__name__} takes one Range "
                              "and one gamma (no per-node maps); use the Wave kind for a "
                              "medium that varies (docs/heterogeneous.md)")
        owner = f"propagator.{spec.index}"
        #: The scheme's constants and Mur's ``(k, em)``: floats, or per-node
        #: arrays (registered as params, so a checkpoint knows them) for maps.
        self.scheme = tuple(_param(ctx, owner, name, v)
                            for name, v in zip(self.constant_names, self.constants(),
                                               strict=True))
        self.mur = tuple(_param(ctx, owner, name, v) for name, v in
                         zip(("mur_k", "mur_em"), self.mur_constants(), strict=True))
        #: Edge ghosts that carry history (Mur's, ``ghost_history``) as per-node state
        #: (the node next to each ghost cell), by level and side; set only at a checkpoint.
        self.edge_ghosts = {
            (lev, s): ctx.alloc(owner, f"edge_ghost_{lev}{'NSWE'[s]}")
            for lev in (0, 1) for s in history_sides(ctx.spec.grid.boundary)}
        self._history_sides: tuple = ()
        self._edge_fills: list = []

    def constants(self) -> tuple:
        """Scheme constants after the delay arguments (floats or per-node arrays)."""
        return wave5_constants(self.dt, self.dx, self.range, self.gamma)

    def mur_constants(self) -> tuple:
        """``(k, em)`` of Mur's absorbing fill (floats or per-node arrays)."""
        return mur_constants(self.dt, self.dx, self.range, self.gamma)

    kernel = staticmethod(wave5_step)
    rows_kernel = staticmethod(wave5_step_rows)
    inner_kernel = staticmethod(wave5_step_inner)
    frame_kernel = staticmethod(wave5_step_frame)

    def rows_args(self) -> tuple:
        """Arguments of :attr:`rows_kernel` (the uniform delay precomputed)."""
        return ((self.buf_phi, self.buf_q, self.cur, self.phi) + self._delay_args()
                + (self.uniform_tau(),) + self.scheme)

    def calls(self, stage: str) -> list[Call]:
        if stage != "propagator":
            return []
        args = (self.buf_phi, self.buf_q, self.cur, self.phi) + self._delay_args() + self.scheme
        rows = self.rows_args()
        return [Call(self.kernel, args,
                     Ranged(self.rows_kernel, rows, unit="rows",
                            after=(Call(flip_level, (self.cur,)),),
                            inner=self.inner_kernel, frame=(Call(self.frame_kernel, rows),)))]

    def wave_fields(self) -> list:
        return [(self.buf_phi, self.buf_q, self.cur, self.corners)]

    def boundary_fills(self, boundary, edges) -> list[Call]:
        """Q by zero gradient, then phi by each edge's kind (Mur for ``absorbing``)."""
        mine = {int(s) for sides in edges.values() for s in sides}
        self._history_sides = tuple(sorted({s for _, s in self.edge_ghosts if s in mine}))
        self._edge_fills = [Call(k, args) for k, args in wave_fills(
            boundary, edges, self.buf_phi, self.buf_q, self.cur, self.mur)]
        return self._edge_fills

    def boundary_primes(self, boundary, edges) -> list[Call]:
        """Both levels of phi and Q (the previous level is what Mur's fill reads), then
        the edge fills of the current level once (:meth:`boundary_fills`, called first).

        The overlap loop runs the edge fills of level n after its halo wait, before the
        frame of step n + 1, so at step 1 on the initial level too; the serial and
        blocking loops run them after each step. Running them once here gives every
        mode the same initial ghosts (they are idempotent). With a steady initial
        phi = Q Mur's ghost equals the primed one bit for bit; with a ``phi:`` map
        (phi != Q at an absorbing edge) it does not, and 3 ranks in overlap mode
        differed from 1 rank before.
        """
        return [Call(k, args) for f, zero in ((self.buf_q, True), (self.buf_phi, False))
                for k, args in prime_fills(boundary, edges, f, (0, 1), zero_gradient=zero)] \
            + list(self._edge_fills)

    def before_checkpoint(self) -> None:
        """Copy this tile's history-carrying edge ghosts, both levels, to :attr:`edge_ghosts`.

        Mur's fill of a level reads the other level's ghosts (``phi[old,
        ghost]``). The previous level's were filled in the step before at any
        rank count and halo mode; the current level's may still wait for the
        fill that follows the next halo wait (overlap mode), so the fills run
        here first: they read only this tile's interior and the previous
        level, hence running them again is bit for bit idempotent.
        """
        if not self._history_sides:
            return
        for c in self._edge_fills:
            c.kernel(*c.args, 0)
        for lev in (0, 1):
            save_ghosts(self.buf_phi[lev], self._level(lev), self._history_sides)

    def after_restore(self) -> None:
        """Put the saved edge ghosts back (after the solver refilled every ghost frame)."""
        for lev in (0, 1):
            load_ghosts(self.buf_phi[lev], self._level(lev), self._history_sides)

    def _level(self, lev: int) -> dict:
        return {s: a for (v, s), a in self.edge_ghosts.items() if v == lev}


@register("propagator", "WaveLegacy")
class WaveLegacy(Wave):
    """NFTsim's older 9-point wave scheme, kept for published results."""

    corners = True
    constant_names = ("dfact", "a10", "b", "c2", "e2")
    nodal_media = False
    kernel = staticmethod(wave9_step)
    rows_kernel = staticmethod(wave9_step_rows)
    inner_kernel = staticmethod(wave9_step_inner)
    frame_kernel = staticmethod(wave9_step_frame)

    def rows_args(self) -> tuple:
        return ((self.buf_phi, self.buf_q, self.cur, self.phi) + self._delay_args()
                + self.scheme)

    def constants(self) -> tuple:
        p2, dfact, a10, b, c2, e2 = wave9_constants(self.dt, self.dx, self.range, self.gamma)
        return (dfact, a10, b, c2, e2)


def _param(ctx: Context, owner: str, name: str, value):
    """``value`` as the kernels take it: a float, or a per-node array registered as a param."""
    if not isinstance(value, np.ndarray):
        return float(value)
    arr = ctx.alloc(owner, name, role="param")
    arr[:] = value
    return arr


class Shared(Component):
    """A propagator identical to an earlier one: its phi *is* that one's phi.

    Two propagators of the same kind from the same presynaptic population with
    the same ``phi``, ``Tau``, ``Range``, ``gamma`` and ``velocity`` compute the
    same numbers, bit for bit, every step (NFTsim computes both). EIRS models
    have such pairs (e -> e and e -> i waves). The copy does no work: its phi
    array is the first one's, so couplings and outputs read the same values,
    and it has no kernel calls and no halo fields.

    Attributes
    ----------
    spec : PropagatorSpec
        This connection's propagator.
    source : Propagator
        The earlier identical propagator that does the work.
    """

    def __init__(self, spec: PropagatorSpec, source: Propagator):
        self.spec = spec
        self.source = source
        self.phi = source.phi
        self.fields = {"phi": self.phi}


def share_key(spec: PropagatorSpec, ctx: Context, cls) -> tuple | None:
    """What makes two propagators compute the same phi, or None if ``cls`` may not share."""
    if not getattr(cls, "shareable", False):
        return None
    pre = ctx.spec.connections[spec.index - 1].pre
    # a map compares as its minimum (a float): its source tells two maps apart
    return (cls, pre, spec.phi_init, getattr(spec.phi_init, "source", None), tuple(spec.tau),
            spec.range, getattr(spec.range, "source", None), spec.gamma,
            getattr(spec.gamma, "source", None), spec.velocity, getattr(spec, "source", None))


def make_propagator(spec: PropagatorSpec, ctx: Context, cls) -> Propagator | Shared:
    """Instantiate ``cls``, or share an identical earlier propagator's phi.

    A wave on a one-node grid becomes Harmonic (as NFTsim). A propagator equal
    to one already built (:func:`share_key`) becomes :class:`Shared`.
    """
    if issubclass(cls, Wave) and ctx.spec.grid.nodes == 1:
        cls = Harmonic
    key = share_key(spec, ctx, cls)
    if key is not None:
        for other in ctx.propagators.values():
            if getattr(other, "share_key", None) == key:
                return Shared(spec, other)
    prop = cls(spec, ctx)
    prop.share_key = key
    return prop
