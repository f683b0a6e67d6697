"""Per-node maps: a parameter or initial value that differs from node to node.

Any key listed in :data:`SUPPORTED` may take, instead of one number,

``map(FILE DATASET)``
    a dataset of an HDF5 file: shape ``(ny, nx)`` (or ``(Nodes,)`` in node
    order), or a trace of an earlier parnft output ``(time, ny, nx)``, whose
    last written sample is used (the initial state of a continued run:
    ``Q: map(run1.h5 pop.1.q)``);
``map(FILE.npy)``
    a ``.npy`` array of the same shapes;
``expr(EXPRESSION)``
    an expression of ``x``, ``y`` [m] (cell centres), see :mod:`.mapexpr`;
``v1 v2 ... vN``
    one number per node in node order, as NFTsim writes per-node ``nu`` and
    ``Tau`` lists (N = ``Nodes``).

File names are relative to the folder of the ``.conf`` file. Values are
parsed to a :class:`FieldMap`, a float whose value is the map's minimum over
the nodes once resolved (NaN before), which also carries the source. The
checks run twice, with every map at its minimum and at its maximum, so the
range rules of a kind hold at every node. The values themselves are read
only when the model is built, each rank its own tile (a hyperslab of the
file; an expression or list is evaluated on the whole grid and sliced, so
every tiling sees the same bits).
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass

import numpy as np

from parnft.config.mapexpr import ExprError, evaluate
from parnft.config.nftsim import number
from parnft.config.spec import Params
from parnft.errors import Problem

#: Map forms: the word a value starts with.
FORMS = ("map(", "expr(")
#: Keys that may be per-node maps: (family, kind) -> keys; kind None: every kind.
#: Dynamics blocks accept every numeric parameter and ``<var>_0`` (see :func:`supported`).
SUPPORTED = {
    ("population", None): ("Q",),
    ("firing", "Response"): ("Theta", "Sigma", "Qmax", "a", "b", "c", "d"),
    ("dendrite", "Dendrite"): ("alpha", "beta", "V"),
    ("dendrite", "Integral"): ("V",),
    ("propagator", None): ("phi", "Tau"),
    ("propagator", "Wave"): ("phi", "Tau", "Range", "gamma"),  # the medium: config.wavemaps
    ("coupling", "Map"): ("nu",),
}


@dataclass(frozen=True)
class MapSource:
    """Where a map's values come from, and where it was written.

    Attributes
    ----------
    form : {"file", "expr", "list", "bad"}
        ``"bad"``: a form the reader already reported (never read).
    text : str
        The value as written.
    line : int
        Line of the key in the ``.conf`` file.
    qkey : str
        The qualified key (``"Population 1 Firing: Theta"``).
    path, dataset : str or None
        File (as written) and HDF5 dataset.
    values : tuple of float
        The numbers of a node list.
    """

    form: str
    text: str
    line: int
    qkey: str
    path: str | None = None
    dataset: str | None = None
    values: tuple = ()

    def describe(self) -> str:
        """The source in words (``"gain.h5:/theta"``, ``"expr(...)"``, ``"node list"``)."""
        if self.form == "file":
            return f"{self.path}:{self.dataset}" if self.dataset else str(self.path)
        if self.form == "list":
            return f"node list of {len(self.values)} values"
        return self.text if len(self.text) <= 60 else self.text[:57] + "..."


class FieldMap(float):
    """A per-node value: a float (the map's minimum; NaN until resolved) with its source.

    Attributes
    ----------
    source : MapSource
    lo, hi : float
        Minimum and maximum over the nodes.
    where : tuple of int
        1-based nodes of the minimum and of the maximum.
    dx : float
        Grid spacing [m] the expression's x and y use.
    shape : tuple of int
        ``(ny, nx)`` of the grid.
    base : str
        Folder file names are relative to.
    """

    source: MapSource

    def __new__(cls, source: MapSource, lo: float = math.nan, hi: float = math.nan,
                where: tuple = (0, 0), dx: float = math.nan, shape: tuple = (0, 0),
                base: str = "."):
        self = super().__new__(cls, lo)
        self.source, self.lo, self.hi, self.where = source, lo, hi, where
        self.dx, self.shape, self.base = dx, shape, base
        return self

    def __reduce__(self):
        return (FieldMap, (self.source, self.lo, self.hi, self.where, self.dx, self.shape,
                           self.base))

    def __repr__(self) -> str:
        return f"FieldMap({self.source.describe()!r}, lo={self.lo!r}, hi={self.hi!r})"

    def at(self, which: str) -> float:
        """The plain float ``lo`` or ``hi``."""
        return float(self.lo if which == "lo" else self.hi)


def is_map(value) -> bool:
    """True for a per-node map (a :class:`FieldMap`)."""
    return isinstance(value, FieldMap)


def starts(text: str) -> bool:
    """True when a value word opens a map form."""
    return text.startswith(FORMS)


def span(words) -> int:
    """How many of ``words`` the map form starting at ``words[0]`` uses (to its ``)``)."""
    depth = 0
    for i, w in enumerate(words):
        depth += w.text.count("(") - w.text.count(")")
        if depth <= 0:
            return i + 1
    return len(words)


def parse(words, qkey: str, rep) -> FieldMap:
    """The :class:`FieldMap` of a map form (``words[0]`` starts one); problems to ``rep``."""
    n = span(words)
    used = words[:n]
    text = " ".join(w.text for w in used)
    line = used[0].line
    bad = FieldMap(MapSource("bad", text, line, qkey))  # reported here, not read
    if not text.endswith(")") or span(used) != n or text.count("(") != text.count(")"):
        rep.add(line, qkey, text, "the map's parentheses do not match",
                "write 'map(FILE DATASET)', 'map(FILE.npy)' or 'expr(EXPRESSION)'")
        return bad
    if text.startswith("expr("):
        body = text[len("expr("):-1].strip()
        if not body:
            rep.add(line, qkey, text, "the expression is empty", "write expr(<expression "
                    "of x and y in metres>), e.g. expr(0.01 + 0.001 * x)")
        return FieldMap(MapSource("expr", text, line, qkey))
    parts = text[len("map("):-1].split()
    if len(parts) not in (1, 2):
        rep.add(line, qkey, text, f"map() takes a file and a dataset, {len(parts)} words given",
                "write 'map(FILE.h5 DATASET)' or 'map(FILE.npy)'")
        return bad
    path, dataset = parts[0], (parts[1] if len(parts) == 2 else None)
    h5 = not path.endswith(".npy")
    if h5 and dataset is None:
        rep.add(line, qkey, text, f"map({path}) names no dataset of the HDF5 file",
                f"write 'map({path} /NAME)' (or give a .npy file)")
        return bad
    if not h5 and dataset is not None:
        rep.add(line, qkey, text, f"a .npy file holds one array; '{dataset}' is not needed",
                f"write 'map({path})'")
        return bad
    return FieldMap(MapSource("file", text, line, qkey, path=path, dataset=dataset))


def node_list(words, nodes, qkey: str) -> FieldMap | None:
    """A node-list map when ``words`` start with exactly ``nodes`` numbers (``nodes`` > 1)."""
    if not isinstance(nodes, float) or not math.isfinite(nodes) or nodes <= 1 \
            or nodes != int(nodes) or len(words) < nodes:
        return None
    n = int(nodes)
    vals = [number(w.text) for w in words[:n + 1]]
    if any(v is None for v in vals[:n]) or (len(vals) > n and vals[n] is not None):
        return None
    text = " ".join(w.text for w in words[:n])
    return FieldMap(MapSource("list", text, words[0].line, qkey, values=tuple(vals[:n])))


# -- reading the values ---------------------------------------------------------------
class MapError(ValueError):
    """A map whose values cannot be had; the message names the file and dataset."""


def _file_values(fm: FieldMap, rows=None, cols=None) -> np.ndarray:
    """The ``(ny, nx)`` values (or the tile ``rows``, ``cols``) of a file map."""
    src = fm.source
    ny, nx = fm.shape
    path = src.path if os.path.isabs(src.path) else os.path.join(fm.base, src.path)
    where = f"{path}:{src.dataset}" if src.dataset else path
    rows = rows or slice(0, ny)
    cols = cols or slice(0, nx)
    if not os.path.exists(path):
        raise MapError(f"map file {path} does not exist")
    if path.endswith(".npy"):
        try:
            arr = np.load(path, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise MapError(f"cannot read {path} as a .npy array ({exc})") from None
        return _slab(arr, None, where, fm.shape, rows, cols)
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise MapError(f"cannot open {path} as an HDF5 file ({exc})") from None
    with f:
        if src.dataset not in f or not isinstance(f[src.dataset], h5py.Dataset):
            names = [k for k in f if isinstance(f[k], h5py.Dataset)][:8]
            raise MapError(f"{path} has no dataset '{src.dataset}' (it has: "
                           f"{', '.join(names) or 'none'})")
        d = f[src.dataset]
        last = None
        if d.ndim == 3:
            last = int(f.attrs.get("samples_written", d.shape[0]))
            last = min(last, d.shape[0])
            if last < 1:
                raise MapError(f"{where} has no sample written")
        return _slab(d, last, where, fm.shape, rows, cols)


def _slab(d, last, where: str, shape, rows: slice, cols: slice) -> np.ndarray:
    ny, nx = shape
    if d.dtype.kind not in "fiu":
        raise MapError(f"{where} holds {d.dtype}, not numbers")
    full = (ny, nx)
    if last is not None:
        if tuple(d.shape[1:]) != full:
            raise MapError(f"{where} has shape {tuple(d.shape)}: a trace of an earlier run "
                           f"must be (time, {ny}, {nx}) (all nodes written)")
        return np.asarray(d[last - 1, rows, cols], dtype=np.float64)
    if tuple(d.shape) == full:
        return np.asarray(d[rows, cols], dtype=np.float64)
    if tuple(d.shape) == (ny * nx,):
        flat = np.asarray(d[...], dtype=np.float64).reshape(full)
        return np.ascontiguousarray(flat[rows, cols])
    raise MapError(f"{where} has shape {tuple(d.shape)}, but the grid is (ny, nx) = "
                   f"({ny}, {nx}) (or {ny * nx} values in node order)")


def global_values(fm: FieldMap) -> np.ndarray:
    """The map's ``(ny, nx)`` float64 values at every node of the grid."""
    src = fm.source
    if src.form == "file":
        return _file_values(fm)
    if src.form == "list":
        return np.array(src.values, dtype=np.float64).reshape(fm.shape)
    try:
        return evaluate(src.text[len("expr("):-1], fm.shape, fm.dx)
    except ExprError as exc:
        raise MapError(str(exc)) from None


def tile_values(fm: FieldMap, loc_start, loc_shape) -> np.ndarray:
    """The flat float64 values of the tile at ``loc_start`` of shape ``loc_shape``.

    A file map reads only the tile's hyperslab; an expression or a node list
    is evaluated on the whole grid and sliced.
    """
    (y0, x0), (ly, lx) = loc_start, loc_shape
    rows, cols = slice(y0, y0 + ly), slice(x0, x0 + lx)
    if fm.source.form == "file":
        vals = _file_values(fm, rows, cols)
    else:
        vals = global_values(fm)[rows, cols]
    return np.ascontiguousarray(vals, dtype=np.float64).ravel()


def resolved(fm: FieldMap, shape, dx: float, base: str) -> tuple[FieldMap | None, Problem | None]:
    """``fm`` with its range, or a problem (bad file, shape, NaN) naming file and dataset."""
    probe = FieldMap(fm.source, dx=dx, shape=tuple(shape), base=base)
    src = fm.source
    try:
        vals = global_values(probe)
    except MapError as exc:
        fix = ("write an expression of x, y (metres), Lx, Ly, dx with numbers, + - * / **, "
               "comparisons and numpy functions (docs/heterogeneous.md)" if src.form == "expr"
               else "give an existing file and dataset of the grid's shape (ny, nx) = "
               f"{tuple(shape)}")
        return None, (src.line, src.qkey, src.text, str(exc), fix)
    bad = ~np.isfinite(vals)
    if bad.any():
        k = int(np.flatnonzero(bad.ravel())[0])
        return None, (src.line, src.qkey, src.text,
                      f"map {src.describe()} has {int(bad.sum())} non-finite value(s) "
                      f"(first: {vals.ravel()[k]} at node {k + 1}, x = {k % shape[1]}, "
                      f"y = {k // shape[1]})", "give a finite number at every node")
    flat = vals.ravel()
    ilo, ihi = int(np.argmin(flat)), int(np.argmax(flat))
    return FieldMap(src, float(flat[ilo]), float(flat[ihi]), (ilo + 1, ihi + 1), dx,
                    tuple(shape), base), None


def at_extreme(value, which: str):
    """``value`` with every map in it replaced by its plain ``lo`` or ``hi`` float."""
    if isinstance(value, FieldMap):
        return value.at(which)
    if isinstance(value, tuple):
        return tuple(at_extreme(v, which) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: at_extreme(getattr(value, f.name), which)
                   for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    if isinstance(value, Params):
        return Params({k: at_extreme(v, which) for k, v in value.items()})
    return value


def maps_of(value) -> list[FieldMap]:
    """Every resolved map in ``value`` (a spec, or any part of one), in spec order."""
    out: list[FieldMap] = []

    def walk(v):
        if isinstance(v, FieldMap):
            if v.source.form != "bad" and v.shape != (0, 0):
                out.append(v)
        elif isinstance(v, tuple):
            for x in v:
                walk(x)
        elif isinstance(v, Params):
            for x in v.values():
                walk(x)
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            for f in dataclasses.fields(v):
                if f.name not in ("warnings", "text", "header"):
                    walk(getattr(v, f.name))

    walk(value)
    return out
