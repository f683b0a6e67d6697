"""Ghost-frame (halo) exchange between neighbouring tiles, planned once.

Message layout
--------------
One exchange sends exactly one message to each neighbour direction ``d``
(``N, S, W, E`` and, with ``corners=True``, ``NW, NE, SW, SE``) that is another
rank, carrying the border strips of *all* fields together. The message is a
C-contiguous float64 array of shape ``(nfields, n_d)``: row ``k`` is field
``k``'s interior cells adjacent to side ``d``:

=========  =====================  ===================  =======
direction  sent strip (interior)  received into ghost  ``n_d``
=========  =====================  ===================  =======
N (y - 1)  ``f[1, 1:-1]``         ``f[0, 1:-1]``       ``lx``
S (y + 1)  ``f[-2, 1:-1]``        ``f[-1, 1:-1]``      ``lx``
W (x - 1)  ``f[1:-1, 1]``         ``f[1:-1, 0]``       ``ly``
E (x + 1)  ``f[1:-1, -2]``        ``f[1:-1, -1]``      ``ly``
NW         ``f[1, 1]``            ``f[0, 0]``          1
NE         ``f[1, -2]``           ``f[0, -1]``         1
SW         ``f[-2, 1]``           ``f[-1, 0]``         1
SE         ``f[-2, -2]``          ``f[-1, -1]``        1
=========  =====================  ===================  =======

Strips run in increasing x (N, S) or increasing y (W, E). A message sent
towards direction ``d`` has tag ``TAG_BASE + i`` with ``i`` its index in
``N, S, W, E, NW, NE, SW, SE``; the ghost on side
``d`` is filled from the neighbour on side ``d`` by the message that neighbour
sent towards the opposite direction, so it is received with the opposite
direction's tag. The tags therefore tell directions apart even when both
neighbours along an axis are the same rank (process grid extent 2).

Where the neighbour in a direction is this rank itself (process grid extent 1
along that axis, e.g. a 1-rank run), the ghost strip is filled by a local copy
of the tile's own opposite border (the periodic wrap of the tile onto itself)
and no message is sent. So a 1-rank exchange equals ``numpy.pad(interior, 1,
mode="wrap")``.

Where the neighbour is ``MPI.PROC_NULL`` (beyond a non-periodic edge of the
sheet, :class:`~parnft.parallel.tiling.Tiling`), nothing is sent, received
or wrapped: that ghost strip is left to the boundary fill
(:mod:`parnft.boundary`), which runs after the exchange on those tiles only.

Each plan duplicates the Cartesian communicator (so creating a plan is
collective), so several plans can be in flight at once without their
messages matching each other's. All buffers and persistent requests
(``Send_init``/``Recv_init``) are made at plan time; :meth:`HaloExchange.start`
packs and starts them, and :meth:`HaloExchange.wait` completes the receives and
unpacks: no allocation per step. The sends are completed only at the next
:meth:`~HaloExchange.start` (before their buffers are packed again) or at
:meth:`~HaloExchange.free`: a large message completes when the receiver has
taken it, so waiting for the sends in :meth:`~HaloExchange.wait` would make a
rank that is ahead wait for the slower one to reach its own wait (measured:
0.2 ms per step of an 8 ms step here).

The same plan serves the compiled step loop (:mod:`parnft.codegen`): the send
and receive buffers are each one flat float64 array (the message of side ``d``
is the slice ``[offset_d, offset_d + nfields * n_d)``, :attr:`HaloExchange.plan`
rows ``(side, offset_d, n_d)``), the raw request handles are one array
(:attr:`HaloExchange.handles`, receives first), and the progress of an exchange
is the small array :attr:`HaloExchange.state` (``[receives pending, sends
open, first MPI error]``), which Python and compiled code both read and write.
Packing and unpacking are the kernels of :mod:`parnft.kernels.halo`, from
Python or from the compiled loop alike.

Transport: where every rank of the communicator shares one node, the packed
messages go through a shared-memory window instead of MPI's message path
(:mod:`parnft.parallel.shm`: the sender writes into the receiver's slot and
raises a flag; :attr:`HaloExchange.shm`, no persistent requests then). The
flat buffers, the plan, packing and unpacking are the same, so the ghost
frames are bit for bit those of MPI messages. ``$PARNFT_HALO_TRANSPORT=mpi``
(or ``transport="mpi"``) keeps MPI messages.
"""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from ..kernels.halo import pack_field, unpack_field, wrap_field
from .native import REQUEST_DTYPE, STATUS_BYTES, error_string
from .shm import ShmHalo, choose_transport, shm_complete, shm_post
from .tiling import DIRECTIONS, Tiling

__all__ = ["HaloExchange"]

TAG_BASE = 7100
_ORDER = tuple(DIRECTIONS)  # N, S, W, E, NW, NE, SW, SE: side codes 0..7
_OPPOSITE = {d: e for d, (dy, dx) in DIRECTIONS.items() for e, off in DIRECTIONS.items()
             if off == (-dy, -dx)}  # fmt: skip
_LEVEL0 = np.zeros(1, dtype=np.int64)  # a 2-D field is level 0 of its (1, ly+2, lx+2) view


class HaloExchange:
    """Fill the one-cell ghost frames of several fields from the neighbouring tiles.

    Plan once, then call :meth:`exchange` (blocking) or :meth:`start` ... compute
    the interior ... :meth:`wait` (overlap) every step. The module docstring
    describes the message layout.

    Parameters
    ----------
    tiling : Tiling
        The decomposition; its Cartesian communicator carries the messages.
    nfields : int
        Number of fields exchanged together (>= 1).
    corners : bool, optional
        Also exchange with the 4 diagonal neighbours, so the ghost corners are
        filled too (needed by a 9-point stencil). Default False: the ghost
        corners are left untouched.
    transport : {"auto", "mpi", "shm"}, optional
        How messages travel (default ``$PARNFT_HALO_TRANSPORT``, else
        ``"auto"``): ``"auto"`` writes them through a shared-memory window when
        every rank of the communicator shares one node (:mod:`parnft.parallel.shm`)
        and takes MPI's persistent requests otherwise; the ghost frames are the
        same bits either way. Chosen collectively (:attr:`transport`).

    Notes
    -----
    Creating a plan is collective over ``tiling.comm`` (it duplicates it), and so
    is :meth:`free`. Fields are float64 arrays of shape ``(ly + 2, lx + 2)``; only their ghost
    frames are written. The border strips are packed, and the local wraps done,
    in :meth:`start`, so between :meth:`start` and :meth:`wait` the interior may
    be read (overlap mode: compute the interior while messages fly) but the
    ghost frames are only complete after :meth:`wait`.
    """

    def __init__(self, tiling: Tiling, nfields: int, corners: bool = False,
                 transport: str | None = None):
        nfields = int(nfields)
        if nfields < 1:
            raise ValueError(f"nfields must be >= 1, got {nfields}")
        self.tiling = tiling
        self.nfields = nfields
        self.corners = bool(corners)
        ly, lx = tiling.loc_shape
        self.shape = (ly + 2, lx + 2)
        # Own communicator: several plans may be in flight at once.
        self.comm = comm = tiling.comm.Dup()
        rank = tiling.rank
        names = _ORDER if self.corners else _ORDER[:4]
        length = {"N": lx, "S": lx, "W": ly, "E": ly, "NW": 1, "NE": 1, "SW": 1, "SE": 1}
        self._local: list[str] = []  # directions whose neighbour is this rank
        self._remote: list[str] = []
        rows, offset = [], 0
        for d in names:
            if tiling.neighbours[d] == MPI.PROC_NULL:
                continue  # beyond the sheet's edge: the boundary fill's ghosts
            if tiling.neighbours[d] == rank:
                self._local.append(d)
            else:
                self._remote.append(d)
                rows.append((_ORDER.index(d), offset, length[d]))
                offset += nfields * length[d]
        #: ``(side, offset, length)`` of each message (kernels.halo); int64 (nremote, 3).
        self.plan = np.array(rows, dtype=np.int64).reshape(len(rows), 3)
        #: Side codes wrapped onto this tile itself (no message).
        self.wraps = np.array([_ORDER.index(d) for d in self._local], dtype=np.int64)
        self.sendbuf = np.zeros(offset, dtype=np.float64)
        self.recvbuf = np.zeros(offset, dtype=np.float64)
        # per direction: the (nfields, n_d) message, a view of the flat buffers
        self._sendbuf: dict[str, np.ndarray] = {}
        self._recvbuf: dict[str, np.ndarray] = {}
        for (_side, off, n), d in zip(rows, self._remote, strict=True):
            part = slice(off, off + nfields * n)
            self._sendbuf[d] = self.sendbuf[part].reshape(nfields, n)
            self._recvbuf[d] = self.recvbuf[part].reshape(nfields, n)
        #: ``"shm"`` or ``"mpi"`` (the same on every rank).
        self.transport = choose_transport(comm, bool(rows), transport)
        #: The shared-memory window and tables (transport ``"shm"``), else None.
        self.shm = None
        if self.transport == "shm":
            self.shm = ShmHalo(comm, rows, [tiling.neighbours[d] for d in self._remote],
                               nfields, [_ORDER.index(_OPPOSITE[d]) for d in _ORDER])
        recv_reqs, send_reqs = [], []
        for (side, off, n), d in zip(rows, self._remote, strict=True):
            if self.shm is not None:
                break
            nb = tiling.neighbours[d]
            part = slice(off, off + nfields * n)
            # ghost side d <- neighbour on side d, which sent towards opposite(d)
            recv_reqs.append(comm.Recv_init([self.recvbuf[part], MPI.DOUBLE], nb,
                                            TAG_BASE + _ORDER.index(_OPPOSITE[d])))
            send_reqs.append(comm.Send_init([self.sendbuf[part], MPI.DOUBLE], nb,
                                            TAG_BASE + side))
        self._requests = recv_reqs + send_reqs  # receives posted first
        self._recv_reqs, self._send_reqs = recv_reqs, send_reqs
        #: Raw handles of the persistent requests, receives first (:attr:`nrecv` of them).
        self.handles = np.array([r.handle for r in self._requests], dtype=REQUEST_DTYPE)
        self.nrecv = len(recv_reqs)
        self.statuses = np.zeros(max(len(self._requests), 1) * STATUS_BYTES, dtype=np.uint8)
        #: ``[receives pending, sends open, first MPI error code, exchanges posted (shm)]``
        #: (Python and compiled code).
        self.state = np.zeros(4, dtype=np.int64)
        #: ``[seconds]`` spent in the exchange by compiled code.
        self.times = np.zeros(1, dtype=np.float64)
        self._fields: list[np.ndarray] | None = None

    def _check(self, fields) -> list[np.ndarray]:
        fields = list(fields)
        if len(fields) != self.nfields:
            raise ValueError(f"expected {self.nfields} fields, got {len(fields)}")
        for i, f in enumerate(fields):
            if not isinstance(f, np.ndarray) or f.shape != self.shape or f.dtype != np.float64:
                raise ValueError(
                    f"field {i}: expected a float64 array of shape {self.shape}, got "
                    f"{getattr(f, 'dtype', type(f))} {getattr(f, 'shape', '')}"
                )
        return fields

    def start(self, fields) -> None:
        """Pack the border strips, start all messages and do the local wraps.

        Parameters
        ----------
        fields : sequence of numpy.ndarray
            ``nfields`` ghosted float64 arrays of shape ``(ly + 2, lx + 2)``.

        Raises
        ------
        RuntimeError
            If the previous exchange was started and not waited for, or the plan
            was freed.
        ValueError
            If the fields do not match the plan.
        """
        if self._requests is None:
            raise RuntimeError("HaloExchange used after free()")
        if self.pending:
            raise RuntimeError("HaloExchange.start() called twice without wait()")
        fields = self._check(fields)
        self._complete_sends()  # their buffers are packed again below
        for k, f in enumerate(fields):
            pack_field(self.sendbuf, self.plan, k, f[np.newaxis], _LEVEL0)
        if self.shm is not None:
            self._shm_call(shm_post, self.sendbuf)
        elif self._requests:
            MPI.Prequest.Startall(self._requests)
        self.state[0] = 1
        if self.wraps.size:  # periodic wrap onto this tile itself
            for f in fields:
                wrap_field(f[np.newaxis], _LEVEL0, self.wraps)
        self._fields = fields

    def _complete_sends(self) -> None:
        if self.state[1]:
            MPI.Request.Waitall(self._send_reqs)
            self.state[1] = 0

    def wait(self, fields=None) -> None:
        """Complete the receives started by :meth:`start` and unpack the ghost frames.

        ``fields``: the fields to unpack into when the exchange was started by
        compiled code (default: those given to :meth:`start`). The sends
        complete at the next :meth:`start` or at :meth:`free`.
        """
        if not self.pending:
            raise RuntimeError("HaloExchange.wait() called without start()")
        fields = self._check(fields) if fields is not None else self._fields
        if fields is None:
            raise RuntimeError("HaloExchange.wait(): name the fields of an exchange started "
                               "by compiled code")
        if self.shm is not None:
            self._shm_call(shm_complete, self.recvbuf)
        elif self._recv_reqs:
            MPI.Request.Waitall(self._recv_reqs)
        self.state[0] = 0
        self.state[1] = int(bool(self._send_reqs))
        for k, f in enumerate(fields):
            unpack_field(self.recvbuf, self.plan, k, f[np.newaxis], _LEVEL0)
        self._fields = None

    def _shm_call(self, kernel, buf) -> None:
        sh = self.shm
        kernel(sh.words_i, sh.words_f, buf, sh.send_plan if kernel is shm_post else sh.recv_plan,
               sh.win_handle, self.state)
        if self.state[2]:
            raise RuntimeError(f"halo exchange (shared memory): {error_string(self.state[2])}")

    @property
    def pending(self) -> bool:
        """True between a start (from Python or compiled code) and its wait."""
        return bool(self.state[0])

    def exchange(self, fields) -> None:
        """Blocking exchange: :meth:`start` then :meth:`wait`."""
        self.start(fields)
        self.wait()

    def free(self) -> None:
        """Release the persistent requests, buffers and communicator (collective). Idempotent."""
        if self._requests is None:
            return
        if self.pending:  # never leave messages in flight
            if self.shm is not None:
                self._shm_call(shm_complete, self.recvbuf)
            else:
                MPI.Request.Waitall(self._requests)
            self.state[:2] = 0
            self._fields = None
        self._complete_sends()
        for req in self._requests:
            req.Free()
        self._requests = None
        if self.shm is not None:
            self.shm.free()
        self.handles = self.handles[:0]
        self.comm.Free()
        self.comm = None
        self._sendbuf.clear()
        self._recvbuf.clear()

    def __enter__(self) -> HaloExchange:
        return self

    def __exit__(self, *exc) -> None:
        self.free()
