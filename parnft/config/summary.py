"""A short human summary of a model, for ``parnft validate``.

Memory estimate
---------------
The estimate counts the float64 arrays the solver keeps per node, on the
largest tile of the process grid chosen for ``nranks`` ranks (the squarest
tiles, as :func:`parnft.parallel.tiling.choose_dims`), ``a = ly * lx``
interior nodes and ``g = (ly + 2) * (lx + 2)`` nodes with the one-cell ghost
frame::

    bytes = 8 * ( a * (sum of per-node arrays + sum over populations of H_k)
                + g * (4 per Wave/WaveLegacy propagator)
                + a * N * (1 per Matrix coupling, 7 per BCM-Spatial coupling)
                + N * G )

with N = Nodes, G the arrays of every node kept on several ranks (none on
one rank, where the all-to-all couplings read their tile's fields): the
gathered phi of each Matrix coupling (1), phi and glutamate of each
BCM-Spatial coupling (2), and the allgather's receive buffer and node
permutation (2) when there is any; and the per-node arrays

* population: Q (1); neural adds V (1), GlutamateResponse glu (1),
  Bursting x~, h~, modtheta (3); a population with Dynamics has Q and one
  array per declared state variable (:func:`parnft.config.dynamics.arrays_per_node`);
* delay history of population k: a ring of ``H_k = 1 + max Tau_steps`` over
  the propagators leaving k (``Tau_steps = round(Tau / Deltat)``);
* dendrite: V, dV/dt (2); Integral adds the previous drive (3); Direct V (1);
* propagator: Map phi (1); Harmonic phi, dphi/dt (2); HarmonicIntegral (3);
  Wave/WaveLegacy four ghosted levels (phi and Q at n and n-1), or 2 on one
  node, where they become Harmonic;
* coupling: Map, Ramp, DiffArctan nu and P (2); CaDP 7; BCM 8; Matrix P (1)
  plus its rows of nu (N per node); BCM-Spatial P plus 7 arrays per
  (from, to) pair (Ca, nutilde, nu, nu', B, H, gNMDA).

Interpreter, numba, MPI and output buffers are not counted here:
:mod:`parnft.config.preflight` adds them. Measured on one rank (EIRS,
``configs/eirs-corticothalamic.conf`` at 64 x 64 and 512 x 512), the
resident set grew between the two grids by 1524 MiB against 1530 MiB
estimated, on top of about 220 MiB of runtime.
"""

from __future__ import annotations

from parnft.config import dynamics as D
from parnft.config import keys as K
from parnft.config import wavemaps
from parnft.config.checks import COURANT_LIMIT
from parnft.config.maps import maps_of
from parnft.config.spec import ModelSpec

_COUPLING_ARRAYS = {"Map": 2, "Ramp": 2, "DiffArctan": 2, "CaDP": 7, "BCM": 8, "Matrix": 1,
                    "BCM-Spatial": 1}
_PROPAGATOR_ARRAYS = {"Map": 1, "Harmonic": 2, "HarmonicIntegral": 3}
_FIRING_ARRAYS = {"Response": 1, "GlutamateResponse": 2, "Bursting": 4}


def tau_steps(tau: tuple[float, ...], deltat: float) -> list[int]:
    """Delays in whole steps, ``round(Tau / Deltat)`` for each value."""
    return [round(t / deltat) for t in tau]


def history_lengths(spec: ModelSpec) -> dict[int, int]:
    """Ring length ``H_k = 1 + max Tau_steps`` of each population's firing-rate history."""
    hist = {p.index: 1 for p in spec.populations}
    props = {p.index: p for p in spec.propagators}
    for c in spec.connections:
        pr = props.get(c.index)
        if pr is not None and c.pre in hist:
            hist[c.pre] = max(hist[c.pre], 1 + max(tau_steps(pr.tau, spec.time.deltat)))
    return hist


def courant_numbers(spec: ModelSpec) -> dict[int, float]:
    """Courant number ``p = gamma * Range * Deltat / dx`` of each Wave/WaveLegacy propagator.

    ``dx`` is the Length of the presynaptic population divided by Longside
    nodes. Only grids of more than one node are considered. With ``Range``
    or ``gamma`` maps, the largest over the nodes (:func:`parnft.config.wavemaps.speeds`).
    """
    out: dict[int, float] = {}
    if spec.grid.nodes <= 1:
        return out
    pops = {p.index: p for p in spec.populations}
    conns = {c.index: c for c in spec.connections}
    media = {pr.index for pr in wavemaps.mapped(spec)}
    for pr in spec.propagators:
        if pr.kind in K.WAVE_KINDS and pr.index in conns and pr.gamma and pr.range:
            dx = pops[conns[pr.index].pre].length / spec.grid.longside
            gr = (float(wavemaps.speeds(pr, spec.grid.shape)[2].max()) if pr.index in media
                  else pr.gamma * pr.range)
            out[pr.index] = gr * spec.time.deltat / dx
    return out


def _dims(nranks: int, ny: int, nx: int) -> tuple[int, int] | None:
    try:
        from parnft.parallel.tiling import choose_dims
    except ImportError:  # mpi4py missing: the same choice, squarest tiles first
        options = [(py, nranks // py) for py in range(1, nranks + 1)
                   if nranks % py == 0 and py <= ny and nranks // py <= nx]
        if not options:
            return None

        def score(d):
            a, b = ny / d[0], nx / d[1]
            return max(a, b) / min(a, b), -(-ny // d[0]) + -(-nx // d[1]), -d[0]

        return min(options, key=score)
    from parnft.errors import ConfigError

    try:
        return choose_dims(nranks, (ny, nx))
    except ConfigError:
        return None


def memory_per_rank(spec: ModelSpec, nranks: int = 1) -> tuple[int, tuple[int, int]] | None:
    """Estimated bytes per rank and the largest tile ``(ly, lx)`` (see the module notes).

    Returns None when ``nranks`` ranks cannot tile the grid.
    """
    g = spec.grid
    dims = _dims(nranks, g.shortside, g.longside)
    if dims is None:
        return None
    ly, lx = -(-g.shortside // dims[0]), -(-g.longside // dims[1])
    a, ghost, n = ly * lx, (ly + 2) * (lx + 2), g.nodes
    hist = history_lengths(spec)
    per_node = sum(hist.values())
    per_node += sum(hist[p.index] * D.extra_rings(p.dynamics.kind) for p in spec.populations
                    if p.dynamics is not None)  # the rings of extra emitted rates
    for p in spec.populations:
        if p.dynamics is not None:
            per_node += D.arrays_per_node(p.dynamics.kind)  # Q and the state variables
            continue
        per_node += 1 + (_FIRING_ARRAYS.get(p.firing.kind, 1) if p.firing else 0)
    per_node += sum(3 if d.kind == "Integral" else 1 if d.kind in K.DIRECT_DENDRITES else 2
                    for d in spec.dendrites)
    ghosted = 0
    for pr in spec.propagators:
        if pr.kind in K.WAVE_KINDS:
            if n > 1:
                ghosted += 4
            else:
                per_node += 2
        else:
            per_node += _PROPAGATOR_ARRAYS.get(pr.kind, 1)
    pairs = gathered = 0
    for c in spec.couplings:
        per_node += _COUPLING_ARRAYS.get(c.kind, 2)
        if c.kind in K.MATRIX_COUPLINGS:
            pairs += 1 if c.kind == "Matrix" else 7
            gathered += 1 if c.kind == "Matrix" else 2
    gathered = gathered + 2 if gathered and nranks > 1 else 0
    total = 8 * (a * per_node + ghost * ghosted + a * n * pairs + n * gathered)
    return total, (ly, lx)


def _mib(nbytes: int) -> str:
    return f"{nbytes / 2**20:.3g} MiB" if nbytes >= 2**20 else f"{nbytes / 1024:.3g} KiB"


def describe(spec: ModelSpec, nranks: int = 1) -> str:
    """Short human summary of a model.

    Parameters
    ----------
    spec : ModelSpec
        A validated model.
    nranks : int, optional
        Number of MPI ranks for the memory estimate.

    Returns
    -------
    str
        Several lines: populations, connections, grid, time, Courant numbers
        and the estimated memory per rank (formula in the module notes).
    """
    t, g = spec.time, spec.grid
    first = spec.header.strip().splitlines()[0].strip() if spec.header.strip() else ""
    lines = [f"model: {spec.path}" + (f"  ({first[:60]})" if first else "")]
    lines.append(f"time: Time {t.time:g} s, Deltat {t.deltat:.10g} s, {t.steps} steps")
    by_length: dict[float, list[str]] = {}
    for p in spec.populations:
        by_length.setdefault(p.length, []).append(str(p.index))
    dx = "; ".join(f"dx = {length / g.longside:.4g} m (Population {', '.join(ks)})"
                   for length, ks in by_length.items())
    edges = g.topology if g.boundary.torus else f"Boundary {g.boundary}"
    lines.append(f"grid: {g.longside} x {g.shortside} (L x S) = {g.nodes} nodes, {edges}; "
                 + dx)
    lines.append(f"populations ({len(spec.populations)}):")
    for p in spec.populations:
        if p.dynamics is not None:
            what = D.describe(p)
        elif p.firing is not None:
            kind = p.firing.kind + (f"/{p.firing.function}" if p.firing.function else "")
            q = p.q_init
            qtext = (f"Q map {q.lo:g} .. {q.hi:g} /s" if hasattr(q, "source") else f"Q {q:g} /s")
            what = f"neural    {kind}, {qtext}"
        else:
            s = p.stimulus
            modes = "+".join(x.mode for x in s.parts) if s.parts else s.mode
            what = f"stimulus  {modes}" + (" (Superimpose)" if s.parts else "")
        lines.append(f"  {p.index:3d} {p.name[:24]:24s} {what}")
    props = {p.index: p for p in spec.propagators}
    coups = {c.index: c for c in spec.couplings}
    dends = {d.index: d for d in spec.dendrites}
    lines.append(f"connections ({len(spec.connections)}): j: pre -> post  propagator / "
                 "coupling / dendrite, Tau")
    for c in spec.connections:
        pr, cp, de = props[c.index], coups[c.index], dends[c.index]
        steps = tau_steps(pr.tau, t.deltat)
        tau = (f"{steps[0]} steps" if len(steps) == 1
               else f"{min(steps)}..{max(steps)} steps (per node)")
        lines.append(f"  {c.index:3d}: {c.pre} -> {c.post}  {pr.kind} / {cp.kind} / {de.kind}, "
                     f"Tau {tau}")
    cour = courant_numbers(spec)
    if cour:
        lines.append(f"Courant numbers p = gamma*Range*Deltat/dx (limit 1/sqrt(2) = "
                     f"{COURANT_LIMIT:.4f}): " + ", ".join(
                         f"Propagator {j} {p:.4g}" for j, p in cour.items()))
    steps = D.step_ratios(spec)
    if steps:
        lines.append("step-size rules Deltat / largest allowed (limit 1): " + ", ".join(
            f"Population {k} {kind} {r:.4g}" for k, (kind, r) in steps.items()))
    found = maps_of(spec)
    if found:  # per-node maps (docs/heterogeneous.md)
        lines.append(f"per-node maps ({len(found)}):")
        lines += [f"  {fm.source.qkey}: {fm.source.describe()}, {fm.lo:.6g} .. {fm.hi:.6g}"
                  for fm in found]
    spread = D.spatial_ratios(spec)
    if spread:
        lines.append("spatial terms (RK4 on the 5-point Laplacian) Deltat / largest stable "
                     "(limit 1): " + ", ".join(f"Population {k} {kind} "
                                               f"{'' if bound else '<= '}{r:.4g}"
                                               for k, (kind, r, bound) in spread.items()))
    mem = memory_per_rank(spec, nranks)
    if mem is None:
        lines.append(f"memory: {nranks} ranks cannot tile the {g.longside} x {g.shortside} grid")
    else:
        nbytes, (ly, lx) = mem
        rank = "rank" if nranks == 1 else "ranks"
        lines.append(f"memory: model state about {_mib(nbytes)} per rank on {nranks} {rank} "
                     f"(largest tile {lx} x {ly} nodes, ghost frame 1; see parnft.config.summary"
                     "; the preflight adds buffers and runtime)")
    return "\n".join(lines)
