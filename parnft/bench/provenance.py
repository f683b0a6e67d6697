"""Provenance of a benchmark row: code, library and machine facts, and the CSV layout."""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import hashlib
import os
import platform
import socket
from pathlib import Path

#: CSV columns of ``parnft bench`` rows, in order (docs/performance.md lists them).
COLUMNS = (
    "timestamp", "label", "series", "config", "config_sha", "git_sha", "git_dirty", "parnft",
    "numba", "numpy", "mpi4py", "h5py", "mpi_library", "host", "cpu_model", "cores", "ranks",
    "procs", "oversubscribed", "halo", "nodes", "nodes_per_rank", "steps", "repeat", "wall_s",
    "compute_s", "halo_s", "output_s", "compile_s", "node_steps_per_s",
    "node_steps_per_s_per_rank", "max_rss_mb", "rss_mb_per_rank", "bytes_per_node_step",
    "stream_triad_gbs", "bandwidth_fraction", "load1", "import_floor_s", "startup_s",
    "startup_excess_s", "import_floor_cpu_s", "startup_cpu_s", "halo_transport",
)


@functools.lru_cache(maxsize=1)
def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@functools.lru_cache(maxsize=1)
def physical_cores() -> int:
    """Physical cores of this host (distinct core ids); logical CPUs when unknown."""
    try:
        cores, phys, core = set(), None, None
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("physical id"):
                phys = line.split(":", 1)[1].strip()
            elif line.startswith("core id"):
                core = line.split(":", 1)[1].strip()
            elif not line.strip() and core is not None:
                cores.add((phys, core))
                core = None
        if core is not None:
            cores.add((phys, core))
        if cores:
            return len(cores)
    except OSError:
        pass
    return os.cpu_count() or 1


def library_versions() -> dict:
    """Versions of parnft and the libraries that decide its speed."""
    import h5py
    import mpi4py
    import numba
    import numpy
    from mpi4py import MPI

    from .._version import __version__

    lib = MPI.Get_library_version().strip().splitlines()[0]
    return {"parnft": __version__, "numba": numba.__version__, "numpy": numpy.__version__,
            "mpi4py": mpi4py.__version__, "h5py": h5py.__version__,
            "mpi_library": lib.split(",")[0].strip()}


def git_state() -> tuple[str, bool]:
    """``(sha, dirty)`` of the parnft source tree."""
    from ..provenance import git_sha

    sha = git_sha()
    return sha.replace("+dirty", ""), sha.endswith("+dirty")


def config_sha(text: str) -> str:
    """Short SHA-256 of a config's text (identifies the exact model benchmarked)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def base_row() -> dict:
    """The provenance columns shared by every row of this process."""
    sha, dirty = git_state()
    row = {"timestamp": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
           "git_sha": sha, "git_dirty": str(dirty).lower(), "host": socket.gethostname(),
           "cpu_model": cpu_model(), "cores": physical_cores()}
    row.update(library_versions())
    return row


def append_rows(path: str, rows: list[dict]) -> None:
    """Append ``rows`` to the CSV ``path`` (header first when the file is new)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    if not new:
        _upgrade_header(path)
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore")
        if new:
            w.writeheader()
        for r in rows:
            w.writerow({k: _cell(r.get(k, "")) for k in COLUMNS})


def _upgrade_header(path: Path) -> None:
    """Rewrite a CSV whose header is an older (shorter) :data:`COLUMNS` with the new one.

    Columns are only ever appended to :data:`COLUMNS`, so an older file's
    rows keep their values and leave the new columns empty. A file with any
    other header is left alone (and :func:`append_rows` refuses it).
    """
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header = tuple(rows[0]) if rows else ()
    if header == COLUMNS:
        return
    if header != COLUMNS[:len(header)]:
        raise ValueError(f"{path}: its header is not parnft bench's columns; append to "
                         "a new CSV file instead")
    tmp = path.with_suffix(path.suffix + f".{os.getpid()}.tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows[1:]:
            w.writerow(r + [""] * (len(COLUMNS) - len(r)))
    os.replace(tmp, path)


def _cell(v):
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, bool):
        return str(v).lower()
    return v


def read_rows(path: str) -> list[dict]:
    """Rows of a bench CSV as dicts of strings."""
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))
