"""Couplings: the synaptic drive P_j = nu_j phi_j of connection j."""

from __future__ import annotations

import numpy as np

from ..config.spec import CouplingSpec
from ..kernels.coupling import (
    couple_map,
    couple_map_nodes,
    couple_matrix,
    couple_ramp,
    couple_uniform,
    couple_uniform_nodes,
)
from .base import Call, Component, Context, Ranged, per_node
from .registry import register


class Coupling(Component):
    """Common state: the drive array and the propagator it reads."""

    checkpoint_arrays = {"drive": "nodes"}

    def __init__(self, spec: CouplingSpec, ctx: Context):
        self.spec = spec
        self.phi = ctx.propagators[spec.index].phi
        self.drive = ctx.field(0.0)
        self.dt = ctx.dt

    #: True once the postsynaptic dendrite computes P = nu phi itself (:meth:`fold`).
    folded = False

    @property
    def nu_init(self) -> float:
        """nu at t = 0 (sets the steady initial dendritic potential)."""
        return float(self.spec.nu[0])

    def gain(self) -> float | None:
        """The one constant nu when the drive is exactly ``nu * phi`` at every node, else None."""
        return None

    def fold(self) -> tuple[float, np.ndarray]:
        """Let the dendrite form ``nu * phi`` itself: this coupling then makes no call.

        Returns ``(nu, phi)``. Only for a coupling whose :meth:`gain` is not None.
        """
        nu = self.gain()
        if nu is None:
            raise ValueError("only a constant uniform coupling can be folded")
        self.folded = True
        return nu, self.phi


@register("coupling", "Map")
class MapCoupling(Coupling):
    """P = nu (.) phi with a constant nu (one value, or one per node). Outputs ``nu``."""

    checkpoint_arrays = {"nu": "param"}

    def __init__(self, spec: CouplingSpec, ctx: Context):
        super().__init__(spec, ctx)
        self.nu = per_node(spec.nu, ctx.nloc, ctx.glb_index, "nu")
        self.fields = {"nu": self.nu}

    def gain(self) -> float | None:
        return float(self.nu[0]) if np.all(self.nu == self.nu[0]) else None

    def calls(self, stage: str) -> list[Call]:
        if stage != "coupling" or self.folded:
            return []
        if np.all(self.nu == self.nu[0]):
            args = (float(self.nu[0]), self.phi, self.drive)
            return [Call(couple_uniform, args, Ranged(couple_uniform_nodes, args))]
        args = (self.nu, self.phi, self.drive)
        return [Call(couple_map, args, Ranged(couple_map_nodes, args))]


@register("coupling", "Ramp")
class RampCoupling(MapCoupling):
    """nu(t) piecewise linear through (timepoints, nu), accumulated step by step."""

    checkpoint_arrays = {"nu": "nodes", "clock": "tile", "values": "param", "times": "param"}

    def __init__(self, spec: CouplingSpec, ctx: Context):
        Coupling.__init__(self, spec, ctx)
        self.values = np.asarray(spec.nu, dtype=float)
        self.times = np.asarray(spec.params["timepoints"], dtype=float)
        self.nu = ctx.field(self.values[0])
        self.fields = {"nu": self.nu}
        self.clock = np.zeros(1)

    def gain(self) -> None:
        return None  # nu changes with time

    def calls(self, stage: str) -> list[Call]:
        if stage != "coupling":
            return []
        return [Call(couple_ramp, (self.nu, self.phi, self.drive, self.clock, self.values,
                                   self.times, self.dt))]


@register("coupling", "Matrix")
class MatrixCoupling(Coupling):
    """All-to-all P_i = sum_j nu[i, j] phi_j (rows: target node, columns: source).

    Needs every node's phi: on several ranks the solver gathers it after each
    step's propagator stage (:meth:`gathers`); on one rank the tile is the
    whole grid and phi itself is read.
    """

    checkpoint_arrays = {"matrix": "param", "nu": "param", "phi_all": "gathered"}

    def __init__(self, spec: CouplingSpec, ctx: Context):
        super().__init__(spec, ctx)
        n = ctx.spec.grid.nodes
        nu = np.asarray(spec.nu, dtype=float)
        full = np.full((n, n), nu[0]) if nu.size == 1 else nu.reshape(n, n)
        self.matrix = np.ascontiguousarray(full[ctx.glb_index])
        self.nu = np.zeros(1)
        self.fields = {}
        self.phi_all = ctx.global_field(self.phi)

    def gathers(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """phi of this tile, and the phi of every node it is gathered into."""
        return [(self.phi, self.phi_all)]

    def calls(self, stage: str) -> list[Call]:
        if stage != "coupling":
            return []
        return [Call(couple_matrix, (self.matrix, self.phi_all, self.drive, 0))]
