"""The ``Boundary:`` key: its grammar, its parsed form and its problems.

Grammar (words after ``Boundary:`` in the grid section, kind names
case-insensitive)::

    Boundary: KIND [numbers]                    # both edge pairs
    Boundary: x KIND [numbers] y KIND [numbers] # per axis; either may be left out

``x`` names the W/E edges (along ``Longside nodes``), ``y`` the N/S edges;
an axis not named stays periodic. ``KIND`` is one of the registry's kinds
(:data:`parnft.boundary.registry.KINDS`), each followed by exactly its
parameters (``dirichlet 0.5``).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field

from .registry import KINDS

#: The axes in array order, and the sides (0 N, 1 S, 2 W, 3 E) each one bounds.
AXES = {"y": (0, 1), "x": (2, 3)}


@dataclass(frozen=True)
class Edge:
    """The boundary of one edge pair: a kind and its parameter values."""

    kind: str = "periodic"
    params: tuple = ()

    @property
    def periodic(self) -> bool:
        """True when the halo exchange fills this axis (the torus)."""
        return KINDS[self.kind].periodic

    @property
    def value(self) -> float:
        """The first parameter (the fill kernels' ``value``), 0 when there is none."""
        return float(self.params[0]) if self.params else 0.0

    def __str__(self) -> str:
        return " ".join([self.kind, *(f"{v:g}" for v in self.params)])


@dataclass(frozen=True)
class BoundarySpec:
    """Boundaries of the y (N/S) and x (W/E) edge pairs; both periodic by default."""

    y: Edge = field(default_factory=Edge)
    x: Edge = field(default_factory=Edge)

    @property
    def periods(self) -> tuple[bool, bool]:
        """``(y periodic, x periodic)``, the Cartesian communicator's ``periods``."""
        return (self.y.periodic, self.x.periodic)

    @property
    def torus(self) -> bool:
        """True when both axes are periodic (NFTsim's grid)."""
        return all(self.periods)

    def axis(self, name: str) -> Edge:
        """The :class:`Edge` of axis ``"y"`` or ``"x"``."""
        return {"y": self.y, "x": self.x}[name]

    def __str__(self) -> str:
        if self.y == self.x:
            return str(self.x)
        return f"x {self.x} y {self.y}"


@dataclass(frozen=True)
class Problem:
    """A fault in a ``Boundary:`` value: the word's line, the word, the rule and the fix."""

    line: int
    value: str
    rule: str
    fix: str


_FIX = ("write 'Boundary: KIND' or 'Boundary: x KIND y KIND' with KIND one of "
        + ", ".join(f"{k.name}{''.join(' ' + p for p, _ in k.params)}" for k in KINDS.values()))


def _kind(words, i: int, probs: list) -> tuple[Edge | None, int]:
    """The kind at ``words[i]`` and its parameters; the next index."""
    text, line = words[i]
    name = text.lower()
    if name not in KINDS:
        best = difflib.get_close_matches(name, list(KINDS), n=1, cutoff=0.5)
        hint = f"did you mean '{best[0]}'? " if best else ""
        probs.append(Problem(line, text, f"unknown boundary kind '{text}'", hint + _FIX))
        return None, i + 1
    kind = KINDS[name]
    values = []
    j = i + 1
    for pname, unit in kind.params:
        if j >= len(words) or words[j][0].lower() in ("x", "y"):
            probs.append(Problem(line, text, f"boundary '{name}' needs its {pname} [{unit}]",
                                 f"write '{name} {pname}', e.g. '{name} 0'"))
            return None, j
        try:
            v = float(words[j][0])
        except ValueError:
            v = math.nan
        if not math.isfinite(v):
            probs.append(Problem(words[j][1], words[j][0],
                                 f"the {pname} of boundary '{name}' is not a finite number",
                                 f"write a decimal number [{unit}], e.g. '{name} 0'"))
            return None, j + 1
        values.append(v)
        j += 1
    return Edge(name, tuple(values)), j


def parse_boundary(words) -> tuple[BoundarySpec, list[Problem]]:
    """Parse the words of a ``Boundary:`` value.

    Parameters
    ----------
    words : sequence of (str, int)
        The words after the key and their 1-based lines.

    Returns
    -------
    (BoundarySpec, list of Problem)
        The boundaries (periodic where a word could not be read) and every fault.
    """
    words = list(words)
    probs: list[Problem] = []
    if not words:
        return BoundarySpec(), [Problem(0, "", "'Boundary' has no value", _FIX)]
    if words[0][0].lower() not in AXES:
        edge, j = _kind(words, 0, probs)
        if edge is not None and j < len(words):
            probs.append(Problem(words[j][1], " ".join(w for w, _ in words[j:]),
                                 "words after the boundary kind", _FIX))
        edge = edge or Edge()
        return BoundarySpec(y=edge, x=edge), probs
    axes: dict[str, Edge] = {}
    i = 0
    while i < len(words):
        text, line = words[i]
        ax = text.lower()
        if ax not in AXES:
            probs.append(Problem(line, text, f"'{text}' is neither an axis (x, y) nor in "
                                 "place of a boundary kind", _FIX))
            i += 1
            continue
        if ax in axes:
            probs.append(Problem(line, text, f"axis '{ax}' is given twice", _FIX))
        if i + 1 >= len(words) or words[i + 1][0].lower() in AXES:
            probs.append(Problem(line, text, f"axis '{ax}' has no boundary kind", _FIX))
            i += 1
            continue
        edge, i = _kind(words, i + 1, probs)
        axes[ax] = edge or Edge()
    return BoundarySpec(y=axes.get("y", Edge()), x=axes.get("x", Edge())), probs
