"""Per-node ``Range`` and ``gamma`` of a Wave propagator (``docs/heterogeneous.md``).

A ``Propagator j: Wave`` may take a per-node map for ``Range`` r and for
``gamma``; each node then solves its own local equation
``(1/gamma_i^2 d_t^2 + 2/gamma_i d_t + 1 - r_i^2 lap) phi = Q``
(:mod:`parnft.kernels.wave`). Two rules follow here, on the reading rank:

* ``velocity`` with a ``Range`` map (and no ``gamma``): NFTsim's
  ``gamma = velocity / Range`` holds node by node, so gamma becomes the
  per-node map :func:`derived_gamma` (the same division, element for element,
  as the scalar rule of :mod:`parnft.config.build`);
* the Courant bound ``p_i = gamma_i r_i Deltat / dx <= 1/sqrt(2)`` at every
  node: :func:`courant` takes the maximum over the nodes of ``gamma_i r_i``
  (not the maximum of gamma times the maximum of r, which may lie at two
  different nodes) and names the node where it is largest. The ordinary
  check, which sees each map at one extreme, is skipped for these
  propagators (:func:`parnft.config.checks.nodal_courant`).

``WaveLegacy`` keeps one medium: its Range and gamma are refused as maps
(:data:`parnft.config.maps.SUPPORTED`).
"""

from __future__ import annotations

import math

import numpy as np

from parnft.config import keys as K
from parnft.config import maps as M
from parnft.config.checks import COURANT_LIMIT, STABILITY_RULE, courant_fix, nodal_courant
from parnft.config.spec import ModelSpec, PropagatorSpec
from parnft.errors import Problem

#: The keys of a Wave propagator that make its medium vary per node.
MEDIUM_KEYS = ("Range", "gamma")


def derived_gamma(pr: PropagatorSpec, rng) -> M.FieldMap | None:
    """``gamma = velocity / Range`` per node when ``Range`` is a resolved map, else None.

    Parameters
    ----------
    pr : PropagatorSpec
        The propagator as built (``gamma`` from ``velocity`` is NaN there when
        ``Range`` is a map).
    rng : float or FieldMap
        Its resolved ``Range``.

    Returns
    -------
    FieldMap or None
        A node-list map at the ``velocity`` line, or None when ``gamma`` is
        given, ``velocity`` is not a plain number or ``Range`` is no resolved map.
    """
    vel = pr.velocity
    if ("gamma" in pr.loc or vel is None or M.is_map(vel) or not M.is_map(rng)
            or rng.shape == (0, 0) or not math.isfinite(rng.lo)):
        return None
    flat = (float(vel) / M.global_values(rng)).ravel()
    src = M.MapSource("list", f"velocity / Range ({rng.source.describe()})",
                      pr.loc.get("velocity", rng.source.line), f"Propagator {pr.index}: gamma",
                      values=tuple(flat.tolist()))
    ilo, ihi = int(np.argmin(flat)), int(np.argmax(flat))
    return M.FieldMap(src, float(flat[ilo]), float(flat[ihi]), (ilo + 1, ihi + 1), rng.dx,
                      rng.shape, rng.base)


def mapped(spec: ModelSpec) -> list[PropagatorSpec]:
    """The Wave propagators of ``spec`` whose ``Range`` or ``gamma`` is a resolved map."""
    return [pr for pr in spec.propagators if pr.kind in K.WAVE_KINDS
            and any(M.is_map(v) and v.shape != (0, 0) for v in (pr.range, pr.gamma))]


def _values(v) -> np.ndarray | float:
    return M.global_values(v) if M.is_map(v) else float(v)


def speeds(pr: PropagatorSpec, shape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(gamma, Range, gamma * Range)`` of every node, flat in node order.

    The product is formed as the ordinary Courant check forms it
    (``gamma * Range``, then ``* Deltat / dx``); maps are read on the whole grid.
    """
    g, r = (np.broadcast_to(_values(v), shape).ravel() for v in (pr.gamma, pr.range))
    return g, r, g * r


def courant(spec: ModelSpec, skip: frozenset[str]) -> tuple[frozenset[str], list[Problem]]:
    """The per-node Courant check of every Wave with a ``Range`` or ``gamma`` map.

    Parameters
    ----------
    spec : ModelSpec
        The resolved model.
    skip : frozenset of str
        Parts the reader could not read (``"time"``, ``"grid"``, ``"matrix"``).

    Returns
    -------
    skip_words : frozenset of str
        :func:`~parnft.config.checks.nodal_courant` of each such propagator,
        for the ordinary rules (which then leave its Courant number alone).
    problems : list of Problem
        One per propagator whose largest ``gamma_i r_i Deltat / dx`` exceeds
        1/sqrt(2), naming the node, its gamma and Range; a stability problem
        (:func:`parnft.config.checks.is_stability`).
    """
    waves = mapped(spec)
    words = frozenset(nodal_courant(pr.index) for pr in waves)
    dt = spec.time.deltat
    if not waves or skip & {"time", "grid", "matrix"} or spec.grid.nodes <= 1 \
            or not (isinstance(dt, float) and math.isfinite(dt) and dt > 0):
        return words, []
    pops = {p.index: p for p in spec.populations}
    conns = {c.index: c for c in spec.connections}
    out = []
    for pr in waves:
        pre = pops.get(conns[pr.index].pre) if pr.index in conns else None
        if pre is None or not (isinstance(pre.length, float) and pre.length > 0):
            continue  # reported by the ordinary checks
        dx = pre.length / spec.grid.longside
        g, r, gr = speeds(pr, spec.grid.shape)
        if not dx > 0 or not (np.all(g > 0) and np.all(r > 0)):
            continue  # a non-positive value or spacing: reported by the ordinary checks
        k = int(np.argmax(gr))
        p = float(gr[k]) * dt / dx
        if p <= COURANT_LIMIT:
            continue
        nx = spec.grid.shape[1]
        gk, rk = float(g[k]), float(r[k])
        which = " and ".join(f"{key} {v.source.describe()}" for key, v in
                             (("Range", pr.range), ("gamma", pr.gamma)) if M.is_map(v))
        line = pr.loc.get("gamma", pr.loc.get("velocity", pr.loc.get("Range", 0)))
        out.append(Problem(
            spec.path, int(line), f"Propagator {pr.index}: gamma, Range", f"{gk:.10g}, {rk:.10g}",
            f"{STABILITY_RULE}: p = gamma*Range*Deltat/dx = {p:.4g} > 1/sqrt(2) at node "
            f"{k + 1} (x = {k % nx}, y = {k // nx}), where gamma*Range = {float(gr[k]):.6g} m/s "
            f"is largest over the per-node map(s) {which} (dx = Length {pre.length:.10g} of "
            f"Population {pre.index} / {spec.grid.longside} = {dx:.10g} m)",
            courant_fix(float(gr[k]), dt, dx, pre.length)))
    return words, out
