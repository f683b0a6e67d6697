"""Time series of chosen nodes, optionally with their four grid neighbours.

Like NFTsim's ``+nf/plot_timeseries``: one panel per requested node, the node
drawn bold and its torus neighbours (N, S, W, E, NFTsim's order) thin beside
it, so a wave passing the node shows as a fan of shifted curves.
"""

from __future__ import annotations

import logging

import numpy as np

from ..errors import ConfigError
from .common import Picture, pyplot, save, still_path, unit_label
from .data import Trace, check_node, load_trace, neighbours, parse_numbers

log = logging.getLogger("parnft.plots")


def plot_timeseries(src, trace: str | None = None, nodes=None, *,
                    with_neighbours: bool = False, out: str | None = None,
                    start: float | None = None, stop: float | None = None) -> Picture:
    """Draw the time series of ``nodes`` of one trace.

    Parameters
    ----------
    src : str, path-like, xarray.Dataset or Trace
        The run (see :func:`parnft.plots.data.load_trace`).
    trace : str, optional
        Trace name (default: the file's first).
    nodes : str or list of int, optional
        1-based NFTsim node numbers (``"1,45"`` accepted). Default: every
        node of a node-list output, or the grid's centre node.
    with_neighbours : bool
        Also draw each node's four torus neighbours (those the file holds;
        the missing ones of a node-list output are named in the log).
    out : str, optional
        ``.png``, ``.svg`` or ``.pdf``; default ``<run>-timeseries.png``.
    start, stop : float, optional
        Time window [s] to draw (default: the whole record).

    Returns
    -------
    Picture
        ``data`` maps each curve's label (``"node 45"``, ``"node 45 N (13)"``)
        to its samples; ``lines`` counts the curves drawn.
    """
    tr = src if isinstance(src, Trace) else load_trace(src, trace)
    out = still_path(out, tr.source, "-timeseries")
    req = [int(n) for n in parse_numbers(nodes, "--nodes", int)]
    if not req:
        req = [int(n) for n in tr.nodes] if tr.nodes is not None else \
            [(tr.shape[0] // 2) * tr.shape[1] + tr.shape[1] // 2 + 1]
    for n in req:
        check_node(n, tr.shape, tr.source)
        tr.series(n)  # a node missing from a node-list output is an error
    sel = _window(tr.time, start, stop, tr.source)
    t = tr.time[sel]
    plt = pyplot()
    rows = len(req) if with_neighbours else 1
    fig, axes = plt.subplots(rows, 1, figsize=(8, 1.2 + 2.2 * rows), sharex=True,
                             squeeze=False)
    data: dict[str, np.ndarray] = {}
    for i, node in enumerate(req):
        ax = axes[i if with_neighbours else 0][0]
        label = f"node {node}"
        data[label] = tr.series(node)[sel]
        ax.plot(t, data[label], lw=1.8 if with_neighbours else 1.0, label=label,
                color="k" if with_neighbours else None, zorder=3)
        if with_neighbours:
            missing = []
            for d, nb in neighbours(node, tr.shape):
                if not tr.has_node(nb):
                    missing.append(f"{d} {nb}")
                    continue
                lab = f"node {node} {d} ({nb})"
                data[lab] = tr.series(nb)[sel]
                ax.plot(t, data[lab], lw=0.9, label=f"{d}: node {nb}")
            if missing:
                log.warning("%s: neighbours of node %d not in the file: %s", tr.source, node,
                            ", ".join(missing))
            ax.set_title(f"node {node} and its neighbours", fontsize=9)
        ax.set_ylabel(f"{tr.name}{unit_label(tr.units)}", fontsize=8)
        if len(ax.get_lines()) <= 12:
            ax.legend(fontsize=7, loc="upper right")
    axes[-1][0].set_xlabel("time [s]")
    fig.tight_layout()
    lines = sum(len(a[0].get_lines()) for a in axes)
    save(fig, out)
    return Picture(out, "timeseries", t, data, lines=lines)


def _window(t: np.ndarray, start, stop, source: str) -> np.ndarray:
    """Boolean mask of the samples in ``[start, stop]``; ConfigError when empty."""
    lo = -np.inf if start is None else float(start)
    hi = np.inf if stop is None else float(stop)
    sel = (t >= lo - 1e-12) & (t <= hi + 1e-12)
    if not sel.any():
        raise ConfigError(f"{source}: no samples between {lo:g} and {hi:g} s (the record "
                          f"spans {t[0]:g} .. {t[-1]:g} s); fix: choose --start/--stop "
                          "within it")
    return sel
