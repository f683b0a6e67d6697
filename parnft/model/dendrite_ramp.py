"""Dendrite with ramped rate constants (``Dendrite j: Ramp - ...``), NFTsim's DendriteRamp.

Config keys::

    Dendrite j: Ramp - [V: Steady|<number>] alpha: beta: alpha2: beta2: t1: t2: t3: t4:

alpha and beta ramp linearly to alpha2 and beta2 over (t1, t2], hold, ramp
back over (t3, t4] and keep the last value (:mod:`parnft.kernels.dendrite_ramp`).

Outputs: ``beta`` (one value, NFTsim's only output of this kind). ``V`` can
also be asked for by name (``Dendrite: 9.V``) but is not part of the bare
``Dendrite: 9`` listing, so the columns of a bare listing match NFTsim.

Difference from NFTsim: a numeric ``V:`` is honoured, as for every parnft
dendrite (NFTsim ignores it, STUDY.md section 9.4).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from ..config.spec import DendriteSpec
from ..kernels.dendrite_ramp import dendrite_ramp_step
from .base import Call, Context, config_problem
from .dendrites import Dendrite
from .registry import register

#: The Ramp dendrite's own keys, in NFTsim's order.
RAMP_KEYS = ("alpha2", "beta2", "t1", "t2", "t3", "t4")


class FieldMap(Mapping):
    """Output fields with some reachable only by name.

    Iteration (the bare ``Dendrite: j`` listing) yields ``listed`` only;
    ``in`` and ``[]`` also see ``by_name``.

    Parameters
    ----------
    listed : dict
        Fields listed in NFTsim's order.
    by_name : dict
        Extra fields, selectable as ``j.<name>``.
    """

    def __init__(self, listed: dict, by_name: dict):
        self._listed = dict(listed)
        self._all = {**by_name, **listed}

    def __getitem__(self, key: str) -> np.ndarray:
        return self._all[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._listed)

    def __len__(self) -> int:
        return len(self._listed)

    def __contains__(self, key: object) -> bool:
        return key in self._all


@register("dendrite", "Ramp")
class DendriteRamp(Dendrite):
    """Dendrite whose alpha, beta ramp linearly in time; RK4 with the current rates.

    Parameters
    ----------
    spec : DendriteSpec
        ``kind == "Ramp"``; ``alpha2``, ``beta2``, ``t1``..``t4`` in ``spec.params``.
    ctx : Context
    v : ndarray
        This dendrite's row of the population's ``vd``.
    coupling : Component
        The coupling of the same connection (provides ``drive`` and ``nu_init``).
    """

    checkpoint_arrays = {"rates": "tile", "beta_now": "tile", "clock": "tile"}

    def __init__(self, spec: DendriteSpec, ctx: Context, v: np.ndarray, coupling):
        super().__init__(spec, ctx, v, coupling)
        missing = [k for k in RAMP_KEYS if k not in spec.params]
        if missing:
            raise config_problem(ctx.spec, spec.loc, "Dendrite", "Ramp",
                                 f"a Ramp dendrite needs {', '.join(missing)}",
                                 f"add {', '.join(k + ':' for k in missing)}")
        prm = spec.params
        self.alpha2 = float(prm["alpha2"])
        self.beta2 = float(prm["beta2"])
        self.times = tuple(float(prm[k]) for k in ("t1", "t2", "t3", "t4"))
        self.rates = np.array([self.alpha, self.beta])
        self.beta_now = np.array([self.beta])
        self.clock = np.zeros(1)
        self.scalar_fields = frozenset({"beta"})  # one value for the whole grid
        self.fields = FieldMap({"beta": self.beta_now}, {"V": self.v})

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        return [Call(dendrite_ramp_step,
                     (self.v, self.dv, self.drive, self.rates, self.beta_now, self.clock,
                      self.alpha, self.beta, self.alpha2, self.beta2, *self.times, self.dt))]
