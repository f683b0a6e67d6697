"""Pictures of a run: field snapshots and node time series (matplotlib, Agg)."""

from __future__ import annotations

import os

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_run(path: str, trace: str | None = None, times: str | list | None = None,
             out: str | None = None, ncols: int = 4) -> str:
    """Draw a PNG of ``trace`` from the run file ``path``; return the PNG path.

    Whole-grid traces give a row of snapshots (spatial mean removed, as in
    NFTsim's Fig 7) at ``times`` (default: four evenly spaced samples);
    node-list traces give their time series.

    Parameters
    ----------
    path : str
        parnft HDF5 file (or NFTsim ``.output``).
    trace : str, optional
        Variable name such as ``"propagator.1.phi"``; default: the first.
    times : str or list of float, optional
        Snapshot times [s] (comma-separated string accepted).
    out : str, optional
        PNG path; default ``<path>.png``.
    """
    from .io.read import open_dataset

    ds = open_dataset(path)
    names = list(ds.data_vars)
    if not names:
        raise ValueError(f"{path}: no output traces to plot")
    trace = trace or names[0]
    if trace not in ds:
        raise ValueError(f"{path}: no trace {trace!r}; available: {', '.join(names)}")
    da = ds[trace]
    out = out or os.path.splitext(path)[0] + ".png"
    plt = _pyplot()
    if da.dims == ("time", "y", "x"):
        if isinstance(times, str):
            times = [float(t) for t in times.split(",") if t.strip()]
        if not times:
            idx = np.unique(np.linspace(0, da.sizes["time"] - 1, ncols).round().astype(int))
        else:
            idx = [int(np.abs(ds["time"].values - t).argmin()) for t in times]
        fig, axes = plt.subplots(1, len(idx), figsize=(3.2 * len(idx), 3.2), squeeze=False)
        for ax, i in zip(axes[0], idx, strict=True):
            snap = da.values[i] - da.values[i].mean()
            lim = float(np.abs(snap).max()) or 1.0
            im = ax.imshow(snap, origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(f"t = {float(ds['time'][i]):.4g} s")
            ax.set_xlabel("x (node)")
            ax.set_ylabel("y (node)")
            fig.colorbar(im, ax=ax, shrink=0.8)
        fig.suptitle(f"{trace} minus spatial mean [{da.attrs.get('units', '')}]")
    else:
        fig, ax = plt.subplots(figsize=(8, 3.5))
        for j in range(da.shape[1]):
            label = f"node {int(ds['node'][j])}" if "node" in ds.coords else None
            ax.plot(ds["time"].values, da.values[:, j], lw=1, label=label)
        ax.set_xlabel("time [s]")
        ax.set_ylabel(f"{trace} [{da.attrs.get('units', '')}]")
        if da.shape[1] <= 10:
            ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
