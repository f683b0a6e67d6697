"""Turn the block tree of a ``.conf`` file into a :class:`~parnft.config.spec.ModelSpec`.

Structural problems (matrix shape, missing or surplus blocks, a dendrite in the
wrong population, a Superimpose count that does not match its parts, a missing
Output block) are reported here. Values that could not be read are NaN in the
spec; their keys are still in ``loc`` so that the checks do not report them a
second time. Missing keys are absent from ``loc``; the checks report those.
"""

from __future__ import annotations

import math

from parnft.boundary import BoundarySpec, parse_boundary
from parnft.config import keys as K
from parnft.config.blocks import Block
from parnft.config.checks import whole_steps
from parnft.config.nftsim import Reporter, number
from parnft.config.spec import (
    Connection,
    CouplingSpec,
    DendriteSpec,
    DynamicsSpec,
    FiringSpec,
    GridSpec,
    ModelSpec,
    OutputSpec,
    Params,
    PopulationSpec,
    PropagatorSpec,
    StimulusSpec,
    TimeSpec,
)

NAN = float("nan")


def _loc(block: Block, opener: str | None = None, skip: tuple[str, ...] = ()) -> Params:
    d = {opener: block.line} if opener else {}
    d.update({k: e.line for k, e in block.entries.items() if k not in skip})
    return Params(d)


def _num(block: Block, key: str, default=NAN):
    v = block.entry(key)
    return default if v is None else v


def _children(block: Block, family: str) -> list[Block]:
    return [c for c in block.children if c.family == family and not c.duplicate]


def build(root: Block, rep: Reporter, path: str, text: str, header: str,
          last_line: int) -> tuple[ModelSpec, frozenset[str]]:
    """Build the model from the root block.

    Parameters
    ----------
    root : Block
        Output of :func:`parnft.config.blocks.interpret`.
    rep : Reporter
        Receives structural problems.
    path, text, header : str
        Stored in the spec.
    last_line : int
        Line used for problems about something missing at the end of the file.

    Returns
    -------
    spec : ModelSpec
        The model (possibly partial when problems were found).
    broken : frozenset of str
        Parts the checks must skip because they could not be read:
        ``"time"``, ``"grid"``, ``"matrix"``.
    """
    broken: set[str] = set()
    time = _time(root, broken)
    grid = _grid(root, rep, broken)
    pops = {b.index: b for b in _children(root, "population")}
    connections, rows_line = _matrix(root, rep, pops, broken)
    populations = tuple(_population(pops[k], rep) for k in sorted(pops))
    m = len(connections) if "matrix" not in broken else None
    post = {c.index: c.post for c in connections}
    dend_blocks = {}
    for pb in pops.values():
        for d in _children(pb, "dendrite"):
            dend_blocks[d.index] = (d, pb.index)
            if m is not None and d.index in post and post[d.index] != pb.index:
                rep.add(d.line, f"Dendrite {d.index}", "",
                        f"Dendrite {d.index} sits in Population {pb.index} but connection "
                        f"{d.index} goes to Population {post[d.index]}",
                        f"move it into Population {post[d.index]}")
    # a connection into a population with Dynamics may have no Dendrite block: Direct
    direct = {c.index for c in connections if c.index not in dend_blocks and c.post in pops
              and _children(pops[c.post], "dynamics")}
    dend_blocks.update({j: (None, post[j]) for j in direct})
    props = {b.index: b for b in _children(root, "propagator")}
    coups = {b.index: b for b in _children(root, "coupling")}
    if m is not None:
        for what, found in (("Dendrite", dend_blocks), ("Propagator", props),
                            ("Coupling", coups)):
            _expect(rep, what, found, connections, pops, rows_line)
    dendrites = tuple(_dendrite(dend_blocks[j][0]) if dend_blocks[j][0] is not None else
                      DendriteSpec(index=j, kind="Direct", alpha=NAN, beta=NAN)
                      for j in sorted(dend_blocks))
    propagators = tuple(_propagator(props[j]) for j in sorted(props))
    couplings = tuple(_coupling(coups[j]) for j in sorted(coups))
    out_blocks = _children(root, "output")
    if out_blocks:
        output = _output(out_blocks[0])
    else:
        output = OutputSpec()
        rep.add(last_line, "Output", "", "the file has no Output block (truncated file?)",
                "end the file with 'Output: Node: All' and the lines 'Population:', "
                "'Dendrite:', 'Propagator:', 'Coupling:'")
    spec = ModelSpec(path=path, text=text, header=header, time=time, grid=grid,
                     connections=connections, populations=populations, dendrites=dendrites,
                     propagators=propagators, couplings=couplings, output=output)
    return spec, frozenset(broken)


def _time(root: Block, broken: set[str]) -> TimeSpec:
    t, dt = _num(root, "Time"), _num(root, "Deltat")
    steps = 0
    if math.isfinite(t) and math.isfinite(dt) and dt > 0 and t >= 0:
        steps = whole_steps(t, dt) or 0  # None (too many steps) is reported by the checks
    else:
        broken.add("time")
    return TimeSpec(time=t, deltat=dt, steps=steps,
                    loc=_loc(root, skip=_GRID_KEYS))


def _whole(rep: Reporter, root: Block, key: str) -> int | None:
    v = root.entry(key)
    if v is None or not math.isfinite(v):
        return None
    if v != int(v) or v < 1:
        rep.add(root.entries[key].line, key, root.entries[key].text,
                f"'{key}' must be a whole number >= 1", "write a positive whole number")
        return None
    return int(v)


#: The grid section's keys (their lines go to ``GridSpec.loc``).
_GRID_KEYS = ("Nodes", "Longside nodes", "Topology", "Bath", "Boundary")


def _grid(root: Block, rep: Reporter, broken: set[str]) -> GridSpec:
    nodes = _whole(rep, root, "Nodes")
    longside = _whole(rep, root, "Longside nodes")
    if nodes is None or ("Longside nodes" in root.entries and longside is None):
        broken.add("grid")
    n = nodes or 1
    if longside is None:
        longside = math.isqrt(n)
    shortside = n // longside if longside else 1
    bath = root.entry("Bath")
    loc = {k: e.line for k, e in root.entries.items() if k in _GRID_KEYS}
    boundary = BoundarySpec()
    if "Boundary" in root.entries:
        e = root.entries["Boundary"]
        boundary, probs = parse_boundary(e.value if isinstance(e.value, tuple) else ())
        for pr in probs:
            rep.add(pr.line or e.line, "Boundary", pr.value or e.text, pr.rule, pr.fix)
    return GridSpec(nodes=nodes or 0, longside=longside, shortside=shortside,
                    topology=root.entry("Topology") or "Torus", bath=bath, loc=Params(loc),
                    boundary=boundary)


def _matrix(root: Block, rep: Reporter, pops: dict[int, Block],
            broken: set[str]) -> tuple[tuple[Connection, ...], dict[int, int]]:
    blocks = _children(root, "matrix")
    if not blocks:
        line = min((b.line for b in pops.values()), default=1)
        rep.add(line, "Connection matrix", "", "the file has no 'Connection matrix:'",
                "add 'Connection matrix: From: 1 .. n' and one row 'To k: ...' per population")
        broken.add("matrix")
        return (), {}
    mb = blocks[0]
    rows = {int(k.split()[1]): e for k, e in mb.entries.items() if k.startswith("To ")}
    n = len(rows)
    ok = True
    if n == 0:
        rep.add(mb.line, "Connection matrix", "", "the connection matrix has no 'To k:' rows",
                "write one row 'To k: ...' per population")
        broken.add("matrix")
        return (), {}
    for k in range(1, n + 1):
        if k not in rows:
            ok = False
            rep.add(mb.line, f"To {k}", "", f"the connection matrix has {n} rows but no 'To {k}:'",
                    f"number the rows To 1 .. To {n}")
    frm = mb.entries.get("From")
    if frm is None:
        ok = False
        rep.add(mb.line, "From", "", "the connection matrix has no 'From:' header",
                f"write 'From: {' '.join(str(i) for i in range(1, n + 1))}'")
    elif len(frm.value) != n:
        ok = False
        rep.add(frm.line, "From", frm.text, f"'From:' lists {len(frm.value)} columns but the "
                f"matrix has {n} rows (it must be square)", "give one column per population")
    values: dict[int, list[float]] = {}
    for k in sorted(rows):
        e = rows[k]
        vals: list[float] = []
        stop = None
        for w in e.words:
            v = number(w.text)
            if v is None:
                stop = w
                break
            vals.append(v)
        if len(vals) < n and stop is not None:
            ok = False
            rep.add(stop.line, f"To {k}", stop.text,
                    f"connection matrix entry '{stop.text}' is not a number",
                    "write 0 for no connection and a non-zero number for a connection")
        elif len(vals) != n:
            ok = False
            rep.add(e.line, f"To {k}", e.text, f"row 'To {k}' has {len(vals)} entries but the "
                    f"matrix has {n} rows (it must be square)", f"give {n} entries per row")
        values[k] = vals
    for k in sorted(pops):
        if k > n or k < 1:
            ok = False
            rep.add(pops[k].line, f"Population {k}", "", f"Population {k} does not exist: the "
                    f"connection matrix has {n} rows", f"number the populations 1 .. {n}")
    for k in range(1, n + 1):
        if k not in pops:
            ok = False
            rep.add(rows[k].line if k in rows else mb.line, f"Population {k}", "",
                    f"the connection matrix has {n} rows but there is no 'Population {k}:' "
                    "block", f"add a 'Population {k}:' block")
    if not ok:
        broken.add("matrix")
        return (), {}
    conns = []
    for a in range(1, n + 1):
        for b in range(1, n + 1):
            if values[a][b - 1] != 0:
                conns.append(Connection(index=len(conns) + 1, pre=b, post=a,
                                        loc=Params({"To": rows[a].line, "From": frm.line})))
    return tuple(conns), {k: e.line for k, e in rows.items()}


def _expect(rep: Reporter, what: str, found: dict, connections, pops, rows_line) -> None:
    m = len(connections)
    for c in connections:
        if c.index not in found:
            where = pops.get(c.post).line if what == "Dendrite" and c.post in pops else None
            line = where or rows_line.get(c.post, 1)
            place = f" in Population {c.post}" if what == "Dendrite" else ""
            rep.add(line, f"{what} {c.index}", "", f"connection {c.index} (Population {c.pre} -> "
                    f"{c.post}) has no '{what} {c.index}:' block",
                    f"add a '{what} {c.index}:' block{place}")
    for j in sorted(found):
        if j > m or j < 1:
            b = found[j][0] if isinstance(found[j], tuple) else found[j]
            rep.add(b.line, f"{what} {j}", "", f"{what} {j} has no connection: the matrix has "
                    f"{m} non-zero entries", f"remove it or number it 1 .. {m}")


def _params(block: Block, drop: tuple[str, ...]) -> Params:
    return Params({k: e.value for k, e in block.entries.items() if k not in drop})


def _stimulus(block: Block, rep: Reporter) -> StimulusSpec:
    if block.family == "superimpose":
        parts = tuple(_stimulus(c, rep) for c in _children(block, "stimulus"))
        count = block.entry(K.SUPERIMPOSE)
        e = block.entries[K.SUPERIMPOSE]
        if count is not None and math.isfinite(count) and count != len(parts):
            rep.add(e.line, "Superimpose", e.text, f"Superimpose: {e.text} but "
                    f"{len(parts)} 'Stimulus:' parts follow", f"write 'Superimpose: {len(parts)}'"
                    " or give that many parts")
        return StimulusSpec(mode=K.SUPERIMPOSE, parts=parts,
                            params=Params({K.SUPERIMPOSE: count}), loc=_loc(block, "Stimulus"))
    onset = block.entry("Onset")
    return StimulusSpec(
        mode=block.kind or "",
        onset=0.0 if onset is None else onset,
        duration=block.entry("Duration"),
        nodes=block.entry("Node") or (),
        params=_params(block, ("Onset", "Duration", "Node")),
        loc=_loc(block, "Stimulus"),
    )


def first_mean(stim: StimulusSpec) -> float | None:
    """The first ``Mean`` of a stimulus, looking into Superimpose parts in order."""
    if stim.mode == K.SUPERIMPOSE:
        for part in stim.parts:
            v = first_mean(part)
            if v is not None:
                return v
        return None
    return stim.params.get("Mean")


def _population(block: Block, rep: Reporter) -> PopulationSpec:
    firing = stimulus = None
    fb = _children(block, "firing")
    if fb:
        b = fb[0]
        fn = b.entry("Function")
        firing = FiringSpec(kind=b.kind or "Response", function=fn if isinstance(fn, str) else None,
                            params=_params(b, ("Function",)), loc=_loc(b, "Firing"))
    sb = [c for c in block.children if c.family in ("stimulus", "superimpose") and not c.duplicate]
    if sb:
        stimulus = _stimulus(sb[0], rep)
    db = _children(block, "dynamics")
    dynamics = None
    if db:
        dynamics = DynamicsSpec(kind=db[0].kind or "", params=_params(db[0], ()),
                                loc=_loc(db[0], "Dynamics"))
    if stimulus is not None and firing is None:
        mean = first_mean(stimulus)
        q = 0.0 if mean is None else mean
    else:
        q = _num(block, "Q")
    return PopulationSpec(index=block.index, name=" ".join(w.text for w in block.head),
                          length=_num(block, "Length"), q_init=q, firing=firing,
                          stimulus=stimulus, loc=_loc(block, "Population"), dynamics=dynamics)


def _dendrite(block: Block) -> DendriteSpec:
    return DendriteSpec(index=block.index, kind=block.kind or "Dendrite",
                        alpha=_num(block, "alpha"), beta=_num(block, "beta"),
                        v_init=block.entry("V"), params=_params(block, ("alpha", "beta", "V")),
                        loc=_loc(block, "Dendrite"))


def _propagator(block: Block) -> PropagatorSpec:
    rng, gamma, vel = block.entry("Range"), block.entry("gamma"), block.entry("velocity")
    if gamma is None and vel is not None and rng:
        gamma = vel / rng
    phi = block.entry("phi")
    return PropagatorSpec(index=block.index, kind=block.kind or "",
                          phi_init=None if phi is None or phi == "Steady" else phi,
                          tau=block.entry("Tau") or (0.0,), range=rng, gamma=gamma,
                          velocity=vel, loc=_loc(block, "Propagator"),
                          source=block.entry("Source"))


def _coupling(block: Block) -> CouplingSpec:
    return CouplingSpec(index=block.index, kind=block.kind or "", nu=block.entry("nu") or (),
                        params=_params(block, ("nu",)), loc=_loc(block, "Coupling"))


def _output(block: Block) -> OutputSpec:
    start = block.entry("Start")
    return OutputSpec(
        nodes=block.entry("Node") or (),
        start=0.0 if start is None else start,
        interval=block.entry("Interval"),
        population=block.entry("Population") or (),
        dendrite=block.entry("Dendrite") or (),
        propagator=block.entry("Propagator") or (),
        coupling=block.entry("Coupling") or (),
        loc=_loc(block, "Output"),
    )
