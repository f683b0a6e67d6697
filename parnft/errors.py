"""Typed errors of parnft.

Every error a user can cause is a :class:`ParnftError`. A configuration error
carries one :class:`Problem` per thing that is wrong, each naming the file,
line, key, value, the rule it breaks and the fix, so that all problems are
reported at once, one per line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a configuration.

    Attributes
    ----------
    path : str
        File name.
    line : int
        1-based line number (0 when unknown, e.g. an empty file).
    key : str
        The ``.conf`` key concerned (e.g. ``"Propagator 1: gamma"``).
    value : str
        The offending value as written (may be empty when missing).
    rule : str
        What is wrong.
    fix : str
        What to do about it.
    """

    path: str
    line: int
    key: str
    value: str
    rule: str
    fix: str

    def __str__(self) -> str:
        val = f" = {self.value}" if self.value != "" else ""
        return f"{self.path}:{self.line}: {self.key}{val}: {self.rule}; fix: {self.fix}"


class ParnftError(Exception):
    """Base class of every error parnft raises for bad input or a failed run."""

    exit_code = 1


class ConfigError(ParnftError):
    """The configuration cannot be read or is inconsistent.

    Parameters
    ----------
    problems : list of Problem
        Everything found wrong; ``str(err)`` has one line per problem.
    """

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, Problem):
            problems = [problems]
        if isinstance(problems, str):
            self.problems: tuple[Problem, ...] = ()
            msg = problems
        else:
            self.problems = tuple(problems)
            msg = "\n".join(str(p) for p in self.problems)
        super().__init__(msg)

    def __reduce__(self):
        return (type(self), (list(self.problems) if self.problems else str(self),))


class StabilityError(ConfigError):
    """A numerical scheme would be unstable (e.g. the Wave Courant condition)."""


class RunError(ParnftError):
    """A simulation failed while running (NaN/overflow: the model diverged)."""

    exit_code = 3


class OutputError(ParnftError):
    """A file could not be read or written (unwritable path, a directory, a lock held)."""

    exit_code = 4


class ResourceError(ParnftError):
    """The run would not fit: memory per rank, disk space, int64 step or sample counts."""

    exit_code = 5


class Interrupted(ParnftError):
    """A signal stopped the run cleanly (output flushed and closed, ``complete = False``).

    The exit code is 128 + the signal number, as a shell reports a process
    killed by that signal.
    """

    def __init__(self, signum: int, step: int = 0):
        import signal as _signal

        self.signum = int(signum)
        self.step = int(step)
        self.exit_code = 128 + self.signum
        try:
            name = _signal.Signals(self.signum).name
        except ValueError:
            name = f"signal {self.signum}"
        super().__init__(f"stopped by {name} at step {self.step}")


#: Exit code of a run stopped by a signal after writing a checkpoint: EX_TEMPFAIL of
#: sysexits.h ("try again later"); job scripts requeue on it (docs/checkpoint.md).
EXIT_CHECKPOINTED = 75


class Checkpointed(Interrupted):
    """A signal stopped a checkpointing run: state saved at ``step``, resume with ``--resume``.

    Every rank raises it at the same step, after the checkpoint ``path`` was
    written and the buffers flushed; the exit code is :data:`EXIT_CHECKPOINTED`.
    """

    def __init__(self, signum: int, step: int = 0, path: str = ""):
        super().__init__(signum, step)
        self.path = str(path)
        self.exit_code = EXIT_CHECKPOINTED
        self.args = (f"{self.args[0]}; checkpoint {self.path}; continue with --resume",)

    def __reduce__(self):
        return (type(self), (self.signum, self.step, self.path))


#: Exit codes of the ``parnft`` command (docs/reliability.md).
EXIT_CODES = {
    0: "success",
    1: "internal error (a bug: please report it with the traceback)",
    2: "configuration or command-line error (nothing was run)",
    3: "numerical failure (the model diverged)",
    4: "I/O error (a file could not be read or written)",
    5: "resource limit (memory, disk or int64 counts; rerun with --force to go on anyway)",
    75: "checkpointed and stopped by a signal (SIGTERM, SIGUSR1, SIGINT): run again with "
        "--resume to continue (job scripts requeue on it)",
    "128+N": "stopped by signal N (SIGINT 130, SIGTERM 143, SIGUSR1 138, SIGXCPU 152)",
}
