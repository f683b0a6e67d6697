"""Figures of a ``parnft bench`` CSV: speed-up, efficiency and the roofline.

For each series (strong, weak) and each group of runs (config and halo mode),
the measured points are the best repeat at each rank count (highest
``node_steps_per_s``), normalised by the group's 1-rank run:

* speed-up ``S(P) = node_steps_per_s(P) / node_steps_per_s(1)`` (for a weak
  series this is the scaled speed-up: P times more nodes at the same rate
  gives P);
* efficiency ``E(P) = S(P) / P``.

Oversubscribed points (more ranks than cores) are drawn hollow and in grey.
The ideal line is ``S = P`` (``E = 1``); the scaling model's projection
(:mod:`parnft.bench.model`) is drawn dashed when ``<stem>.model.json`` lies next
to the CSV, or is computed first when ``<stem>.pingpong.json`` does.

The roofline figure shows, per run, the memory bandwidth reached
(``bytes_per_node_step * node_steps_per_s``) against the run's STREAM-triad
line (``stream_triad_gbs``, the ranks of the run measuring at once), with the
fraction reached (:func:`parnft.bench.roofline.bandwidth_fraction`).
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from .model import load_projection, read_rows

log = logging.getLogger("parnft")

SERIES = ("strong", "weak")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _key(row) -> str:
    return f"{Path(str(row['config'])).stem} ({row.get('halo') or 'overlap'})"


def scaling_points(rows, series: str) -> dict:
    """Measured speed-up and efficiency per group of ``series`` rows.

    Parameters
    ----------
    rows : list of dict
        CSV rows (:func:`parnft.bench.model.read_rows`).
    series : {"strong", "weak"}

    Returns
    -------
    dict
        ``group -> {"config", "halo", "ranks", "speedup", "efficiency",
        "oversubscribed"}`` (numpy arrays in rank order); groups without a
        1-rank run are left out.
    """
    groups: dict = {}
    for r in rows:
        if r.get("series") == series and _finite(r.get("node_steps_per_s")):
            groups.setdefault(_key(r), []).append(r)
    out = {}
    for key, grp in sorted(groups.items()):
        best: dict = {}
        over: dict = {}
        for r in grp:
            p = int(r["ranks"])
            best[p] = max(best.get(p, -np.inf), float(r["node_steps_per_s"]))
            over[p] = over.get(p, False) or r.get("oversubscribed") is True
        if 1 not in best:
            log.warning("bench plot: %s series %s has no 1-rank run; not drawn", series, key)
            continue
        ranks = np.array(sorted(best), dtype=int)
        speedup = np.array([best[p] for p in ranks]) / best[1]
        out[key] = {"config": grp[0]["config"], "halo": grp[0].get("halo") or "overlap",
                    "ranks": ranks, "speedup": speedup, "efficiency": speedup / ranks,
                    "oversubscribed": np.array([over[p] for p in ranks], dtype=bool)}
    return out


def roofline_points(rows) -> dict:
    """Per run with a traffic count: bandwidth reached, STREAM line and fraction.

    Returns
    -------
    dict of numpy arrays
        ``label`` (config stem and ranks), ``ranks``, ``oversubscribed``, ``nodes_per_rank``,
        ``achieved_gbs`` (``bytes_per_node_step * node_steps_per_s / 1e9``),
        ``stream_gbs`` and ``fraction`` (NaN where STREAM is missing).
    """
    sel = [r for r in rows if _finite(r.get("bytes_per_node_step"))
           and _finite(r.get("node_steps_per_s"))]
    achieved = np.array([r["bytes_per_node_step"] * r["node_steps_per_s"] / 1e9 for r in sel])
    stream = np.array([r["stream_triad_gbs"] if _finite(r.get("stream_triad_gbs")) else np.nan
                       for r in sel])
    return {"label": [f"{Path(str(r['config'])).stem} x{int(r['ranks'])}" for r in sel],
            "ranks": np.array([int(r["ranks"]) for r in sel], dtype=int),
            "oversubscribed": np.array([r.get("oversubscribed") is True for r in sel],
                                       dtype=bool),
            "nodes_per_rank": np.array([float(r["nodes"]) / float(r["ranks"]) for r in sel]),
            "achieved_gbs": achieved, "stream_gbs": stream,
            "fraction": achieved / stream if len(sel) else np.array([])}


def _model_rows(csv_path: Path) -> list[dict]:
    stem = csv_path.with_suffix("")
    model_json = Path(str(stem) + ".model.json")
    pp_json = Path(str(stem) + ".pingpong.json")
    if pp_json.exists() and (not model_json.exists()
                             or model_json.stat().st_mtime < csv_path.stat().st_mtime):
        from .model import model_from_csv
        from .pingpong import load_pingpong

        pp = load_pingpong(pp_json)
        model_from_csv(csv_path, pp.latency_s, pp.bandwidth_bps)
    return load_projection(model_json)


def _draw_scaling(plt, pts: dict, model: list, series: str, quantity: str, path: Path) -> dict:
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    pmax = 1
    data = {}
    for i, (key, d) in enumerate(pts.items()):
        colour = f"C{i % 10}"
        y = d[quantity]
        over = d["oversubscribed"]
        ax.plot(d["ranks"], y, "-", color=colour, lw=1)
        ax.plot(d["ranks"][~over], y[~over], "o", color=colour, label=f"{key} measured")
        if over.any():
            ax.plot(d["ranks"][over], y[over], "o", mfc="none", mec="grey", ms=8,
                    label=f"{key} oversubscribed")
        m = [r for r in model if r.get("series") == series
             and _key({"config": r.get("config"), "halo": r.get("halo")}) == key]
        m.sort(key=lambda r: r["ranks"])
        mr = np.array([r["ranks"] for r in m], dtype=int)
        mv = np.array([r[quantity] for r in m], dtype=float)
        if len(m):
            ax.plot(mr, mv, "--", color=colour, lw=1, label=f"{key} model")
        pmax = max(pmax, int(d["ranks"].max()), int(mr.max()) if len(mr) else 1)
        data[key] = {**d, "model_ranks": mr, f"model_{quantity}": mv}
    ideal = np.array([1, pmax])
    ax.plot(ideal, ideal if quantity == "speedup" else np.ones(2), ":", color="k",
            label="ideal")
    ax.set_xscale("log", base=2)
    if quantity == "speedup":
        ax.set_yscale("log", base=2)
    else:
        ax.set_ylim(0, 1.15)
    ax.set_xlabel("ranks")
    ax.set_ylabel("scaled speed-up" if (series == "weak" and quantity == "speedup")
                  else quantity.replace("speedup", "speed-up"))
    ax.set_title(f"{series} scaling: {quantity.replace('speedup', 'speed-up')}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return data


def _draw_roofline(plt, pts: dict, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    x, y, s = pts["nodes_per_rank"], pts["achieved_gbs"], pts["stream_gbs"]
    for i, p in enumerate(sorted(set(pts["ranks"].tolist()))):
        sel = pts["ranks"] == p
        over = sel & pts["oversubscribed"]
        ax.plot(x[sel & ~over], y[sel & ~over], "o", color=f"C{i}",
                label=f"{p} rank(s): reached")
        if over.any():
            ax.plot(x[over], y[over], "o", mfc="none", mec=f"C{i}", ms=8,
                    label=f"{p} rank(s): reached, oversubscribed (STREAM sum unreliable)")
        ok = sel & np.isfinite(s)
        if ok.any():
            ax.plot(x[ok], s[ok], "_", color=f"C{i}", ms=18, mew=2,
                    label=f"{p} rank(s): STREAM triad")
    for xi, yi, fi in zip(x, y, pts["fraction"], strict=True):
        if np.isfinite(fi):
            ax.annotate(f"{100 * fi:.0f}%", (xi, yi), textcoords="offset points",
                        xytext=(4, -10), fontsize=7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.margins(x=0.15, y=0.15)
    ax.set_xlabel("nodes per rank")
    ax.set_ylabel("memory bandwidth [GB/s]")
    ax.set_title("roofline: bandwidth reached vs STREAM triad (all ranks of a run)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_results(csv_path, out_dir) -> dict:
    """Draw the PNGs of a benchmark CSV and return what each one shows.

    Parameters
    ----------
    csv_path : path
        ``parnft bench`` results (one row per run).
    out_dir : path
        Folder for ``speedup_strong.png``, ``efficiency_strong.png``,
        ``speedup_weak.png``, ``efficiency_weak.png`` (series present in the CSV)
        and ``roofline.png`` (runs with a traffic count); created if missing.

    Returns
    -------
    dict
        PNG path (str) -> the plotted data: for scaling figures
        ``group -> {"ranks", "speedup", "efficiency", "oversubscribed",
        "model_ranks", "model_<quantity>"}``, for the roofline the arrays of
        :func:`roofline_points`. Iterating over it gives the paths.
    """
    csv_path = Path(csv_path)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rows = read_rows(csv_path)
    model = _model_rows(csv_path)
    plt = _pyplot()
    result: dict = {}
    for series in SERIES:
        pts = scaling_points(rows, series)
        if not pts:
            continue
        for quantity in ("speedup", "efficiency"):
            path = out / f"{quantity}_{series}.png"
            result[str(path)] = _draw_scaling(plt, pts, model, series, quantity, path)
    roof = roofline_points(rows)
    if len(roof["achieved_gbs"]):
        path = out / "roofline.png"
        _draw_roofline(plt, roof, path)
        result[str(path)] = roof
    return result
