"""Read and write NFTsim's text ``.output`` format, byte for byte.

Layout of a file written by NFTsim (every line ends with ``\\n``)::

    <the .conf file, verbatim>\\n
    =============================================      (45 '=')
    <blank line>
    <name row>
    <node row>
    <data row>
    ...

* **Name row:** ``" " + "Time".rjust(20) + "  "``, then for each *outlet group*
  and each of its columns ``"  " + name.rjust(20)``, then ``"  "`` closing the group.
* **Node row:** 23 spaces, then the same layout with the 1-based node numbers
  (``"  " + str(node).rjust(20)`` per column, ``"  "`` per group).
* **Data row:** the time, ``"  "``, then for each group ``" " + value`` per
  column and ``"  "`` closing the group. Every number (time included) is
  written as C's ``%.14e`` preceded by one space when ``value >= 0`` (so
  ``-0.0`` gets the space, NaN does not; a NaN with its sign bit set prints as
  ``-nan``).

An *outlet group* is one NFTsim outlet: either one field at every selected node
or a single-valued field (one column, node 1). By default consecutive columns
with equal names form one group; the reader recovers the real grouping from the
node row, so files with two adjacent outlets of the same name round-trip too.

``config_text`` is the configuration file's content exactly as NFTsim read it;
NFTsim writes it followed by one newline, then the ``=`` line. Hence
``read_output(p).config_text`` is the ``.conf`` file's text and
``write_output(q, conf_text, ...)`` writes what NFTsim would.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from .nftsim_numbers import (  # noqa: F401 - re-exported for the tests
    _VALUE_WIDTH,
    _decode_values,
    _encode_values,
    _format_value,
)

__all__ = [
    "SEPARATOR",
    "NftsimOutput",
    "OutputTextWriter",
    "format_header",
    "group_sizes_from_names",
    "parse_output_text",
    "read_output",
    "write_output",
]

#: The line NFTsim writes between the echoed configuration and the table.
SEPARATOR = "=" * 45

_NAME_WIDTH = 20  # NFTsim's setw(20)
_PREFIX_WIDTH = 23  # " " + setw(20) "Time" + "  "
_COLUMN_WIDTH = 2 + _NAME_WIDTH  # "  " + setw(20) field
_MARKER = "\n" + SEPARATOR + "\n\n"
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"  # any byte sequence survives a read/write round trip
_NODE_RE = re.compile(r"\S+")

PathOrFile = str | os.PathLike[str] | IO[str] | IO[bytes]


@dataclass(frozen=True, eq=False)
class NftsimOutput:
    """The content of one NFTsim ``.output`` file.

    Attributes
    ----------
    config_text : str
        The configuration echoed at the top of the file, without the newline
        NFTsim appends before the ``=`` line (i.e. the ``.conf`` file's text).
    names : tuple of str
        Column names, one per data column (``Time`` excluded), e.g. ``Pop.2.Q``.
    nodes : tuple of int
        1-based node number of each data column.
    time : numpy.ndarray
        Output times, shape ``(nt,)``, float64.
    data : numpy.ndarray
        Values, shape ``(nt, len(names))``, float64; rows are samples.
    groups : tuple of int
        Number of columns in each outlet group, in order; sums to ``len(names)``.
    """

    config_text: str
    names: tuple[str, ...]
    nodes: tuple[int, ...]
    time: np.ndarray
    data: np.ndarray
    groups: tuple[int, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.names))
        object.__setattr__(self, "nodes", tuple(int(n) for n in self.nodes))
        object.__setattr__(self, "time", np.asarray(self.time, dtype=np.float64))
        object.__setattr__(self, "data", np.asarray(self.data, dtype=np.float64))
        object.__setattr__(self, "groups", tuple(int(g) for g in self.groups))
        if not self.groups:
            object.__setattr__(self, "groups", group_sizes_from_names(self.names))
        _check_layout(self.names, self.nodes, self.groups)
        if self.data.shape != (self.time.shape[0], len(self.names)):
            raise ValueError(
                f"data shape {self.data.shape} does not match "
                f"({self.time.shape[0]}, {len(self.names)}) (times, columns)"
            )

    @property
    def unique_names(self) -> tuple[str, ...]:
        """Distinct column names in order of first appearance."""
        return tuple(dict.fromkeys(self.names))

    def columns(self, name: str) -> list[int]:
        """Indices into ``names``/``data`` columns of all columns called ``name``.

        Parameters
        ----------
        name : str
            Column name. An exact (case-sensitive) match is preferred; if there
            is none, names are compared case-insensitively.

        Returns
        -------
        list of int
            Column indices, in file order.

        Raises
        ------
        KeyError
            If no column has that name.
        """
        idx = [i for i, n in enumerate(self.names) if n == name]
        if not idx:
            low = name.lower()
            idx = [i for i, n in enumerate(self.names) if n.lower() == low]
        if not idx:
            raise KeyError(f"no output column named {name!r}; have {list(self.unique_names)}")
        return idx

    def trace(self, name: str) -> tuple[tuple[int, ...], np.ndarray]:
        """All columns with one name, as a time-by-node array.

        Parameters
        ----------
        name : str
            Column name such as ``Pop.2.Q`` or ``Propagator.1.phi``; matched
            exactly first, then case-insensitively (``pop.2.q`` works).

        Returns
        -------
        nodes : tuple of int
            1-based node number of each returned column.
        values : numpy.ndarray
            Shape ``(nt, len(nodes))``, a copy.

        Raises
        ------
        KeyError
            If no column has that name.
        """
        idx = self.columns(name)
        return tuple(self.nodes[i] for i in idx), self.data[:, idx]

    def write(self, path_or_file: PathOrFile) -> None:
        """Write this output in NFTsim's format (see :func:`write_output`)."""
        write_output(
            path_or_file,
            self.config_text,
            self.names,
            self.nodes,
            self.time,
            self.data,
            groups=self.groups,
        )


# ---------------------------------------------------------------------------
# layout helpers


def group_sizes_from_names(names: Sequence[str]) -> tuple[int, ...]:
    """Default outlet grouping: runs of consecutive equal names.

    Parameters
    ----------
    names : sequence of str
        Column names.

    Returns
    -------
    tuple of int
        Length of each run.
    """
    sizes: list[int] = []
    prev: str | None = None
    for n in names:
        if sizes and n == prev:
            sizes[-1] += 1
        else:
            sizes.append(1)
        prev = n
    return tuple(sizes)


def _check_layout(names: Sequence[str], nodes: Sequence[int], groups: Sequence[int]) -> None:
    if len(names) != len(nodes):
        raise ValueError(f"{len(names)} names but {len(nodes)} node numbers")
    if any(g < 1 for g in groups) or sum(groups) != len(names):
        raise ValueError(f"group sizes {tuple(groups)} do not partition {len(names)} columns")
    for n in names:
        if not n or any(c.isspace() for c in n):
            raise ValueError(f"column name {n!r} is empty or contains whitespace")


def _split_groups(items: Sequence[Any], groups: Sequence[int]) -> list[Sequence[Any]]:
    out, start = [], 0
    for g in groups:
        out.append(items[start : start + g])
        start += g
    return out


def format_header(
    names: Sequence[str], nodes: Sequence[int], groups: Sequence[int] | None = None
) -> str:
    """The name row and node row, each ending in a newline.

    Parameters
    ----------
    names : sequence of str
        Column names (``Time`` excluded).
    nodes : sequence of int
        1-based node number per column.
    groups : sequence of int, optional
        Outlet group sizes; default :func:`group_sizes_from_names`.

    Returns
    -------
    str
        Two lines of text.
    """
    names = list(names)
    nodes = [int(n) for n in nodes]
    groups = group_sizes_from_names(names) if groups is None else tuple(groups)
    _check_layout(names, nodes, groups)
    row1 = [" ", "Time".rjust(_NAME_WIDTH), "  "]
    row2 = [" " * _PREFIX_WIDTH]
    pairs = zip(_split_groups(names, groups), _split_groups(nodes, groups), strict=True)
    for gnames, gnodes in pairs:
        row1.extend("  " + n.rjust(_NAME_WIDTH) for n in gnames)
        row1.append("  ")
        row2.extend("  " + str(k).rjust(_NAME_WIDTH) for k in gnodes)
        row2.append("  ")
    return "".join(row1) + "\n" + "".join(row2) + "\n"


class _RowLayout:
    """The fixed-width data row of a given outlet grouping (all values 21 chars).

    Row: time (21) + ``"  "``, then per group ``(" " + value) * g + "  "``, then
    ``"\\n"``.
    """

    def __init__(self, groups: Sequence[int]) -> None:
        self.groups = tuple(groups)
        self.ncols = 1 + sum(self.groups)  # time included
        offsets = []
        pos = _VALUE_WIDTH + 2
        for g in self.groups:
            offsets.append(pos)
            pos += (1 + _VALUE_WIDTH) * g + 2
        self.offsets = tuple(offsets)
        self.width = pos + 1  # with the newline
        template = np.full(self.width, ord(" "), dtype=np.uint8)
        template[-1] = ord("\n")
        self.template = template

    def _group_views(self, rows: np.ndarray) -> list[np.ndarray]:
        """Per group, a ``(nrows, g, 22)`` view of the group's columns in ``rows``."""
        step = 1 + _VALUE_WIDTH
        return [
            rows[:, o : o + step * g].reshape(rows.shape[0], g, step)
            for o, g in zip(self.offsets, self.groups, strict=True)
        ]

    def scatter(self, rows: np.ndarray, chars: np.ndarray) -> None:
        """Fill ``rows`` (``(n, width)`` uint8) from ``chars`` (``(n, ncols, 21)``)."""
        rows[:] = self.template
        rows[:, :_VALUE_WIDTH] = chars[:, 0]
        c = 1
        for view, g in zip(self._group_views(rows), self.groups, strict=True):
            view[:, :, 1:] = chars[:, c : c + g]
            c += g

    def gather(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Values' characters ``(n, ncols, 21)`` and a mask of rows whose gaps are right."""
        n = rows.shape[0]
        chars = np.empty((n, self.ncols, _VALUE_WIDTH), dtype=np.uint8)
        chars[:, 0] = rows[:, :_VALUE_WIDTH]
        space = ord(" ")
        ok = (rows[:, -1] == ord("\n")) & (rows[:, _VALUE_WIDTH : _VALUE_WIDTH + 2] == space).all(
            axis=1
        )
        c = 1
        step = 1 + _VALUE_WIDTH
        for view, o, g in zip(self._group_views(rows), self.offsets, self.groups, strict=True):
            chars[:, c : c + g] = view[:, :, 1:]
            ok &= (view[:, :, 0] == space).all(axis=1)
            ok &= (rows[:, o + step * g : o + step * g + 2] == space).all(axis=1)
            c += g
        return chars, ok


# ---------------------------------------------------------------------------
# writing


def _is_binary(fileobj: Any) -> bool:
    """Whether ``fileobj`` takes bytes (otherwise str)."""
    if isinstance(fileobj, io.TextIOBase):
        return False
    if isinstance(fileobj, io.BufferedIOBase | io.RawIOBase):
        return True
    mode = getattr(fileobj, "mode", None)
    return not (isinstance(mode, str) and "b" not in mode)


class OutputTextWriter:
    """Incremental writer of an NFTsim ``.output`` file.

    The constructor writes the configuration echo, the ``=`` line and the two
    header rows; :meth:`write_rows` appends samples. The file object is not
    closed by the writer.

    Parameters
    ----------
    fileobj : file object
        Open for writing, text (``str``) or binary (``bytes``; text is encoded
        as UTF-8 with ``surrogateescape``).
    config_text : str
        Configuration text to echo (the ``.conf`` content; a newline is added).
    names : sequence of str
        Column names, ``Time`` excluded.
    nodes : sequence of int
        1-based node number per column.
    groups : sequence of int, optional
        Outlet group sizes; default: runs of equal consecutive names.
    chunk_values : int, optional
        About how many values to format per vectorised block (memory/speed).

    Notes
    -----
    Rows whose values all have ``1e-8 <= |v| < 1e15`` (or are ``+0.0``) are
    formatted by an exact vectorised routine; the others use Python's
    correctly rounded ``%.14e``, as C's ``printf`` does.
    """

    def __init__(
        self,
        fileobj: IO[str] | IO[bytes],
        config_text: str,
        names: Sequence[str],
        nodes: Sequence[int],
        groups: Sequence[int] | None = None,
        *,
        chunk_values: int = 1 << 13,
    ) -> None:
        self._f = fileobj
        self._binary = _is_binary(fileobj)
        self.names = tuple(names)
        self.nodes = tuple(int(n) for n in nodes)
        self.groups = (
            group_sizes_from_names(self.names) if groups is None else tuple(int(g) for g in groups)
        )
        _check_layout(self.names, self.nodes, self.groups)
        self.ncols = len(self.names)
        self.rows_written = 0
        parts = ["% .14e  "]
        for g in self.groups:
            parts.append(" % .14e" * g + "  ")
        parts.append("\n")
        self._row_fmt = "".join(parts)
        self._layout = _RowLayout(self.groups)
        self._chunk_rows = max(1, chunk_values // (self.ncols + 1))
        head = config_text + _MARKER + format_header(self.names, self.nodes, self.groups)
        self._emit(head.encode(_ENCODING, _ERRORS))

    def _emit(self, data: bytes) -> None:
        if self._binary:
            self._f.write(data)  # type: ignore[arg-type]
        else:
            self._f.write(data.decode(_ENCODING, _ERRORS))  # type: ignore[arg-type]

    def _format_slow_row(self, row: np.ndarray) -> str:
        vals = row.tolist()
        special = any(v != v or (v == 0 and np.signbit(v)) for v in vals)
        if not special:
            return self._row_fmt % tuple(vals)
        text = [_format_value(v) for v in vals]
        parts = [text[0], "  "]
        k = 1
        for g in self.groups:
            parts.extend(" " + s for s in text[k : k + g])
            parts.append("  ")
            k += g
        parts.append("\n")
        return "".join(parts)

    def _format_block(self, block: np.ndarray) -> bytes:
        lay = self._layout
        nrows = block.shape[0]
        chars = np.empty((block.size, _VALUE_WIDTH), dtype=np.uint8)
        ok = _encode_values(block.ravel(), chars)
        out = np.empty((nrows, lay.width), dtype=np.uint8)
        lay.scatter(out, chars.reshape(nrows, lay.ncols, _VALUE_WIDTH))
        good = ok.reshape(block.shape).all(axis=1)
        if good.all():
            return out.tobytes()
        pieces: list[bytes] = []
        prev = 0
        for i in np.flatnonzero(~good).tolist():
            pieces.append(out[prev:i].tobytes())
            pieces.append(self._format_slow_row(block[i]).encode("ascii"))
            prev = i + 1
        pieces.append(out[prev:].tobytes())
        return b"".join(pieces)

    def format_rows(self, time: Any, data: Any) -> bytes:
        """Format samples as data rows without writing them.

        Parameters
        ----------
        time : array_like
            Shape ``(nt,)``.
        data : array_like
            Shape ``(nt, ncols)`` (or ``(ncols,)`` for one sample).

        Returns
        -------
        bytes
            ``nt`` ASCII lines.
        """
        t = np.asarray(time, dtype=np.float64).reshape(-1)
        d = np.asarray(data, dtype=np.float64)
        if d.ndim == 1 and t.shape[0] == 1:
            d = d.reshape(1, -1)
        if d.ndim != 2 or d.shape != (t.shape[0], self.ncols):
            raise ValueError(
                f"data shape {d.shape} does not match ({t.shape[0]}, {self.ncols}) (times, columns)"
            )
        pieces = []
        n = self._chunk_rows
        for s in range(0, t.shape[0], n):
            block = np.empty((min(n, t.shape[0] - s), self.ncols + 1), dtype=np.float64)
            block[:, 0] = t[s : s + n]
            block[:, 1:] = d[s : s + n]
            pieces.append(self._format_block(block))
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def write_rows(self, time: Any, data: Any) -> None:
        """Append samples.

        Parameters
        ----------
        time : array_like
            Output times, shape ``(nt,)``.
        data : array_like
            Values, shape ``(nt, ncols)`` (or ``(ncols,)`` with one time).
        """
        self._emit(self.format_rows(time, data))
        self.rows_written += int(np.shape(time)[0]) if np.ndim(time) else 1


def write_output(
    path_or_file: PathOrFile,
    config_text: str,
    names: Sequence[str],
    nodes: Sequence[int],
    time: Any,
    data: Any,
    *,
    groups: Sequence[int] | None = None,
) -> None:
    """Write a whole NFTsim ``.output`` file.

    Parameters
    ----------
    path_or_file : path-like or file object
        Destination; a path is created/truncated, a file object (text or
        binary) is written to and left open.
    config_text : str
        The ``.conf`` text to echo (NFTsim adds one newline after it).
    names : sequence of str
        Column names, ``Time`` excluded.
    nodes : sequence of int
        1-based node number per column.
    time : array_like
        Shape ``(nt,)``.
    data : array_like
        Shape ``(nt, len(names))``.
    groups : sequence of int, optional
        Outlet group sizes; default: runs of equal consecutive names.
    """
    if isinstance(path_or_file, str | os.PathLike):
        with open(path_or_file, "wb") as fh:
            w = OutputTextWriter(fh, config_text, names, nodes, groups)
            w.write_rows(time, data)
    else:
        w = OutputTextWriter(path_or_file, config_text, names, nodes, groups)
        w.write_rows(time, data)


# ---------------------------------------------------------------------------
# reading


def _fail(path: str, line: int, msg: str) -> ValueError:
    return ValueError(f"{path}:{line}: {msg}")


def _parse_node_row(row: str, path: str, lineno: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Node numbers and outlet group sizes from the node row's spacing."""
    if not row.startswith(" " * _PREFIX_WIDTH):
        raise _fail(path, lineno, "node row does not start with 23 spaces")
    nodes: list[int] = []
    groups: list[int] = []
    end = _PREFIX_WIDTH
    for m in _NODE_RE.finditer(row):
        tok = m.group()
        if not tok.isdigit():
            raise _fail(path, lineno, f"node number expected, found {tok!r}")
        step = m.end() - end
        if step == _COLUMN_WIDTH and groups:
            groups[-1] += 1
        elif step == _COLUMN_WIDTH + 2 or (step == _COLUMN_WIDTH and not groups):
            groups.append(1)
        else:
            raise _fail(path, lineno, f"node {tok!r} at column {m.start() + 1} is misaligned")
        nodes.append(int(tok))
        end = m.end()
    expected_len = end + 2 if nodes else _PREFIX_WIDTH
    if len(row) != expected_len:
        raise _fail(path, lineno, "node row does not end with the group separator")
    return tuple(nodes), tuple(groups)


def _parse_row_slow(line: bytes, width: int, path: str, lineno: int) -> list[float]:
    tokens = line.split()
    if len(tokens) != width:
        raise _fail(
            path,
            lineno,
            f"data row has {len(tokens)} numbers, expected {width} (time + {width - 1} columns)",
        )
    try:
        return [float(tok) for tok in tokens]
    except ValueError:
        bad = next(t for t in tokens if not _is_float(t))
        raise _fail(path, lineno, f"not a number: {bad.decode(_ENCODING, _ERRORS)!r}") from None


def _is_float(tok: bytes) -> bool:
    try:
        float(tok)
    except ValueError:
        return False
    return True


def _parse_data(
    body: bytes, groups: Sequence[int], path: str, first_line: int, chunk_values: int = 1 << 13
) -> tuple[np.ndarray, np.ndarray]:
    """Parse the data rows (``body`` ends in a newline, or is empty)."""
    lay = _RowLayout(groups)
    width = lay.ncols
    if not body:
        return np.empty(0), np.empty((0, width - 1))
    buf = np.frombuffer(body, dtype=np.uint8)
    ends = np.flatnonzero(buf == ord("\n"))
    if ends.size == 0 or ends[-1] != buf.size - 1:
        raise _fail(path, first_line + ends.size, "last data row has no newline (truncated file?)")
    nrows = ends.size
    starts = np.empty(nrows, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    table = np.empty((nrows, width), dtype=np.float64)
    fast = (ends - starts + 1) == lay.width
    if fast.all():
        rows = buf.reshape(nrows, lay.width)
        which = None
    else:
        which = np.flatnonzero(fast)
        rows = buf[starts[which, None] + np.arange(lay.width)]
    step = max(1, chunk_values // width)
    for s in range(0, rows.shape[0], step):
        chars, ok = lay.gather(rows[s : s + step])
        vals, vok = _decode_values(chars.reshape(-1, _VALUE_WIDTH))
        ok &= vok.reshape(-1, width).all(axis=1)
        if which is None:
            table[s : s + step] = vals.reshape(-1, width)
            fast[s : s + step] = ok
        else:
            idx = which[s : s + step]
            table[idx] = vals.reshape(-1, width)
            fast[idx] = ok
    for i in np.flatnonzero(~fast).tolist():
        line = body[starts[i] : ends[i]]
        table[i] = _parse_row_slow(line, width, path, first_line + i)
    return table[:, 0].copy(), table[:, 1:].copy()


def _parse_bytes(raw: bytes, path: str) -> NftsimOutput:
    marker = _MARKER.encode("ascii")
    start = 0
    while True:
        pos = raw.find(marker, start)
        if pos < 0:
            raise _fail(
                path, raw.count(b"\n") + 1, f"no separator line of 45 '=' ({SEPARATOR}) found"
            )
        after = pos + len(marker)
        if raw[after : after + 32].split(None, 1)[:1] == [b"Time"]:
            break
        start = pos + 1
    config_text = raw[:pos].decode(_ENCODING, _ERRORS)
    sep_line = config_text.count("\n") + 2
    head_end = raw.find(b"\n", after)
    node_end = raw.find(b"\n", head_end + 1) if head_end >= 0 else -1
    if head_end < 0 or node_end < 0:
        raise _fail(path, sep_line + 2, "file ends inside the header rows")
    name_row = raw[after:head_end].decode(_ENCODING, _ERRORS)
    node_row = raw[head_end + 1 : node_end].decode(_ENCODING, _ERRORS)
    names = tuple(name_row.split()[1:])
    nodes, groups = _parse_node_row(node_row, path, sep_line + 3)
    if len(names) != len(nodes):
        raise _fail(path, sep_line + 3, f"{len(nodes)} node numbers for {len(names)} column names")
    time, data = _parse_data(raw[node_end + 1 :], groups, path, sep_line + 4)
    return NftsimOutput(config_text, names, nodes, time, data, groups)


def parse_output_text(text: str | bytes, path: str = "<string>") -> NftsimOutput:
    """Parse the content of an ``.output`` file (see :func:`read_output`).

    Parameters
    ----------
    text : str or bytes
        Whole file content.
    path : str, optional
        Name used in error messages.

    Returns
    -------
    NftsimOutput
    """
    raw = text if isinstance(text, bytes) else text.encode(_ENCODING, _ERRORS)
    return _parse_bytes(raw, path)


def read_output(path: str | os.PathLike[str]) -> NftsimOutput:
    """Read an NFTsim ``.output`` file.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    NftsimOutput
        Config echo, column names, node numbers, times and values.

    Raises
    ------
    ValueError
        If the file is malformed; the message starts with ``path:line:``.
    """
    return _parse_bytes(Path(path).read_bytes(), os.fspath(path))
