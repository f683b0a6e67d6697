"""A scaling model: time per step, speed-up and efficiency projected to many ranks.

Inputs, all measured: the compute time per node-step on one rank (a benchmark
CSV row: ``compute_s / (nodes_per_rank * steps)``) and the halo message cost
``t(n) = a + n / b`` (:mod:`parnft.bench.pingpong`). For a rank count P the
process grid is the one the solver chooses
(:func:`parnft.parallel.tiling.choose_dims`), the largest tile sets the pace,
and one step costs

    t_compute = t_node(P) * ly * lx
    t_node(P) = max(t_node, bytes_per_node_step * min(P, ranks_per_host) / host_bw)
    t_halo    = sum over the messages to other ranks of (a + n_d / b)
    t_step    = t_compute + t_halo + t_fixed                              (blocking)
    t_step    = t_compute + t_halo - min(t_halo, f * t_compute) + t_fixed (overlap)

with ``n_d = 8 * nfields * side`` (:func:`~parnft.bench.pingpong.halo_message_bytes`)
and ``f`` the share of the step's compute that runs while the messages fly
(everything but the wave stencils, a lower bound; :func:`config_facts` gives it
by traffic); ``t_fixed`` is the per-step cost of the multi-rank path that no
compute hides (packing, ``MPI_Startall``/``MPI_Waitall`` and unpacking inside
the compiled loop, measured with ``benchmarks/compiled_halo.py``; it was about
60 us while each step returned to Python; 0 on one rank).
``t_node(P)`` says that the ranks of one host share its memory bandwidth
(STREAM triad of the whole host, ``host_bw``): a step cannot stream its bytes
faster than its share. Strong series keep the global grid; weak series keep
the tile.
Speed-up is ``t_step(1) / t_step(P)`` for strong, ``P t_step(1) / t_step(P)``
for weak; efficiency is speed-up over P. The assumptions are listed in
docs/performance-model.md.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ConfigError
from .pingpong import halo_message_bytes

#: Rank counts projected besides the measured ones.
PROJECT_RANKS = (64, 256, 1024)


@dataclass
class ModelInputs:
    """What the model needs for one configuration.

    Attributes
    ----------
    t_node : float
        Compute seconds per node-step on one rank.
    latency_s, bandwidth_bps : float
        Halo message cost ``a + n / b`` (seconds; bytes per second).
    nfields : int
        Fields per halo message (2 per wave propagator; 0: no halo).
    corners : bool
        Diagonal messages too (``WaveLegacy``).
    halo : {"overlap", "blocking"}
        Halo mode.
    hide_fraction : float
        Share of the compute that can hide the halo in overlap mode.
    bytes_per_node_step : float
        Memory traffic per node-step (:mod:`parnft.bench.roofline`); with
        ``host_gbs`` it bounds the compute time when ranks share a host.
    host_gbs : float
        STREAM-triad bandwidth of one whole host (all its cores streaming), GB/s.
    ranks_per_host : int
        Ranks sharing that bandwidth (cores per host).
    step_overhead_s : float
        Fixed seconds per step on 2+ ranks that nothing hides: the compiled
        loop's packing, ``MPI_Startall``/``MPI_Waitall`` and unpacking (or, on
        the Python fallback path, two compiled calls per step from Python).
    imbalance : float
        On 2+ ranks, the seconds each step waits for the slowest rank, as a
        fraction of its compute time (per-step jitter and uneven cores;
        measured, :func:`calibrate`).
    contention : float
        Factor on ``t_node`` when 2+ ranks share a host: what a rank's compute
        time per node-step grows by when every core of the host works
        (measured, :func:`calibrate`; 1 = none).
    """

    t_node: float
    latency_s: float = 0.0
    bandwidth_bps: float = math.inf
    nfields: int = 2
    corners: bool = False
    halo: str = "overlap"
    hide_fraction: float = 0.5
    bytes_per_node_step: float = 0.0
    host_gbs: float = math.inf
    ranks_per_host: int = 1
    step_overhead_s: float = 0.0
    contention: float = 1.0
    imbalance: float = 0.0

    def node_time(self, nranks: int) -> float:
        """Compute seconds per node-step when ``nranks`` ranks run (bandwidth shared per host).

        ``max(t_node * c, bytes_per_node_step * min(nranks, ranks_per_host) / host_gbs)``
        with ``c = contention`` on 2+ ranks, 1 on one.
        """
        share = min(int(nranks), max(int(self.ranks_per_host), 1))
        limit = self.bytes_per_node_step * share / (self.host_gbs * 1e9)
        return max(self.t_node * (self.contention if nranks > 1 else 1.0), limit)


def squarest_dims(nranks: int) -> tuple[int, int]:
    """``(py, px)`` with ``py * px == nranks``, as square as possible, ``py >= px``."""
    px = max(d for d in range(1, int(math.isqrt(nranks)) + 1) if nranks % d == 0)
    return nranks // px, px


def grid_shape(nodes: int) -> tuple[int, int]:
    """A grid of ``nodes`` nodes as ``(ny, nx)``: the most square factorisation."""
    return squarest_dims(int(nodes))


def halo_time(tile, dims, inp: ModelInputs) -> float:
    """Seconds of one step's halo exchange of a tile on a ``(py, px)`` process grid.

    Messages go only to neighbours that are other ranks (``px > 1`` for west and
    east, ``py > 1`` for north and south, any grid of 2+ ranks for the corners);
    they are counted one after the other (no concurrency between directions).
    """
    py, px = dims
    if inp.nfields <= 0 or py * px == 1:
        return 0.0
    sizes = halo_message_bytes(tile, inp.nfields, corners=inp.corners)
    remote = {"N": py > 1, "S": py > 1, "W": px > 1, "E": px > 1}
    t = 0.0
    for d, nbytes in sizes.items():
        if remote.get(d, True):
            t += inp.latency_s + nbytes / inp.bandwidth_bps
    return t


def step_time(tile, dims, inp: ModelInputs) -> tuple[float, float, float]:
    """``(t_compute, t_halo, t_step)`` of one step (seconds) for the given tile and process grid."""
    t_comp = inp.node_time(dims[0] * dims[1]) * tile[0] * tile[1]
    t_halo = halo_time(tile, dims, inp)
    hidden = min(t_halo, inp.hide_fraction * t_comp) if inp.halo == "overlap" else 0.0
    multi = dims[0] * dims[1] > 1
    fixed = inp.step_overhead_s + inp.imbalance * t_comp if multi else 0.0
    return t_comp, t_halo, t_comp + t_halo - hidden + fixed


def _strong_layout(grid, nranks):
    from ..parallel.tiling import choose_dims

    py, px = choose_dims(nranks, grid)
    return (-(-grid[0] // py), -(-grid[1] // px)), (py, px)


def project(inp: ModelInputs, ranks, *, series: str, grid=None, tile=None) -> list[dict]:
    """Projected time per step, speed-up and efficiency at each rank count.

    Parameters
    ----------
    inp : ModelInputs
    ranks : sequence of int
        Rank counts (1 is always added as the reference).
    series : {"strong", "weak"}
        Strong: ``grid`` fixed. Weak: ``tile`` fixed per rank.
    grid, tile : (int, int)
        Global grid ``(ny, nx)`` (strong) or per-rank tile ``(ly, lx)`` (weak).

    Returns
    -------
    list of dict
        One row per rank count: ranks, procs (``PXxPY``), tile_ly, tile_lx,
        t_compute, t_halo, t_step, speedup, efficiency.
    """
    if series not in ("strong", "weak"):
        raise ValueError(f"series must be 'strong' or 'weak', got {series!r}")
    counts = sorted({1, *(int(r) for r in ranks)})
    if series == "strong":  # a grid cannot be split into more tiles than it has nodes
        counts = [p for p in counts if p <= grid[0] * grid[1]]
    rows = []
    for p in counts:
        if series == "strong":
            try:
                t, dims = _strong_layout(tuple(grid), p)
            except ConfigError:  # no process grid with a node per tile direction
                continue
        else:
            t, dims = tuple(tile), squarest_dims(p)[::-1]  # x first, as the series runner
        tc, th, ts = step_time(t, dims, inp)
        rows.append({"series": series, "ranks": p, "procs": f"{dims[1]}x{dims[0]}",
                     "tile_ly": t[0], "tile_lx": t[1], "t_compute": tc, "t_halo": th,
                     "t_step": ts})
    t1 = rows[0]["t_step"]  # 1 rank always fits
    for r in rows:
        p = r["ranks"]
        r["speedup"] = t1 / r["t_step"] * (p if series == "weak" else 1)
        r["efficiency"] = r["speedup"] / p
    return rows


# --- from a benchmark CSV -------------------------------------------------------------


def _num(v):
    if v is None or v == "":
        return math.nan
    if isinstance(v, str) and v.lower() in ("true", "false"):
        return v.lower() == "true"
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


def read_rows(csv_path) -> list[dict]:
    """The rows of a ``parnft bench`` CSV, numbers as floats and ``true``/``false`` as bools."""
    with open(csv_path, newline="") as fh:
        return [{k: _num(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def tile_of(value) -> tuple[int, int]:
    """``(ly, lx)`` from a ``nodes_per_rank`` cell: ``512x512`` (LXxLY) or a node count."""
    if isinstance(value, str) and "x" in value.lower():
        lx, ly = (int(s) for s in value.lower().split("x"))
        return ly, lx
    return grid_shape(int(value))


def config_facts(path) -> dict | None:
    """Halo and overlap facts of a config file, or None if it cannot be read.

    Returns
    -------
    dict or None
        ``nfields`` (2 per computed wave propagator: identical ones are shared,
        :class:`parnft.model.propagators.Shared`), ``corners`` (a
        ``WaveLegacy``) and ``hide_fraction``: the share of the step's memory
        traffic (kernel by kernel, :func:`parnft.bench.roofline.traffic`) outside
        the wave stencils. In ``overlap`` mode all of it, and the waves' inner
        nodes too, runs while halo messages fly; leaving the waves out makes
        the fraction a lower bound.
    """
    try:
        from ..config import read_config
        from ..solver import Simulation
        from .roofline import traffic

        spec = read_config(str(path))
        sim = Simulation(spec)
        try:
            rows = [r for r in traffic(sim, outputs=False)
                    if r.kernel != "wave_fill_periodic"]
            fields = list(sim.wave_fields)
        finally:
            sim.close()
    except Exception:  # noqa: BLE001 - a missing or foreign file: the caller's default
        return None
    total = sum(r.total for r in rows)
    waves = sum(r.total for r in rows if r.kernel in ("wave5_step", "wave9_step"))
    hide = (total - waves) / total if total > 0 else 0.0
    return {"nfields": 2 * len(fields), "corners": any(c for *_, c in fields),
            "hide_fraction": hide}


def calibrate(inp: ModelInputs, ones: list[dict], grp: list[dict], series: str, geom: dict
              ) -> dict:
    """Set ``inp.contention`` and ``inp.imbalance`` from the runs that fill one host.

    The runs of ``grp`` on 2+ ranks that fill one host (``ranks == cores``, not
    oversubscribed) are compared with the 1-rank runs ``ones``, medians over the
    repeats: ``contention`` = compute seconds per node-step per rank there over
    those of one rank; ``imbalance`` = their halo seconds per step, minus the
    modelled message time, over their compute seconds per step: the waiting for
    the slowest rank (and the packing) that the message model does not see.
    Both are then assumed for every larger run: hosts filled the same way, and
    a wait proportional to the step (it grows with the rank count in truth, so
    this is optimistic for many ranks). Returns what was set (empty when no
    such runs).
    """
    full = [r for r in grp if r["ranks"] > 1 and r.get("oversubscribed") is not True
            and isinstance(r.get("cores"), float) and r["ranks"] == r["cores"]]
    if not full:
        return {}

    def per_node(r):
        return r["compute_s"] / (r["nodes"] / r["ranks"] * r["steps"])

    inp.contention = max(1.0, statistics.median(map(per_node, full))
                         / statistics.median(map(per_node, ones)))
    p = int(full[0]["ranks"])
    t_halo = project(inp, [p], series=series, **geom)[-1]["t_halo"]
    waits = [max(0.0, r["halo_s"] / r["steps"] - t_halo) / (r["compute_s"] / r["steps"])
             for r in full if isinstance(r.get("halo_s"), float)]
    inp.imbalance = statistics.median(waits) if waits else 0.0
    return {"contention": inp.contention, "imbalance": inp.imbalance, "calibrated_on_ranks": p}


def _best(rows):
    """The row with the least compute time per node-step."""
    return min(rows, key=lambda r: r["compute_s"] / (r["nodes"] / r["ranks"] * r["steps"]))


def _host_bandwidth(rows) -> float:
    """The host's STREAM bandwidth: the largest job total of the non-oversubscribed runs."""
    vals = [r["stream_triad_gbs"] for r in rows if r.get("oversubscribed") is not True
            and isinstance(r.get("stream_triad_gbs"), float)
            and math.isfinite(r["stream_triad_gbs"])]
    return max(vals) if vals else math.inf


def model_from_csv(csv_path, latency_s: float, bandwidth_bps: float, *,
                   ranks=PROJECT_RANKS, hide_fraction: float | None = None, nfields=None,
                   bandwidth_limit: bool = True, step_overhead_s: float = 0.0,
                   calibrated: bool = True, out: str | None = None) -> dict:
    """Project every strong and weak series (and single 1-rank configs) of a CSV.

    Parameters
    ----------
    csv_path : path
        ``parnft bench`` results.
    latency_s, bandwidth_bps : float
        The halo cost fit (:class:`~parnft.bench.pingpong.PingPongResult`).
    ranks : sequence of int
        Rank counts to project, besides the measured ones.
    hide_fraction : float, optional
        Compute share that hides the halo in overlap mode (default: from the
        config's traffic per stage, :func:`config_facts`; 0.5 if unreadable).
    nfields : int or dict, optional
        Halo fields per config (default: read from the config file; 2 if unreadable).
    bandwidth_limit : bool
        Share the host's memory bandwidth between its ranks (:meth:`ModelInputs.node_time`):
        host bandwidth = the largest ``stream_triad_gbs`` of the CSV's runs that are
        not oversubscribed, ranks per host = ``cores``, traffic = the 1-rank run's
        ``bytes_per_node_step``.
    step_overhead_s : float
        Fixed per-step cost on 2+ ranks (:class:`ModelInputs`).
    calibrated : bool
        Take the contention factor and the waiting for the slowest rank from
        the group's runs that fill one host (:func:`calibrate`), when there are any.
    out : path, optional
        Where to write; default next to the CSV: ``<stem>.model.csv`` and ``.json``.

    Returns
    -------
    dict
        ``{"inputs": [...], "rows": [...], "csv": path, "json": path}``.
    """
    rows = read_rows(csv_path)
    groups: dict = {}
    for r in rows:
        series = r.get("series") if r.get("series") in ("strong", "weak") else "strong"
        # a strong series is one grid: rows of the same config on other grids are apart
        nodes = r.get("nodes") if series == "strong" else None
        groups.setdefault((r["config"], series, r.get("halo", "overlap"), nodes), []).append(r)
    inputs, projected = [], []
    for (config, series, halo, _), grp in sorted(groups.items(), key=lambda kv: str(kv[0])):
        ones = [r for r in grp if r["ranks"] == 1]
        if not ones:
            continue
        base = _best(ones)
        t_node = base["compute_s"] / (base["nodes"] * base["steps"])
        facts = config_facts(config) or {"nfields": 2, "corners": False, "hide_fraction": 0.5}
        if isinstance(nfields, dict) and config in nfields:
            facts.update(nfields=int(nfields[config]), corners=False)
        elif isinstance(nfields, int):
            facts.update(nfields=nfields, corners=False)
        if hide_fraction is not None:
            facts["hide_fraction"] = float(hide_fraction)
        inp = ModelInputs(t_node, latency_s, bandwidth_bps, facts["nfields"], facts["corners"],
                          str(halo), facts["hide_fraction"], step_overhead_s=step_overhead_s)
        traffic, cores = base.get("bytes_per_node_step"), base.get("cores")
        if (bandwidth_limit and isinstance(traffic, float) and math.isfinite(traffic)
                and isinstance(cores, float) and math.isfinite(cores)):
            host = [r for r in rows if r.get("host") == base.get("host")]
            inp.bytes_per_node_step, inp.ranks_per_host = traffic, int(cores)
            inp.host_gbs = _host_bandwidth(host)
        measured = sorted({int(r["ranks"]) for r in grp})
        if series == "strong":
            geom = {"grid": grid_shape(int(base["nodes"]))}
        else:
            geom = {"tile": tile_of(base["nodes_per_rank"])}
        cal = calibrate(inp, ones, grp, series, geom) if calibrated else {}
        rows_p = project(inp, [*measured, *ranks], series=series, **geom)
        for r in rows_p:
            r.update(config=config, halo=halo, measured=r["ranks"] in measured)
        projected += rows_p
        inputs.append({"config": config, "series": series, "halo": halo,
                       "calibrated_on_ranks": cal.get("calibrated_on_ranks"),
                       **{k: _json_float(v) for k, v in asdict(inp).items()},
                       **{k: list(v) for k, v in geom.items()}})
    stem = Path(out) if out else Path(csv_path).with_suffix("")
    csv_out = str(stem) + ".model.csv"
    json_out = str(stem) + ".model.json"
    if projected:
        cols = list(projected[0])
        with open(csv_out, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            w.writerows(projected)
    doc = {"model": "t_step = t_node*tile + sum(a + n/b) - overlap; docs/performance-model.md",
           "latency_s": latency_s, "bandwidth_bps": _json_float(bandwidth_bps),
           "inputs": inputs, "rows": projected}
    with open(json_out, "w") as fh:
        json.dump(_jsonable(doc), fh, indent=1)
    return {"inputs": inputs, "rows": projected, "csv": csv_out, "json": json_out}


def _json_float(x):
    return None if isinstance(x, float) and not math.isfinite(x) else x


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    return _json_float(obj)


def load_projection(path) -> list[dict]:
    """Rows of a ``*.model.json`` written by :func:`model_from_csv` ([] if absent)."""
    p = Path(path)
    if not p.exists():
        return []
    with open(p) as fh:
        return json.load(fh).get("rows", [])
