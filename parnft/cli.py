"""Command line: ``parnft <command> ...``.

Thin subcommands, one module each in :mod:`parnft.commands`: each parses its
options and calls an API function. Only the command layer touches
``MPI.COMM_WORLD``. A user error (bad config, bad
option) exits with code 2 on every rank with the same message; an unexpected
failure on one rank prints the rank and message and aborts the whole job, so
nothing hangs. Exit codes: :data:`parnft.errors.EXIT_CODES` (docs/reliability.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from .commands import command_modules
from .errors import ConfigError, Interrupted, ParnftError
from .launch import leave, singleton_defaults


def _world():
    from .commands import world

    return world()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``parnft`` command."""
    from . import __version__

    p = argparse.ArgumentParser(prog="parnft", description="Neural field simulation on MPI "
                                "tiles; reads NFTsim .conf files unchanged.")
    p.add_argument("--version", action="version", version=f"parnft {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for mod in command_modules():
        mod.register(sub)
    return p


def main(argv=None) -> int:
    """Entry point of the ``parnft`` command; returns the exit code.

    An error raised identically on every rank (a config error, an output
    refused before the run, a signal agreed at a chunk boundary) is printed
    once, by rank 0, as one line, and every rank returns its exit code. Any
    other failure or interrupt, possibly on one rank only, is printed by that
    rank and aborts the whole job (``MPI_Abort``) so no rank is left waiting.
    """
    os.environ.setdefault("NUMBA_NUM_THREADS", "1")
    singleton_defaults()  # before MPI starts: a one-process run skips orted and UCX
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        # raised identically on every rank (validated before any collective call)
        if _world().Get_rank() == 0:
            print(f"parnft: {type(exc).__name__}:\n{exc}", file=sys.stderr)
        _finish_error(exc.exit_code, collective=True)
        return exc.exit_code
    except ParnftError as exc:
        comm = _world()
        if getattr(exc, "agreed", False) or comm.Get_size() == 1:
            if comm.Get_rank() == 0:
                print(f"parnft: {_label(exc)}{exc}", file=sys.stderr)
            _finish_error(exc.exit_code, collective=True)
            return exc.exit_code
        # a failure during the run, possibly on this rank only: name the rank, abort the job
        print(f"parnft: rank {comm.Get_rank()}: {_label(exc)}{exc}", file=sys.stderr)
        _finish_error(exc.exit_code, collective=False)
        return exc.exit_code
    except KeyboardInterrupt:  # SIGINT outside the run's handlers (e.g. while importing)
        code = 128 + signal.SIGINT
        comm = _world()
        where = f"rank {comm.Get_rank()}: " if comm.Get_size() > 1 else ""
        print(f"parnft: {where}interrupted", file=sys.stderr)
        _finish_error(code, collective=False)
        return code
    except Exception as exc:  # an unexpected failure, possibly on one rank only
        import traceback

        rank = _world().Get_rank()
        print(f"parnft: rank {rank}: {type(exc).__name__}: {exc}", file=sys.stderr)
        traceback.print_exc()
        _finish_error(1, collective=False)
        return 1


def entry() -> None:
    """The ``parnft`` console script and ``python -m parnft``: :func:`main`, then exit.

    Ends the process with :func:`parnft.launch.leave` (no interpreter
    teardown: 0.15-0.2 s less per process). ``main`` itself returns, for
    callers in the same interpreter (tests, notebooks).
    """
    leave(main())


def _label(exc: ParnftError) -> str:
    """``error: `` for failures, nothing for a clean stop on a signal."""
    return "" if isinstance(exc, Interrupted) else "error: "


def _finish_error(code: int, collective: bool) -> None:
    """On several ranks a non-collective failure aborts the job so no rank hangs.

    After a collective one every rank waits for the others (rank 0 has printed),
    since ``mpiexec`` ends the job as soon as one rank exits with a non-zero code.
    """
    comm = _world()
    sys.stderr.flush()
    if comm.Get_size() > 1 and not collective:
        comm.Abort(code)
    elif comm.Get_size() > 1:
        comm.Barrier()


if __name__ == "__main__":  # pragma: no cover
    entry()
