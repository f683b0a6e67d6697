"""RK4 stability of a kind's spatial terms at config validation, node by node with maps.

A kind whose state spreads by its own spatial terms
(:attr:`parnft.model.declare.Dynamics.spatial`) is stable when every grid
mode of the linearised RK4 step lies in RK4's region
(:func:`parnft.model.spatial.stable`, at the kind's initial state s(0)).
The spatial coefficients are one number for the whole sheet
(:func:`parnft.config.dynamics.map_keys`), but the local parameters and the
initial values may be per-node maps, and the Jacobian they give differs
from node to node. The check is therefore made at **each node's values**:

* the rows ``(v_1, ..., v_K)`` of the K mapped keys of the block, one per
  node, are reduced to their distinct tuples (``np.unique`` over rows) and
  every distinct tuple is checked;
* when there are more than :data:`LIMIT` (64) distinct tuples, a subset of
  64 is checked: the tuples at the node of the minimum and at the node of
  the maximum of each mapped key, then distinct tuples evenly spaced in
  ``np.unique``'s (lexicographic) order until 64 are taken. This bounds the
  cost (about 3 ms a tuple) for maps with a value per node (e.g. the state of
  an earlier run); it is a sample, not a proof, for a map whose worst node
  is neither a minimum nor a maximum of some key.

A failure names the node (1-based, its first occurrence) and the values
there, and the largest stable Deltat over the tuples checked.
"""

from __future__ import annotations

import math

import numpy as np

from parnft.config import maps as M
from parnft.errors import Problem
from parnft.model import dynamics as registry
from parnft.model import spatial
from parnft.model.declare import Choice

#: Prefix of the spatial operators' stability problems (like the Courant condition).
SPATIAL_RULE = "diffusion stability violated"
#: Most distinct per-node value tuples checked per population (see the module docstring).
LIMIT = 64


def _resolved(v) -> bool:
    return M.is_map(v) and v.source.form != "bad" and v.shape != (0, 0)


def node_tuples(decl, params, limit: int = LIMIT) -> list[tuple[int | None, dict]]:
    """``(node, values)`` pairs at which to judge the spatial terms of a block.

    Parameters
    ----------
    decl : parnft.model.declare.Dynamics
    params : Params
        The block's keys; per-node maps resolved (:mod:`parnft.config.mapcheck`).
    limit : int
        Most tuples returned when the maps have more distinct tuples.

    Returns
    -------
    list of (int or None, dict)
        Without maps one pair ``(None, values)``; with maps one per distinct
        tuple of the mapped keys (or the subset of the module docstring),
        ``node`` 1-based, ``values`` the resolved block at that node. Empty
        when a map could not be read (reported elsewhere).
    """
    values = decl.resolve(params)
    mapped = [k for k, v in params.items() if M.is_map(v)]
    if not mapped:
        return [(None, values)]
    if not all(_resolved(params[k]) for k in mapped):
        return []
    try:
        cols = np.column_stack([M.global_values(params[k]).ravel() for k in mapped])
    except M.MapError:
        return []
    uniq, first, inv = np.unique(cols, axis=0, return_index=True, return_inverse=True)
    inv = np.asarray(inv).ravel()
    rows = list(range(len(uniq)))
    if len(uniq) > limit:
        rows = []
        ends = [f(cols[:, j]) for j in range(len(mapped)) for f in (np.argmin, np.argmax)]
        spread = np.linspace(0, len(uniq) - 1, limit).round().astype(int)
        for r in [int(inv[n]) for n in ends] + [int(r) for r in spread]:
            if r not in rows and len(rows) < max(limit, 2 * len(mapped)):
                rows.append(r)
    return [(int(first[r]) + 1, dict(values, **{k: float(uniq[r, j])
                                               for j, k in enumerate(mapped)}))
            for r in rows]


def _valid(decl, values: dict) -> bool:
    """Every parameter present and in range, every initial value finite (else reported)."""
    for p in decl.params:
        v = values.get(p.name)
        if v is None:
            return False
        if isinstance(p, Choice):
            if v not in p.choices:
                return False
        elif isinstance(v, str) or not p.allows(float(v)):
            return False
    return all(math.isfinite(float(values.get(f"{v.name}_0", v.init))) for v in decl.state)


def _dx(spec, pop) -> float | None:
    try:
        dx = float(pop.length) / spec.grid.longside
    except (TypeError, ValueError, ZeroDivisionError, AttributeError):
        return None
    return dx if math.isfinite(dx) and dx > 0 else None


def largest_stable(decl, values: dict, dx: float, top: float) -> float | None:
    """The largest stable step <= ``top`` at ``values`` (None when it cannot be judged)."""
    try:
        return spatial.largest_stable_dt(decl, values, dx, top)
    except (ArithmeticError, ValueError, KeyError, TypeError, np.linalg.LinAlgError):
        return None


def _g(x: float) -> str:
    return f"{x:.10g}"


def population(spec, pop, decl, dt: float) -> Problem | None:
    """The stability problem of ``pop``'s spatial terms at step ``dt``, or None."""
    dx = _dx(spec, pop)
    if dx is None:
        return None
    pairs = [(n, v) for n, v in node_tuples(decl, pop.dynamics.params) if _valid(decl, v)]
    bad = []
    for node, values in pairs:
        try:
            if spatial.stable(decl, values, dt, dx):
                continue
        except (ArithmeticError, ValueError, KeyError, TypeError, np.linalg.LinAlgError):
            continue
        best = largest_stable(decl, values, dx, dt)
        if best is not None:
            bad.append((best, node, values))
    if not bad:
        return None
    best, node, values = min(bad, key=lambda b: b[0])
    terms = "; ".join(f"d {op.dst}/dt {op.text()}" for op in decl.spatial)
    diff = [op.value(values) for op in decl.spatial if op.src == op.dst]
    dmax = max(diff, default=0.0)
    hint = (f"; pure diffusion with D = {dmax:.6g} m^2/s alone needs Deltat <= 2.785 dx^2/(8 D)"
            f" = {spatial.diffusion_bound(dmax, dx):.6g} s" if dmax > 0 else "")
    where = ""
    if node is not None:
        keys = [k for k, v in pop.dynamics.params.items() if M.is_map(v)]
        at = ", ".join(f"{k} = {values[k]:.6g}" for k in keys)
        where = (f" at node {node} ({at}; {len(bad)} of {len(pairs)} per-node value tuples "
                 f"checked fail)")
    line = spec.time.loc.get("Deltat", pop.dynamics.loc.get("Dynamics", 0))
    return Problem(spec.path, int(line), "Deltat", _g(dt),
                   f"{SPATIAL_RULE}: Deltat = {_g(dt)} s puts grid modes of Population "
                   f"{pop.index} (Dynamics {decl.name}: {terms}; dx = {dx:.6g} m) outside "
                   f"RK4's stability region{where}{hint}",
                   f"use Deltat <= {best:.6g} s, or a coarser grid (larger dx) or smaller "
                   "coefficients" + (" or per-node values" if node is not None else ""))


def check(spec) -> list[Problem]:
    """The spatial-stability problems of every population of ``spec`` (maps per node)."""
    dt = spec.time.deltat
    if not (isinstance(dt, float) and math.isfinite(dt) and dt > 0):
        return []
    out = []
    for pop in spec.populations:
        if pop.dynamics is None:
            continue
        try:
            decl = registry.lookup(pop.dynamics.kind)
        except KeyError:
            continue  # the reader reported the unknown kind
        if decl.spatial:
            prob = population(spec, pop, decl, dt)
            if prob is not None:
                out.append(prob)
    return out


__all__ = ["LIMIT", "SPATIAL_RULE", "check", "largest_stable", "node_tuples", "population"]
