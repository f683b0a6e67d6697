"""Read parnft HDF5 files (and NFTsim text outputs) as :class:`xarray.Dataset`."""

from __future__ import annotations

import json
import os

import numpy as np


def open_dataset(path: str | os.PathLike):
    """Open a run as an ``xarray.Dataset`` (loaded into memory).

    Parameters
    ----------
    path : str or path-like
        A parnft HDF5 file (any rank count), an ensemble's ``index.h5``
        (:func:`open_index`) or an NFTsim ``.output`` text file.

    Returns
    -------
    xarray.Dataset
        One variable per trace (``"propagator.1.phi"``, ...), dims
        ``(time, y, x)`` for whole-grid outputs or ``(time, node)`` for node
        lists; coordinates ``time`` [s], ``x`` and ``y`` [m] (cell centres,
        attrs ``units``, ``grid_spacing``; :mod:`parnft.io.coords`) with the
        non-dimension coordinate ``node_number`` (y, x), or ``node``
        (1-based) with ``node_x``/``node_y`` [m]; the file's attributes
        (config text, version, git SHA, process grid, ...) in ``ds.attrs``.
    """
    path = os.fspath(path)
    if path.endswith(".output"):
        return _open_nftsim_text(path)
    import h5py
    import xarray as xr

    with h5py.File(path, "r") as f:
        attrs = {k: _attr(v) for k, v in f.attrs.items()}
        if attrs.get("parnft_kind") == "ensemble-index":
            return open_index(path)
        coords = {"time": ("time", f["time"][()], dict(f["time"].attrs))}
        for ax in ("x", "y"):
            coords[ax] = (ax, f[ax][()], {k: _attr(v) for k, v in f[ax].attrs.items()})
        if "node_number" in f:
            coords["node_number"] = (("y", "x"), f["node_number"][()],
                                     {"long_name": "1-based NFTsim node number"})
        if "node" in f:
            coords["node"] = ("node", f["node"][()])
            for c in ("node_x", "node_y"):
                coords[c] = ("node", f[c][()], {k: _attr(v) for k, v in f[c].attrs.items()})
        data = {}
        for key, d in f.items():
            if "nftsim_name" not in d.attrs:
                continue
            dims = tuple(str(d.attrs["dims"]).split())
            data[key] = (dims, d[()], {k: _attr(v) for k, v in d.attrs.items() if k != "dims"})
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    if "node" not in ds.dims:
        ds = ds.drop_vars([c for c in ("node", "node_x", "node_y") if c in ds.coords])
    return ds


def open_index(path: str | os.PathLike):
    """Open an ensemble (``parnft sweep``) as one ``xarray.Dataset`` along ``member``.

    Parameters
    ----------
    path : str or path-like
        The ensemble's ``index.h5``; member files are found beside it.

    Returns
    -------
    xarray.Dataset
        Every member's variables stacked along a new first dimension
        ``member`` (0-based row of the table), with coordinates along it:
        one per key path (named by the path, e.g. ``"Coupling.2.nu"``; float
        when every value is a number, else the text), ``status``, ``error``,
        ``exit_code`` and ``file``. Members that failed (or never ran) are
        NaN; members whose time axes differ are aligned on the union of
        times (NaN where a member has no sample). ``ds.attrs`` are the
        index's (base config, keys, ranks per member, ...). All member data
        are loaded into memory.
    """
    import h5py
    import xarray as xr

    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    with h5py.File(path, "r") as f:
        attrs = {k: _attr(v) for k, v in f.attrs.items()}
        cols = {k: [_attr(x) for x in f[k][()]] for k in ("status", "error", "file")}
        members = f["member"][()]
        exit_codes = f["exit_code"][()]
        params = []
        for j in range(len(f["param"])):
            d = f["param"][str(j)]
            vals = [_attr(x) for x in d[()]]
            params.append((str(d.attrs["key"]),
                           np.array([float(v) for v in vals]) if d.attrs["numeric"]
                           else np.array(vals, dtype=object)))
    parts = [open_dataset(os.path.join(folder, fn)) if st == "ok" else None
             for st, fn in zip(cols["status"], cols["file"], strict=True)]
    template = next((p for p in parts if p is not None), None)
    if template is None:
        ds = xr.Dataset(coords={"member": ("member", members)})
    else:
        blank = template.copy(data={k: np.full(v.shape, np.nan) for k, v in
                                    template.data_vars.items()})
        ds = xr.concat([p if p is not None else blank for p in parts], dim="member",
                       join="outer", coords="minimal", compat="override",
                       combine_attrs="drop")
        ds = ds.assign_coords(member=("member", members))
    ds = ds.assign_coords({key: ("member", vals) for key, vals in params})
    ds = ds.assign_coords(status=("member", np.array(cols["status"], dtype=object)),
                          error=("member", np.array(cols["error"], dtype=object)),
                          exit_code=("member", exit_codes),
                          file=("member", np.array(cols["file"], dtype=object)))
    ds.attrs = attrs
    return ds


def _attr(v):
    if isinstance(v, bytes):
        return v.decode()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _open_nftsim_text(path: str):
    import xarray as xr

    from .nftsim_text import read_output

    out = read_output(path)
    data = {}
    nodes_of = {}
    for name in out.unique_names:
        nodes, arr = out.trace(name)
        nodes_of[name] = nodes
        data[name.lower()] = (("time", "node"), arr, {"nftsim_name": name})
    node_sets = {tuple(v) for v in nodes_of.values()}
    if len(node_sets) != 1:
        raise ValueError(f"{path}: traces have different node lists; open with "
                         "parnft.io.nftsim_text.read_output instead")
    nodes = np.asarray(next(iter(node_sets)))
    return xr.Dataset(data, coords={"time": ("time", out.time, {"units": "s"}),
                                    "node": ("node", nodes)},
                      attrs={"config_text": out.config_text, "source": "nftsim",
                             "time_origin": "Output Start (NFTsim prints relative times)",
                             "tile_bounds": json.dumps([])})
