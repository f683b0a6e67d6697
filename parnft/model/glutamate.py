"""GlutamateResponse: a firing response that also tracks synaptic glutamate."""

from __future__ import annotations

import math

from ..config.spec import CouplingSpec, FiringSpec
from ..kernels.glutamate import GLU_INIT, glu_add, glu_clear, glu_step
from .base import Call, Context, config_problem
from .firing import FiringResponse
from .registry import register


def excitatory(spec: CouplingSpec) -> bool:
    """NFTsim's ``Coupling::excite()``: the coupling's single initial nu is > 0.

    A ``nu`` given as one value per node is never excitatory (NFTsim sets
    ``pos = 0`` then); Ramp, Matrix and the plastic kinds look at their first
    ``nu`` value, DiffArctan at ``nu_min``.
    """
    if spec.kind == "DiffArctan":
        v = spec.params.get("nu_min", 0.0)
        return float(v[0] if isinstance(v, tuple) else v) > 0.0
    if len(spec.nu) == 0 or (spec.kind == "Map" and len(spec.nu) > 1):
        return False
    return float(spec.nu[0]) > 0.0


@register("firing", "GlutamateResponse")
class GlutamateResponse(FiringResponse):
    """Q = S(V) as :class:`~parnft.model.firing.FiringResponse`, plus glutamate.

    d glu/dt = Lambda phi_exc - glu / tGlu per node, one RK4 step per time
    step after V (the rate is replaced by -glu when glu + dt rate < 0), with
    glu(0) = 1e-6. phi_exc is the sum, in connection order, of the fields phi
    of the previous step of the afferent connections whose coupling is
    excitatory (:func:`excitatory`). Nothing is integrated when Lambda = 0.

    Difference from NFTsim: NFTsim means to start glu at 1e-6, but its
    ``resize(nodes, 1e-6)`` acts on a vector already of that size, so its glu
    really starts at 0. parnft starts at 1e-6 (STUDY.md section 2.5); the
    difference decays as exp(-t / tGlu).

    Attributes
    ----------
    glu : ndarray
        Glutamate concentration per node, read by the CaDP/BCM couplings of
        the next step. Not an output field (NFTsim does not export it), so
        the outputs remain ``Q`` and ``V``.
    exc_phi : ndarray
        phi_exc of the current step (scratch).
    """

    checkpoint_arrays = {"glu": "nodes", "exc_phi": "nodes"}

    def __init__(self, spec: FiringSpec, pop, ctx: Context):
        super().__init__(spec, pop, ctx)
        p = spec.params
        self.lam = float(p.get("Lambda", 0.0))
        self.tglu = float(p.get("tGlu", 0.0))
        if not math.isfinite(self.lam):
            raise config_problem(ctx.spec, spec.loc, "Lambda", self.lam,
                                 "Lambda must be finite", "give 'Lambda: <number>'")
        if self.lam != 0.0 and not (self.tglu > 0.0 and math.isfinite(self.tglu)):
            raise config_problem(ctx.spec, spec.loc, "tGlu", p.get("tGlu"),
                                 "tGlu must be > 0 when Lambda is non-zero (NFTsim divides by it)",
                                 "give 'tGlu: <seconds>', e.g. tGlu: 30e-3")
        self.dt = ctx.dt
        self.glu = ctx.field(GLU_INIT)
        self.exc_phi = ctx.field(0.0)
        self.afferents = [j for j in pop.incoming if excitatory(ctx.spec.couplings[j - 1])]
        self._phis = [ctx.propagators[j].phi for j in self.afferents]

    def calls(self, stage: str) -> list[Call]:
        out = super().calls(stage)
        if stage != "population" or self.lam == 0.0:
            return out
        out.append(Call(glu_clear, (self.exc_phi,)))
        out += [Call(glu_add, (self.exc_phi, phi)) for phi in self._phis]
        out.append(Call(glu_step, (self.glu, self.exc_phi, self.lam, self.tglu, self.dt)))
        return out
