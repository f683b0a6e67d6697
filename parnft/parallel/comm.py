"""Collective agreement helpers: every rank succeeds together or fails the same way.

The rule (ARCHITECTURE.md, rule 6): validate on one rank, then broadcast the
result or the error, so that all ranks raise the same typed error and none is
left waiting in a collective call.
"""

from __future__ import annotations

import pickle

from mpi4py import MPI

from parnft.errors import RunError

__all__ = ["agree_on_error", "all_ok", "bcast_result", "is_agreed", "mark_agreed"]


def all_ok(comm, ok: bool) -> bool:
    """True on every rank if ``ok`` is true on every rank (collective, logical AND).

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm
        Communicator; every rank must call.
    ok : bool
        This rank's verdict.

    Returns
    -------
    bool
        The same value on every rank.
    """
    return bool(comm.allreduce(bool(ok), op=MPI.LAND))


def _portable(exc: BaseException, rank: int) -> bytes:
    """Pickle ``exc``; if it cannot be pickled, pickle a RunError describing it."""
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:
        return pickle.dumps(RunError(f"rank {rank}: {type(exc).__name__}: {exc}"))


def _raise_shared(comm, root: int, exc: BaseException | None, data: bytes):
    """Raise ``root``'s error on this rank: the original on ``root``, a copy elsewhere.

    The error gets ``agreed = True``: every rank raises it, so the command line
    prints it once (rank 0) and needs no ``Abort``.
    """
    if comm.Get_rank() == root and exc is not None:
        mark_agreed(exc)
        raise exc  # the original object, with its traceback
    try:
        err = pickle.loads(data)
    except Exception as e:  # e.g. an exception class not importable here
        err = RunError(f"rank {root} failed and its error could not be unpickled: {e}")
    if not isinstance(err, BaseException):
        err = RunError(f"rank {root} failed with a non-exception {err!r}")
    err.add_note(f"(raised on rank {root} of {comm.Get_size()})")
    mark_agreed(err)
    raise err


def mark_agreed(exc: BaseException) -> BaseException:
    """Mark ``exc`` as raised identically on every rank (``exc.agreed = True``)."""
    try:
        exc.agreed = True
    except AttributeError:  # an exception type with __slots__
        pass
    return exc


def is_agreed(exc: BaseException) -> bool:
    """True when every rank raises ``exc`` (see :func:`mark_agreed`)."""
    return bool(getattr(exc, "agreed", False))


def agree_on_error(comm, exc: BaseException | None) -> None:
    """Raise the same error on every rank if any rank has one (collective).

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm
        Communicator; every rank must call.
    exc : BaseException or None
        This rank's error, or None if it succeeded.

    Returns
    -------
    None
        When no rank has an error.

    Raises
    ------
    BaseException
        The error of the lowest-numbered failing rank, on every rank: that
        rank re-raises its own object, the others an unpickled copy (with a
        note naming the rank). An error that cannot be pickled is replaced by
        a :class:`~parnft.errors.RunError` carrying its type and message.

    Examples
    --------
    ::

        err = None
        try:
            spec = check(spec)
        except ParnftError as e:
            err = e
        agree_on_error(comm, err)
    """
    rank, size = comm.Get_rank(), comm.Get_size()
    root = comm.allreduce(rank if exc is not None else size, op=MPI.MIN)
    if root == size:
        return None
    data = comm.bcast(_portable(exc, rank) if rank == root else None, root=root)
    _raise_shared(comm, root, exc if rank == root else None, data)


def bcast_result(comm, fn, *args, root: int = 0, **kwargs):
    """Call ``fn(*args, **kwargs)`` on ``root`` only and share its outcome (collective).

    Parameters
    ----------
    comm : mpi4py.MPI.Intracomm
        Communicator; every rank must call.
    fn : callable
        Run on ``root`` only (e.g. reading and validating a configuration file).
    *args, **kwargs
        Arguments of ``fn`` (used on ``root`` only).
    root : int, optional
        The rank that runs ``fn``; default 0.

    Returns
    -------
    object
        ``fn``'s result (pickled and broadcast), on every rank.

    Raises
    ------
    Exception
        Whatever ``fn`` raised (typically a :class:`~parnft.errors.ConfigError`),
        on every rank; see :func:`agree_on_error`. A result that cannot be
        pickled raises :class:`~parnft.errors.RunError` on every rank.
    """
    rank = comm.Get_rank()
    exc: BaseException | None = None
    data = None
    if rank == root:
        try:
            result = fn(*args, **kwargs)
        except Exception as e:  # broadcast, never leave the other ranks waiting
            exc = e
            data = b"E" + _portable(e, rank)
        else:
            try:
                data = b"R" + pickle.dumps(result)
            except Exception as e:
                exc = RunError(
                    f"result of {getattr(fn, '__name__', fn)!r} cannot be "
                    f"broadcast: {type(e).__name__}: {e}"
                )
                data = b"E" + pickle.dumps(exc)
    data = comm.bcast(data, root=root)
    if data[:1] == b"R":
        return result if rank == root else pickle.loads(data[1:])
    _raise_shared(comm, root, exc, data[1:])
