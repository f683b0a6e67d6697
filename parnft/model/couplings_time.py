"""Couplings whose strength nu is a prescribed smooth function of time."""

from __future__ import annotations

import math

import numpy as np

from ..config.spec import CouplingSpec
from ..kernels.coupling_time import couple_diff_arctan, diff_arctan, diff_arctan_range
from .base import Call, Context, config_problem
from .couplings import Coupling
from .registry import register

_KEYS = ("nu_min", "nu_max", "delta", "t_half_up", "t_half_down")


@register("coupling", "DiffArctan")
class DiffArctanCoupling(Coupling):
    """nu(t) rises around ``t_half_up`` and falls around ``t_half_down``.

    D(t) = atan((t - t_half_up)/delta) - atan((t - t_half_down)/delta) and

        nu(t) = nu_min + (nu_max - nu_min) (D(t) - m) / (M - m),

    so nu spans exactly [nu_min, nu_max] over the run. The clock advances by
    dt per step (accumulated), then P = nu (.) phi. Outputs ``nu``.

    Differences from NFTsim
    -----------------------
    * m and M are the true minimum and maximum of D over [0, Time], found
      exactly at the endpoints and at the single stationary point
      (t_half_up + t_half_down)/2. NFTsim samples D only at the integer
      seconds 0, 1, ..., ceil(Time) - 1 (STUDY.md section 9.7), so with
      non-integer half-times its nu overshoots [nu_min, nu_max] slightly and,
      for Time <= 1 s, divides by M - m = 0 (NaN).
    * :attr:`nu_init` (the steady initial dendritic potential) is nu(t = 0);
      NFTsim takes the first ``nu:`` found after ``Coupling j`` in the file,
      which belongs to another coupling (STUDY.md section 9.5).
    * The excitatory flag (for GlutamateResponse) is nu_min > 0, as NFTsim.
    """

    checkpoint_arrays = {"nu": "nodes", "clock": "tile"}

    def __init__(self, spec: CouplingSpec, ctx: Context):
        super().__init__(spec, ctx)
        p = spec.params
        vals = {}
        for k in _KEYS:
            v = p.get(k)
            v = v[0] if isinstance(v, tuple) else v
            if v is None or not math.isfinite(float(v)):
                raise config_problem(ctx.spec, spec.loc, k, v, f"DiffArctan needs a finite {k}",
                                     f"give '{k}: <number>' in Coupling {spec.index}")
            vals[k] = float(v)
        self.nu_min, self.nu_max = vals["nu_min"], vals["nu_max"]
        self.delta = vals["delta"]
        self.t_up, self.t_down = vals["t_half_up"], vals["t_half_down"]
        if self.delta == 0.0:
            raise config_problem(ctx.spec, spec.loc, "delta", self.delta,
                                 "DiffArctan delta must be non-zero",
                                 "give the rise time scale delta > 0")
        if self.t_up == self.t_down:
            raise config_problem(ctx.spec, spec.loc, "t_half_down", self.t_down,
                                 "t_half_up must differ from t_half_down (nu would be constant)",
                                 "give t_half_up < t_half_down")
        total = float(ctx.spec.time.time)
        self.d_min, self.d_max = diff_arctan_range(self.delta, self.t_up, self.t_down, total)
        self.nu = ctx.field(self.nu_at(0.0))
        self.clock = np.zeros(1)
        self.fields = {"nu": self.nu}

    def nu_at(self, t: float) -> float:
        """nu(t) from the closed form (same arithmetic as the kernel)."""
        d = diff_arctan(float(t), self.delta, self.t_up, self.t_down)
        return self.nu_min + (self.nu_max - self.nu_min) * (
            (d - self.d_min) / (self.d_max - self.d_min))

    @property
    def nu_init(self) -> float:
        """nu at t = 0 (sets the steady initial dendritic potential)."""
        return self.nu_at(0.0)

    @property
    def excitatory(self) -> bool:
        """NFTsim's ``excite()``: nu_min > 0."""
        return self.nu_min > 0.0

    def calls(self, stage: str) -> list[Call]:
        if stage != "coupling":
            return []
        return [Call(couple_diff_arctan, (self.nu, self.phi, self.drive, self.clock,
                                          self.nu_min, self.nu_max, self.delta, self.t_up,
                                          self.t_down, self.d_min, self.d_max, self.dt))]
