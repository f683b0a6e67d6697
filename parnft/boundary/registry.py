"""The boundary registry: kind name -> :class:`~parnft.boundary.base.BoundaryKind`.

A new boundary kind is one module declaring ``KIND`` and one line in
:data:`_MODULES` below; nothing else names it (the reader, the checks, the
solver and the docs table all read :data:`KINDS`).
"""

from __future__ import annotations

from . import absorbing, dirichlet, neumann, periodic
from .base import BoundaryKind

#: The kind modules, each declaring ``KIND`` (one line per kind).
_MODULES = (periodic, absorbing, neumann, dirichlet)

#: Boundary kind name (as written in ``Boundary:``, lower case) -> its declaration.
KINDS: dict[str, BoundaryKind] = {}


def register(kind: BoundaryKind) -> BoundaryKind:
    """Add ``kind`` to :data:`KINDS` under its :attr:`~BoundaryKind.name`."""
    KINDS[kind.name] = kind
    return kind


for _mod in _MODULES:
    register(_mod.KIND)


def lookup(name: str) -> BoundaryKind:
    """The kind called ``name`` (case-insensitive); KeyError lists the known names."""
    try:
        return KINDS[name.lower()]
    except KeyError:
        raise KeyError(f"no boundary kind {name!r} (known: {', '.join(KINDS)})") from None
