"""Parameter sweeps: set a value in a ``.conf`` text by key path, and sweep tables.

A *key path* names one value of a model file by the blocks that lead to it,
joined by dots: ``Time``, ``Propagator.1.gamma``, ``Coupling.2.nu``,
``Population.1.Firing.Sigma``, ``Population.1.Dendrite.2.alpha``,
``Population.2.Stimulus.Amplitude``. Indexed blocks take their number
(``Population.1``); blocks may be left out where the key is still unique
(``Population.1.Sigma`` finds the ``Sigma`` of population 1's firing). A path
that matches no key, or more than one, is a :class:`~parnft.errors.ConfigError`
listing what the file has.

:func:`set_values` edits the text in place (only the value words change, so
comments, layout and every other line stay as written); :func:`sweep_table`
expands ``--sweep KEY=v1,v2`` options (the Cartesian product) and
:func:`read_table` reads a parameter list file. A table row is one array task.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path

from parnft.config import keys as K
from parnft.config.nftsim import number, tokenize
from parnft.errors import ConfigError

#: Keys whose value is a list of numbers (every number word is replaced).
LIST_KEYS = frozenset({"Tau", "nu", "timepoints", "Node", "From", "To"})
#: Openers of blocks inside a population.
_POP_OPENERS = ("Firing", "Stimulus", "Dendrite")


@dataclass(frozen=True)
class ValueKey:
    """One value key of a ``.conf`` body with the text span of its value.

    Attributes
    ----------
    path : tuple of str
        Blocks leading to the key and the key itself, e.g.
        ``("Population.1", "Firing", "Sigma")``.
    line : int
        1-based line of the key.
    span : (int, int)
        Character range of the value words replaced by :func:`set_values`
        (empty at the end of the key when the key has no value).
    """

    path: tuple[str, ...]
    line: int
    span: tuple[int, int]

    @property
    def dotted(self) -> str:
        """The full key path, dot-joined (``"Population.1.Firing.Sigma"``)."""
        return ".".join(self.path)


def _pieces(text: str):
    """Body words cut after every colon, as ``(piece, start, end, line)``."""
    header, _, _ = tokenize(text)
    body_start = len(header)
    line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    out = []
    for m in re.finditer(r"\S+", text):
        if m.end() <= body_start:
            continue
        line = _line_of(line_starts, m.start())
        for p in re.finditer(r"[^:]*:|[^:]+", m.group()):
            out.append((p.group(), m.start() + p.start(), m.start() + p.end(), line))
    return out


def _line_of(starts: list[int], pos: int) -> int:
    """1-based line number of character ``pos`` (``starts`` are line offsets)."""
    lo, hi = 0, len(starts) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if starts[mid] <= pos:
            lo = mid
        else:
            hi = mid - 1
    return lo + 1


def value_keys(text: str) -> list[ValueKey]:
    """Every value key of a ``.conf`` text with its block path and value span.

    Parameters
    ----------
    text : str
        The whole model file.

    Returns
    -------
    list of ValueKey
        In file order. Block openers that carry a value (``Firing:``,
        ``Function:``, ``Stimulus:``, kinds) are not listed; their inner keys are.
    """
    pcs = _pieces(text)
    # (name, first piece of the key, first piece of its value, line, end of the key)
    keys: list[tuple[str, int, int, int, int]] = []
    for i, (word, _, end, line) in enumerate(pcs):
        if not word.endswith(":"):
            continue
        stem, prev = word[:-1], (pcs[i - 1][0] if i else "")
        if i and stem.isdigit() and prev in K.INDEXED:
            keys.append((f"{prev}.{stem}", i - 1, i + 1, line, end))
        elif i and f"{prev} {stem}" in K.MULTIWORD:
            keys.append((f"{prev} {stem}", i - 1, i + 1, line, end))
        else:
            keys.append((stem, i, i + 1, line, end))
    out: list[ValueKey] = []
    top: str | None = None
    sub: str | None = None
    parts = 0
    for n, (name, _, first, line, key_end) in enumerate(keys):
        base = name.split(".")[0]
        if name in ("Connection matrix", "Output") or (
                "." in name and base in ("Population", "Propagator", "Coupling")):
            top, sub = name, None
            continue
        if top and top.startswith("Population.") and base in _POP_OPENERS:
            if name == "Stimulus" and sub and sub.startswith(("Superimpose", "Stimulus.")):
                parts += 1  # a part of a Superimpose stimulus: Stimulus.1, Stimulus.2, ...
                sub = f"Stimulus.{parts}"
            else:
                sub, parts = name, 0
            continue
        if name == "Superimpose" and sub == "Stimulus":
            sub = "Superimpose"
            continue
        stop = keys[n + 1][1] if n + 1 < len(keys) else len(pcs)
        vals = list(range(first, stop))
        if base in LIST_KEYS:
            take = list(itertools.takewhile(lambda j: number(pcs[j][0]) is not None, vals))
            take = take or vals[:1]
        else:
            take = vals[:1]
        span = (pcs[take[0]][1], pcs[take[-1]][2]) if take else (key_end, key_end)
        path = tuple(p for p in (top, sub) if p) + (name,)
        out.append(ValueKey(path, line, span))
    return out


def _split_path(path: str) -> tuple[str, ...]:
    """``"Population.1.Firing.Sigma"`` -> ``("Population.1", "Firing", "Sigma")``."""
    parts = [p.strip() for p in path.split(".")]
    out: list[str] = []
    for p in parts:
        if p.isdigit() and out and (out[-1] in K.INDEXED or out[-1] == "Stimulus"):
            out[-1] = f"{out[-1]}.{p}"
        else:
            out.append(p)
    return tuple(out)


def _matches(want: tuple[str, ...], have: tuple[str, ...]) -> bool:
    """True if ``want`` ends with ``have``'s key and its blocks are a subsequence."""
    if not want or want[-1] != have[-1]:
        return False
    it = iter(have[:-1])
    return all(any(_same_block(w, h) for h in it) for w in want[:-1])


def _same_block(want: str, have: str) -> bool:
    """``Population.1`` matches itself; a bare ``Population`` matches any population."""
    return want == have or ("." not in want and have.split(".")[0] == want)


def find_key(text: str, path: str, where: str = "<config>") -> ValueKey:
    """The one value key a key path names.

    Parameters
    ----------
    text : str
        The model file.
    path : str
        Key path, e.g. ``"Propagator.1.gamma"``.
    where : str
        File name for messages.

    Returns
    -------
    ValueKey

    Raises
    ------
    ConfigError
        If no key, or more than one, matches.
    """
    want = _split_path(path)
    found = [k for k in value_keys(text) if _matches(want, k.path)]
    if len(found) == 1:
        return found[0]
    if not found:
        same = sorted({k.dotted for k in value_keys(text) if k.path[-1] == want[-1]})
        hint = (f"keys named {want[-1]!r} there: {', '.join(same)}" if same else
                f"the file has no key {want[-1]!r} (write it into the base config first "
                "if it takes a default); key paths look like Time, Propagator.1.gamma, "
                "Coupling.2.nu, Population.1.Firing.Sigma")
        raise ConfigError(f"sweep key {path!r} matches no key of {where}; {hint}")
    raise ConfigError(
        f"sweep key {path!r} is ambiguous in {where}: it matches "
        + ", ".join(f"{k.dotted} (line {k.line})" for k in found)
        + "; give the full path")


def set_values(text: str, values: dict[str, str], where: str = "<config>") -> str:
    """Return ``text`` with the values named by key paths replaced.

    Parameters
    ----------
    text : str
        The model file.
    values : dict of str to str
        Key path -> new value as written in a ``.conf`` file (a list key such
        as ``Tau`` or ``nu`` takes space-separated numbers).
    where : str
        File name for messages.

    Returns
    -------
    str
        The edited text; everything but the replaced value words is unchanged.

    Raises
    ------
    ConfigError
        If a path matches no key or several, or a value is empty.
    """
    edits = []
    for path, value in values.items():
        value = " ".join(str(value).split())
        if not value:
            raise ConfigError(f"sweep key {path!r}: empty value; give a number")
        k = find_key(text, path, where)
        edits.append((k.span, value if k.span[0] != k.span[1] else " " + value))
    for (a, b), value in sorted(edits, reverse=True):
        text = text[:a] + value + text[b:]
    return text


def parse_sweep(option: str, flag: str = "--sweep") -> tuple[str, list[str]]:
    """Parse one ``--sweep KEY=v1,v2,...`` option into the key and its values.

    ``flag`` names the option in messages (``parnft sweep`` calls it ``--set``).

    Raises
    ------
    ConfigError
        If the option has no ``=`` or no values.
    """
    key, eq, vals = option.partition("=")
    values = [v.strip() for v in vals.split(",")]
    if not eq or not key.strip() or not all(values):
        raise ConfigError(f"{flag} {option!r}: expected KEY=v1,v2,... such as "
                          "Propagator.1.gamma=100,116,130 (no empty values)")
    return key.strip(), values


def sweep_table(options: list[str], flag: str = "--sweep") -> tuple[list[str], list[list[str]]]:
    """The table of ``--sweep`` options: every combination of their values.

    Parameters
    ----------
    options : list of str
        ``KEY=v1,v2,...`` strings; with several, the Cartesian product is
        taken, the last key varying fastest.
    flag : str
        The option's name in messages.

    Returns
    -------
    keys : list of str
    rows : list of list of str
        One row (one array task) per combination.
    """
    parsed = [parse_sweep(o, flag) for o in options]
    keys = [k for k, _ in parsed]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"{flag}: a key is given twice ({', '.join(keys)}); give each "
                          "key once with all its values")
    rows = [list(r) for r in itertools.product(*(v for _, v in parsed))]
    return keys, rows


def read_table(source: str | Path, text: str | None = None) -> tuple[list[str], list[list[str]]]:
    """Read a parameter list: a header line of key paths, then one row per task.

    Fields are separated by tabs when a line has a tab (so a list value may
    contain spaces), else by commas when it has a comma (a ``.csv`` file),
    else by whitespace. Blank lines and lines starting with
    ``#`` are skipped.

    Parameters
    ----------
    source : str or Path
        File name (read unless ``text`` is given; used in messages).
    text : str, optional
        The table's text.

    Returns
    -------
    keys : list of str
    rows : list of list of str

    Raises
    ------
    ConfigError
        If the file cannot be read, has no header or rows, or a row has the
        wrong number of fields.
    """
    if text is None:
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"parameter list {source}: cannot read it ({exc.strerror}); "
                              "check the path") from exc
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), 1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    split = [(n, [f.strip() for f in _fields(ln)]) for n, ln in lines]
    if len(split) < 2:
        raise ConfigError(f"parameter list {source}: needs a header line of key paths "
                          "(e.g. Propagator.1.gamma Coupling.2.nu) and at least one row")
    keys = split[0][1]
    rows = []
    for n, fields in split[1:]:
        if len(fields) != len(keys) or not all(fields):
            raise ConfigError(f"parameter list {source}:{n}: {len(fields)} values for "
                              f"{len(keys)} keys ({' '.join(keys)}); give one value per key")
        rows.append(fields)
    return keys, rows


def _fields(line: str) -> list[str]:
    """A table line's fields: tab-, else comma-, else whitespace-separated."""
    if "\t" in line:
        return line.split("\t")
    if "," in line:
        return line.split(",")
    return line.split()


def format_table(keys: list[str], rows: list[list[str]]) -> str:
    """The table as tab-separated text that :func:`read_table` reads back."""
    return "\n".join("\t".join(r) for r in [keys, *rows]) + "\n"
