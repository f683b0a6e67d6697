"""Still pictures of a run: node time series and field snapshots, and what they share.

* :func:`plot_timeseries`: like NFTsim's ``+nf/plot_timeseries``: one panel
  per requested node, the node bold and its torus neighbours (N, S, W, E,
  NFTsim's order) thin beside it, so a wave passing the node shows as a fan
  of shifted curves.
* :func:`plot_snapshots`: the whole grid at chosen samples, ``x`` (longside)
  to the right and ``y`` (shortside) upwards, node 1 at the bottom left, each
  minus its spatial mean (NFTsim's Fig 7), on a symmetric colour scale (red
  above the mean, blue below), so a small wave on a large steady background
  shows.

Both return a :class:`Picture`: the file written and the numbers drawn.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError
from .data import Trace, check_node, load_trace, neighbours, parse_numbers, time_indices

log = logging.getLogger("parnft.plots")

#: Still-picture formats by file extension (matplotlib's Agg, SVG and PDF back ends).
STILL_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
DPI = 100


@dataclass
class Picture:
    """A picture written to disk and the numbers drawn in it.

    Attributes
    ----------
    path : str
        The file written.
    kind : str
        ``"timeseries"``, ``"snapshot"`` or ``"movie"``.
    times : numpy.ndarray
        Sample times drawn [s]: the snapshot or movie frame times, or the
        time axis of a time series.
    data : dict
        What was drawn: label -> array. Time series: ``"node 45"``,
        ``"node 45 N"``, ... -> ``(nt,)``; snapshots: ``"t=0.042"`` -> ``(ny, nx)``
        (spatial mean removed); movies: ``"frames"`` -> ``(nframes, ny, nx)``.
    lines : int
        Number of curves drawn (time series).
    frames : int
        Number of frames written (movies).
    panels : list of tuple
        Pixel box ``(x0, y0, x1, y1)`` of each snapshot image in the written
        raster (origin top left, as when the PNG is read back), for checking
        the picture's content.
    """

    path: str
    kind: str
    times: np.ndarray
    data: dict = field(default_factory=dict)
    lines: int = 0
    frames: int = 0
    panels: list = field(default_factory=list)


def new_figure(nrows: int = 1, ncols: int = 1, figsize=(6.4, 4.8), **kw):
    """A figure drawn by matplotlib's Agg canvas, and its axes.

    No pyplot: the caller's back end and figure list are left alone (a
    notebook keeps its own), and nothing needs closing.

    Returns
    -------
    matplotlib.figure.Figure, axes
        ``axes`` as ``Figure.subplots(nrows, ncols, **kw)`` returns them.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(nrows, ncols, **kw)


def still_path(out: str | None, source: str, suffix: str) -> str:
    """The output path of a still picture; ConfigError for an unknown extension.

    Parameters
    ----------
    out : str or None
        Requested path; None gives ``<source stem><suffix>.png``.
    source : str
        The run file (for the default name and messages).
    suffix : str
        Added to the default name, e.g. ``"-snapshot"``.
    """
    if out is None:
        stem = os.path.splitext(source)[0] if source and not source.startswith("<") else "run"
        return stem + suffix + ".png"
    ext = os.path.splitext(out)[1].lower()
    if ext not in STILL_FORMATS:
        raise ConfigError(f"--out {out}: unknown picture format {ext or '(none)'!r}; fix: "
                          f"end the name with one of {', '.join(STILL_FORMATS)}")
    return out


def make_parent(path: str) -> None:
    """Create the folder that will hold ``path``."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)


def save(fig, path: str, dpi: int = 100) -> None:
    """Write ``fig`` to ``path`` (format from the extension)."""
    make_parent(path)
    fmt = STILL_FORMATS.get(os.path.splitext(path)[1].lower(), "png")
    fig.savefig(path, dpi=dpi, format=fmt)


def image_boxes(fig, axes, dpi: int = 100) -> list[tuple[int, int, int, int]]:
    """Pixel boxes ``(x0, y0, x1, y1)`` of ``axes`` in the raster of ``fig`` at ``dpi``.

    Rows count from the top of the picture, as in an image read back from
    the PNG. Call after the layout is final (``tight_layout``) and before
    closing the figure.
    """
    fig.set_dpi(dpi)
    fig.canvas.draw()
    height = fig.get_size_inches()[1] * dpi
    out = []
    for ax in axes:
        b = ax.get_window_extent()
        out.append((int(round(b.x0)), int(round(height - b.y1)),
                    int(round(b.x1)), int(round(height - b.y0))))
    return out


def unit_label(units: str) -> str:
    """`` [units]`` for an axis label, empty when there are no units."""
    return f" [{units}]" if units and units != "1" else ""


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
    rows = len(req) if with_neighbours else 1
    fig, axes = new_figure(rows, 1, figsize=(8, 1.2 + 2.2 * rows), sharex=True,
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


def default_times(t: np.ndarray, count: int = 4) -> list[float]:
    """``count`` sample times evenly spread over the record (ends included)."""
    idx = np.unique(np.linspace(0, t.size - 1, count).round().astype(int))
    return [float(t[i]) for i in idx]


def snapshot_frames(tr: Trace, times) -> tuple[list[int], list[np.ndarray]]:
    """Sample indices nearest to ``times`` and the mean-removed fields there.

    Parameters
    ----------
    tr : Trace
        A whole-grid trace (ConfigError otherwise).
    times : list of float
        Times [s] inside the record (ConfigError otherwise).

    Returns
    -------
    list of int, list of numpy.ndarray
        The indices and the ``(ny, nx)`` fields minus their spatial mean.
    """
    grid = tr.grid()
    idx = time_indices(times, tr.time, tr.source)
    return idx, [grid[i] - grid[i].mean() for i in idx]


def plot_snapshots(src, trace: str | None = None, times=None, *, out: str | None = None,
                   ncols: int = 4, common_scale: bool = False) -> Picture:
    """Draw snapshots of a whole-grid trace with its spatial mean removed.

    Parameters
    ----------
    src : str, path-like, xarray.Dataset or Trace
        The run; the trace must cover the whole grid (``Output: Node: All``).
    trace : str, optional
        Trace name; default: the first whole-grid trace.
    times : str or list of float, optional
        Snapshot times [s] (``"0.042,0.052"`` accepted); each panel shows the
        nearest sample, titled with its time. Default: four evenly spaced.
    out : str, optional
        ``.png``, ``.svg`` or ``.pdf``; default ``<run>-snapshot.png``.
    ncols : int
        Panels per row.
    common_scale : bool
        One colour scale for all panels (default: each panel its own, so
        weak late waves stay visible).

    Returns
    -------
    Picture
        ``data`` maps ``"t=<time>"`` to each drawn ``(ny, nx)`` field;
        ``panels`` holds each image's pixel box in the written raster.
    """
    tr = src if isinstance(src, Trace) else load_trace(src, trace, prefer_grid=True)
    out = still_path(out, tr.source, "-snapshot")
    want = parse_numbers(times, "--times") or default_times(tr.time)
    idx, frames = snapshot_frames(tr, want)
    n = len(frames)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    ny, nx = tr.shape
    aspect = ny / nx
    extent, xlabel, ylabel = tr.extent()  # metres: the sheet's true aspect ratio
    fig, axes = new_figure(nrows, ncols, figsize=(3.4 * ncols, 0.6 + 3.0 * nrows * aspect
                                                  + 0.5 * nrows), squeeze=False)
    top = max(float(np.abs(f).max()) for f in frames) or 1.0
    data = {}
    images = []
    for k, (i, snap) in enumerate(zip(idx, frames, strict=True)):
        ax = axes[k // ncols][k % ncols]
        lim = top if common_scale else (float(np.abs(snap).max()) or 1.0)
        im = ax.imshow(snap, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim,
                       interpolation="nearest", extent=extent)
        ax.set_title(f"t = {tr.time[i]:.4g} s", fontsize=9)
        ax.set_xlabel(xlabel, fontsize=8)
        ax.set_ylabel(ylabel, fontsize=8)
        ax.tick_params(labelsize=7)
        fig.colorbar(im, ax=ax, shrink=0.8).ax.tick_params(labelsize=7)
        data[f"t={tr.time[i]:.6g}"] = snap
        images.append(ax)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_axis_off()
    fig.suptitle(f"{tr.name} minus spatial mean{unit_label(tr.units)}", fontsize=10)
    fig.tight_layout()
    panels = image_boxes(fig, images, DPI)
    save(fig, out, DPI)
    return Picture(out, "snapshot", tr.time[idx], data, panels=panels)
