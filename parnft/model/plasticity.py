"""Plastic couplings: calcium-dependent plasticity (CaDP), BCM and BCM-Spatial.

The coupling strength nu of connection j evolves with the calcium Ca that
flows through NMDA receptors of the postsynaptic population: glutamate
binding B (from the population's glutamate, so the postsynaptic population
must use ``Firing: GlutamateResponse``) times the voltage factor H (from its
soma potential V). Both are read at the start of the step, i.e. as left by
the previous step's population stage (STUDY.md section 2.2). Equations and
stability bounds: :mod:`parnft.kernels.plasticity`.

The glutamate array is fetched lazily in :meth:`CaDP.calls`, because
couplings are built before the populations' firing responses.

At the first step NFTsim reads V = 0 (its soma potential is only summed in
the first population stage) and glu = 0 (see
:class:`~parnft.model.glutamate.GlutamateResponse`); parnft reads the steady
V of the dendrites and glu = 1e-6. Started from NFTsim's values, these
couplings reproduce NFTsim's output to its 15 printed digits
(tests/unit/test_plasticity.py).
"""

from __future__ import annotations

import math

import numpy as np

from ..config.spec import CouplingSpec
from ..kernels import plasticity as K
from ..kernels.plasticity import bcm_spatial_step, cadp_step
from .base import Call, Context, config_problem
from .couplings import Coupling
from .registry import register

#: Initial calcium [mol/L] of every synapse, as NFTsim.
CA_INIT = 1e-8
#: Initial off-diagonal nu of BCM-Spatial when one nu value is given, as NFTsim.
OFF_DIAGONAL_NU = 1e-8


def _num(spec: CouplingSpec, ctx: Context, key: str, default=None) -> float:
    v = spec.params.get(key, default)
    v = v[0] if isinstance(v, tuple) else v
    if v is None or not math.isfinite(float(v)):
        raise config_problem(ctx.spec, spec.loc, key, v, f"{spec.kind} needs a finite {key}",
                             f"give '{key}: <number>' in Coupling {spec.index}")
    return float(v)


def plasticity_params(spec: CouplingSpec, ctx: Context, nu0: float) -> np.ndarray:
    """The ``par`` array of the plasticity kernels (layout ``K.P_*``).

    Defaults as NFTsim: tCa = 50e-3, gNMDA = 2e-3, z = 0.01, t_rec = 1e3;
    yth = xyth (nu_max - nu_0) / nu_0 with nu_0 the initial nu.
    """
    par = np.zeros(K.NPAR)
    xth = _num(spec, ctx, "xyth")
    nu_max = _num(spec, ctx, "nu_max")
    par[K.P_GLU0] = _num(spec, ctx, "glu_0")
    par[K.P_B] = _num(spec, ctx, "B")
    par[K.P_XTH] = xth
    par[K.P_YTH] = xth * (nu_max - nu0) / nu0
    par[K.P_LTP] = _num(spec, ctx, "x")
    par[K.P_LTD] = _num(spec, ctx, "y")
    par[K.P_PTH] = _num(spec, ctx, "Pth")
    par[K.P_DTH] = _num(spec, ctx, "Dth")
    par[K.P_NUMAX] = nu_max
    par[K.P_TCA] = _num(spec, ctx, "tCa", 50e-3)
    par[K.P_Z] = _num(spec, ctx, "z", 0.01)
    par[K.P_G0] = _num(spec, ctx, "gNMDA", 2e-3)
    if spec.kind != "CaDP":
        par[K.P_TBCM] = _num(spec, ctx, "t_BCM")
        par[K.P_TREC] = _num(spec, ctx, "t_rec", 1e3)
    return par


@register("coupling", "CaDP")
class CaDP(Coupling):
    """Calcium-dependent plasticity, one synapse per node; P_i = nu_i phi_i.

    State per node: Ca (starts at 1e-8), nutilde and nu (start at ``nu``),
    nu' (starts at 0); gNMDA is a constant. Outputs, in NFTsim's order:
    ``nutilde``, ``nu``, ``Ca``, ``B``, ``H`` (B and H as used in the last step).

    Difference from NFTsim: NFTsim drives every node with the nu of node 0,
    P_i = nu_0 phi_i (STUDY.md section 9.6), although each node's nu evolves
    with its own glutamate and V. Here every node uses its own nu_i; on a
    spatially uniform model both agree exactly.
    """

    bcm = False
    checkpoint_arrays = {k: "nodes" for k in ("ca", "nutilde", "dnu", "nu", "b", "h", "g")} \
        | {"par": "param"}

    def __init__(self, spec: CouplingSpec, ctx: Context):
        super().__init__(spec, ctx)
        conn = ctx.spec.connections[spec.index - 1]
        self.post = ctx.populations[conn.post]
        self.ctx = ctx
        self.nu0 = self._initial_nu(spec, ctx)
        self.par = plasticity_params(spec, ctx, self.nu0)
        self._alloc(ctx)

    def _initial_nu(self, spec: CouplingSpec, ctx: Context) -> float:
        if len(spec.nu) != 1:
            raise config_problem(ctx.spec, spec.loc, "nu", spec.nu,
                                 f"{spec.kind} takes one initial nu", "give 'nu: <number>'")
        return self._check_nu0(spec, ctx)

    @staticmethod
    def _check_nu0(spec: CouplingSpec, ctx: Context) -> float:
        nu0 = float(spec.nu[0])
        if nu0 == 0.0 or not math.isfinite(nu0):
            raise config_problem(ctx.spec, spec.loc, "nu", nu0,
                                 f"{spec.kind} needs a finite non-zero nu (yth divides by it)",
                                 "give the initial synaptic strength, e.g. nu: 13e-6")
        return nu0

    def _shape(self, ctx: Context) -> tuple:
        return (ctx.nloc,)

    def _alloc(self, ctx: Context) -> None:
        shape = self._shape(ctx)
        self.ca = np.full(shape, CA_INIT)
        self.nutilde = np.full(shape, self.nu0)
        self.dnu = np.zeros(shape)
        self.nu = np.full(shape, self.nu0)
        self.b = np.zeros(shape)
        self.h = np.zeros(shape)
        self.g = np.full(shape, self.par[K.P_G0])
        self.fields = {"nutilde": self.nutilde, "nu": self.nu, "Ca": self.ca, "B": self.b,
                       "H": self.h}

    @property
    def nu_init(self) -> float:
        """Initial nu (sets the steady initial dendritic potential)."""
        return self.nu0

    @property
    def excitatory(self) -> bool:
        """NFTsim's ``excite()``: initial nu > 0."""
        return self.nu0 > 0.0

    def _glutamate(self) -> np.ndarray:
        firing = getattr(self.post, "firing", None)
        glu = getattr(firing, "glu", None)
        if glu is None:
            raise config_problem(self.ctx.spec, self.spec.loc, "Coupling", self.spec.kind,
                                 f"a {self.spec.kind} coupling needs a GlutamateResponse "
                                 f"postsynaptic population (Population {self.post.index})",
                                 "write 'Firing: GlutamateResponse - Lambda: ... tGlu: ... "
                                 "Function: ...' in that population")
        return glu

    def calls(self, stage: str) -> list[Call]:
        if stage != "coupling":
            return []
        return [Call(cadp_step, (self.ca, self.nutilde, self.dnu, self.nu, self.b, self.h,
                                 self.g, self._glutamate(), self.post.v, self.phi, self.drive,
                                 self.par, self.bcm, self.dt))]


@register("coupling", "BCM")
class BCM(CaDP):
    """CaDP with a sliding threshold: the NMDA gain g becomes a state.

    dg/dt = -(g / t_BCM)(nutilde / nu - 1) + (gNMDA - g) / t_rec (0 where
    nu = 0), g(0) = gNMDA. Outputs, in NFTsim's order: ``nu``, ``nutilde``,
    ``Ca``, ``B``, ``gNMDA``. Same per-node nu correction as :class:`CaDP`.
    """

    bcm = True

    def _alloc(self, ctx: Context) -> None:
        super()._alloc(ctx)
        self.fields = {"nu": self.nu, "nutilde": self.nutilde, "Ca": self.ca, "B": self.b,
                       "gNMDA": self.g}


@register("coupling", "BCM-Spatial")
class BCMSpatial(BCM):
    """One BCM synapse per (from node i, to node j) pair: P_j = sum_i nu_ij phi_i.

    ``nu``: one value (diagonal = value, off-diagonal = 1e-8, as NFTsim) or
    Nodes^2 values row by row with row = to node, column = from node. The
    kernel parameters (yth in particular) use the first ``nu`` value, as
    NFTsim. B_ij uses the glutamate of node i, H_ij the potential of node j.

    Outputs, per from node i (1-based) and in NFTsim's order and names:
    ``Ca.i``, ``nutilde.i``, ``nu.i``, ``nu_Ca.i``, each over the to nodes.
    NFTsim's labels are wrong and kept for compatibility: ``Ca.i`` holds the
    binding B and ``nu_Ca.i`` the voltage factor H (STUDY.md section 2.9).

    State arrays are ``(Nodes, nloc)``: every from node i, this tile's to
    nodes j. The drive needs every node's phi and B_ij every node's glutamate:
    on several ranks the solver gathers both after each step's propagator
    stage (:meth:`gathers`); on one rank they are the fields themselves.
    """

    def __init__(self, spec: CouplingSpec, ctx: Context):
        super().__init__(spec, ctx)
        nodes = ctx.spec.grid.nodes
        nu = np.asarray(spec.nu, dtype=float)
        if nu.size == 1:
            full = np.full((nodes, nodes), OFF_DIAGONAL_NU)
            np.fill_diagonal(full, nu[0])
        else:
            full = nu.reshape(nodes, nodes).T  # rows: from node i, columns: to node j
        self.nu[:] = full[:, ctx.glb_index]
        self.nutilde[:] = self.nu
        self.phi_all = ctx.global_field(self.phi)
        self._glu_all = None
        self.fields = {}
        for i in range(nodes):
            self.fields.update({f"Ca.{i + 1}": self.b[i], f"nutilde.{i + 1}": self.nutilde[i],
                                f"nu.{i + 1}": self.nu[i], f"nu_Ca.{i + 1}": self.h[i]})

    def _glutamate_all(self) -> np.ndarray:
        """Glutamate of every node (built lazily: it exists once the populations are)."""
        if self._glu_all is None:
            self._glu_all = self.ctx.global_field(self._glutamate())
        return self._glu_all

    def gathers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """phi and the postsynaptic glutamate of this tile, and their every-node arrays."""
        return [(self.phi, self.phi_all), (self._glutamate(), self._glutamate_all())]

    def _initial_nu(self, spec: CouplingSpec, ctx: Context) -> float:
        nodes = ctx.spec.grid.nodes
        if len(spec.nu) not in (1, nodes * nodes):
            raise config_problem(ctx.spec, spec.loc, "nu", spec.nu,
                                 f"BCM-Spatial nu has {len(spec.nu)} values; it needs 1 or "
                                 f"{nodes * nodes}", "give one value, or Nodes^2 values row by "
                                 "row (row = to node)")
        return self._check_nu0(spec, ctx)

    def _shape(self, ctx: Context) -> tuple:
        return (ctx.spec.grid.nodes, ctx.nloc)

    checkpoint_arrays = {k: "rows" for k in ("ca", "nutilde", "dnu", "nu", "b", "h", "g")} \
        | {"phi_all": "gathered", "_glu_all": "gathered"}

    def calls(self, stage: str) -> list[Call]:
        if stage != "coupling":
            return []
        return [Call(bcm_spatial_step, (self.ca, self.nutilde, self.dnu, self.nu, self.b,
                                        self.h, self.g, self._glutamate_all(), self.post.v,
                                        self.phi_all, self.drive, self.par, self.dt))]
