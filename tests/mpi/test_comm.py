"""Collective error agreement: every rank raises the same typed error."""

from __future__ import annotations

import pickle

import pytest
from mpi4py import MPI

from parnft.errors import ConfigError, Problem, RunError, StabilityError
from parnft.parallel import agree_on_error, all_ok, bcast_result


class _Unpicklable(Exception):
    def __init__(self, msg):
        super().__init__(msg)
        self.handle = lambda: None  # lambdas cannot be pickled


def _same_everywhere(comm, value):
    return len(set(comm.allgather(value))) == 1


@pytest.mark.mpi
def test_all_ok():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    assert all_ok(comm, True) is True
    assert all_ok(comm, rank != size - 1) is False
    assert all_ok(comm, False) is False


@pytest.mark.mpi
def test_agree_on_error_none():
    assert agree_on_error(MPI.COMM_WORLD, None) is None


@pytest.mark.mpi
def test_agree_on_error_lowest_failing_rank_wins():
    comm = MPI.COMM_WORLD
    rank, size = comm.Get_rank(), comm.Get_size()
    # the last rank fails with a ConfigError; if size > 2 rank 1 also fails differently
    exc = None
    if rank == size - 1:
        prob = Problem("m.conf", 3, "Grid: Nodes", "7", "not a multiple of Longside", "use 8")
        exc = ConfigError([prob])
    elif size > 2 and rank == 1:
        exc = StabilityError("Courant number 1.2 > 1")
    with pytest.raises(ConfigError) as info:
        agree_on_error(comm, exc)
    err = info.value
    expected_type = StabilityError if size > 2 else ConfigError
    assert type(err) is expected_type
    assert _same_everywhere(comm, (type(err).__name__, str(err)))
    if exc is not None and rank == (1 if size > 2 else size - 1):
        assert err is exc  # the failing rank re-raises its own object
    if size <= 2:
        assert err.problems[0].line == 3
        assert err.exit_code == 2


@pytest.mark.mpi
def test_agree_on_error_unpicklable_becomes_runerror():
    comm = MPI.COMM_WORLD
    rank = comm.Get_rank()
    exc = _Unpicklable("boom") if rank == 0 else None
    with pytest.raises(Exception) as info:
        agree_on_error(comm, exc)
    if rank == 0:
        assert info.value is exc
    else:
        assert type(info.value) is RunError
        assert "_Unpicklable: boom" in str(info.value)


@pytest.mark.mpi
def test_bcast_result_value():
    comm = MPI.COMM_WORLD
    calls = []

    def read(path, scale=1):
        calls.append(path)
        return {"path": path, "nodes": 64 * scale}

    out = bcast_result(comm, read, "model.conf", scale=2)
    assert out == {"path": "model.conf", "nodes": 128}
    assert len(calls) == (1 if comm.Get_rank() == 0 else 0)


@pytest.mark.mpi
def test_bcast_result_propagates_config_error():
    comm = MPI.COMM_WORLD
    root = comm.Get_size() - 1

    def read(path):
        raise ConfigError(
            [
                Problem(path, 12, "Propagator 1: Tau", "3", "not a multiple of Deltat", "use 4"),
                Problem(path, 20, "Time", "", "missing", "add Time: 1"),
            ]
        )

    with pytest.raises(ConfigError) as info:
        bcast_result(comm, read, "bad.conf", root=root)
    err = info.value
    assert type(err) is ConfigError
    assert len(err.problems) == 2 and err.problems[1].key == "Time"
    assert _same_everywhere(comm, str(err))
    assert str(err).splitlines()[0].startswith("bad.conf:12: Propagator 1: Tau = 3")
    assert pickle.loads(pickle.dumps(err)).problems == err.problems


@pytest.mark.mpi
def test_bcast_result_unpicklable_result_raises_runerror_everywhere():
    comm = MPI.COMM_WORLD
    with pytest.raises(RunError, match="cannot be broadcast"):
        bcast_result(comm, lambda: lambda: 1)


@pytest.mark.mpi
def test_bcast_result_other_exception_propagates():
    comm = MPI.COMM_WORLD
    with pytest.raises(KeyError) as info:
        bcast_result(comm, lambda: {}["missing"])
    assert _same_everywhere(comm, repr(info.value))
