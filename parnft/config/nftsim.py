"""Reader of NFTsim's ``.conf`` format: tokenizer and public entry points.

Reading happens in three passes, each a pure function of the text:

1. :func:`tokenize` splits off the free header (everything before the first
   ``Time:`` followed by a number), splits the rest into whitespace-separated
   words, each with its 1-based line number, and cuts every word after each
   colon (``nu:-0.0096`` -> ``nu:`` ``-0.0096``; ``10:Wave`` -> ``10:`` ``Wave``).
2. :func:`items` turns words ending in ``:`` into :class:`Key` objects, merging
   ``Population 3:``-style indexed keys and two-word keys (``Longside nodes:``,
   ``Burst Frequency:``); the other words stay :class:`Word` objects.
3. :mod:`parnft.config.blocks` interprets the keys into a tree of blocks, and
   :mod:`parnft.config.build` turns the tree into a
   :class:`~parnft.config.spec.ModelSpec`.

Every problem found is collected (never raised one at a time), so that a user
sees everything wrong with a file at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from parnft.config import keys as K
from parnft.errors import ConfigError, Problem

_NUMBER = re.compile(r"^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_WORD = re.compile(r"\S+")
_PIECE = re.compile(r"[^:]*:|[^:]+")
#: Words that end the header when ``Time: <number>`` is missing altogether.
_FALLBACK_STARTS = ("Time:", "Deltat:", "Nodes:")
#: Largest file read [bytes]; a bigger one (or an endless one, ``/dev/zero``) is refused.
MAX_BYTES = 64 * 2**20
#: Characters a ``.conf`` file must not hold anywhere (header included): the C0 and
#: C1 controls other than tab, line feed and carriage return (NUL, form feed,
#: vertical tab, the ``\x1c``-``\x1f`` separators that Python counts as line
#: breaks, DEL) and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
#: At most this many lines with control characters are listed one by one.
_MAX_CONTROL_LINES = 10


def number(text: str) -> float | None:
    """Parse a decimal number as written in a ``.conf`` file.

    Parameters
    ----------
    text : str
        One word.

    Returns
    -------
    float or None
        The value, or None if ``text`` is not a plain finite decimal number
        (``nan``, ``inf``, ``1_0`` and ``1e400`` are not numbers here).
    """
    if _NUMBER.match(text):
        v = float(text)
        return v if math.isfinite(v) else None  # 1e400 overflows
    return None


@dataclass(frozen=True)
class Word:
    """A word that is not a key, with its 1-based line number."""

    text: str
    line: int


@dataclass(frozen=True)
class Key:
    """A key (a word ending in ``:``), possibly indexed or made of two words."""

    name: str
    index: int | None
    line: int

    @property
    def label(self) -> str:
        """The key as written, without the colon (``"Population 3"``)."""
        return self.name if self.index is None else f"{self.name} {self.index}"


class Reporter:
    """Collects :class:`~parnft.errors.Problem` objects for one file.

    Parameters
    ----------
    path : str
        File name used in every problem.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        #: Per-node maps parsed (:mod:`parnft.config.maps`), resolved after the build.
        self.maps: list = []

    def _problem(self, line: int, key: str, value: str, rule: str, fix: str) -> Problem:
        value = " ".join(str(value).split())
        if len(value) > 60:
            value = value[:57] + "..."
        return Problem(self.path, int(line), key, value, rule, fix)

    def add(self, line: int, key: str, value: str, rule: str, fix: str) -> None:
        """Record one problem (the value is shortened to one short line)."""
        self.problems.append(self._problem(line, key, value, rule, fix))

    def warn(self, line: int, key: str, value: str, rule: str, fix: str) -> None:
        """Record a warning: something legal but probably not meant (printed, not raised)."""
        self.warnings.append(self._problem(line, key, value, rule, fix))


def tokenize(text: str) -> tuple[str, list[Word], int]:
    """Split ``text`` into the free header and the words of the body.

    Parameters
    ----------
    text : str
        The whole ``.conf`` file.

    Returns
    -------
    header : str
        Free text before the first ``Time:`` that is followed by a number
        (colons and the word ``Output`` are allowed there).
    words : list of Word
        The body's words, cut after every colon, with line numbers.
    last_line : int
        Number of the file's last line (used for "missing" problems).
    """
    raw: list[tuple[str, int, int]] = []  # (word, line, char offset)
    offset = 0
    lines = text.splitlines(keepends=True)
    for lineno, line in enumerate(lines, start=1):
        for m in _WORD.finditer(line):
            raw.append((m.group(), lineno, offset + m.start()))
        offset += len(line)
    start = _header_end(raw)
    header = text[: raw[start][2]].rstrip() if start < len(raw) else text.rstrip()
    words = [
        Word(piece, lineno)
        for w, lineno, _ in raw[start:]
        for piece in _PIECE.findall(w)
    ]
    return header, words, max(len(lines), 1)


def _header_end(raw: list[tuple[str, int, int]]) -> int:
    """Index of the first body word (see :func:`tokenize`)."""
    for i, (w, _, _) in enumerate(raw):
        if w == "Time:" and i + 1 < len(raw) and number(raw[i + 1][0].split(":")[0]) is not None:
            return i
        if w.startswith("Time:") and number(w[5:].split(":")[0]) is not None:
            return i
    for i, (w, _, _) in enumerate(raw):
        if w.startswith(_FALLBACK_STARTS):
            return i
    return len(raw)


def items(words: list[Word]) -> list[tuple[Key, list[Word]]]:
    """Group body words into keys, each with the words that follow it.

    Parameters
    ----------
    words : list of Word
        Output of :func:`tokenize`.

    Returns
    -------
    list of (Key, list of Word)
        In file order. Words before the first key are dropped (there are
        none when the header split found ``Time:``).
    """
    seq: list[Word | Key] = []
    for w in words:
        if not w.text.endswith(":"):
            seq.append(w)
            continue
        stem = w.text[:-1]
        prev = seq[-1] if seq and isinstance(seq[-1], Word) else None
        if prev is not None and prev.text in K.INDEXED and stem.isascii() and stem.isdigit():
            seq[-1] = Key(prev.text, int(stem), prev.line)
        elif prev is not None and f"{prev.text} {stem}" in K.MULTIWORD:
            seq[-1] = Key(f"{prev.text} {stem}", None, prev.line)
        else:
            seq.append(Key(stem, None, w.line))
    out: list[tuple[Key, list[Word]]] = []
    for x in seq:
        if isinstance(x, Key):
            out.append((x, []))
        elif out:
            out[-1][1].append(x)
    return out


def control_characters(text: str, rep: Reporter) -> bool:
    """Report every line holding a control character (see ``_CONTROL``); True if any.

    NFTsim's reader stops at a NUL byte and C++ streams treat form feed and
    vertical tab as spaces, while Python counts ``\\x0c``, ``\\x1c``.. as line
    breaks, so line numbers would disagree: such a file is refused outright.
    """
    found = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        m = _CONTROL.search(line)
        if m is None:
            continue
        found += 1
        if found <= _MAX_CONTROL_LINES:
            col = m.start() + 1
            rep.add(lineno, "file", "", f"control character U+{ord(m.group()):04X} at column "
                    f"{col} (a .conf file is plain text)", "delete it (an editor's 'show "
                    "invisibles' mode shows it); a binary file is not a model")
    if found > _MAX_CONTROL_LINES:
        rep.add(lineno, "file", "", f"{found - _MAX_CONTROL_LINES} more lines hold control "
                "characters", "is this a text file?")
    return found > 0


def read_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """At most ``limit`` (default :data:`MAX_BYTES`) bytes of ``path``.

    A ConfigError when it has more, or cannot be read.
    """
    limit = MAX_BYTES if limit is None else limit
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        why = exc.strerror or str(exc)
        raise ConfigError(
            [Problem(str(path), 0, "file", "", f"cannot read the file ({why})",
                     "check the path and permissions")]
        ) from exc
    if len(data) > limit:
        raise ConfigError([Problem(str(path), 0, "file", "", f"the file is larger than "
                                   f"{limit / 2**20:.3g} MiB (or endless, like /dev/zero)",
                                   "give a .conf model file")])
    return data
