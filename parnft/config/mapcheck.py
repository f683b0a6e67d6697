"""Resolve and check the per-node maps of a model (:mod:`parnft.config.maps`).

:func:`resolve` runs once on the reading rank, after the block tree became a
:class:`~parnft.config.spec.ModelSpec` (so the grid and the populations'
``Length`` are known): it refuses maps on keys that cannot vary per node
(naming the keys that can), reads each map's values on the whole grid and
refuses a missing file or dataset, a wrong shape and any NaN or infinity,
each with the file, dataset and ``.conf`` line. ``nu`` and ``Tau`` maps
become the per-node lists NFTsim already knows. A map on a coefficient of
a kind's spatial terms gets its own refusal (why, and the keys that may vary).
:func:`check` then applies the ordinary rules with every map at its minimum
and at its maximum, and the spatial terms' stability at each node's values.
"""

from __future__ import annotations

import dataclasses
import math
import os

from parnft.config import dynamics as D
from parnft.config import maps as M
from parnft.config import spatialcheck
from parnft.config import wavemaps as W
from parnft.config.spec import ModelSpec, Params
from parnft.errors import Problem
from parnft.model import dynamics as registry


def supported(family: str, kind: str | None) -> tuple[str, ...]:
    """Keys of ``family``/``kind`` that may be per-node maps."""
    if family == "dynamics":
        return D.map_keys(kind)
    return M.SUPPORTED.get((family, kind), M.SUPPORTED.get((family, None), ()))


class _Resolver:
    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.base = os.path.dirname(os.path.abspath(spec.path)) if spec.path != "<string>" \
            else os.getcwd()
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        #: id(source) -> kind, for maps on a spatial coefficient (their own refusal)
        self.coefs: dict[int, str] = {}

    def dx(self, population: int) -> float:
        pops = {p.index: p for p in self.spec.populations}
        p = pops.get(population)
        n = self.spec.grid.longside
        if p is None or not n or not isinstance(p.length, float) or not math.isfinite(p.length):
            return math.nan
        return p.length / n

    def value(self, v, population: int, keys: tuple, key: str, as_list: bool = False):
        """``v`` resolved (a map on an allowed key) or left as it is (reported later)."""
        fms = [x for x in (v if isinstance(v, tuple) else (v,)) if M.is_map(x)]
        if not fms or key not in keys:
            return v
        fm = fms[0]
        self.seen.add(id(fm.source))
        if fm.source.form == "bad":  # already reported by the reader
            return (math.nan,) if as_list else math.nan
        out, prob = M.resolved(fm, self.spec.grid.shape, self.dx(population), self.base)
        if prob is not None:
            self.problems.append(Problem(self.spec.path, *prob))
            return (math.nan,) if as_list else math.nan
        if as_list:  # nu and Tau: the per-node list NFTsim itself reads
            return tuple(float(x) for x in M.global_values(out).ravel())
        return out

    def params(self, prm: Params, population: int, keys: tuple) -> Params:
        return Params({k: self.value(v, population, keys, k) for k, v in prm.items()})

    def run(self) -> ModelSpec:
        s = self.spec
        conns = {c.index: c for c in s.connections}
        pops = []
        for p in s.populations:
            ch = {"q_init": self.value(p.q_init, p.index, supported("population", None), "Q")}
            if p.firing is not None:
                keys = supported("firing", p.firing.kind)
                ch["firing"] = dataclasses.replace(
                    p.firing, params=self.params(p.firing.params, p.index, keys))
            if p.dynamics is not None:
                keys = supported("dynamics", p.dynamics.kind)
                coefs = D.spatial_keys(p.dynamics.kind)
                self.coefs.update({id(v.source): p.dynamics.kind for k, v in
                                   p.dynamics.params.items() if k in coefs and M.is_map(v)})
                ch["dynamics"] = dataclasses.replace(
                    p.dynamics, params=self.params(p.dynamics.params, p.index, keys))
            pops.append(dataclasses.replace(p, **ch))
        dends = []
        for d in s.dendrites:
            post = conns[d.index].post if d.index in conns else 0
            keys = supported("dendrite", d.kind)
            dends.append(dataclasses.replace(
                d, alpha=self.value(d.alpha, post, keys, "alpha"),
                beta=self.value(d.beta, post, keys, "beta"),
                v_init=self.value(d.v_init, post, keys, "V")))
        props = []
        for pr in s.propagators:
            pre = conns[pr.index].pre if pr.index in conns else 0
            keys = supported("propagator", pr.kind)
            rng = self.value(pr.range, pre, keys, "Range")  # Wave: its medium (wavemaps)
            gamma = W.derived_gamma(pr, rng)  # velocity / Range, per node
            gamma = self.value(pr.gamma, pre, keys, "gamma") if gamma is None else gamma
            props.append(dataclasses.replace(
                pr, phi_init=self.value(pr.phi_init, pre, keys, "phi"),
                tau=self.value(pr.tau, pre, keys, "Tau", as_list=True), range=rng, gamma=gamma))
        coups = []
        for cp in s.couplings:
            pre = conns[cp.index].pre if cp.index in conns else 0
            keys = supported("coupling", cp.kind)
            coups.append(dataclasses.replace(
                cp, nu=self.value(cp.nu, pre, keys, "nu", as_list=True)))
        return dataclasses.replace(s, populations=tuple(pops), dendrites=tuple(dends),
                                   propagators=tuple(props), couplings=tuple(coups))


def _refusal(fm: M.FieldMap, path: str, kind: str | None = None) -> Problem:
    """The problem of a map on a key that cannot vary per node (``kind``: a spatial
    coefficient of that Dynamics kind)."""
    src = fm.source
    if kind is not None:
        terms = "; ".join(f"d {op.dst}/dt {op.text()}" for op in registry.lookup(kind).spatial)
        return Problem(path, src.line, src.qkey, src.text[:60],
                       f"'{src.qkey}' cannot be a per-node map: it is a coefficient of the "
                       f"spatial terms of {kind} ({terms}); a per-node coefficient would make "
                       "c lap(f) a non-conservative form (not div(c grad f)) and give a "
                       "stability bound per node",
                       f"give one number (maps are accepted for the other parameters of {kind}"
                       f": {', '.join(D.map_keys(kind))}; docs/heterogeneous.md)")
    allowed = ("Population: Q; Firing (Response): Theta, Sigma, Qmax, a, b, c, d; "
               "Dendrite: alpha, beta, V (Integral: V); Propagator: phi, Tau (Wave: also "
               "Range, gamma; not WaveLegacy); Coupling (Map): nu; Dynamics: every numeric "
               "parameter and <var>_0, except the coefficients of a kind's spatial terms")
    return Problem(path, src.line, src.qkey, src.text[:60],
                   f"'{src.qkey}' cannot be a per-node map", f"give one number; maps are "
                   f"accepted for {allowed} (docs/heterogeneous.md)")


def resolve(spec: ModelSpec, found: list,
            grid_ok: bool = True) -> tuple[ModelSpec, list[Problem]]:
    """Resolve every map of ``spec`` (all maps the reader parsed are in ``found``).

    Returns
    -------
    spec : ModelSpec
        Maps on allowed keys resolved (``lo``, ``hi``, grid spacing); ``nu``
        and ``Tau`` maps replaced by per-node lists.
    problems : list of Problem
        Maps on keys that cannot vary per node, unreadable maps (file,
        dataset, shape) and non-finite values.
    """
    if not found:
        return spec, []
    if not grid_ok:  # no shape to read maps on: only say which keys cannot be maps
        return spec, [_refusal(fm, spec.path) for fm in found if ":" not in fm.source.qkey]
    r = _Resolver(spec)
    out = r.run()
    problems = [_refusal(fm, spec.path, r.coefs.get(id(fm.source))) for fm in found
                if id(fm.source) not in r.seen and fm.source.form != "bad"]
    return out, problems + r.problems


def check(spec: ModelSpec, skip, rules) -> list[Problem]:
    """``rules(spec, skip)`` with every map at its minimum, then at its maximum.

    A problem on a map's line says which extreme (and node) broke the rule;
    problems found in both passes are reported once. The stability of spatial
    terms is not judged at the extremes (all minima together need not occur
    at any node) but once, at each node's values
    (:func:`parnft.config.spatialcheck.check`).
    """
    lines, keyed = {}, {}
    for fm in M.maps_of(spec):
        lines.setdefault(fm.source.line, fm)
        keyed.setdefault((fm.source.line, fm.source.qkey), fm)  # several maps on one line
    if not lines:
        return rules(spec, skip)
    words, out = W.courant(spec, skip)  # a Wave's medium: its Courant number per node
    for which in ("lo", "hi"):
        for p in rules(M.at_extreme(spec, which), frozenset(skip) | {"spatial"} | words):
            fm = keyed.get((p.line, p.key), lines.get(p.line))
            if fm is not None:
                val = fm.lo if which == "lo" else fm.hi
                node = fm.where[0 if which == "lo" else 1]
                p = dataclasses.replace(p, rule=f"{p.rule} (per-node map {fm.source.describe()}"
                                        f": its {'minimum' if which == 'lo' else 'maximum'} "
                                        f"{val:.6g} at node {node})")
            if p not in out:
                out.append(p)
    return out + spatialcheck.check(spec)
