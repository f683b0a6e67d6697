"""``Allgatherv`` of the fields all-to-all couplings read at every node.

``Matrix`` and ``BCM-Spatial`` read a field at every node of the grid
(:meth:`~parnft.model.base.Component.gathers`). After each step every rank's
tile of such a field is gathered into one array of all nodes in global node
order, on every rank: one ``MPI_Allgatherv`` per field, rank ``r``'s tile at
displacement ``sum of earlier tiles' sizes`` (from
:meth:`~parnft.parallel.tiling.Tiling.tile_bounds`), then a precomputed
permutation into global order, unless the rank-tile order already is the
global one (one column of tiles). Buffers are built once.

The same plan is run from Python (:meth:`Allgather.__call__`, mpi4py) or
from the compiled step loop (:func:`parnft.parallel.native.gather` and
:func:`parnft.kernels.halo.permute`, on the arrays of :attr:`Allgather.ops`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

from ..errors import ParnftError
from .native import HANDLE_DTYPE

__all__ = ["Allgather", "GatherOp"]


@dataclass
class GatherOp:
    """One gathered field: ``local`` (this tile) into ``glob`` (every node, global order).

    ``recv`` receives the rank-ordered tiles; it is ``glob`` itself when
    ``perm`` is None, else ``glob[i] = recv[perm[i]]``.
    """

    local: np.ndarray
    glob: np.ndarray
    recv: np.ndarray
    perm: np.ndarray | None


class Allgather:
    """Refresh the every-node arrays of ``pairs = [(local, glob), ...]`` (collective).

    Parameters
    ----------
    tiling : Tiling
        The decomposition; the plan duplicates its communicator (collective),
        so :meth:`free` must be called on every rank too.
    pairs : list of (ndarray, ndarray)
        Flat float64 field of this tile and the flat array of every node.
    """

    def __init__(self, tiling, pairs: list):
        nx = tiling.glb_shape[1]
        bounds = tiling.tile_bounds()
        counts = tuple((y1 - y0) * (x1 - x0) for y0, y1, x0, x1 in bounds)
        displs = tuple(int(d) for d in np.cumsum((0,) + counts[:-1]))
        order = np.concatenate([(np.arange(y0, y1)[:, None] * nx + np.arange(x0, x1)).ravel()
                                for y0, y1, x0, x1 in bounds])
        perm = None if np.array_equal(order, np.arange(order.size)) else np.argsort(order)
        self.counts = np.array(counts, dtype=np.intc)
        self.displs = np.array(displs, dtype=np.intc)
        self.comm = tiling.comm.Dup()
        #: ``[MPI_DOUBLE handle, communicator handle]`` for compiled code.
        self.handles = np.array([MPI.DOUBLE.handle, self.comm.handle], dtype=HANDLE_DTYPE)
        #: ``[unused, unused, first MPI error code]`` written by compiled code.
        self.state = np.zeros(3, dtype=np.int64)
        #: ``[seconds]`` spent gathering in compiled code.
        self.times = np.zeros(1, dtype=np.float64)
        self.ops: list[GatherOp] = []
        for loc, glob in pairs:
            if (loc.dtype != np.float64 or glob.dtype != np.float64 or not loc.flags.c_contiguous
                    or loc.size != counts[tiling.rank] or glob.shape != (order.size,)):
                raise ParnftError("a gathered field must be a flat float64 array of this tile "
                                  "paired with one of every node")
            recv = glob if perm is None else np.empty(order.size)
            self.ops.append(GatherOp(loc, glob, recv, perm))
        self._mpi = [([op.local, MPI.DOUBLE], [op.recv, (counts, displs), MPI.DOUBLE], op)
                     for op in self.ops]

    def __call__(self) -> None:
        """Gather every field (mpi4py, from Python)."""
        for sbuf, rbuf, op in self._mpi:
            self.comm.Allgatherv(sbuf, rbuf)
            if op.perm is not None:
                np.take(op.recv, op.perm, out=op.glob)

    def free(self) -> None:
        """Release the duplicated communicator (collective). Idempotent."""
        if self.comm is not None:
            self.comm.Free()
            self.comm = None
