"""Validation rules of a model read from a ``.conf`` file.

:func:`check` applies every rule to a :class:`~parnft.config.spec.ModelSpec`
and returns all problems found, each naming the file, line, key, value, the
rule and the fix. It is a pure function of the spec (so every MPI rank gets
the same answer). The rules are listed in ``docs/config.md``.

Values the reader could not parse are NaN in the spec (the reader already
reported them) and are skipped here; keys absent from an object's ``loc`` were
not written, and the rules that need them report them as missing.
"""

from __future__ import annotations

import math
import re

from parnft.boundary.registry import KINDS as BOUNDARY_KINDS
from parnft.boundary.spec import AXES
from parnft.config import checks_kinds
from parnft.config import dynamics as D
from parnft.config import keys as K
from parnft.config.spec import ModelSpec, Params, StimulusSpec
from parnft.errors import Problem

#: The Courant bound of the Wave schemes: p = gamma * Range * Deltat / dx <= 1/sqrt(2).
COURANT_LIMIT = 1.0 / math.sqrt(2.0)
#: Relative tolerance (in units of steps) of "is a multiple of Deltat".
STEP_TOLERANCE = 1e-9
#: Most steps any duration (Time, Tau, Interval, Start) may span: beyond 2^53 a
#: float no longer holds every whole step, so "a multiple of Deltat" means nothing
#: (and Time / Deltat may not fit the solver's int64 step counter).
MAX_STEPS = 2**53
_STABILITY = "Courant condition violated"
#: How every Courant-condition problem's rule starts (:func:`is_stability`).
STABILITY_RULE = _STABILITY


def nodal_courant(index: int) -> str:
    """The ``skip`` word that leaves propagator ``index``'s Courant number to a per-node check.

    :func:`parnft.config.wavemaps.courant` checks a Wave with ``Range`` or
    ``gamma`` maps at every node; the ordinary rule, which sees each map at
    one extreme, would combine the maximum of both even where they lie at
    different nodes.
    """
    return f"courant per node {index}"


def is_stability(problem: Problem) -> bool:
    """True for a problem that makes a numerical scheme unstable (Courant condition)."""
    return problem.rule.startswith((_STABILITY, D.STEP_RULE))


def steps_of(value: float, deltat: float) -> float:
    """``value / deltat``, the number of steps a duration spans (not rounded).

    Never raises: an overflow gives ``inf`` (``1e308 / 1e-4``), and a
    ``deltat`` of 0 gives ``inf`` (or NaN for 0 / 0).
    """
    if deltat == 0:
        return math.nan if value == 0 else math.inf
    return value / deltat


def whole_steps(value: float, deltat: float) -> int | None:
    """``round(value / deltat)``, or None when that is not finite or beyond :data:`MAX_STEPS`."""
    r = steps_of(value, deltat)
    if not math.isfinite(r) or abs(r) > MAX_STEPS:
        return None
    return round(r)


def is_multiple(value: float, deltat: float) -> bool:
    """True when ``value`` is a whole number of steps ``deltat`` (tolerance 1e-9 relative).

    Parameters
    ----------
    value, deltat : float
        Duration and step [s]; ``deltat`` > 0.

    Returns
    -------
    bool
        ``|r - round(r)| <= 1e-9 * max(1, |r|)`` with ``r = value / deltat``.
    """
    r = steps_of(value, deltat)
    if not math.isfinite(r):
        return False
    return abs(r - round(r)) <= STEP_TOLERANCE * max(1.0, abs(r))


def _fin(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _g(x: float) -> str:
    return f"{x:.10g}"


class _Checker:
    def __init__(self, spec: ModelSpec, skip: frozenset[str]) -> None:
        self.spec, self.skip = spec, skip
        self.problems: list[Problem] = []
        self.top = spec.time.loc.get("Time", 1)
        dt = spec.time.deltat
        self.dt = dt if _fin(dt) and dt > 0 else None
        self.n = spec.grid.nodes if "grid" not in skip else None
        if self.n is not None and self.n > MAX_STEPS:
            self.n, self.huge = None, True  # reported by grid(); rules by node count skipped
        else:
            self.huge = False
        self.pops = {p.index: p for p in spec.populations}
        self.conns = {c.index: c for c in spec.connections} if "matrix" not in skip else None

    def add(self, line, key, value, rule, fix) -> None:
        if isinstance(value, tuple):
            value = " ".join(_g(v) if isinstance(v, float) else str(v) for v in value)
        elif isinstance(value, float):
            value = _g(value)
        value = " ".join(str(value).split())
        if len(value) > 60:
            value = value[:57] + "..."
        self.problems.append(Problem(self.spec.path, int(line), key, value, rule, fix))

    def line(self, loc: Params, key: str, opener: str) -> int:
        return loc.get(key, loc.get(opener, self.top))

    def missing(self, loc: Params, opener: str, label: str, keys, what: str) -> list[str]:
        """Report keys of ``keys`` absent from ``loc``; return the absent ones."""
        absent = [k for k in keys if k not in loc]
        if absent:
            self.add(loc.get(opener, self.top), f"{label}: {', '.join(absent)}", "",
                     f"{what} needs " + ", ".join(f"'{k}:'" for k in absent),
                     "add " + ", ".join(f"'{k}: <value>'" for k in absent) + f" to {label}")
        return absent

    def too_many_steps(self, line, key, value, what: str) -> bool:
        """Report ``value / Deltat`` beyond :data:`MAX_STEPS` (or overflowing); True if so."""
        if self.dt is None or not _fin(value) or whole_steps(value, self.dt) is not None:
            return False
        r = steps_of(value, self.dt)
        self.add(line, key, value, f"{what} / Deltat = {r:.3g} steps is more than 2^53 "
                 f"({MAX_STEPS:.3g}), too many to count exactly",
                 f"give {what} <= {_g(MAX_STEPS * self.dt)} s, or a larger Deltat")
        return True

    def multiple(self, line, key, value, what: str) -> None:
        if self.dt is None or not _fin(value):
            return
        if self.too_many_steps(line, key, value, what):
            return
        if not is_multiple(value, self.dt):
            near = max(round(steps_of(value, self.dt)), 1) * self.dt
            self.add(line, key, value, f"{what} is not a multiple of Deltat = {_g(self.dt)} "
                     f"({_g(steps_of(value, self.dt))} steps)", f"use a multiple of Deltat, e.g. "
                     f"{_g(near)}")

    def node_list(self, line, key, nodes, what: str) -> None:
        if self.n is None:
            return
        bad = [i for i in nodes if not 1 <= i <= self.n]
        if bad:
            self.add(line, key, tuple(bad), f"{what} node numbers must be in 1..{self.n}",
                     f"use 1-based node numbers up to Nodes = {self.n}")

    # -- time and grid --------------------------------------------------------------
    def time(self) -> None:
        t = self.spec.time
        for k in ("Time", "Deltat"):
            if k not in t.loc:
                colonless = re.search(rf"(?<!\S){k}\s+[-+.0-9]", self.spec.header)
                self.add(self.top, k, "", f"the model has no '{k}:'" + (
                         f" ('{k}' without its colon is in the header)" if colonless else ""),
                         "start the model, after the free header, with 'Time: <s> Deltat: <s>'")
        if _fin(t.time) and t.time <= 0:
            self.add(t.loc["Time"], "Time", t.time, "Time must be > 0", "give a positive Time")
        if _fin(t.deltat) and t.deltat <= 0:
            self.add(t.loc["Deltat"], "Deltat", t.deltat, "Deltat must be > 0",
                     "give a positive Deltat")
        if _fin(t.time) and t.time > 0:
            self.multiple(t.loc["Time"], "Time", t.time, "Time")
            n = whole_steps(t.time, self.dt) if self.dt is not None else None
            if n == 0:
                self.add(t.loc["Time"], "Time", t.time, f"Time is less than one step Deltat = "
                         f"{_g(self.dt)}", "give a Time of at least one Deltat")

    def grid(self) -> None:
        g = self.spec.grid
        if "Nodes" not in g.loc:
            self.add(self.top, "Nodes", "", "the model has no 'Nodes:'",
                     "add 'Nodes: N' after Time and Deltat")
            return
        if self.huge:
            self.add(g.loc["Nodes"], "Nodes", f"{float(g.nodes):.3g}", "Nodes is more than 2^53 "
                     f"({MAX_STEPS:.3g}): no machine holds such a grid", "give fewer nodes")
            return
        if self.n is None:
            return
        if "Longside nodes" in g.loc:
            if g.nodes % g.longside:
                self.add(g.loc["Longside nodes"], "Longside nodes", g.longside,
                         f"Longside nodes must divide Nodes = {g.nodes}",
                         "choose Longside nodes that divides Nodes")
        elif math.isqrt(g.nodes) ** 2 != g.nodes:
            self.add(g.loc["Nodes"], "Nodes", g.nodes, "Nodes must be a perfect square when "
                     "'Longside nodes' is not given",
                     f"use a square number (e.g. {math.isqrt(g.nodes) ** 2}) or add "
                     "'Longside nodes: L' with L dividing Nodes")
        if g.topology != "Torus" and g.nodes > 1:
            self.add(g.loc.get("Topology", g.loc["Nodes"]), "Topology", g.topology,
                     "parnft runs periodic (Torus) grids only; NFTsim's Sphere stencil is "
                     "broken and its Nonperiodic one is rejected by Wave (STUDY.md 9.2)",
                     "remove the Topology line (Torus is the default)")
        if not g.boundary.torus:
            for pr in self.spec.propagators:
                if pr.kind in K.TORUS_ONLY_KINDS:
                    self.add(g.loc.get("Boundary", 1), "Boundary", str(g.boundary),
                             f"Propagator {pr.index} is {pr.kind}, NFTsim's 9-point legacy "
                             "stencil, which runs on the torus only (it reads the ghost "
                             "corners, which a non-periodic edge does not define)",
                             f"use 'Propagator {pr.index}: Wave' (the 5-point scheme) or "
                             "remove the Boundary line")
            for p in self.spec.populations:
                if p.dynamics is None or not D.has_spatial(p.dynamics.kind):
                    continue
                for ax in AXES:
                    why = BOUNDARY_KINDS[g.boundary.axis(ax).kind].not_spreading
                    if why:
                        self.add(g.loc.get("Boundary", 1), "Boundary", str(g.boundary),
                                 f"Population {p.index} is {p.dynamics.kind}, whose state "
                                 f"spreads by its own spatial terms: the {ax} edges' "
                                 f"'{g.boundary.axis(ax).kind}' does not apply to it ({why})",
                                 f"use neumann (zero flux), dirichlet V or periodic on {ax}")
                        break

    # -- populations -------------------------------------------------------------------
    def populations(self) -> None:
        for p in self.spec.populations:
            lab = f"Population {p.index}"
            if not self.missing(p.loc, "Population", lab, ("Length",), lab) and _fin(p.length):
                if p.length < 0 or (p.length == 0 and (self.n or 1) > 1):
                    self.add(p.loc["Length"], f"{lab}: Length", p.length,
                             "Length must be > 0 (>= 0 on a single node)",
                             "give the side length of the grid in metres")
            if self.conns is not None:
                inc = self.spec.incoming(p.index)
                if inc and p.firing is None and p.dynamics is None:
                    self.add(p.loc["Population"], lab, "", f"{lab} receives connection(s) "
                             f"{', '.join(str(c.index) for c in inc)} so it is neural, but it "
                             "has no 'Firing:'", "give it 'Q:' and 'Firing: Function: ...' (a "
                             "population driven by a Stimulus must have no incoming connection)")
                if not inc and p.stimulus is None and p.dynamics is None:
                    self.add(p.loc["Population"], lab, "", f"{lab} has no incoming connection "
                             "so it is a stimulus population, but it has no 'Stimulus:'",
                             "give it 'Stimulus: <Mode> - ...' or connect it in the matrix")
            elif p.firing is None and p.stimulus is None and p.dynamics is None:
                self.add(p.loc["Population"], lab, "", f"{lab} has neither Firing nor Stimulus",
                         "give it 'Q:' and 'Firing:' or 'Stimulus:'")
            if p.firing is not None:
                self.missing(p.loc, "Population", lab, ("Q",), f"neural {lab}")
                self.firing(p)
            if p.stimulus is not None:
                self.stimulus(p.stimulus, f"{lab} Stimulus")

    def firing(self, p) -> None:
        f, lab = p.firing, f"Population {p.index} Firing"
        if f.kind not in K.FIRING_KINDS:
            return
        if f.kind == "Bursting":
            self.missing(f.loc, "Firing", lab, K.BURST_REQUIRED, "a Bursting response")
        else:
            if self.missing(f.loc, "Firing", lab, ("Function",), f"a {f.kind}") or not f.function:
                return
            need = K.FUNCTIONS[f.function]
            self.missing(f.loc, "Firing", lab, need, f"Function {f.function}")
            for k in ("Theta", "Sigma", "Qmax", "a", "b", "c", "d"):
                if k in f.loc and k not in need:
                    self.add(f.loc[k], f"{lab}: {k}", f.params[k],
                             f"'{k}' is not a parameter of Function {f.function}",
                             f"remove it; {f.function} takes {', '.join(need)}")
        sigma = f.params.get("Sigma")
        if "Sigma" in f.loc and _fin(sigma) and sigma <= 0:
            self.add(f.loc["Sigma"], f"{lab}: Sigma", sigma, "Sigma must be > 0",
                     "give the positive width of the sigmoid")
        checks_kinds.apply(self, "firing", f.kind, p, lab)

    def stimulus(self, s: StimulusSpec, lab: str) -> None:
        if s.mode == K.SUPERIMPOSE:
            if not s.parts:
                self.add(s.loc["Stimulus"], lab, "", "Superimpose has no 'Stimulus:' parts",
                         "follow 'Superimpose: K' with K 'Stimulus: <Mode> - ...' parts")
            for i, part in enumerate(s.parts, start=1):
                self.stimulus(part, f"{lab} part {i}")
            return
        if s.mode not in K.STIMULUS_MODES:
            return
        req, _ = K.STIMULUS_MODES[s.mode]
        self.missing(s.loc, "Stimulus", lab, req, f"stimulus mode {s.mode}")
        if s.mode in ("White", "WhiteCoherent"):
            given = [k for k in ("StdDev", "ASD") if k in s.loc]
            if len(given) != 1:
                self.add(s.loc["Stimulus"], lab, "", f"stimulus mode {s.mode} needs exactly one "
                         "of 'StdDev:' and 'ASD:'", "give either StdDev or ASD")
        if "Period" in s.loc and "Frequency" in s.loc:
            self.add(s.loc["Frequency"], f"{lab}: Frequency", s.params["Frequency"],
                     "give either Period or Frequency, not both", "remove one of them")
        for k in ("Period", "Frequency", "Width"):
            v = s.params.get(k)
            if k in s.loc and _fin(v) and v <= 0:
                self.add(s.loc[k], f"{lab}: {k}", v, f"{k} must be > 0", f"give a positive {k}")
        if s.duration is not None and _fin(s.duration) and s.duration < 0:
            self.add(s.loc["Duration"], f"{lab}: Duration", s.duration, "Duration must be >= 0",
                     "give a non-negative Duration (omit it for 'forever')")
        if "Node" in s.loc:
            self.node_list(s.loc["Node"], f"{lab}: Node", s.nodes, "stimulus")
        checks_kinds.apply(self, "stimulus", s.mode, s, lab)

    # -- per connection -----------------------------------------------------------------
    def dendrites(self) -> None:
        for d in self.spec.dendrites:
            lab = f"Dendrite {d.index}"
            if d.kind not in K.DENDRITE_KINDS or d.kind in K.DIRECT_DENDRITES:
                continue
            self.missing(d.loc, "Dendrite", lab, ("alpha", "beta"), lab)
            for k, v in (("alpha", d.alpha), ("beta", d.beta)):
                if k in d.loc and _fin(v) and v <= 0:
                    self.add(d.loc[k], f"{lab}: {k}", v, f"{k} must be > 0",
                             f"give the positive rate constant {k} [1/s]")
            if d.kind == "Ramp":
                ramp = K.DENDRITE_RAMP_KEYS
                if not self.missing(d.loc, "Dendrite", lab, ramp, "a Ramp dendrite"):
                    ts = [d.params[f"t{i}"] for i in range(1, 5)]
                    if all(map(_fin, ts)) and ts != sorted(ts):
                        self.add(d.loc["t1"], f"{lab}: t1..t4", tuple(ts),
                                 "t1 <= t2 <= t3 <= t4 is required", "order the ramp times")

    def propagators(self) -> None:
        for pr in self.spec.propagators:
            lab = f"Propagator {pr.index}"
            if pr.kind not in K.PROPAGATOR_KINDS:
                continue
            self.tau(pr, lab)
            if pr.range is not None and _fin(pr.range) and pr.range <= 0:
                self.add(pr.loc["Range"], f"{lab}: Range", pr.range, "Range must be > 0",
                         "give the positive axonal range r [m]")
            if "gamma" in pr.loc and "velocity" in pr.loc:
                self.add(pr.loc["velocity"], f"{lab}: velocity", pr.velocity,
                         "give either gamma or velocity, not both", "remove one of them")
            if pr.kind in K.WAVE_KINDS and "Range" not in pr.loc:
                self.add(pr.loc["Propagator"], f"{lab}: Range", "", f"a {pr.kind} propagator "
                         "needs 'Range:'", f"add 'Range: <m>' to {lab}")
            if pr.kind in K.DAMPED_KINDS:
                if "gamma" not in pr.loc and "velocity" not in pr.loc:
                    self.add(pr.loc["Propagator"], f"{lab}: gamma", "", f"a {pr.kind} propagator "
                             "needs 'gamma:' (or 'velocity:' and 'Range:')",
                             f"add 'gamma: <1/s>' to {lab}")
                elif "gamma" not in pr.loc and "Range" not in pr.loc:
                    self.add(pr.loc["velocity"], f"{lab}: velocity", pr.velocity,
                             "gamma = velocity/Range needs 'Range:'", f"add 'Range: <m>' to {lab}")
                elif _fin(pr.gamma) and pr.gamma <= 0:
                    key = "gamma" if "gamma" in pr.loc else "velocity"
                    val = pr.gamma if key == "gamma" else pr.velocity
                    self.add(pr.loc[key], f"{lab}: {key}", val, f"{key} must be > 0",
                             f"give a positive {key}")
            if pr.kind in K.WAVE_KINDS:
                self.courant(pr, lab)

    def tau(self, pr, lab: str) -> None:
        if "Tau" not in pr.loc:
            return
        line = pr.loc["Tau"]
        if self.n is not None and len(pr.tau) not in (1, self.n):
            self.add(line, f"{lab}: Tau", pr.tau, f"Tau has {len(pr.tau)} values; it needs 1 or "
                     f"one per node ({self.n})", "give one delay, or one per node")
        neg = [t for t in pr.tau if _fin(t) and t < 0]
        if neg:
            self.add(line, f"{lab}: Tau", tuple(neg), "Tau must be >= 0", "give delays >= 0")
        if self.dt is not None and any(whole_steps(t, self.dt) is None for t in pr.tau
                                       if _fin(t)):
            self.too_many_steps(line, f"{lab}: Tau", max(pr.tau), "Tau")
            return
        if self.dt is not None:
            bad = [t for t in pr.tau if _fin(t) and t >= 0 and not is_multiple(t, self.dt)]
            if bad:
                self.add(line, f"{lab}: Tau", tuple(bad), "Tau is not a multiple of Deltat = "
                         f"{_g(self.dt)} ({_g(steps_of(bad[0], self.dt))} steps)",
                         f"use whole steps, e.g. {_g(round(steps_of(bad[0], self.dt)) * self.dt)}")

    def courant(self, pr, lab: str) -> None:
        if self.n is None or self.n <= 1 or self.conns is None or self.dt is None:
            return
        conn = self.conns.get(pr.index)
        pre = self.pops.get(conn.pre) if conn else None
        if pre is None or not _fin(pre.length) or pre.length <= 0:
            return
        if not (_fin(pr.gamma) and _fin(pr.range) and pr.gamma > 0 and pr.range > 0):
            return
        big_l = self.spec.grid.longside
        dx = pre.length / big_l
        line = self.line(pr.loc, "gamma", "Propagator")
        if not dx > 0:
            self.add(pre.loc["Length"], f"Population {pre.index}: Length", pre.length,
                     f"Length / Longside nodes ({big_l}) underflows to a grid spacing of 0 m",
                     "give the side length of the grid in metres (e.g. 0.5)")
            return
        p = pr.gamma * pr.range * self.dt / dx
        if p > COURANT_LIMIT and nodal_courant(pr.index) not in self.skip:
            self.add(line, f"{lab}: gamma, Range", f"{_g(pr.gamma)}, {_g(pr.range)}",
                     f"{_STABILITY}: p = gamma*Range*Deltat/dx = {p:.4g} > 1/sqrt(2) (dx = "
                     f"Length {_g(pre.length)} of Population {pre.index} / {big_l} = {_g(dx)} m)",
                     courant_fix(pr.gamma * pr.range, self.dt, dx, pre.length))
        if dx > pr.range / 2:
            self.add(self.line(pr.loc, "Range", "Propagator"), f"{lab}: Range", pr.range,
                     f"the grid does not resolve Range: dx = {_g(dx)} m > Range/2 (NFTsim refuses "
                     "this too)", f"use more nodes (dx <= {_g(pr.range / 2)} m) or a Map "
                     "propagator")

    def couplings(self) -> None:
        for c in self.spec.couplings:
            lab = f"Coupling {c.index}"
            if c.kind not in K.COUPLING_KINDS:
                continue
            req, _ = K.COUPLING_KINDS[c.kind]
            absent = self.missing(c.loc, "Coupling", lab, req, f"a {c.kind} coupling")
            checks_kinds.apply(self, "coupling", c.kind, c, lab)
            n = self.n
            if "nu" in c.loc and n is not None and c.kind != "Ramp":
                matrix = c.kind in K.MATRIX_COUPLINGS
                full = n * n if matrix else n
                if len(c.nu) not in (1, full):
                    self.add(c.loc["nu"], f"{lab}: nu", c.nu, f"{c.kind} nu has {len(c.nu)} "
                             f"values; it needs 1 or {full}", "give one value, or " +
                             ("Nodes^2 values row by row (row = to node)" if matrix
                              else "one per node"))
            if c.kind == "Ramp" and not absent:
                tp = c.params["timepoints"]
                if len(tp) != len(c.nu):
                    self.add(c.loc["timepoints"], f"{lab}: timepoints", tp,
                             f"Ramp has {len(c.nu)} nu values but {len(tp)} timepoints",
                             "give one nu value per timepoint")
                elif list(tp) != sorted(tp):
                    self.add(c.loc["timepoints"], f"{lab}: timepoints", tp,
                             "timepoints must not decrease", "sort the timepoints")
            if c.kind in K.PLASTIC_COUPLINGS and self.conns is not None and c.index in self.conns:
                post = self.pops.get(self.conns[c.index].post)
                if post is not None and post.firing is not None and \
                        post.firing.kind != "GlutamateResponse":
                    self.add(c.loc["Coupling"], lab, c.kind, f"a {c.kind} coupling needs a "
                             f"GlutamateResponse postsynaptic population (Population {post.index}"
                             f" has {post.firing.kind})", f"write 'Firing: GlutamateResponse - "
                             f"Lambda: ... tGlu: ... Function: ...' in Population {post.index}")

    # -- output ----------------------------------------------------------------------------
    def output(self) -> None:
        o, t = self.spec.output, self.spec.time
        if "Output" not in o.loc:
            return
        if "Start" in o.loc and _fin(o.start):
            if o.start < 0 or (_fin(t.time) and o.start > t.time):
                self.add(o.loc["Start"], "Output: Start", o.start, "Start must be in 0..Time",
                         f"give a Start between 0 and {_g(t.time)}")
        if o.interval is not None and _fin(o.interval):
            if o.interval <= 0:
                self.add(o.loc["Interval"], "Output: Interval", o.interval, "Interval must be > 0",
                         "give a positive Interval (omit it to write every step)")
            else:
                self.multiple(o.loc["Interval"], "Output: Interval", o.interval, "Interval")
        if "Node" in o.loc:
            self.node_list(o.loc["Node"], "Output: Node", o.nodes, "Output")
            twice = sorted({i for i in o.nodes if o.nodes.count(i) > 1})
            if twice:
                self.add(o.loc["Node"], "Output: Node", tuple(twice), "node(s) listed more than "
                         "once (each output column is one node)", "list each node once")
        kinds = {"Dendrite": {d.index: d.kind for d in self.spec.dendrites},
                 "Propagator": {p.index: p.kind for p in self.spec.propagators},
                 "Coupling": {c.index: c.kind for c in self.spec.couplings}, "Population": {}}
        self.repeated_items(o, kinds)
        objects = {
            "Population": {p.index: self._pop_fields(p) for p in self.spec.populations},
            "Dendrite": {d.index: K.DENDRITE_FIELDS.get(d.kind) for d in self.spec.dendrites},
            "Propagator": {p.index: K.PROPAGATOR_FIELDS.get(p.kind) for p in self.spec.propagators},
            "Coupling": {c.index: K.COUPLING_FIELDS.get(c.kind) for c in self.spec.couplings},
        }
        for fam in K.OUTPUT_FAMILIES:
            for item in getattr(o, fam.lower()):
                num, _, field = item.partition(".")
                k = int(num)
                line = o.loc.get(fam, o.loc["Output"])
                if k not in objects[fam]:
                    self.add(line, f"Output: {fam}", item, f"there is no {fam} {k}",
                             f"name an existing {fam} (1..{max(objects[fam], default=0)})")
                    continue
                fields = objects[fam][k]
                kind = kinds[fam].get(k)
                if field and (fam, kind) in K.WHOLE_ITEM_ONLY:
                    self.add(line, f"Output: {fam}", item, f"a {kind} {fam.lower()} writes "
                             "each field once per source node, so its fields cannot be named",
                             f"write '{k}' (all its fields)")
                    continue
                if field and fields is not None and field not in fields:
                    self.add(line, f"Output: {fam}", item, f"{fam} {k} has no field '{field}'",
                             f"use one of {', '.join(fields)} (or '{k}' for all)")

    def repeated_items(self, o, kinds: dict) -> None:
        """An output item given twice, or a field also written by its object's ``k``."""
        for fam in K.OUTPUT_FAMILIES:
            given = getattr(o, fam.lower())
            whole = {i for i in given if "." not in i}
            seen: set[str] = set()
            for item in given:
                num, _, fname = item.partition(".")
                by_name = K.BY_NAME_ONLY.get((fam, kinds[fam].get(int(num))), ())
                if item in seen:
                    why = f"'{item}' is listed twice"
                elif fname and num in whole and fname not in by_name:
                    why = f"'{item}' is already written by '{num}' (all its fields)"
                else:
                    seen.add(item)
                    continue
                self.add(o.loc.get(fam, o.loc["Output"]), f"Output: {fam}", item,
                         f"{why}: each output column must be named once", "list it once")

    @staticmethod
    def _pop_fields(p):
        if p.dynamics is not None:
            return D.fields(p.dynamics.kind)
        if p.firing is not None:
            return K.FIRING_FIELDS.get(p.firing.kind)
        return K.STIMULUS_FIELDS


def courant_fix(gr: float, dt: float, dx: float, length: float) -> str:
    """The fix of a violated Courant condition ``gr * dt / dx > 1/sqrt(2)`` (``gr`` = gamma*Range).

    Only remedies that exist are offered: a smaller Deltat when the bound is a
    representable positive step, fewer nodes along the long side when at
    least one node remains, and always a smaller gamma*Range.
    """
    dt_max = dx * COURANT_LIMIT / gr
    dx_min = gr * dt / COURANT_LIMIT
    ways = []
    if math.isfinite(dt_max) and dt_max > 0:
        ways.append(f"use Deltat <= {dt_max:.6g} s")
    nodes = math.floor(length / dx_min) if math.isfinite(dx_min) and dx_min > 0 else 0
    if nodes >= 1:
        ways.append(f"dx >= {dx_min:.6g} m (Longside nodes <= {nodes})")
    ways.append(f"a gamma*Range below {_g(COURANT_LIMIT * dx / dt)} m/s")
    return ", or ".join(ways)


def check(spec: ModelSpec, skip: frozenset[str] = frozenset()) -> list[Problem]:
    """Apply every validation rule to ``spec``.

    Parameters
    ----------
    spec : ModelSpec
        The model as read (possibly partial when the reader found problems).
    skip : frozenset of str
        Parts the reader could not read and whose rules are skipped:
        ``"time"``, ``"grid"``, ``"matrix"``; and ``"spatial"``, the
        stability of spatial terms, which :func:`parnft.config.mapcheck.check`
        judges per node instead of at the maps' extremes.

    Returns
    -------
    list of Problem
        Every problem found, in rule order (the caller sorts by line).
        Courant-condition problems satisfy :func:`is_stability`.
    """
    c = _Checker(spec, skip)
    c.time()
    c.grid()
    c.populations()
    c.dendrites()
    c.propagators()
    c.couplings()
    c.output()
    return c.problems + D.check(spec, skip)
