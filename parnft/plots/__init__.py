"""Pictures of a run (matplotlib, Agg): node time series, field snapshots, movies.

Every function reads a parnft HDF5/netCDF file (from any rank count), an
NFTsim ``.output`` text file, or a dataset from :func:`parnft.open_dataset`,
draws with matplotlib's non-interactive back end and returns a
:class:`~parnft.plots.figures.Picture`: the path written and the numbers
drawn (so tests and notebooks can check the content, not only the file).

=========================  ===============================================
:func:`plot_timeseries`    chosen nodes over time, with their neighbours
:func:`plot_snapshots`     the field at chosen times, spatial mean removed
:func:`write_movie`        GIF (pillow) or MP4 (ffmpeg) of the field
:func:`plot_run`           what ``parnft plot`` draws (one of the first two)
=========================  ===============================================

Node numbers are NFTsim's, 1-based; bad traces, nodes or times raise
:class:`parnft.errors.ConfigError` with the fix.
"""

from __future__ import annotations

from .data import Trace, load_trace, neighbours
from .figures import Picture, plot_snapshots, plot_timeseries
from .movie import write_movie

__all__ = ["Picture", "Trace", "load_trace", "neighbours", "plot_run", "plot_snapshots",
           "plot_timeseries", "write_movie"]


def plot_run(path, trace: str | None = None, times=None, out: str | None = None,
             ncols: int = 4, nodes=None, with_neighbours: bool = False) -> str:
    """Draw a picture of ``trace`` from the run ``path``; return the file written.

    With ``nodes`` (or a trace written at a list of nodes, unless ``times``
    asks for snapshots) it draws time series (:func:`plot_timeseries`);
    otherwise snapshots of the whole grid at ``times``
    (:func:`plot_snapshots`), spatial mean removed.

    Parameters
    ----------
    path : str
        parnft HDF5/netCDF file or NFTsim ``.output``.
    trace : str, optional
        Trace such as ``"propagator.1.phi"``; default: the first.
    times : str or list of float, optional
        Snapshot times [s] (comma-separated string accepted).
    out : str, optional
        Picture path (``.png``, ``.svg``, ``.pdf``); default ``<path>.png``.
    ncols : int
        Snapshot panels per row.
    nodes : str or list of int, optional
        1-based nodes for time series (``"1,45"`` accepted).
    with_neighbours : bool
        Add each node's four grid neighbours to its time series.
    """
    import os

    tr = load_trace(path, trace)
    out = out or os.path.splitext(os.fspath(path))[0] + ".png"
    if nodes or with_neighbours or (not tr.is_grid and not times):
        return plot_timeseries(tr, nodes=nodes, with_neighbours=with_neighbours, out=out).path
    # snapshots (a node-list trace with --times: ConfigError saying it has no field)
    return plot_snapshots(tr, times=times, out=out, ncols=ncols).path
