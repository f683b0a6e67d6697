"""NFTsim-compatible White and WhiteCoherent noise (``rng="nftsim"``).

With ``Context.rng == "nftsim"`` the constructors of
:class:`~parnft.model.stimuli.White` and
:class:`~parnft.model.stimuli.WhiteCoherent` build the classes of this module
instead (see :func:`nftsim_class`). They draw from NFTsim's own generator,
``std::mt19937_64`` with libstdc++'s polar normal distribution
(:mod:`parnft.kernels.mt19937`), so a model reproduces NFTsim's noise bit for
bit (STUDY.md sections 2.8 and 3.5):

* **Seed:** ``Ranseed`` if given, otherwise NFTsim's process-global counter
  1, 2, 3, ... in construction order; seeded series advance the counter too
  (:meth:`Context.next_seed`). One generator and one distribution per series,
  whose polar cache carries over from node to node and from step to step.
* **Order:** White draws one value for *every* node of the grid, in node order,
  each active step, even when its ``Node`` subset is smaller. WhiteCoherent
  draws one value per active step.
* **Value:** z sigma + Mean.
* **Sigma from ASD:** NFTsim's formula and association order,
  ``sqrt(8 pi^3 ASD^2 / dt / dx^2)`` with **dx = Length / sqrt(Nodes)**, and
  ``sqrt(2 pi ASD^2 / dt)`` for a White series on one node (WhiteCoherent
  always uses the spatial formula). This dx is NFTsim's, wrong on rectangular
  grids (its issue #173); it is used only in this compatibility mode. The
  default mode (:func:`parnft.model.stimuli.white_std`) uses the true node
  spacing Length / (long side).

**Several ranks.** The generator is sequential, so every rank keeps a full
copy of it and advances it over all global nodes each step, computing the
values of its own nodes only (:func:`~parnft.kernels.mt19937.series_white_nftsim`).
The result is the same for any rank count; the cost is O(Nodes) generator
steps per rank and step, so this mode does not scale like the counter-based
default.
"""

from __future__ import annotations

import math

import numpy as np

from ..config.spec import StimulusSpec
from ..kernels.mt19937 import (
    _multiplier,
    mt_seed,
    new_cache,
    series_white_coherent_nftsim,
    series_white_nftsim,
)
from .base import Call, Context
from .stimuli import RNG_TWINS, White, WhiteCoherent


def nftsim_white_std(spec: StimulusSpec, ctx: Context, pop_length: float,
                     coherent: bool = False) -> float:
    """Standard deviation of a White/WhiteCoherent series exactly as NFTsim computes it.

    Parameters
    ----------
    spec : StimulusSpec
        The series (``StdDev`` or ``ASD``).
    ctx : Context
        The run (time step, number of nodes).
    pop_length : float
        ``Length`` of the stimulus population [m].
    coherent : bool
        WhiteCoherent: always the spatial formula, even on one node.

    Returns
    -------
    float
        ``StdDev`` if given; else sqrt(((8 pi^3) ASD^2 / dt) / dx^2) with
        dx = Length / sqrt(Nodes) (NFTsim's spacing, see the module notes), or
        sqrt((2 pi) ASD^2 / dt) for White on one node. Evaluated left to right
        in NFTsim's order so the value is bitwise NFTsim's.
    """
    prm = spec.params
    if "StdDev" in prm:
        return float(prm["StdDev"])
    asd = float(prm["ASD"])
    dt = ctx.dt
    nodes = ctx.spec.grid.nodes
    if nodes > 1 or coherent:
        dx = pop_length / math.sqrt(float(nodes))
        return math.sqrt(2.0 * 4.0 * math.pi ** 3 * (asd * asd) / dt / (dx * dx))
    return math.sqrt(2.0 * math.pi * (asd * asd) / dt)


class _NftsimNoise:
    """Generator state shared by both classes: seeded ``std::mt19937_64`` and polar cache."""

    #: the engine's 312 words, its position and the polar method's spare deviate and
    #: flag: the same on every rank (each keeps the whole sequential stream)
    checkpoint_arrays = {"state": "tile", "pos": "tile", "cache": "tile",
                         "draws": "scratch", "need": "param"}

    def _nftsim_setup(self, spec: StimulusSpec, pop, ctx: Context, coherent: bool) -> None:
        # White.__init__ set seed = Ranseed or the next counter value (as NFTsim's Random)
        self.seed = self.seed % (1 << 64)  # a uint_fast64_t in NFTsim
        self.std = nftsim_white_std(spec, ctx, pop.spec.length, coherent)
        self.state, self.pos = mt_seed(self.seed)
        self.cache = new_cache()

    def before_checkpoint(self) -> None:
        """Bring the polar cache into one form on every rank (same draws, same bits).

        A rank that skipped the last draw holds x and r2 (state 1), one that
        computed it holds x m (state 2): compute x m where it is missing, with
        the kernel's own expression, and clear the unused words of an empty
        cache. Later draws do not change (see :mod:`parnft.kernels.mt19937`).
        """
        c = self.cache
        if c[2] == 1.0:
            c[0] = c[0] * _multiplier(c[1])
            c[2] = 2.0
        elif c[2] == 0.0:
            c[0] = c[1] = 0.0


class NftsimWhite(_NftsimNoise, White):
    """White noise from NFTsim's generator: every global node drawn in node order each step.

    Attributes
    ----------
    state, pos, cache : ndarray
        mt19937_64 words, read position, polar cache (:mod:`parnft.kernels.mt19937`).
    draws : ndarray
        One step's values of all global nodes (only this tile's are computed).
    need : ndarray of bool
        Global nodes whose value this tile adds (its nodes in the ``Node`` subset).
    """

    kernel = staticmethod(series_white_nftsim)

    def __init__(self, spec: StimulusSpec, pop, ctx: Context):
        super().__init__(spec, pop, ctx)
        self._nftsim_setup(spec, pop, ctx, coherent=False)
        nglb = ctx.glb_shape[0] * ctx.glb_shape[1]
        self.draws = np.zeros(nglb)
        self.need = np.zeros(nglb, dtype=np.bool_)
        self.need[self.gidx[self.nodes]] = True

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        h = self.head()
        return [Call(self.kernel, h[:3] + (self.gidx,) + h[3:]
                     + (self.p("Mean", 0.0), self.std, self.state, self.pos, self.cache,
                        self.draws, self.need))]


class NftsimWhiteCoherent(_NftsimNoise, WhiteCoherent):
    """WhiteCoherent from NFTsim's generator: one draw per active step, on all its nodes."""

    kernel = staticmethod(series_white_coherent_nftsim)

    def __init__(self, spec: StimulusSpec, pop, ctx: Context):
        super().__init__(spec, pop, ctx)
        self._nftsim_setup(spec, pop, ctx, coherent=True)

    def calls(self, stage: str) -> list[Call]:
        if stage != "population":
            return []
        return [Call(self.kernel, self.head() + (self.p("Mean", 0.0), self.std, self.state,
                                                 self.pos, self.cache))]


_TWINS = {White: NftsimWhite, WhiteCoherent: NftsimWhiteCoherent}
RNG_TWINS["nftsim"] = _TWINS


def nftsim_class(cls: type) -> type:
    """The NFTsim-generator class to build for ``cls`` (``cls`` itself if it has none).

    ``White.__new__`` builds it when ``ctx.rng == "nftsim"`` (through
    ``RNG_TWINS``, filled at import of this module); it is a subclass of
    ``cls``, so Python then runs its ``__init__``.
    """
    return _TWINS.get(cls, cls)
