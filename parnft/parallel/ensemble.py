"""Groups of ranks for an ensemble: split a communicator, assign members to groups.

An ensemble of M members on a job of N ranks with R ranks per member runs
G = N / R members side by side. :func:`split_groups` cuts the job's
communicator into G groups of R consecutive ranks (``comm.Split`` by
``rank // R``, keyed by rank, so group g holds ranks g R ... g R + R - 1 in
order); :func:`assign_members` deals the members out statically, round
robin: member i runs on group ``i mod G``, and each group runs its members
one after another in index order. Static assignment needs no coordination
during the run; its cost is idle groups at the end when members take
different times (a dynamic queue would balance that, at the price of a
rank-0 dispatcher).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError


@dataclass
class Groups:
    """This rank's place in the ensemble's groups.

    Attributes
    ----------
    comm : mpi4py communicator
        The group's communicator (R ranks); free it with :meth:`free`.
    index : int
        This rank's group, 0 ... ``count - 1``.
    count : int
        Number of groups G.
    size : int
        Ranks per group R.
    """

    comm: object
    index: int
    count: int
    size: int

    def free(self) -> None:
        """Free the group communicator (collective over the group). Idempotent."""
        if self.comm is not None:
            self.comm.Free()
            self.comm = None


def check_group_size(nranks: int, ranks_per_member: int) -> int:
    """Number of groups of ``ranks_per_member`` ranks in ``nranks``; ConfigError if none fit.

    Raised identically on every rank (it depends on the two numbers only), so it
    is safe before any collective call.
    """
    r = ranks_per_member
    if not isinstance(r, int) or r < 1:
        raise ConfigError(f"--ranks-per-member {r!r}: must be a positive integer, e.g. 1")
    if nranks % r:
        raise ConfigError(f"--ranks-per-member {r}: the job has {nranks} ranks, not a "
                          f"multiple of {r}; launch a multiple of {r} ranks or choose a "
                          f"divisor of {nranks}")
    return nranks // r


def split_groups(comm, ranks_per_member: int) -> Groups:
    """Split ``comm`` into groups of ``ranks_per_member`` consecutive ranks (collective).

    Parameters
    ----------
    comm : mpi4py communicator
        The job's ranks (the command layer passes ``COMM_WORLD``).
    ranks_per_member : int
        R; must divide ``comm``'s size.

    Returns
    -------
    Groups

    Raises
    ------
    ConfigError
        On every rank, before any collective call, if R does not divide the size.
    """
    count = check_group_size(comm.Get_size(), ranks_per_member)
    rank = comm.Get_rank()
    index = rank // ranks_per_member
    return Groups(comm.Split(index, rank), index, count, ranks_per_member)


def assign_members(nmembers: int, groups: int, index: int) -> list[int]:
    """Members that group ``index`` of ``groups`` runs, in order (static round robin)."""
    return list(range(index, nmembers, groups))
