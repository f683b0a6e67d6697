"""Getting a field out of a run file for analysis: any format, grid positions in metres.

:func:`load` opens a parnft HDF5 file (from any rank count), a parnft netCDF
file or an NFTsim ``.output`` text file as an ``xarray.Dataset`` with the same
variable names (``"propagator.1.phi"``). :func:`field` returns one trace as a
``(time, y, x)`` DataArray whose ``x``/``y`` coordinates are in metres, or as
``(time, node)`` when the file holds a node list that is not the whole grid.
The model (grid shape, spacing, parameters) comes from the config text that
every one of these files carries.
"""

from __future__ import annotations

import os

import numpy as np

from ..errors import ConfigError


def load(source):
    """Open a run for analysis.

    Parameters
    ----------
    source : str, path-like or xarray.Dataset
        A parnft HDF5 file (``.h5``, any rank count), a parnft netCDF file
        (``.nc``), an NFTsim text file (``.output``), or a Dataset already
        opened with :func:`parnft.open_dataset`.

    Returns
    -------
    xarray.Dataset
        Variables named as in parnft HDF5 files (lower-case NFTsim names).
    """
    import xarray as xr

    if isinstance(source, xr.Dataset):
        return source
    path = os.fspath(source)
    if not os.path.exists(path):
        raise ConfigError(f"{path}: no such file; give a parnft .h5/.nc or an NFTsim "
                          ".output file")
    if path.endswith(".nc"):
        ds = xr.open_dataset(path).load()
        names = {v: ds[v].attrs["parnft_key"] for v in ds.data_vars
                 if "parnft_key" in ds[v].attrs}
        return ds.rename(names)
    from ..io.read import open_dataset

    return open_dataset(path)


def model_spec(ds):
    """The :class:`~parnft.config.ModelSpec` of the run, parsed from its config text.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`load`.

    Returns
    -------
    ModelSpec
    """
    from ..config import parse_config

    text = ds.attrs.get("config_text")
    if not text:
        raise ConfigError("the file has no config_text attribute; pass the model's "
                          ".conf file (read_config) explicitly")
    return parse_config(text, path=str(ds.attrs.get("config_path", "<file>")),
                        validate=False)


def trace_names(ds) -> list[str]:
    """Names of the traces (data variables with a time axis) in ``ds``."""
    return [str(v) for v in ds.data_vars if "time" in ds[v].dims]


def pick_trace(ds, trace: str | None = None) -> str:
    """``trace`` checked against the file (case-insensitive), or the first ``*.phi`` trace.

    Raises
    ------
    ConfigError
        When the file has no such trace; the message lists the ones it has.
    """
    names = trace_names(ds)
    if not names:
        raise ConfigError("the file holds no time series")
    if trace is None:
        phis = [n for n in names if n.endswith(".phi")]
        return (phis or names)[0]
    key = trace.lower()
    if key not in names:
        raise ConfigError(f"--trace {trace!r}: not in the file; it has {', '.join(names)}")
    return key


def spacing(spec, trace: str) -> float:
    """Node spacing [m] of a trace's grid: ``Length / Longside``.

    For a propagator, coupling or dendrite of connection j the length is the
    presynaptic population's (as NFTsim's Wave uses it); for ``pop.k`` it is
    population k's.
    """
    parts = trace.lower().split(".")
    idx = int(parts[1])
    if parts[0] == "pop":
        pop = spec.populations[idx - 1]
    else:
        pop = spec.populations[spec.connections[idx - 1].pre - 1]
    return pop.length / spec.grid.longside


def field(ds, trace: str | None = None, *, relative_time: bool = True):
    """One trace as a DataArray ready for spectra.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`load`.
    trace : str, optional
        Variable name (``"propagator.1.phi"``); default: the first ``*.phi``.
    relative_time : bool
        Count ``time`` from ``Output: Start`` (as NFTsim text files do), so that
        HDF5, netCDF and NFTsim text files give the same coordinates.

    Returns
    -------
    xarray.DataArray
        ``(time, y, x)`` with ``x``/``y`` in metres (``attrs["dx"]``) for a
        whole grid, including an NFTsim text file listing every node;
        ``(time, node)`` for other node lists. ``attrs`` carry ``units``,
        ``trace``, ``dt`` (sampling interval [s]).
    """
    key = pick_trace(ds, trace)
    da = ds[key]
    spec = None
    try:
        spec = model_spec(ds)
    except ConfigError:
        spec = None
    if "node" in da.dims and spec is not None:
        nodes = np.asarray(da["node"].values)
        ny, nx = spec.grid.shape
        if len(nodes) == ny * nx and np.array_equal(nodes, np.arange(1, ny * nx + 1)):
            data = np.asarray(da.values).reshape(da.sizes["time"], ny, nx)
            import xarray as xr

            da = xr.DataArray(data, dims=("time", "y", "x"),
                              coords={"time": da["time"].values,
                                      "y": np.arange(ny), "x": np.arange(nx)},
                              attrs=dict(da.attrs))
    t = np.asarray(da["time"].values, dtype=float)
    if t.size < 2:
        raise ConfigError(f"trace {key!r} has {t.size} time sample(s); a spectrum needs many")
    dt = float(np.median(np.diff(t)))
    if relative_time and "output_start" in ds.attrs:
        da = da.assign_coords(time=t - float(ds.attrs["output_start"]))
    attrs = dict(da.attrs)
    attrs.update(trace=key, dt=dt)
    attrs.setdefault("units", "s^-1" if key.split(".")[-1] in ("q", "phi") else "1")
    if "y" in da.dims and spec is not None:
        dx = spacing(spec, key)
        da = da.assign_coords(x=(np.arange(da.sizes["x"]) + 0.5) * dx,  # cell centres
                              y=(np.arange(da.sizes["y"]) + 0.5) * dx)
        da["x"].attrs["units"] = "m"
        da["y"].attrs["units"] = "m"
        attrs["dx"] = dx
    da.attrs = attrs
    da.name = key
    return da
