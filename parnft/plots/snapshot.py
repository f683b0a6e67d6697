"""Snapshots of a field at chosen times, spatial mean removed (NFTsim's Fig 7).

Each panel is the whole grid at one sample, ``x`` (longside) to the right
and ``y`` (shortside) upwards, node 1 at the bottom left; the spatial mean
of that sample is subtracted so a small wave on a large steady background
shows, on a symmetric colour scale (red above the mean, blue below).
"""

from __future__ import annotations

import numpy as np

from .common import Picture, image_boxes, pyplot, save, still_path, unit_label
from .data import Trace, load_trace, parse_numbers, time_indices

DPI = 100


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
    plt = pyplot()
    n = len(frames)
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    ny, nx = tr.shape
    aspect = ny / nx
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 0.6 + 3.0 * nrows * aspect
                                                    + 0.5 * nrows), squeeze=False)
    top = max(float(np.abs(f).max()) for f in frames) or 1.0
    data = {}
    images = []
    for k, (i, snap) in enumerate(zip(idx, frames, strict=True)):
        ax = axes[k // ncols][k % ncols]
        lim = top if common_scale else (float(np.abs(snap).max()) or 1.0)
        im = ax.imshow(snap, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim,
                       interpolation="nearest", extent=(-0.5, nx - 0.5, -0.5, ny - 0.5))
        ax.set_title(f"t = {tr.time[i]:.4g} s", fontsize=9)
        ax.set_xlabel("x = (node - 1) mod longside", fontsize=8)
        ax.set_ylabel("y = (node - 1) div longside", fontsize=8)
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
