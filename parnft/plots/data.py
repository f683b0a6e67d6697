"""Read one trace of a run for drawing: values, times, grid shape and node numbers.

A :class:`Trace` is what every picture draws from. It is read from a parnft
HDF5 file (any rank count), a netCDF file written by parnft, an NFTsim
``.output`` text file, or an ``xarray.Dataset`` from :func:`parnft.open_dataset`.
Node numbers are NFTsim's: 1-based, row-major on the ``shortside x longside``
grid, node ``n`` at ``y = (n - 1) // longside``, ``x = (n - 1) % longside``.

Every user mistake (unknown trace, node out of range, time outside the
record, a snapshot of a node-list output) raises
:class:`parnft.errors.ConfigError` naming the file, the value and the fix.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError


@dataclass(frozen=True)
class Trace:
    """One field of a run, ready to draw.

    Attributes
    ----------
    name : str
        The trace's key, e.g. ``"propagator.1.phi"``.
    source : str
        The file it was read from (for messages and titles).
    time : numpy.ndarray
        Sample times [s], shape ``(nt,)`` (relative to ``Output: Start`` for
        NFTsim text files, absolute for parnft files).
    values : numpy.ndarray
        ``(nt, ny, nx)`` when :attr:`nodes` is None (whole grid), else
        ``(nt, len(nodes))``.
    nodes : numpy.ndarray or None
        1-based node number of each column of a node-list trace.
    shape : tuple of int
        The model's grid ``(ny, nx)`` = ``(shortside, longside)``.
    units : str
        Units of the values (may be empty).
    dx : float
        Cell side [m] (:mod:`parnft.io.coords`); 0 when the file does not say
        (an NFTsim text output), and pictures then use node indices.
    """

    name: str
    source: str
    time: np.ndarray
    values: np.ndarray
    nodes: np.ndarray | None
    shape: tuple[int, int]
    units: str = ""
    dx: float = 0.0

    def extent(self) -> tuple[tuple[float, float, float, float], str, str]:
        """``(extent, xlabel, ylabel)`` of a map of the sheet (``imshow``, origin lower).

        In metres, cell edges at ``0 .. nx dx`` and ``0 .. ny dx`` (cell centres at
        ``(i + 1/2) dx``), so the sheet keeps its true aspect ratio; in node
        indices when :attr:`dx` is unknown.
        """
        ny, nx = self.shape
        if self.dx > 0:
            return (0.0, nx * self.dx, 0.0, ny * self.dx), "x [m]", "y [m]"
        return ((-0.5, nx - 0.5, -0.5, ny - 0.5), "x = (node - 1) mod longside",
                "y = (node - 1) div longside")

    @property
    def is_grid(self) -> bool:
        """True when the values cover the whole grid as ``(nt, ny, nx)``."""
        return self.nodes is None

    def grid(self) -> np.ndarray:
        """The values as ``(nt, ny, nx)``; needs a whole-grid output."""
        if self.nodes is None:
            return self.values
        raise ConfigError(
            f"{self.source}: trace {self.name!r} was written at {len(self.nodes)} of the "
            f"{self.shape[0] * self.shape[1]} nodes ({_short(self.nodes)}), so it has no "
            "field to draw; fix: rerun with 'Output: Node: All' in the config")

    def series(self, node: int) -> np.ndarray:
        """Time series of one 1-based node, shape ``(nt,)``."""
        check_node(node, self.shape, self.source)
        if self.nodes is None:
            y, x = node_yx(node, self.shape)
            return self.values[:, y, x]
        hit = np.flatnonzero(self.nodes == node)
        if hit.size == 0:
            raise ConfigError(
                f"{self.source}: trace {self.name!r} has no node {node}; the file holds "
                f"nodes {_short(self.nodes)}; fix: choose one of those, or rerun with "
                "'Output: Node: All' (or that node in the list)")
        return self.values[:, hit[0]]

    def has_node(self, node: int) -> bool:
        """Whether the trace holds ``node`` (always, for whole-grid traces)."""
        return self.nodes is None or bool(np.any(self.nodes == node))

    def time_index(self, t: float) -> int:
        """Index of the sample nearest to time ``t``; ConfigError outside the record."""
        return time_indices([t], self.time, self.source)[0]


def _short(nodes, n: int = 12) -> str:
    nodes = [int(v) for v in nodes]
    s = " ".join(str(v) for v in nodes[:n])
    return s + (f" ... ({len(nodes)} nodes)" if len(nodes) > n else "")


def node_yx(node: int, shape: tuple[int, int]) -> tuple[int, int]:
    """Grid row and column ``(y, x)`` of a 1-based node number."""
    return (node - 1) // shape[1], (node - 1) % shape[1]


def check_node(node: int, shape: tuple[int, int], source: str) -> None:
    """Raise ConfigError unless ``1 <= node <= ny * nx``."""
    total = shape[0] * shape[1]
    if not 1 <= node <= total:
        raise ConfigError(f"{source}: node {node} is out of range: nodes are numbered "
                          f"1..{total} ({shape[0]} x {shape[1]} grid, NFTsim's 1-based "
                          f"numbering); fix: choose --nodes between 1 and {total}")


def neighbours(node: int, shape: tuple[int, int]) -> list[tuple[str, int]]:
    """The four torus neighbours of a node, NFTsim's N, S, W, E order.

    Returns
    -------
    list of (str, int)
        ``(direction, node)`` pairs; on a grid one node wide (or tall) a
        neighbour may be the node itself and duplicates are dropped.
    """
    ny, nx = shape
    y, x = node_yx(node, shape)
    out: list[tuple[str, int]] = []
    for d, (yy, xx) in (("N", (y - 1, x)), ("S", (y + 1, x)),
                        ("W", (y, x - 1)), ("E", (y, x + 1))):
        n = (yy % ny) * nx + (xx % nx) + 1
        if n != node and n not in [m for _, m in out]:
            out.append((d, n))
    return out


def time_indices(times, t: np.ndarray, source: str) -> list[int]:
    """Indices of the samples nearest to ``times``.

    Parameters
    ----------
    times : iterable of float
        Wanted times [s].
    t : numpy.ndarray
        The record's sample times [s].
    source : str
        File name for messages.

    Returns
    -------
    list of int
        One index into ``t`` per wanted time. A time more than half a sample
        interval outside ``[t[0], t[-1]]`` is a ConfigError that states the
        record's span.
    """
    t = np.asarray(t, dtype=float)
    if t.size == 0:
        raise ConfigError(f"{source}: the file holds no samples")
    half = 0.5 * (t[1] - t[0]) if t.size > 1 else 0.0
    out = []
    for v in times:
        if not (t[0] - half - 1e-12 <= v <= t[-1] + half + 1e-12):
            raise ConfigError(
                f"{source}: time {v:g} s is outside the record {t[0]:g} .. {t[-1]:g} s "
                f"({t.size} samples); fix: choose --times within it")
        out.append(int(np.abs(t - v).argmin()))
    return out


def parse_numbers(text, option: str, kind=float) -> list:
    """Parse a comma-separated option value such as ``"0.04,0.07"``.

    Parameters
    ----------
    text : str, sequence or None
        The option's value (a list is converted element by element).
    option : str
        The option's name, for the error message (``"--times"``).
    kind : type
        ``float`` or ``int``.

    Returns
    -------
    list
        The numbers (empty for None); ConfigError naming ``option`` when a
        part is not a number.
    """
    if text is None:
        return []
    if isinstance(text, str):
        parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    else:
        parts = list(text)
    out = []
    for p in parts:
        try:
            v = kind(p)
        except (TypeError, ValueError):
            want = "whole numbers" if kind is int else "numbers"
            raise ConfigError(f"{option} {text!r}: {p!r} is not a number; fix: give "
                              f"comma-separated {want}, e.g. {option} "
                              + ("1,45" if kind is int else "0.04,0.07")) from None
        out.append(v)
    return out


def grid_from_config(text: str) -> tuple[int, int] | None:
    """``(shortside, longside)`` from a config's ``Nodes:``/``Longside nodes:``."""
    m = re.search(r"\bNodes:\s*(\d+)", text or "")
    if not m:
        return None
    nodes = int(m.group(1))
    ml = re.search(r"Longside nodes:\s*(\d+)", text)
    longside = int(ml.group(1)) if ml else max(math.isqrt(nodes), 1)
    return max(nodes // longside, 1), longside


def _match(name: str | None, keys: list[str], alias: dict[str, str], source: str,
           default: str | None) -> str:
    if not keys:
        raise ConfigError(f"{source}: the file holds no output traces; fix: list some "
                          "in the config's Output block and rerun")
    if name is None:
        return default or keys[0]
    for cand in (name, name.lower(), name.lower().replace("_", ".")):
        if cand in keys:
            return cand
        if cand in alias:
            return alias[cand]
    raise ConfigError(f"{source}: no trace {name!r}; available: {', '.join(keys)}; "
                      "fix: pass one of these to --trace")


def load_trace(src, name: str | None = None, *, prefer_grid: bool = False) -> Trace:
    """Read one trace from a run file or dataset.

    Parameters
    ----------
    src : str, path-like or xarray.Dataset
        parnft HDF5 (``.h5``), parnft netCDF (``.nc``), NFTsim text
        (``.output``) or a dataset from :func:`parnft.open_dataset`.
    name : str, optional
        Trace name: ``"propagator.1.phi"``, NFTsim's ``"Propagator.1.phi"``
        or netCDF's ``"propagator_1_phi"``. Default: the first trace (the
        first whole-grid one when ``prefer_grid``).
    prefer_grid : bool
        Default to a trace that covers the whole grid, for snapshots and movies.

    Returns
    -------
    Trace
    """
    if isinstance(src, str | os.PathLike):
        path = os.fspath(src)
        if not os.path.exists(path):
            raise ConfigError(f"{path}: no such file; fix: give the output of 'parnft run'")
        if path.endswith(".output"):
            return _from_text(path, name, prefer_grid)
        if path.endswith(".nc"):
            return _from_netcdf(path, name, prefer_grid)
        return _from_hdf5(path, name, prefer_grid)
    return _from_dataset(src, str(src.attrs.get("source_path", "<dataset>")), name,
                         prefer_grid)


def _unreadable(path: str, exc: Exception, what: str) -> ConfigError:
    return ConfigError(f"{path}: cannot read it as a {what} file ({exc}); fix: give a "
                       ".h5/.nc file written by 'parnft run' or an NFTsim .output file")


def _from_hdf5(path: str, name, prefer_grid) -> Trace:
    """Read only the chosen dataset of a parnft HDF5 file (runs can be large)."""
    import h5py

    def _attr(v):
        return v.decode() if isinstance(v, bytes) else v

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise _unreadable(path, exc, "parnft HDF5") from None
    with f:
        dims = {k: tuple(str(_attr(d.attrs["dims"])).split()) for k, d in f.items()
                if isinstance(d, h5py.Dataset) and "nftsim_name" in d.attrs
                and "dims" in d.attrs}
        keys = list(dims)
        alias = {str(_attr(f[k].attrs["nftsim_name"])).lower(): k for k in keys}
        grid_keys = [k for k in keys if dims[k] == ("time", "y", "x")]
        key = _match(name, keys, alias, path,
                     grid_keys[0] if prefer_grid and grid_keys else None)
        a = f.attrs
        if "shortside" in a and "longside" in a:
            shape = (int(a["shortside"]), int(a["longside"]))
        else:
            shape = (int(f["y"].shape[0]), int(f["x"].shape[0]))
        d = f[key]
        units = str(_attr(d.attrs.get("units", "")))
        time = np.asarray(f["time"][()], dtype=float)
        values = np.asarray(d[()], dtype=float)
        nodes = np.asarray(f["node"][()], dtype=np.int64) if "node" in f else None
        dx = float(a["dx"]) if "dx" in a else 0.0
    return _assemble(key, path, time, values, dims[key], nodes, shape, units, dx)


def _from_netcdf(path: str, name, prefer_grid) -> Trace:
    """Read only the chosen variable of a parnft netCDF file (names via ``parnft_key``)."""
    import xarray as xr

    try:
        ds = xr.open_dataset(path, engine="h5netcdf")
    except (OSError, ValueError) as exc:
        raise _unreadable(path, exc, "netCDF") from None
    with ds:
        ren = {v: ds[v].attrs["parnft_key"] for v in ds.data_vars if "parnft_key" in ds[v].attrs}
        return _from_dataset(ds.rename(ren), path, name, prefer_grid)


def _from_dataset(ds, path: str, name, prefer_grid) -> Trace:
    keys = [k for k in ds.data_vars if ds[k].dims and ds[k].dims[0] == "time"]
    alias = {str(ds[k].attrs.get("nftsim_name", k)).lower(): k for k in keys}
    grid_keys = [k for k in keys if ds[k].dims == ("time", "y", "x")]
    key = _match(name, keys, alias, path, grid_keys[0] if prefer_grid and grid_keys else None)
    da = ds[key]
    shape = _dataset_shape(ds)
    units = str(da.attrs.get("units", ""))
    time = np.asarray(ds["time"].values, dtype=float)
    nodes = np.asarray(ds["node"].values, dtype=np.int64) if "node" in ds.coords else None
    dx = float(ds.attrs.get("dx", 0.0))
    return _assemble(key, path, time, np.asarray(da.values, dtype=float), da.dims, nodes,
                     shape, units, dx)


def _assemble(key, path, time, values, dims, nodes, shape, units, dx=0.0) -> Trace:
    """A Trace from one variable's values and dims (``time y x``, ``time node``, ``time``)."""
    if tuple(dims) == ("time", "y", "x"):
        return Trace(key, path, time, values, None, shape, units, dx)
    if tuple(dims) == ("time", "node") and nodes is not None:
        return _node_list(key, path, time, values, nodes, shape, units, dx)
    # single-valued fields (time,) or (time, 1): one column, node 1 as NFTsim writes them
    vals = values.reshape(time.size, -1)[:, :1]
    return Trace(key, path, time, vals, np.array([1]), shape, units, dx)


def _dataset_shape(ds) -> tuple[int, int]:
    a = ds.attrs
    if "shortside" in a and "longside" in a:
        return int(a["shortside"]), int(a["longside"])
    if "y" in ds.sizes and "x" in ds.sizes:
        return int(ds.sizes["y"]), int(ds.sizes["x"])
    g = grid_from_config(str(a.get("config_text", "")))
    if g is None:
        raise ConfigError("dataset: grid size unknown (no shortside/longside attributes)")
    return g


def _node_list(key, path, time, values, nodes, shape, units, dx=0.0) -> Trace:
    """A node-list trace; one listing every node in order becomes a whole-grid trace."""
    total = shape[0] * shape[1]
    if nodes.size == total and np.array_equal(nodes, np.arange(1, total + 1)):
        return Trace(key, path, time, values.reshape(time.size, *shape), None, shape, units,
                     dx)
    return Trace(key, path, time, values, nodes, shape, units, dx)


def _from_text(path: str, name, prefer_grid) -> Trace:
    from ..io.nftsim_text import read_output

    try:
        out = read_output(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read it as an NFTsim .output file ({exc})") from None
    shape = grid_from_config(out.config_text)
    if shape is None:
        raise ConfigError(f"{path}: no 'Nodes:' line in the configuration echoed at the top "
                          "of the file, so the grid is unknown")
    keys = [n.lower() for n in out.unique_names]
    alias = {k: k for k in keys}
    total = shape[0] * shape[1]
    grid_keys = [k for k, n in zip(keys, out.unique_names, strict=True)
                 if len(out.columns(n)) == total]
    key = _match(name, keys, alias, path, grid_keys[0] if prefer_grid and grid_keys else None)
    nodes, vals = out.trace(key)
    from ..io.hdf5 import UNITS

    field = out.unique_names[keys.index(key)].rsplit(".", 1)[-1]
    units = UNITS.get(field, "")
    return _node_list(key, path, out.time, np.asarray(vals, dtype=float),
                      np.asarray(nodes, dtype=np.int64), shape, units)
