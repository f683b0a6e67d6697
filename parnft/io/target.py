"""Where a run writes: a partial file and a lock beside the output, renamed at the end.

A run asked to write ``out.h5`` (docs/reliability.md, "Output files"):

1. refuses an output that is an input of the run (the ``.conf``), a folder,
   or a path it cannot write, with one line naming the path and the cause;
2. takes the lock ``out.h5.lock`` (rank 0, ``O_CREAT | O_EXCL``: atomic on
   local disks, NFS v3+ and Lustre), holding the pid, host and start time.
   A second run on the same output stops at once with exit code 4 instead
   of interleaving its writes with the first one's; a lock left by a killed
   run on this host (its pid is gone) is taken over with a warning;
3. writes every sample into ``out.h5.partial`` (same folder, so the final
   rename is atomic), flushed after every buffer;
4. only when the run completes, renames ``out.h5.partial`` to ``out.h5``
   (replacing an older output) and removes the lock. A file at the path you
   asked for is therefore always a complete run; a stopped, failed or killed
   run leaves its samples in ``out.h5.partial`` (``complete = False``), where
   a restart can reopen it.

Every check runs on rank 0 and its outcome is broadcast, so all ranks raise
the same error before any collective file operation.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import socket

from ..errors import ConfigError, OutputError
from ..parallel.comm import bcast_result

log = logging.getLogger("parnft.io")

#: Suffixes appended to the output path for the file being written and the lock.
PARTIAL, LOCK = ".partial", ".lock"


def os_cause(exc: BaseException) -> str:
    """The short cause of an ``OSError`` (``"Permission denied"``), else its text."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc)
    for key in ("error message = '", "error message = \""):
        if key in text:
            return text.split(key, 1)[1].split("'", 1)[0].split('"', 1)[0]
    return text or type(exc).__name__


def _same_file(a: str, b: str) -> bool:
    try:
        if os.path.exists(a) and os.path.exists(b):
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.realpath(a) == os.path.realpath(b)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class OutputTarget:
    """The output path of a run, its partial file and its lock.

    Parameters
    ----------
    path : str
        The output the user asked for.
    comm : mpi4py communicator
        The run's ranks; :meth:`acquire` and :meth:`commit` are collective.
    inputs : sequence of str
        Files the run reads (never written over).
    """

    def __init__(self, path: str, comm, inputs=()):
        self.path = os.fspath(path)
        self.partial = self.path + PARTIAL
        self.lock = self.path + LOCK
        self.comm = comm
        self.inputs = tuple(os.fspath(p) for p in inputs)
        self.rank = comm.Get_rank()
        self.locked = False

    # -- rank 0 ------------------------------------------------------------
    def _check(self) -> None:
        for p in (self.path, self.partial, self.lock):
            for i in self.inputs:
                if _same_file(p, i):
                    raise ConfigError(f"{self.path}: the output would overwrite {i}, an input "
                                      "of this run; fix: give another -o (e.g. "
                                      f"{os.path.splitext(i)[0]}.h5)")
        if os.path.isdir(self.path):
            raise OutputError(f"{self.path}: is a folder, not a file; fix: give a file name, "
                              f"e.g. -o {os.path.join(self.path, 'run.h5')}")
        parent = os.path.dirname(os.path.abspath(self.path))
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the folder {parent}: "
                              f"{os_cause(exc)}") from None
        if not os.path.isdir(parent):
            raise OutputError(f"{self.path}: {parent} is not a folder")

    def _take_lock(self) -> None:
        info = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                           "since": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")})
        for _attempt in range(2):
            try:
                fd = os.open(self.lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                if self._stale():
                    continue
                raise OutputError(self._held_message()) from None
            except OSError as exc:
                raise OutputError(f"{self.path}: cannot write in "
                                  f"{os.path.dirname(os.path.abspath(self.path))}: "
                                  f"{os_cause(exc)}") from None
            with os.fdopen(fd, "w") as f:
                f.write(info + "\n")
            self.locked = True
            return
        raise OutputError(self._held_message())

    def _holder(self) -> dict:
        try:
            with open(self.lock) as f:
                return json.loads(f.read() or "{}")
        except (OSError, ValueError):
            return {}

    def _stale(self) -> bool:
        """A lock of a dead process on this host: removed (with a warning), True."""
        h = self._holder()
        pid = h.get("pid")
        if h.get("host") != socket.gethostname() or not isinstance(pid, int) or _pid_alive(pid):
            return False
        log.warning("%s: removing the stale lock of a run that is gone (pid %s, since %s)",
                    self.lock, pid, h.get("since", "?"))
        try:
            os.unlink(self.lock)
        except FileNotFoundError:
            pass
        return True

    def _held_message(self) -> str:
        h = self._holder()
        who = (f"pid {h.get('pid', '?')} on {h.get('host', '?')} since {h.get('since', '?')}"
               if h else "unknown run")
        return (f"{self.path}: locked: another parnft run is writing it ({who}; lock file "
                f"{self.lock}); fix: wait for it, choose another -o, or delete the lock "
                "file if that run is dead")

    def _prepare(self, keep_partial: bool = False) -> None:
        self._check()
        self._take_lock()
        if keep_partial:
            if not os.path.isfile(self.partial):
                self.release()
                raise ConfigError(f"{self.path}: nothing to resume: {self.partial} does not "
                                  "exist; fix: run without --resume to start again")
            return
        try:
            if os.path.lexists(self.partial):
                log.warning("%s: replacing the partial output of an earlier run", self.partial)
            with open(self.partial, "wb"):
                pass
        except OSError as exc:
            self.release()
            raise OutputError(f"{self.partial}: cannot create the output file: "
                              f"{os_cause(exc)}") from None

    def _rename(self) -> None:
        try:
            os.replace(self.partial, self.path)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot rename the finished output from "
                              f"{self.partial}: {os_cause(exc)}") from None
        finally:
            self.release()

    # -- collective --------------------------------------------------------
    def acquire(self, keep_partial: bool = False) -> None:
        """Check the paths and take the lock on rank 0; every rank raises its error.

        ``keep_partial`` (``--resume``): the partial file of the interrupted run
        must exist and is kept, not replaced.
        """
        bcast_result(self.comm, self._prepare, keep_partial)

    def commit(self) -> None:
        """Rename the finished partial file to the output and drop the lock (collective)."""
        bcast_result(self.comm, self._rename)

    # -- local -------------------------------------------------------------
    def release(self) -> None:
        """Remove the lock if this process holds it (local, idempotent)."""
        if not self.locked:
            return
        self.locked = False
        try:
            os.unlink(self.lock)
        except OSError as exc:
            log.warning("%s: could not remove the lock: %s", self.lock, os_cause(exc))

    def discard_empty(self) -> None:
        """Remove the partial file when nothing was opened in it yet (rank 0, local)."""
        if self.rank == 0:
            try:
                if os.path.getsize(self.partial) == 0:
                    os.unlink(self.partial)
            except OSError:
                pass
