"""Physical boundaries of the grid: one module per kind, one registry line each.

A boundary is set per edge pair (the y edges N/S, the x edges W/E) by the
parnft-only ``Boundary:`` key of the grid section (``docs/boundaries.md``).
A periodic axis is wrapped by the halo exchange (the Cartesian communicator
is periodic along it); along any other axis the neighbours beyond the sheet
are ``MPI.PROC_NULL``, the exchange leaves those ghost strips alone, and the
kind's fill kernel writes them on the tiles at the global edge *after* the
exchange: the same kernel at 1 and N ranks, so results do not depend on the
rank count (:mod:`parnft.boundary.calls` builds the calls).

Kinds (:data:`KINDS`): ``periodic`` (the torus, NFTsim's only topology and
the default), ``absorbing`` (first-order Engquist-Majda, Mur's
discretisation), ``neumann`` (zero flux, mirror) and ``dirichlet`` (a fixed
value at the sheet's edge).
"""

from __future__ import annotations

from .base import BoundaryKind
from .registry import KINDS, lookup, register
from .spec import AXES, BoundarySpec, Edge, parse_boundary

__all__ = ["AXES", "KINDS", "BoundaryKind", "BoundarySpec", "Edge", "lookup",
           "parse_boundary", "register"]
