"""``periodic``: the torus (NFTsim's topology and parnft's default).

The axis is periodic in the Cartesian communicator, so the halo exchange
fills its ghost strips from the tile across the seam (or, where the process
grid has one tile along the axis, by wrapping the tile onto itself): there
is nothing for a fill kernel to do. A config without ``Boundary:`` is
periodic on both axes and runs bit for bit as before.
"""

from __future__ import annotations

from .base import BoundaryKind

KIND = BoundaryKind(
    name="periodic",
    summary="the torus: opposite edges are neighbours (default, NFTsim's only topology)",
    periodic=True,
)
