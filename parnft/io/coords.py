"""Physical coordinates of the grid: cell centres in metres, and NFTsim's node numbers.

Every output file (:mod:`parnft.io.hdf5`, :mod:`parnft.io.netcdf`),
:func:`parnft.open_dataset` and every picture places node ``(y, x)`` (0-based
row and column, node number ``y * longside + x + 1``) at the centre of its
cell, ``((x + 1/2) dx, (y + 1/2) dx)``: the sheet spans ``[0, longside dx]
x [0, shortside dx]`` metres, with square cells of side ``dx = Length /
longside`` (``Length`` of population 1, as NFTsim's Wave uses it; each trace
also keeps its own ``dx`` where populations differ). So xarray, ncview and
ParaView show the sheet at its true size and aspect ratio.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GridCoords", "axis_attrs", "grid_coords"]


@dataclass(frozen=True)
class GridCoords:
    """The grid's coordinates.

    Attributes
    ----------
    dx : float
        Cell side [m] (0 on a one-node model without a Length).
    x, y : numpy.ndarray
        Cell-centre positions [m], shapes ``(nx,)`` and ``(ny,)``.
    node : numpy.ndarray
        int64 ``(ny, nx)``: the 1-based NFTsim node number of each cell.
    """

    dx: float
    x: np.ndarray
    y: np.ndarray
    node: np.ndarray

    def of_nodes(self, nodes) -> tuple[np.ndarray, np.ndarray]:
        """Cell-centre ``(x, y)`` [m] of 1-based node numbers."""
        nodes = np.asarray(nodes, dtype=np.int64)
        nx = self.x.size
        return self.x[(nodes - 1) % nx], self.y[(nodes - 1) // nx]


def grid_coords(spec) -> GridCoords:
    """The :class:`GridCoords` of a :class:`~parnft.config.spec.ModelSpec`."""
    ny, nx = spec.grid.shape
    length = float(spec.populations[0].length) if spec.populations else 0.0
    dx = length / nx if nx and np.isfinite(length) else 0.0
    node = np.arange(1, ny * nx + 1, dtype=np.int64).reshape(ny, nx)
    return GridCoords(dx, (np.arange(nx) + 0.5) * dx, (np.arange(ny) + 0.5) * dx, node)


def axis_attrs(axis: str, dx: float) -> dict:
    """CF attributes of coordinate ``axis`` (``"x"`` or ``"y"``)."""
    what = {"x": "column: x = (node - 1) mod longside", "y": "row: y = (node - 1) div longside"}
    return {"units": "m", "axis": axis.upper(), "grid_spacing": float(dx),
            "long_name": f"{axis} position of the cell centre (node {what[axis]})"}
