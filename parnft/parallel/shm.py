"""Halo messages through MPI-3 shared memory, for tiles whose ranks share a node.

When every rank of a tiling's communicator runs on one shared-memory node
(``MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)`` keeps them all), a halo
message need not go through the MPI library's message path (matching,
fragments, FIFOs, acknowledgements: about 1.0-1.6 us per step for
eirs-default's four fields on 2 ranks here). Instead each rank owns a segment
of one shared window (``MPI_Win_allocate_shared``) with a slot per ghost side
it receives, and a neighbour *writes its border strips straight into that
slot*, then raises the slot's flag; the receiver waits for the flag and reads
(0.2 us per step in the same measurement; ``docs/performance.md``).

Protocol (one plan, counted exchanges ``c = 1, 2, ...``, every rank in step)
-----------------------------------------------------------------------------
post(c)
    for each message: copy the packed strip into the receiver's slot of
    parity ``c % 2``; ``MPI_Win_sync`` (the data is visible before the flag);
    store ``c`` in the receiver's flag of that ghost side.
complete(c)
    for each ghost side: ``MPI_Win_sync`` until its flag is >= ``c`` (after
    :data:`SPINS` polls every poll also calls ``sched_yield``, as Open MPI's
    progress loop does when ranks outnumber cores);
    ``MPI_Win_sync`` again (the flag is read before the data); copy the slot of
    parity ``c % 2`` into the receive buffer (unpacked as for MPI messages).

Two slots per side suffice, and no acknowledgement is needed, because halo
neighbours are symmetric (a rank receives from every rank it sends to) and
each rank alternates post and complete: rank A writes slot ``c % 2`` of rank B
again at post(c + 2), after its complete(c + 1) saw B's flag ``c + 1``, which
B raised in post(c + 1), after its complete(c) had read that slot. Each flag
sits on its own 64-byte line (no false sharing between the two neighbours
that write a rank's flags). ``MPI_Win_sync`` inside a passive-target epoch
(``MPI_Win_lock_all``, opened at plan time) is the MPI standard's way to
order loads and stores of shared windows; it is also what stops the compiler
from keeping a flag in a register while it waits.

Layout of a rank's segment, in 8-byte words: 64 flag words (side code
``s`` = N, S, W, E, NW, NE, SW, SE = 0..7 at word ``8 s``), then for each
ghost side received, in the plan's order, two slots of ``nfields * n_d``
words. Segments are contiguous in rank order (the default of
``MPI_Win_allocate_shared``; checked from ``MPI_Win_shared_query``), so one
numpy view of the whole window addresses every segment by word index.

The choice of transport is collective (``MPI_Allreduce``); see
:func:`choose_transport`.
"""

from __future__ import annotations

import ctypes
import os

import numpy as np
from mpi4py import MPI
from numba import njit

from ..errors import ParnftError
from . import native

__all__ = ["TRANSPORTS", "ShmHalo", "choose_transport", "one_node", "shm_complete",
           "shm_post"]

#: Values of ``transport`` / ``$PARNFT_HALO_TRANSPORT``.
TRANSPORTS = ("auto", "mpi", "shm")
FLAG_WORDS = 64  # 8 side codes x one 64-byte line each
#: Polls of a flag before each further poll also yields the core (``sched_yield``):
#: a few microseconds of pure spinning, then a rank that waits lets a rank on the
#: same core run (more ranks than cores would otherwise wait a time slice per step).
SPINS = 200
_WORD = 8


def _wanted(transport: str | None) -> str:
    t = transport if transport is not None else os.environ.get("PARNFT_HALO_TRANSPORT", "auto")
    t = str(t).strip().lower() or "auto"
    if t not in TRANSPORTS:
        raise ParnftError(f"PARNFT_HALO_TRANSPORT / transport = {t!r}: unknown halo transport; "
                          f"fix: use one of {', '.join(TRANSPORTS)}")
    return t


def one_node(comm: MPI.Comm) -> bool:
    """True when every rank of ``comm`` shares this rank's shared-memory node (collective)."""
    node = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return node.Get_size() == comm.Get_size()
    finally:
        node.Free()


def choose_transport(comm: MPI.Comm, remote: bool, transport: str | None = None) -> str:
    """``"shm"`` or ``"mpi"``, the same on every rank of ``comm`` (collective).

    ``transport`` (default ``$PARNFT_HALO_TRANSPORT``, else ``"auto"``):
    ``"mpi"`` always takes MPI messages; ``"auto"`` takes shared memory when
    every rank of ``comm`` shares one node, some rank has a message to send
    (``remote``), MPI can be called from compiled code
    (:func:`parnft.parallel.native.load`) and window handles have the size of
    the other handles; ``"shm"`` insists, and raises on every rank when that
    is impossible.

    Raises
    ------
    ParnftError
        For an unknown transport name, or ``"shm"`` where shared memory cannot be used.
    """
    want = _wanted(transport)
    reason = ""
    if want == "mpi":
        reason = "transport mpi asked for"
    elif MPI._sizeof(MPI.Win) != MPI._sizeof(MPI.Comm):
        reason = "MPI_Win handles differ in size from the others"
    else:
        try:
            native.load()
        except native.NativeMPIError as exc:
            reason = str(exc)
    on_node = one_node(comm)
    if not reason and not on_node:
        reason = "the ranks span more than one shared-memory node"
    flags = np.array([int(not reason), -int(remote), -int(want == "shm")], dtype=np.int64)
    comm.Allreduce(MPI.IN_PLACE, flags, op=MPI.MIN)  # all ok, any remote, any insists
    ok, any_remote, insist = int(flags[0]), -int(flags[1]), -int(flags[2])
    if insist and not ok:
        why = reason or "not on every rank"
        raise ParnftError("halo transport shm asked for (PARNFT_HALO_TRANSPORT=shm) but shared "
                          f"memory cannot be used: {why}; fix: unset PARNFT_HALO_TRANSPORT or "
                          "set it to auto or mpi")
    return "shm" if ok and any_remote else "mpi"


class ShmHalo:
    """The shared-memory window and message tables of one :class:`~.halo.HaloExchange`.

    Parameters
    ----------
    comm : MPI.Comm
        The plan's communicator (all ranks on one node; collective).
    rows : list of (side, offset, n)
        The plan's messages (ghost side code, offset in the flat buffers, strip length).
    dests : list of int
        Rank of the neighbour on each row's side.
    nfields : int
        Fields per message.
    opposite : sequence of int
        ``opposite[s]``: the side code facing side ``s``.
    """

    def __init__(self, comm: MPI.Comm, rows, dests, nfields: int, opposite):
        local = np.full(8, -1, dtype=np.int64)  # word offset of side s's parity-0 slot
        words = FLAG_WORDS
        for side, _off, n in rows:
            local[side] = words
            words += 2 * nfields * n
        words = -(-words // 8) * 8  # whole 64-byte lines
        self.win = MPI.Win.Allocate_shared(words * _WORD, _WORD, comm=comm)
        size = comm.Get_size()
        addrs = [self.win.Shared_query(r)[0].address for r in range(size)]
        base = addrs[0]
        total = max(a + len(self.win.Shared_query(r)[0]) for r, a in enumerate(addrs)) - base
        if any((a - base) % _WORD or a < base for a in addrs):
            self.win.Free()
            raise ParnftError("shared window segments are not contiguous 8-byte words")
        first = [(a - base) // _WORD for a in addrs]
        block = (ctypes.c_char * total).from_address(base)
        #: The whole window as int64 (flags) and float64 (data) words.
        self.words_i = np.frombuffer(block, dtype=np.int64, count=total // _WORD)
        self.words_f = self.words_i.view(np.float64)
        me = comm.Get_rank()
        self.words_i[first[me]:first[me] + words] = 0
        layouts = np.array(comm.allgather(local), dtype=np.int64)  # (size, 8)
        send, recv = [], []
        for (side, off, n), dest in zip(rows, dests, strict=True):
            m = nfields * n
            there = int(opposite[side])  # dest's ghost side filled by this message
            if layouts[dest, there] < 0:
                raise ParnftError(f"halo plan mismatch: rank {dest} receives no side {there}")
            send.append((off, m, first[dest] + layouts[dest, there], first[dest] + 8 * there))
            recv.append((off, m, first[me] + local[side], first[me] + 8 * side))
        #: ``(offset in sendbuf, words, receiver's slot word, receiver's flag word)`` rows.
        self.send_plan = np.array(send, dtype=np.int64).reshape(len(send), 4)
        #: ``(offset in recvbuf, words, own slot word, own flag word)`` rows.
        self.recv_plan = np.array(recv, dtype=np.int64).reshape(len(recv), 4)
        #: ``[MPI_Win handle]`` for ``MPI_Win_sync`` from compiled code.
        self.win_handle = np.array([self.win.handle], dtype=native.HANDLE_DTYPE)
        self.win.Lock_all(MPI.MODE_NOCHECK)
        comm.Barrier()  # every segment zeroed before any neighbour posts

    def free(self) -> None:
        """Close the epoch and free the window (collective)."""
        if self.win is None:
            return
        self.win.Unlock_all()
        self.words_i = self.words_f = None
        self.win.Free()
        self.win = None


@njit(cache=True)
def shm_post(words_i, words_f, sendbuf, send_plan, win, state):
    """Write exchange ``state[3] + 1``'s packed strips into the receivers' slots, raise flags.

    ``state = [receives pending, (unused), first error, exchanges posted]``.
    """
    c = state[3] + 1
    state[3] = c
    par = c & 1
    for k in range(send_plan.shape[0]):
        off, m = send_plan[k, 0], send_plan[k, 1]
        dst = send_plan[k, 2] + par * m
        for i in range(m):
            words_f[dst + i] = sendbuf[off + i]
    err = native.win_sync(win[0])
    if err != 0 and state[2] == 0:
        state[2] = err
    for k in range(send_plan.shape[0]):
        words_i[send_plan[k, 3]] = c
    state[0] = 1


@njit(cache=True)
def shm_complete(words_i, words_f, recvbuf, recv_plan, win, state):
    """Wait for the flags of exchange ``state[3]`` and copy its slots to ``recvbuf``.

    Returns True when an exchange was pending (then unpack), as
    :func:`parnft.parallel.native.halo_complete`.
    """
    if state[0] == 0:
        return False
    c = state[3]
    par = c & 1
    for k in range(recv_plan.shape[0]):
        flag = recv_plan[k, 3]
        spins = 0
        while words_i[flag] < c:
            err = native.win_sync(win[0])
            if err != 0:
                state[2] = err
                state[0] = 0
                return False
            spins += 1
            if spins > SPINS:  # the partner may share this core (oversubscribed): let it run
                native.sched_yield()
    native.win_sync(win[0])
    for k in range(recv_plan.shape[0]):
        off, m = recv_plan[k, 0], recv_plan[k, 1]
        src = recv_plan[k, 2] + par * m
        for i in range(m):
            recvbuf[off + i] = words_f[src + i]
    state[0] = 0
    return True
