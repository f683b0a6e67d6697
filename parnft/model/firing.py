"""Firing responses Q = S(V) of neural populations (NFTsim's FiringResponse)."""

from __future__ import annotations

from ..config.spec import FiringSpec
from ..kernels.firing import (
    fire_polynomial,
    fire_polynomial_nodes,
    fire_sigmoid,
    fire_sigmoid_libm,
    fire_sigmoid_libm_nodes,
    fire_sigmoid_nodes,
    ring_next,
)
from ..kernels.libm_check import agrees_with_libm
from .base import Call, Component, Context, Ranged
from .registry import register


@register("firing", "Response")
class FiringResponse(Component):
    """Plain firing response with a Sigmoid, Linear, Quadratic or Cubic function.

    Sigmoid: Q = Qmax / (1 + exp(-(V - Theta)/Sigma)); Linear: a V + b;
    Quadratic: a V^2 + b V + c; Cubic: a V^3 + b V^2 + c V + d.
    Outputs ``V`` (the soma potential).
    """

    #: the kernels and their parameters: numbers, or the tiles of per-node maps
    checkpoint_arrays = {"_call": "param"}

    def __init__(self, spec: FiringSpec, pop, ctx: Context):
        self.pop = pop
        p = spec.params
        fn = spec.function
        if fn == "Sigmoid":
            # glibc's exp inlined and vectorised where it reproduces this machine's libm
            kern = ((fire_sigmoid, fire_sigmoid_nodes) if agrees_with_libm()
                    else (fire_sigmoid_libm, fire_sigmoid_libm_nodes))
            # numbers, or per-node tile arrays of maps (the kernels take either)
            self._call = (kern, tuple(ctx.nodal(p[k]) for k in ("Theta", "Sigma", "Qmax")))
        else:
            coef = {"Linear": ("a", "b"), "Quadratic": ("a", "b", "c"),
                    "Cubic": ("a", "b", "c", "d")}[fn]
            c = [ctx.nodal(p[k]) for k in coef]
            c = [0.0] * (4 - len(c)) + c
            self._call = ((fire_polynomial, fire_polynomial_nodes), tuple(c))
        self.fields = {"V": pop.v}

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        pop = self.pop
        (kern, kern_nodes), scal = self._call
        args = (pop.vd, pop.v, pop.hist, pop.ptr, pop.q) + scal
        before = (Call(ring_next, (pop.ptr, pop.hist.shape[0])),)
        return [Call(kern, args, Ranged(kern_nodes, args, before=before))]
