"""Firing responses Q = S(V) of neural populations (NFTsim's FiringResponse)."""

from __future__ import annotations

from ..config.spec import FiringSpec
from ..kernels.firing import fire_polynomial, fire_sigmoid, fire_sigmoid_libm
from ..kernels.libm_check import agrees_with_libm
from .base import Call, Component, Context
from .registry import register


@register("firing", "Response")
class FiringResponse(Component):
    """Plain firing response with a Sigmoid, Linear, Quadratic or Cubic function.

    Sigmoid: Q = Qmax / (1 + exp(-(V - Theta)/Sigma)); Linear: a V + b;
    Quadratic: a V^2 + b V + c; Cubic: a V^3 + b V^2 + c V + d.
    Outputs ``V`` (the soma potential).
    """

    def __init__(self, spec: FiringSpec, pop, ctx: Context):
        self.pop = pop
        p = spec.params
        fn = spec.function
        if fn == "Sigmoid":
            # glibc's exp inlined and vectorised where it reproduces this machine's libm
            kern = fire_sigmoid if agrees_with_libm() else fire_sigmoid_libm
            self._call = (kern, (float(p["Theta"]), float(p["Sigma"]), float(p["Qmax"])))
        else:
            coef = {"Linear": ("a", "b"), "Quadratic": ("a", "b", "c"),
                    "Cubic": ("a", "b", "c", "d")}[fn]
            c = [float(p[k]) for k in coef]
            c = [0.0] * (4 - len(c)) + c
            self._call = (fire_polynomial, tuple(c))
        self.fields = {"V": pop.v}

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        pop = self.pop
        kern, scal = self._call
        return [Call(kern, (pop.vd, pop.v, pop.hist, pop.ptr, pop.q) + scal)]
