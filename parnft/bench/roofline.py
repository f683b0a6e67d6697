"""Memory traffic of one simulation step, and the fraction of the bandwidth limit reached.

The step is the generated loop's body: the kernel calls of
:meth:`parnft.solver.Simulation.step_calls` (:class:`parnft.model.base.Call`,
laid out by :func:`parnft.codegen.plan_loop`). For each call, a rule from
:data:`RULES` says which of the kernel's array parameters it reads and writes,
and how much of each: the whole array (``"all"``), one row of its first axis
(``"row"``: a history-ring slot, one level of a ghosted wave buffer), or a
number of elements computed from the call's arguments. A streamed element is
``itemsize`` bytes (8 for float64 and int64). Summed over the calls and divided
by the tile's node count, this is the memory traffic per node and step, under
the assumptions of docs/performance-model.md:

* each array touched by a call is streamed once per call (neighbour reads of a
  stencil and repeated reads within the call hit the cache), and nothing stays
  in cache from one call to the next (tiles far beyond the last-level cache),
  except within a run of strip-fused calls (:func:`fused_traffic`, the
  default of :func:`bytes_per_node_step`): there each array is streamed once
  per run, read only if the first call that touches it reads it;
* ghost frames are not counted (the interior only), nor the halo packing;
* write-allocate is not counted (STREAM's convention): pass
  ``write_allocate=True`` to count every written element twice;
* output sampling (``record``) is amortised over the output interval.

A kernel whose module declares ``ROOFLINE_RULES`` (name -> rule, as
:data:`RULES`) is counted by that rule: the generated RK4 kernels of the
population kinds with local dynamics read the input rows and each state
variable and write each state variable, one ring slot and Q
(:func:`module_rule`). A kernel without a rule is counted by :func:`fallback_rule` (every node-sized
array read once, and written once when its source assigns to it) and is
reported with ``fallback=True`` in :func:`traffic`.
"""

from __future__ import annotations

import ast
import inspect
import logging
import textwrap
from dataclasses import dataclass

import numpy as np

log = logging.getLogger("parnft")

R, W, RW = ("all", 0), (0, "all"), ("all", "all")


def _nodes(args) -> int:
    """Elements of a stimulus series: one per selected node."""
    return int(args["nodes"].shape[0])


def _tau_if_varying(args) -> int:
    """Map reads ``tau`` only when the delays differ between nodes (``tau0 < 0``)."""
    return int(args["tau"].size) if args["tau0"] < 0 else 0


def _border(args) -> int:
    """Periodic ghost fill: the one-cell border of the current level of phi and Q."""
    ly, lx = args["phi"].shape[1] - 2, args["phi"].shape[2] - 2
    return 2 * (2 * lx + 2 * (ly + 2))


def _need(args) -> int:
    """NFTsim's white noise: one value stored per global node this tile needs."""
    return int(np.count_nonzero(args["need"]))


_SERIES = {"hist": (_nodes, _nodes), "nodes": R}
_DELAY = {"hist": ("row", 0), "tau": R}
_WAVE = {"phi": ("all", "row"), "qw": ("all", "row"), "phi_out": W, **_DELAY}
_FIRE = {"vd": R, "v": W, "hist": (0, "row"), "q_out": W}


def _twice(args) -> int:
    """``fire_sigmoid`` writes ``q_out`` twice (exp, then the rate) and reads it once."""
    return 2 * int(args["q_out"].size)


# the inlined-exp sigmoid: V summed into v then read back; exp pass, rate pass
_FIRE_FAST = {"vd": R, "v": RW, "hist": (0, "row"), "q_out": ("all", _twice)}

#: kernel name -> {parameter: (read, write)}; read/write is 0, "all", "row" or
#: a function of the call's arguments (by parameter name) giving elements.
RULES: dict[str, dict] = {
    # couplings
    "couple_map": {"nu": R, "phi": R, "drive": W},
    "couple_uniform": {"phi": R, "drive": W},
    "couple_ramp": {"nu": R, "phi": R, "drive": W},
    "couple_matrix": {"nu": R, "phi_all": R, "drive": W},
    "couple_diff_arctan": {"nu": RW, "phi": R, "drive": W},
    "cadp_step": {**{k: RW for k in ("ca", "nt", "dnu", "nu", "g")},
                  "b": W, "h": W, "glu": R, "v": R, "phi": R, "drive": W},
    "bcm_spatial_step": {**{k: RW for k in ("ca", "nt", "dnu", "nu", "g")},
                         "b": W, "h": W, "glu": R, "v": R, "phi": R, "drive": W},
    # dendrites
    "dendrite_step": {"v": RW, "dv": RW, "drive": R},
    "dendrite_coupled": {"v": RW, "dv": RW, "phi": R},
    "dendrite_integral_step": {"v": RW, "dv": RW, "p_old": RW, "drive": R},
    "dendrite_ramp_step": {"v": RW, "dv": RW, "drive": R},
    # firing responses
    "fire_sigmoid": _FIRE_FAST,
    "fire_sigmoid_libm": _FIRE,
    "fire_polynomial": _FIRE,
    "fire_burst": {**_FIRE, "xt": RW, "ht": RW, "modtheta": W},
    "glu_clear": {"exc": W},
    "glu_add": {"exc": RW, "phi": R},
    "glu_step": {"glu": RW, "exc": R},
    # stimulus populations
    "stim_begin": {"hist": (0, "row")},
    "stim_end": {"hist": ("row", 0), "q_out": W},
    "series_const": _SERIES,
    "series_pulse_rect": _SERIES,
    "series_sine": _SERIES,
    "series_pulse_sine": _SERIES,
    "series_pulse_sigmoid": _SERIES,
    "series_pas": _SERIES,
    "series_burst": _SERIES,
    "series_white_coherent": _SERIES,
    "series_white_coherent_nftsim": _SERIES,
    "series_white": {**_SERIES, "keys": (_nodes, 0), "work": RW},
    "series_white_libm": {**_SERIES, "keys": (_nodes, 0), "work": RW},
    "series_white_nftsim": {**_SERIES, "gidx": (_nodes, 0), "need": R,
                            "draws": (_nodes, _need)},
    # propagators
    "map_step": {"phi_out": W, "hist": ("row", 0), "tau": (_tau_if_varying, 0)},
    "harmonic_step": {"phi": RW, "dphi": RW, "phi_out": W, **_DELAY},
    "harmonic_integral_step": {"phi": RW, "dphi": RW, "q_old": RW, "phi_out": W, **_DELAY},
    "wave5_step": _WAVE,
    "wave9_step": _WAVE,
    "wave_fill_periodic": {"phi": (_border, _border)},
}


def module_rule(kernel) -> dict | None:
    """The rule a kernel's own module declares in ``ROOFLINE_RULES`` (generated kernels:
    :mod:`parnft.model.rk4gen` derives it from the kind's state variables), or None."""
    import sys

    fn = getattr(kernel, "py_func", kernel)
    rules = getattr(sys.modules.get(fn.__module__), "ROOFLINE_RULES", None) or {}
    return rules.get(fn.__name__)


def kernel_params(kernel) -> list[str]:
    """Parameter names of a numba kernel (or plain function)."""
    fn = getattr(kernel, "py_func", kernel)
    return list(inspect.signature(fn).parameters)


def _stored_names(kernel) -> set[str]:
    """Names that the kernel's source assigns into by subscript (``a[...] = ...``)."""
    fn = getattr(kernel, "py_func", kernel)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError, SyntaxError):
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
            base = node.value
            while isinstance(base, ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name):
                names.add(base.id)
    return names


def fallback_rule(kernel, args: dict, nloc: int) -> dict:
    """Rule for a kernel missing from :data:`RULES`: every array of at least
    ``nloc`` elements is read whole, and written whole if the source assigns into it.
    """
    stored = _stored_names(kernel)
    return {name: ("all", "all" if name in stored else 0) for name, a in args.items()
            if isinstance(a, np.ndarray) and a.size >= nloc}


def _elements(spec, a: np.ndarray, args: dict) -> int:
    if spec == 0 or spec is None:
        return 0
    if spec == "all":
        if a.ndim == 3:  # ghosted (levels, ly+2, lx+2): interiors only
            return a.shape[0] * (a.shape[1] - 2) * (a.shape[2] - 2)
        return int(a.size)
    if spec == "row":
        if a.ndim == 3:
            return (a.shape[1] - 2) * (a.shape[2] - 2)
        return int(a.size // max(a.shape[0], 1)) if a.ndim > 1 else int(a.size)
    return int(spec(args))


@dataclass
class CallTraffic:
    """Bytes one kernel call streams per step (whole tile)."""

    kernel: str
    read: int
    written: int
    fallback: bool = False

    @property
    def total(self) -> int:
        """Bytes read plus bytes written."""
        return self.read + self.written


def call_traffic(call, nloc: int) -> CallTraffic:
    """Bytes read and written by one :class:`~parnft.model.base.Call` on a tile of ``nloc`` nodes.

    Parameters
    ----------
    call : parnft.model.base.Call
        The kernel and its arguments (without the trailing step number).
    nloc : int
        Interior nodes of the tile.

    Returns
    -------
    CallTraffic
    """
    name, accesses, fallback = _accesses(call, nloc)
    read = sum(_elements(rd, a, args) * a.itemsize for a, rd, _, args in accesses)
    written = sum(_elements(wr, a, args) * a.itemsize for a, _, wr, args in accesses)
    return CallTraffic(name, read, written, fallback)


def _fill_border(args) -> int:
    """A mid-step ghost fill (GhostFill): the one-cell border of one level of a ghosted array."""
    ly, lx = args["f"].shape[1] - 2, args["f"].shape[2] - 2
    return 2 * lx + 2 * (ly + 2)


def _accesses(call, nloc: int) -> tuple[str, list, bool]:
    """``(kernel name, [(array, read spec, write spec, args)], fallback)`` of one call."""
    if not hasattr(call, "kernel"):  # a GhostFill: each field's border read, ghosts written
        return "ghost_fill", [(f, _fill_border, _fill_border, {"f": f})
                              for f, _ in call.fields], False
    params = kernel_params(call.kernel)
    args = dict(zip(params, call.args, strict=False))  # the kernel also takes n
    name = getattr(call.kernel, "py_func", call.kernel).__name__
    rule = RULES.get(name) or module_rule(call.kernel)
    fallback = rule is None
    if fallback:
        rule = fallback_rule(call.kernel, args, nloc)
        log.debug("roofline: no traffic rule for kernel %s; counted by the fallback", name)
    out = [(args[p], rd, wr, args) for p, (rd, wr) in rule.items()
           if isinstance(args.get(p), np.ndarray)]
    return name, out, fallback


def _units(a: np.ndarray, spec, args: dict) -> list[tuple[tuple, int]]:
    """The memory one access streams, as ``[(unit key, bytes)]``.

    A unit is a row of a 2-D array (or a 1-D array, which may be a row view of
    one: the same key), a level of a ghosted 3-D array, or a ring slot
    (``"row"``: the slot written this step, read back at delay 0), so that
    views of the same memory in different calls are recognised.
    """
    if spec == 0 or spec is None:
        return []
    addr = a.__array_interface__["data"][0]
    n = _elements(spec, a, args)
    if spec == "all":
        if a.ndim == 1:
            return [((addr, a.nbytes), n * a.itemsize)]
        per = n // a.shape[0]
        return [((addr + r * a.strides[0], "level" if a.ndim == 3 else per * a.itemsize),
                 per * a.itemsize) for r in range(a.shape[0])]
    row = spec == "row" or (a.ndim == 2 and n == a.shape[1])
    if (row and a.ndim == 2 and a.shape[0] == 1) or (a.ndim == 1 and n >= a.shape[0]):
        # the whole of a 1-D array (perhaps more than once), or a one-slot ring (the
        # same memory as its population's Q)
        return [((addr, a.nbytes if a.ndim == 1 else a.shape[1] * a.itemsize), n * a.itemsize)]
    return [((addr, "row" if row else "part"), n * a.itemsize)]


def fused_traffic(calls, nloc: int) -> list[CallTraffic]:
    """Traffic of the step as the loop runs it: strip-fused runs stream each array once.

    The calls are split into runs as :func:`parnft.codegen.fuse_groups` does. In
    a run of several calls, memory is counted once per unit (:func:`_units`):
    read if the first call that touches it reads it (later reads hit the strip
    in cache), written (the largest write of any call) if some call writes it.
    One :class:`CallTraffic` per run, named by its kernels joined with ``+``.
    """
    from ..codegen import fuse_groups

    out = []
    for run in fuse_groups(list(calls)):
        seen: dict = {}
        names, fallback = [], False
        for c in run:
            name, accesses, fb = _accesses(c, nloc)
            names.append(name)
            fallback |= fb
            for a, rd, wr, args in accesses:
                reads = dict(_units(a, rd, args))
                writes = dict(_units(a, wr, args))
                for key in list(reads) + [k for k in writes if k not in reads]:
                    first, wmax = seen.get(key, (None, 0))
                    if first is None:
                        first = reads.get(key, 0)
                    seen[key] = (first, max(wmax, writes.get(key, 0)))
        out.append(CallTraffic("+".join(names), sum(r for r, _ in seen.values()),
                               sum(w for _, w in seen.values()), fallback))
    return out


def traffic(sim, outputs: bool = True, fused: bool = False) -> list[CallTraffic]:
    """Per-call (or, with ``fused``, per strip-fused run) traffic of one step of ``sim``.

    Parameters
    ----------
    sim : parnft.solver.Simulation
        A built simulation (the loop need not be compiled).
    outputs : bool
        Include the output sampling, amortised over the output interval.
    fused : bool
        Count runs of strip-fused calls as the loop runs them
        (:func:`fused_traffic`) instead of each call apart.

    Returns
    -------
    list of CallTraffic
        The step's calls (or runs) in loop order, then ``record`` (bytes per step).
    """
    nloc = sim.ctx.nloc
    calls = sim.step_calls()
    out = fused_traffic(calls, nloc) if fused else [call_traffic(c, nloc) for c in calls]
    if outputs:
        every = max(int(sim.outputs.every), 1)
        n = sum(int(idx.shape[0]) for _, _, idx in sim.outputs.records())
        # record: read src[idx] and idx (8 bytes each), write buf
        out.append(CallTraffic("record", (16 * n) // every, (8 * n) // every))
    return out


def bytes_per_node_step(sim, write_allocate: bool = False, outputs: bool = True,
                        fused: bool = True) -> float:
    """Bytes of memory traffic one step needs per node (reads + writes).

    Parameters
    ----------
    sim : parnft.solver.Simulation
        A built simulation; its tile's calls are counted.
    write_allocate : bool
        Count each written byte twice (the line is read before it is written).
    outputs : bool
        Include output sampling (amortised over the interval).
    fused : bool
        Count strip-fused runs as the loop executes them (default), or every
        call apart (the traffic of kernel-by-kernel sweeps).

    Returns
    -------
    float
        Bytes per node and step, by the rules of this module's docstring.
    """
    rows = traffic(sim, outputs=outputs, fused=fused)
    total = sum(r.read + (2 if write_allocate else 1) * r.written for r in rows)
    return total / sim.ctx.nloc


def stage_bytes(sim) -> dict[str, float]:
    """Bytes per node and step of each stage (coupling, population, propagator)."""
    nloc = sim.ctx.nloc
    return {stage: sum(call_traffic(c, nloc).total for c in sim.stage_calls((stage,))) / nloc
            for stage in ("coupling", "population", "propagator")}


def achieved_gbs(bytes_per_node_step: float, node_steps_per_s: float) -> float:
    """Memory bandwidth a run used, in GB/s (1e9 bytes per second)."""
    return float(bytes_per_node_step) * float(node_steps_per_s) / 1e9


def bandwidth_fraction(bytes_per_node_step: float, node_steps_per_s: float,
                       stream_gbs: float) -> float:
    """Fraction of the STREAM-triad bandwidth a run reached.

    Parameters
    ----------
    bytes_per_node_step : float
        Traffic per node and step (:func:`bytes_per_node_step`).
    node_steps_per_s : float
        Node-steps per second of the same ranks the bandwidth is for: per rank
        with a rank's STREAM value, or the whole job with the sum over ranks.
    stream_gbs : float
        STREAM-triad bandwidth in GB/s (:mod:`parnft.bench.stream`).

    Returns
    -------
    float
        ``bytes_per_node_step * node_steps_per_s / (stream_gbs * 1e9)``; NaN when
        the bandwidth is not positive or missing.
    """
    try:
        stream = float(stream_gbs)
    except (TypeError, ValueError):
        return float("nan")
    if not np.isfinite(stream) or stream <= 0:
        return float("nan")
    return achieved_gbs(bytes_per_node_step, node_steps_per_s) / stream
