"""Config support of populations with local dynamics (``Dynamics: <Kind>``, parnft only).

Everything here is derived from the kinds' declarations
(:class:`parnft.model.declare.Dynamics`, registered in
:mod:`parnft.model.dynamics`): the keys a ``Dynamics:`` block accepts, their
ranges and defaults, the output fields, the step-size rule and the memory
count. No kind is named in this module.

Grammar (NFTsim's, extended in the same style)::

    Population 2: Name  Length: 0.5  Dynamics: <Kind>  <key>: <value> ...  <var>_0: <value>
    Plugin: my_model.py                  (top level, or on a population line)

``Q:`` is optional on such a population (default: the rate of the initial
state). A connection into it may have ``Dendrite j: Direct`` (no synaptic
filter: V = nu phi), or no Dendrite block at all, which means the same.
"""

from __future__ import annotations

import difflib
import math
import os

from parnft.config import keys as K
from parnft.config import spatialcheck
from parnft.config.spatialcheck import SPATIAL_RULE
from parnft.errors import ConfigError, Problem
from parnft.model import dynamics as registry
from parnft.model.declare import Choice

#: Prefix of the step-size problems (reported like the Courant condition).
STEP_RULE = "step-size rule violated"


def known() -> tuple[str, ...]:
    """Every registered kind name."""
    return registry.kinds()


def block_keys(kind: str | None) -> dict[str, str]:
    """Value keys (with value types) of a ``Dynamics: <kind>`` block."""
    try:
        decl = registry.lookup(kind)
    except KeyError:
        return {}
    keys = {p.name: (K.TEXT if isinstance(p, Choice) else K.NUM) for p in decl.params}
    keys.update({f"{v.name}_0": K.NUM for v in decl.state})
    return keys


def has_spatial(kind: str | None) -> bool:
    """True when ``kind`` declares spatial terms on its state (diffusion, cross-diffusion)."""
    try:
        return bool(registry.lookup(kind).spatial)
    except KeyError:
        return False


def spatial_keys(kind: str | None) -> tuple[str, ...]:
    """Parameters of ``kind`` that its spatial terms read (the coefficients' factors).

    Derived from the declaration (:attr:`parnft.model.declare.CrossDiffusion.coefs`
    of each term of :attr:`parnft.model.declare.Dynamics.spatial`); empty for a
    kind without spatial terms or an unknown kind.
    """
    try:
        decl = registry.lookup(kind)
    except KeyError:
        return ()
    names = {c for op in decl.spatial for c in op.coefs}
    return tuple(p.name for p in decl.params if p.name in names)


def map_keys(kind: str | None) -> tuple[str, ...]:
    """Keys of a ``Dynamics: <kind>`` block that may be per-node maps.

    Every numeric parameter and every ``<var>_0``, except the parameters a
    spatial term's coefficient reads (:func:`spatial_keys`): those stay one
    number for the sheet, so ``c lap(f)`` keeps one coefficient (a per-node c
    would make ``c lap f`` a non-conservative form, not ``div(c grad f)``, and
    give a stability bound per node). The local parameters of a kind whose
    state spreads may vary; its stability is then judged at each node's
    values (:mod:`parnft.config.spatialcheck`).
    """
    coefs = spatial_keys(kind)
    return tuple(k for k, t in block_keys(kind).items() if t == K.NUM and k not in coefs)


def fields(kind: str) -> tuple[str, ...] | None:
    """Output fields of a population with dynamics ``kind`` (None for an unknown kind)."""
    try:
        return registry.lookup(kind).fields
    except KeyError:
        return None


def arrays_per_node(kind: str) -> int:
    """Per-node float64 arrays of the soma: Q, one per extra output, one per state variable.

    A kind with spatial operators adds three per state variable: the two ghosted
    RK4 stage states and the stage accumulator (:mod:`parnft.model.rk4space`).
    """
    try:
        decl = registry.lookup(kind)
    except KeyError:
        return 1
    return 1 + len(decl.outputs) + len(decl.state) * (4 if decl.spatial else 1)


def extra_rings(kind: str) -> int:
    """History rings a population of ``kind`` keeps besides Q's: one per extra output."""
    try:
        return len(registry.lookup(kind).outputs)
    except KeyError:
        return 0


def describe(pop) -> str:
    """The ``validate`` summary text of a population with dynamics."""
    d = pop.dynamics
    try:
        decl = registry.lookup(d.kind)
        state = ", ".join(v.name for v in decl.state)
    except KeyError:
        state = "?"
    q = f", Q {pop.q_init:g} /s" if math.isfinite(pop.q_init) else ", Q = rate(s(0))"
    return f"dynamics  {d.kind} ({state}){q}"


def preload(seq, rep, path: str) -> tuple[str, ...]:
    """Load the plugin files named by ``Plugin:`` keys of a file, before it is interpreted.

    Problems go to ``rep``; returns the absolute paths loaded.
    """
    from parnft.model.plugins import load_plugin, resolve_path

    base = os.path.dirname(os.path.abspath(path)) if path != "<string>" else None
    out = []
    for key, words in seq:
        if key.name != "Plugin" or key.index is not None:
            continue
        if not words:
            continue  # the reader reports the missing value
        name = words[0].text
        try:
            load_plugin(name, base, where=(path, key.line))
        except ConfigError as exc:
            rep.problems.extend(exc.problems)
            continue
        out.append(resolve_path(name, base))
    return tuple(out)


def step_limit(decl, values: dict) -> float | None:
    """Largest Deltat the kind's step-size rule allows at ``values`` (None: no rule or unknown)."""
    if decl.timescale is None:
        return None
    try:
        ts = float(decl.timescale(values))
    except (ArithmeticError, ValueError, KeyError, TypeError):
        return None
    return ts / decl.steps_per_timescale if math.isfinite(ts) and ts > 0 else None


def step_ratios(spec) -> dict[int, tuple[str, float]]:
    """``population -> (kind, Deltat / largest allowed Deltat)`` for the ``validate`` summary."""
    out = {}
    for pop in spec.populations:
        if pop.dynamics is None:
            continue
        try:
            decl = registry.lookup(pop.dynamics.kind)
        except KeyError:
            continue
        limit = step_limit(decl, decl.resolve(pop.dynamics.params))
        if limit is not None:
            out[pop.index] = (decl.name, spec.time.deltat / limit)
    return out


def spatial_ratios(spec) -> dict[int, tuple[str, float, bool]]:
    """``population -> (kind, Deltat / largest stable Deltat, bound)`` of the spatial terms.

    The largest stable step is searched up to the kind's own step-size limit
    (or 100 Deltat); ``bound`` is False when the spatial terms allow that
    whole range (the ratio is then an upper bound). With per-node maps the
    ratio is the largest over the nodes' value tuples that
    :func:`parnft.config.spatialcheck.node_tuples` selects.
    """
    out = {}
    dt = spec.time.deltat
    for pop in spec.populations:
        if pop.dynamics is None:
            continue
        try:
            decl = registry.lookup(pop.dynamics.kind)
            dx = float(pop.length) / spec.grid.longside
        except (KeyError, TypeError, ValueError, ZeroDivisionError):
            continue
        if not decl.spatial:
            continue
        worst = None
        for _, values in spatialcheck.node_tuples(decl, pop.dynamics.params):
            top = step_limit(decl, values) or 100.0 * dt
            best = spatialcheck.largest_stable(decl, values, dx, top)
            if best is not None and best > 0 and (worst is None or dt / best > worst[1]):
                worst = (decl.name, dt / best, best < top)
        if worst is not None:
            out[pop.index] = worst
    return out


def kind_problem(rep, block, word: str) -> None:
    """Report an unknown kind word in a Dynamics block, listing the known kinds."""
    table = known()
    best = difflib.get_close_matches(word, table, n=1, cutoff=0.5)
    hint = f"did you mean '{best[0]}'? " if best else ""
    rep.add(block.line, block.label, word, f"unknown Dynamics kind '{word}' in {block.label}",
            f"{hint}known: {', '.join(table)} (or load a plugin: --plugin FILE / 'Plugin: FILE')")


def _g(x: float) -> str:
    return f"{x:.10g}"


def check(spec, skip: frozenset = frozenset()) -> list[Problem]:
    """Every rule on the ``Dynamics:`` blocks of ``spec`` (keys, ranges, choices, step size).

    The stability of spatial terms (:mod:`parnft.config.spatialcheck`) is
    included unless ``"spatial"`` is in ``skip``.
    """
    out: list[Problem] = []
    dt = spec.time.deltat
    dt = dt if isinstance(dt, float) and math.isfinite(dt) and dt > 0 else None

    def add(line, key, value, rule, fix):
        out.append(Problem(spec.path, int(line), key, str(value), rule, fix))

    pops = {p.index: p for p in spec.populations}
    if "matrix" not in skip:
        conns = {c.index: c for c in spec.connections}
        for pr in spec.propagators:
            if pr.source is None or pr.index not in conns:
                continue
            pre = pops.get(conns[pr.index].pre)
            line = pr.loc.get("Source", 0)
            try:
                outs = [o.name for o in registry.lookup(pre.dynamics.kind).outputs] \
                    if pre is not None and pre.dynamics else []
            except KeyError:
                continue
            if pr.source not in outs:
                what = (f"Dynamics {pre.dynamics.kind}" if pre is not None and pre.dynamics
                        else "it")
                add(line, f"Propagator {pr.index}: Source", pr.source, f"Population "
                    f"{conns[pr.index].pre} ({what}) emits no '{pr.source}'",
                    f"write one of {', '.join(outs)}" if outs else
                    "remove 'Source:' (the propagator carries Q)")
        for d in spec.dendrites:
            if "Input" not in d.params or d.index not in conns:
                continue
            post = pops.get(conns[d.index].post)
            word, line = d.params["Input"], d.loc.get("Input", 0)
            try:
                chans = registry.lookup(post.dynamics.kind).inputs if post.dynamics else ()
            except KeyError:
                continue
            if not chans:
                what = (f"Dynamics {post.dynamics.kind}" if post.dynamics else "a Firing response")
                add(line, f"Dendrite {d.index}: Input", word, f"Population {post.index} "
                    f"({what}) has no input channels", "remove 'Input:' (its input is the sum "
                    "of its dendrites)")
            elif word not in chans:
                add(line, f"Dendrite {d.index}: Input", word, f"'{word}' is not an input "
                    f"channel of Dynamics {post.dynamics.kind}", f"write one of {', '.join(chans)}")
        for c in spec.connections:
            cp = spec.couplings[c.index - 1] if c.index <= len(spec.couplings) else None
            post = pops.get(c.post)
            if cp is not None and cp.kind in K.PLASTIC_COUPLINGS and post is not None \
                    and post.dynamics is not None:
                add(cp.loc.get("Coupling", 0), f"Coupling {c.index}", cp.kind,
                    f"a {cp.kind} coupling needs a GlutamateResponse postsynaptic population "
                    f"(Population {post.index} has Dynamics {post.dynamics.kind})",
                    "use a Map coupling, or a Firing: GlutamateResponse population")
    for pop in spec.populations:
        d = pop.dynamics
        if d is None:
            continue
        lab = f"Population {pop.index} Dynamics"
        at = d.loc.get("Dynamics", pop.loc.get("Population", 0))
        try:
            decl = registry.lookup(d.kind)
        except KeyError:
            continue  # the reader reported the unknown kind
        values = decl.resolve(d.params)
        ok = True
        absent = [p.name for p in decl.params if p.name not in values]
        if absent:
            ok = False
            add(at, f"{lab}: {', '.join(absent)}", "", f"Dynamics {decl.name} needs "
                + ", ".join(f"'{k}:'" for k in absent),
                "add " + ", ".join(f"'{k}: <value>'" for k in absent) + f" to {lab}")
        for p in decl.params:
            if p.name not in d.params:
                continue
            v, line = d.params[p.name], d.loc.get(p.name, at)
            if isinstance(p, Choice):
                if v not in p.choices:
                    ok = False
                    best = difflib.get_close_matches(str(v), p.choices, n=1, cutoff=0.5)
                    hint = f"did you mean '{best[0]}'? " if best else ""
                    add(line, f"{lab}: {p.name}", v, f"'{v}' is not a choice of {p.name} "
                        f"in Dynamics {decl.name}", f"{hint}write one of {', '.join(p.choices)}")
            elif isinstance(v, float) and math.isnan(v):
                ok = False  # not a number: reported by the reader
            elif not p.allows(v):
                ok = False
                dflt = f" (default {p.default:g})" if p.default is not None else ""
                add(line, f"{lab}: {p.name}", _g(v), f"{p.name} must be {p.range_text()} "
                    f"[{p.unit}]", f"give {p.name} {p.range_text()} in {p.unit}{dflt}")
        for var in decl.state:
            key = f"{var.name}_0"
            v = d.params.get(key)
            if v is not None and not (isinstance(v, float) and math.isfinite(v)):
                ok = False
        if not ok:
            continue
        if decl.check is not None:
            for text in decl.check(values):
                rule, _, fix = text.partition("; fix: ")
                add(at, lab, d.kind, rule, fix or "see parnft models " + decl.name)
        limit = step_limit(decl, values)
        if limit is not None and dt is not None:
            n = decl.steps_per_timescale
            ts = limit * n
            if dt > limit * (1 + 1e-12):
                add(spec.time.loc.get("Deltat", at), "Deltat", _g(dt),
                    f"{STEP_RULE}: Deltat = {_g(dt)} s > {ts:.6g} s / {n:g} (Population "
                    f"{pop.index}, Dynamics {decl.name}: fastest time scale {ts:.6g} s at these "
                    f"parameters, {n:g} RK4 steps per time scale)",
                    f"use Deltat <= {limit:.6g} s (or slower dynamics)")
    if "spatial" not in skip:  # skipped by the passes at the maps' extremes (mapcheck)
        out += spatialcheck.check(spec)
    return out


__all__ = ["SPATIAL_RULE", "STEP_RULE", "arrays_per_node", "block_keys", "check", "describe",
           "fields", "known", "map_keys", "preload", "spatial_keys", "spatial_ratios",
           "step_limit", "step_ratios"]
