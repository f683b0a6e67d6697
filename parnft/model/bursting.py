"""Thalamic burst firing response (``Firing: Bursting``), NFTsim's BurstResponse.

Config keys, in NFTsim's order::

    Firing: Bursting - Sigma: Qmax: Htilde: Xtilde: gX: gH: ic: taux: tauh: ax: mu:
                       [gX2: [tx1:] [tx2:] [tx3:] [tx4:]] [gH2: [th1:] ... [th4:]]

The equations are in :mod:`parnft.kernels.burst` (STUDY.md section 2.5).

Differences from NFTsim, on purpose:

* NFTsim's gH ramp tests ``tx1 < t <= tx2`` (the gX times) in its rising
  branch while computing the value from ``th1``/``th2`` (STUDY.md section 9.8);
  here both ramps use their own times, so gH rises over (th1, th2].
* gX and gH are one value each. NFTsim writes them as per-node fields and reads
  past the end of a 1-element vector when more than one node is output; here
  they are 1-element fields, which the output plan writes once (first node).
"""

from __future__ import annotations

import numpy as np

from ..config.spec import FiringSpec
from ..kernels.burst import fire_burst
from .base import Call, Component, Context, config_problem
from .registry import register

#: Required keys, NFTsim's order.
REQUIRED = ("Sigma", "Qmax", "Htilde", "Xtilde", "gX", "gH", "ic", "taux", "tauh", "ax", "mu")


def ramp_params(params, name: str, times: str) -> np.ndarray:
    """Packed ramp (g1, g2, t1, t2, t3, t4) of conductance ``name`` ("gX" or "gH").

    As NFTsim: without ``<name>2`` the ramp is flat (g2 = g1); the times are
    read only with ``<name>2`` and default to 0.
    """
    g1 = float(params[name])
    if f"{name}2" in params:
        g2 = float(params[f"{name}2"])
        ts = [float(params.get(f"{times}{i}", 0.0)) for i in (1, 2, 3, 4)]
    else:
        g2 = g1
        ts = [0.0, 0.0, 0.0, 0.0]
    return np.array([g1, g2, *ts], dtype=np.float64)


@register("firing", "Bursting")
class Bursting(Component):
    """Burst firing response with modulated threshold (NFTsim's BurstResponse).

    State per node: x~ (``XTilde``, starts at ``Xtilde``), h~ (``HTilde``,
    starts at ``Htilde``) and the modulated threshold ``modtheta`` (starts at
    0, as NFTsim, until the first step). gX and gH are single values.

    Outputs, in NFTsim's order after the population's ``Q``: ``HTilde``,
    ``XTilde``, ``modtheta``, ``V``, ``gX``, ``gH``.

    Parameters
    ----------
    spec : FiringSpec
        ``kind == "Bursting"``; the keys above in ``spec.params``.
    pop : NeuralPopulation
        Provides ``vd``, ``v``, ``hist``, ``ptr``, ``q``.
    ctx : Context
    """

    checkpoint_arrays = {"htilde": "nodes", "xtilde": "nodes", "modtheta": "nodes",
                         "gx": "tile", "gh": "tile", "gx_ramp": "param", "gh_ramp": "param"}

    def __init__(self, spec: FiringSpec, pop, ctx: Context):
        self.pop = pop
        p = spec.params
        missing = [k for k in REQUIRED if k not in p]
        if missing:
            raise config_problem(ctx.spec, spec.loc, "Firing", "Bursting",
                                 f"Bursting needs {', '.join(missing)}",
                                 f"add {', '.join(k + ':' for k in missing)}")
        for key in ("Sigma", "taux", "tauh", "mu"):
            if float(p[key]) == 0.0:
                raise config_problem(ctx.spec, spec.loc, key, p[key],
                                     f"{key} divides the burst equations",
                                     f"give a non-zero {key}")
        self.sigma = float(p["Sigma"])
        self.qmax = float(p["Qmax"])
        self.ic = float(p["ic"])
        self.taux = float(p["taux"])
        self.tauh = float(p["tauh"])
        self.ax = float(p["ax"])
        self.mu = float(p["mu"])
        self.dt = ctx.dt
        self.htilde = ctx.field(float(p["Htilde"]))
        self.xtilde = ctx.field(float(p["Xtilde"]))
        self.modtheta = ctx.field(0.0)
        self.gx_ramp = ramp_params(p, "gX", "tx")
        self.gh_ramp = ramp_params(p, "gH", "th")
        self.gx = np.array([self.gx_ramp[0]])
        self.gh = np.array([self.gh_ramp[0]])
        self.scalar_fields = frozenset({"gX", "gH"})  # one value for the whole grid
        self.fields = {"HTilde": self.htilde, "XTilde": self.xtilde,
                       "modtheta": self.modtheta, "V": pop.v, "gX": self.gx, "gH": self.gh}

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        pop = self.pop
        return [Call(fire_burst, (pop.vd, pop.v, pop.hist, pop.ptr, pop.q,
                                  self.xtilde, self.htilde, self.modtheta, self.gx, self.gh,
                                  self.gx_ramp, self.gh_ramp, self.sigma, self.qmax, self.ic,
                                  self.taux, self.tauh, self.ax, self.mu, self.dt))]
