"""A private single-node SLURM cluster on localhost for the job-template tests.

:class:`LocalSlurm` starts its own ``munged`` (own key and socket), then
``slurmctld`` and ``slurmd`` with a generated ``slurm.conf`` under a scratch
folder (recipe: ../shared/notes/local-slurm.md): no systemd, no cgroups,
free TCP ports picked at start, ``EnforcePartLimits=ALL`` so an impossible
job is refused instead of pending forever. Every wait is bounded; ``stop``
cancels the jobs it submitted and stops every daemon it started (by the PIDs
it recorded, SIGKILL after a grace period), also after a failed start.

Two settings keep a requeued job's wait short (measured with SLURM 22.05,
tests/slurm/test_slurm_requeue.py): SLURM holds a requeued job until
``requeue time + cred_expire + 1`` (``Reason=BeginTime``; ``cred_expire`` of
``AuthInfo`` defaults to 120 s, 5 s is the least it takes), and then starts it
only at the next full scheduling pass (``sched_interval``, 60 s by default).
With the defaults a requeued job restarted 177 s after its requeue, with
``cred_expire=5`` alone 27 s, with ``sched_interval=1`` as well 6 s. Here
``cred_expire`` is 10 s, a margin for credentials on a loaded machine.
slurmctld logs at debug2, which shows its time-limit passes
(:meth:`LocalSlurm.time_limit_checks`); :meth:`LocalSlurm.logs` leaves the
debug lines out.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

#: Programs the tests need (daemons from /usr/sbin).
BINARIES = ("munged", "slurmctld", "slurmd", "sbatch", "scontrol", "scancel", "sinfo", "srun")
#: Job states after which a job no longer changes.
FINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
         "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"}
#: Seconds between slurmctld's passes over job time limits (``PERIODIC_TIMEOUT``,
#: src/slurmctld/slurmctld.h), in which it also sends the ``--signal`` warnings.
TIME_LIMIT_PASS = 30.0
#: A debug-level line of a SLURM daemon's log.
_DEBUG = re.compile(r"^\[[^]]*\] debug\d?:")
_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])

SLURM_CONF = """\
ClusterName=parnfttest
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={munge_socket},cred_expire={cred_expire}
StateSaveLocation={d}/state/ctld
SlurmdSpoolDir={d}/state/d
SlurmctldPidFile={d}/run/slurmctld.pid
SlurmdPidFile={d}/run/slurmd.pid
SlurmctldLogFile={d}/log/slurmctld.log
SlurmctldDebug=debug2
SlurmdLogFile={d}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=pmix
ReturnToService=2
MailProg=/bin/true
MinJobAge=600
EnforcePartLimits=ALL
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 NodeHostname=localhost CPUs={cpus} RealMemory=1000 \
State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
"""


def missing_binaries() -> list[str]:
    """The programs of :data:`BINARIES` not found on PATH (or /usr/sbin)."""
    return [b for b in BINARIES if shutil.which(b, path=_PATH) is None]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child counts as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def wait_until(pred, timeout: float, step: float = 0.1, what: str = "condition"):
    """Poll ``pred()`` every ``step`` s until it is truthy; TimeoutError after ``timeout`` s."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(step)


class LocalSlurm:
    """A running private SLURM cluster (one node, ``localhost``).

    Parameters
    ----------
    cpus : int
        CPUs the node announces (``config_overrides``: may exceed the real cores).
    cred_expire : int
        ``AuthInfo=cred_expire`` [s]: credential lifetime, and the hold of a
        requeued job (that + 1 s); SLURM takes 5 or more.
    """

    def __init__(self, cpus: int = 4, cred_expire: int = 10) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="parnft-slurm-"))
        self.dir.chmod(0o755)  # munged wants its socket folder reachable by all
        self.cpus = cpus
        self.cred_expire = cred_expire
        self.conf = self.dir / "etc" / "slurm.conf"
        self.munge_socket = self.dir / "munge" / "munge.socket"
        self.env = dict(os.environ, SLURM_CONF=str(self.conf), PATH=_PATH)
        self.jobs: list[str] = []
        self.pids: dict[str, int] = {}
        self.started_s = float("nan")

    # --- start / stop ---------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        """Start munged, slurmctld and slurmd; return when the node is idle."""
        t0 = time.monotonic()
        d = self.dir
        for sub in ("etc", "munge", "mungekey", "state/ctld", "state/d", "run", "log"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        (d / "mungekey").chmod(0o700)
        key = d / "mungekey" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        m = d / "munge"
        subprocess.run(
            ["munged", f"--socket={self.munge_socket}", f"--key-file={key}",
             f"--log-file={m / 'munged.log'}", f"--pid-file={m / 'munged.pid'}",
             f"--seed-file={m / 'munged.seed'}"],
            env=self.env, check=True, timeout=timeout, capture_output=True)
        self.pids["munged"] = wait_until(lambda: _pid(m / "munged.pid"), 10, what="munged")
        self.conf.write_text(SLURM_CONF.format(
            d=d, ctld_port=_free_port(), d_port=_free_port(), cpus=self.cpus,
            munge_socket=self.munge_socket, cred_expire=self.cred_expire))
        subprocess.run(["slurmctld", "-c", "-f", str(self.conf)], env=self.env, check=True,
                       timeout=timeout, capture_output=True)
        self.pids["slurmctld"] = wait_until(lambda: _pid(d / "run" / "slurmctld.pid"), 10,
                                            what="slurmctld's pid file")
        subprocess.run(["slurmd", "-N", "localhost", "-f", str(self.conf)], env=self.env,
                       check=True, timeout=timeout, capture_output=True)
        self.pids["slurmd"] = wait_until(lambda: _pid(d / "run" / "slurmd.pid"), 10,
                                         what="slurmd's pid file")
        wait_until(lambda: self.run("sinfo", "-h", "-o", "%T", check=False).strip() == "idle",
                   timeout, what="the node to become idle (see " + str(d / "log") + ")")
        self.started_s = time.monotonic() - t0

    def stop(self, timeout: float = 15.0) -> None:
        """Cancel our jobs, stop the daemons (SIGKILL after ``timeout`` s), remove the folder."""
        if self.jobs and _alive(self.pids.get("slurmctld")):
            self.run("scancel", *self.jobs, check=False, timeout=10)
        if _alive(self.pids.get("slurmctld")):
            self.run("scontrol", "shutdown", check=False, timeout=10)
        for name in ("slurmd", "slurmctld", "munged"):
            pid = self.pids.get(name)
            if not _alive(pid):
                continue
            if name == "munged" or not _wait_gone(pid, timeout):
                os.kill(pid, signal.SIGTERM)
            if not _wait_gone(pid, timeout):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid, 5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def running(self) -> list[str]:
        """Names of our daemons still alive."""
        return [n for n, p in self.pids.items() if _alive(p)]

    # --- commands -------------------------------------------------------------------
    def run(self, *cmd: str, check: bool = True, timeout: float = 30.0,
            cwd: str | Path | None = None) -> str:
        """Run a SLURM command against this cluster; its stdout."""
        res = subprocess.run(list(cmd), env=self.env, capture_output=True, text=True,
                             timeout=timeout, cwd=cwd)
        if check and res.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({res.returncode}): {res.stderr}")
        return res.stdout

    def submit(self, script: str | Path, cwd: str | Path) -> str:
        """``sbatch`` a script from ``cwd``; the job id."""
        job = self.run("sbatch", "--parsable", str(script), cwd=cwd).strip().split(";")[0]
        self.jobs.append(job)
        return job

    def states(self, job: str) -> dict[str, dict[str, str]]:
        """``scontrol show job`` fields per job (array tasks by ``JOBID_TASK``)."""
        out = self.run("scontrol", "-o", "show", "job", job, check=False)
        rows = {}
        for line in out.splitlines():
            f = dict(re.findall(r"(\w+)=(\S*)", line))
            if "JobId" in f:
                task = f.get("ArrayTaskId")
                rows[f"{f.get('ArrayJobId', f['JobId'])}_{task}" if task else f["JobId"]] = f
        return rows

    def wait(self, job: str, ntasks: int = 1, timeout: float = 180.0,
             poll: float = 0.2) -> dict[str, dict[str, str]]:
        """Poll ``scontrol`` every ``poll`` s until all ``ntasks`` tasks of ``job`` ended."""

        def done():
            st = self.states(job)
            final = {k: v for k, v in st.items() if v.get("JobState") in FINAL}
            return final if len(final) == ntasks and len(st) == ntasks else None

        try:
            return wait_until(done, timeout, poll, what=f"job {job}")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; states: {self.states(job)}\n{self.logs()}") from None

    def _log_times(self, text: str) -> list[float]:
        """Epoch times of the slurmctld log lines that contain ``text``."""
        out = []
        for line in (self.dir / "log" / "slurmctld.log").read_text(errors="replace").splitlines():
            if text in line and line.startswith("["):
                out.append(datetime.fromisoformat(line[1:line.index("]")]).timestamp())
        return out

    def time_limit_checks(self) -> list[float]:
        """Epoch times of slurmctld's time-limit passes found in its log.

        slurmctld tests time limits (and sends ``--signal`` warnings) in one
        pass every :data:`TIME_LIMIT_PASS` s, the first that long after it
        took control, and logs each at level debug2 (``SlurmctldDebug`` here).
        """
        return self._log_times("Testing job time limits")

    def next_time_limit_pass(self, after: float) -> float:
        """The epoch time of slurmctld's first time-limit pass at or after ``after``.

        Counted on from the last pass logged, or from the moment slurmctld
        took control when none is yet; measured, the passes come 30.0-30.1 s
        apart.
        """
        base = (self.time_limit_checks() or self._log_times("Running as primary controller"))
        if not base:
            raise RuntimeError(f"no time-limit pass nor start in {self.dir}/log/slurmctld.log")
        nxt = base[-1] + TIME_LIMIT_PASS
        while nxt < after:
            nxt += TIME_LIMIT_PASS
        return nxt

    def logs(self, tail: int = 30) -> str:
        """The last lines of the daemons' logs (for failure messages)."""
        parts = []
        for f in sorted((self.dir / "log").glob("*.log")):
            lines = [ln for ln in f.read_text(errors="replace").splitlines()
                     if not _DEBUG.search(ln)][-tail:]
            parts.append(f"--- {f.name} ---\n" + "\n".join(lines))
        return "\n".join(parts)


def _wait_gone(pid: int, timeout: float) -> bool:
    try:
        wait_until(lambda: not _alive(pid), timeout, 0.05, what=f"pid {pid} to exit")
        return True
    except TimeoutError:
        return False
