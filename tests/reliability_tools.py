"""Helpers of the reliability tests: start ``parnft run`` as a job, signal it, read files.

Used by tests/unit/test_reliability_*.py. A job is ``parnft run -v`` (one
process, or ``mpiexec -n N``) whose stderr is read by a thread, so a test can
wait for the first ``flushed`` line before it sends a signal.
"""

from __future__ import annotations

import atexit
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time

import h5py
import numpy as np

#: An 8x8 torus with noise, a Wave and a pulse: every sample is distinct. ``Time`` is
#: set by :func:`model`; 1e4 steps take about 0.5 s on one core.
MODEL = """Reliability test model: Wave + noise on an 8 x 8 torus.
Time: {time} Deltat: 1e-4
Nodes: 64 Longside nodes: 8
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.2
 Q: 10
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769
Population 2: noise
 Length: 0.2
 Stimulus: Superimpose: 2
  Stimulus: White - Mean: 1 StdDev: 0.5
  Stimulus: PulseRect - Onset: 0.001 Node: 7 Amplitude: 50 Width: 2e-3
Propagator 1: Wave - Tau: 2e-4 Range: 0.1 gamma: 100
Propagator 2: Map - Tau: 3e-4
Coupling 1: Map - nu: 1e-4
Coupling 2: Map - nu: 2e-3
Output: Node: All Interval: 2e-4
Population: 1.Q
Propagator: 1.phi
"""
#: Output interval of MODEL [s]: sample k (1-based) is at step 2k.
INTERVAL = 2e-4
#: Traces of MODEL (HDF5 dataset names).
TRACES = ("pop.1.q", "propagator.1.phi")
#: Small buffers, so a run flushes often: 20 samples of 2 x 64 columns per flush at 1 rank.
ENV = {"PARNFT_BUFFER_BYTES": str(20 * 8 * 128)}


def model(path, time_s: float) -> str:
    """Write MODEL with ``Time: time_s`` to ``path``; returns the path."""
    with open(path, "w") as f:
        f.write(MODEL.format(time=repr(float(time_s))))
    return str(path)


_JOBS: list = []


@atexit.register
def _kill_leftovers() -> None:
    """No job outlives the test session, whatever failed."""
    for job in _JOBS:
        if job.p.poll() is None:
            job.kill_all()


class Job:
    """``parnft run -v conf -o out`` on ``n`` ranks (``n = 0``: no mpiexec)."""

    def __init__(self, conf, out, n: int = 0, extra=(), env=None):
        cmd = [sys.executable, "-m", "parnft", "run", "-v", str(conf), "-o", str(out), *extra]
        if n:
            cmd = [shutil.which("mpiexec"), "-n", str(n)] + cmd
        e = dict(os.environ)
        e.update(ENV)
        e.update(env or {})
        self.n = n
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, env=e, start_new_session=True)
        self.lines: list[str] = []
        self._q: queue.Queue = queue.Queue()
        self._t = threading.Thread(target=self._read, daemon=True)
        self._t.start()
        _JOBS.append(self)

    def _read(self) -> None:
        for line in self.p.stderr:
            self.lines.append(line)
            self._q.put(line)
        self._q.put(None)

    def wait_for(self, needle: str, count: int = 1, timeout: float = 120) -> None:
        """Block until ``count`` stderr lines contain ``needle``."""
        seen = sum(needle in ln for ln in self.lines)
        t_end = time.monotonic() + timeout
        while seen < count:
            try:
                line = self._q.get(timeout=max(0.01, t_end - time.monotonic()))
            except queue.Empty:
                self.kill_all()
                raise AssertionError(f"no {needle!r} within {timeout} s:\n{self.stderr}") \
                    from None
            if line is None:
                raise AssertionError(f"job ended before {needle!r}:\n{self.stderr}")
            seen += needle in line

    def ranks(self) -> list[int]:
        """Process ids of the ranks: children of mpiexec (or the process itself)."""
        if not self.n:
            return [self.p.pid]
        kids = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.p.pid:
                kids.append(int(d))
        return sorted(kids)

    def wait_ranks(self, timeout: float = 60) -> list[int]:
        """The ranks' pids once all ``n`` have started."""
        t_end = time.monotonic() + timeout
        while True:
            r = self.ranks()
            if len(r) >= max(1, self.n) or time.monotonic() > t_end:
                return r
            time.sleep(0.05)

    def alive(self, pids) -> list[int]:
        """Those of ``pids`` still running (zombies count as gone)."""
        out = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                continue
            if state not in ("Z", "X"):
                out.append(pid)
        return out

    def gone_within(self, pids, seconds: float) -> list[int]:
        """Poll until none of ``pids`` runs or ``seconds`` pass; returns those left."""
        t_end = time.monotonic() + seconds
        while (left := self.alive(pids)) and time.monotonic() < t_end:
            time.sleep(0.1)
        return left

    def signal(self, sig, which=None) -> None:
        """Send ``sig`` to the ranks numbered ``which`` (default: all) by pid order."""
        pids = self.ranks()
        for k, pid in enumerate(pids):
            if which is None or k in which:
                os.kill(pid, sig)

    def kill_all(self) -> None:
        """SIGKILL every process of the job (its session)."""
        try:
            os.killpg(self.p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float = 60) -> int:
        """Exit code (kills the whole job and fails if it takes longer than ``timeout``)."""
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_all()
            self.p.wait()
            raise AssertionError(f"job still running after {timeout} s:\n{self.stderr}") \
                from None
        self._t.join(timeout=10)
        return rc

    @property
    def stderr(self) -> str:
        return "".join(self.lines)


def flushed_counts(lines) -> list[int]:
    """Samples written so far after each ``flushed`` debug line, in order."""
    out = []
    for ln in lines:
        if "flushed" in ln and " of " in ln:
            out.append(int(ln.split("(", 1)[1].split(" of ")[0]))
    return out


def read(path) -> dict:
    """Attributes and traces of an HDF5 run file."""
    with h5py.File(path, "r") as f:
        d = {"attrs": {k: f.attrs[k] for k in f.attrs}, "time": f["time"][()]}
        for k in TRACES:
            d[k] = f[k][()]
    return d


def reference(tmp_path, nsamples: int) -> dict:
    """An uninterrupted run of MODEL giving exactly ``nsamples`` samples (one process)."""
    from mpi4py import MPI

    from parnft.api import run

    # 2n + 1 steps: n samples whether Time / Deltat rounds to 2n or 2n + 1
    conf = model(tmp_path / f"ref{nsamples}.conf", (2 * nsamples + 1) * INTERVAL / 2)
    out, _ = run(conf, str(tmp_path / f"ref{nsamples}.h5"), comm=MPI.COMM_SELF,
                 progress=False)
    d = read(out)
    assert d["attrs"]["complete"] and d["time"].shape == (nsamples,)
    return d


def assert_prefix(part: dict, ref: dict, n: int) -> None:
    """The first ``n`` samples of ``part`` equal ``ref``'s, bit for bit."""
    np.testing.assert_array_equal(part["time"][:n], ref["time"][:n])
    for k in TRACES:
        np.testing.assert_array_equal(part[k][:n], ref[k][:n])
