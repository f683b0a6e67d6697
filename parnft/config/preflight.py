"""Preflight: will a validated model fit the machine, before anything is allocated?

:func:`preflight` compares a :class:`~parnft.config.spec.ModelSpec` run on
``nranks`` ranks with what the machine or the job has, and :func:`enforce`
refuses a run that would not fit with a :class:`~parnft.errors.ResourceError`
(exit 5), one line per resource with its fix. ``--force`` (``parnft run`` and
``parnft validate``) goes on anyway, except past int64, where nothing can run.
Pure: it reads ``/proc/meminfo``, the cgroup files, the environment and the
output folder's free space, and does no MPI (every rank computes the same
answer from the same spec, or rank 0 alone calls it).

Estimates (per rank, on the largest tile of the squarest process grid)
-----------------------------------------------------------------------
memory
    the model state of :func:`parnft.config.summary.memory_per_rank` (its
    float64 arrays; at 512 x 512 EIRS the measured growth of the resident
    set matched it to 0.5 %), plus the output sample buffer (as
    :mod:`parnft.outputs` sizes it: ``nrows x local columns x 8`` bytes,
    ``nrows = max(1, min(samples, BUFFER_BYTES // (8 x local columns)))``),
    plus :data:`RUNTIME_BYTES` for Python, numpy, numba with the compiled
    loop, mpi4py and h5py (measured 221 MiB at one rank; rounded up), plus,
    on rank 0 of a writer that gathers, ``G x nrows x columns x 8`` bytes:
    G = 6 for NFTsim text (the gathered parts, the assembled block, its
    stacked copy and the formatted text, 22 bytes a value), G = 2 for HDF5
    and netCDF on several ranks (an upper bound: h5py without MPI gathers
    everything, with MPI only the node lists).
available memory
    the smallest of: ``MemAvailable`` of ``/proc/meminfo`` shared by the
    ranks on this host; the cgroup (v2 ``memory.max``, v1
    ``memory.limit_in_bytes``) limit less its use (page cache not counted),
    shared the same way; ``SLURM_MEM_PER_NODE`` shared the same way;
    ``SLURM_MEM_PER_CPU`` x ``SLURM_CPUS_PER_TASK`` per rank. Ranks on this
    host: ``OMPI_COMM_WORLD_LOCAL_SIZE``, ``MPI_LOCALNRANKS``,
    ``SLURM_NTASKS_PER_NODE``, ``SLURM_NTASKS / SLURM_JOB_NUM_NODES``, else all.
output size
    ``samples x (columns + 1) x 8`` bytes for HDF5 and netCDF (the time
    column included), ``samples x (23 + 22 x columns + 1)`` for NFTsim text,
    plus the echoed config; columns count every field of every output item
    at every output node (an upper bound where a field is one value per grid).
    It is compared with the free space of the output's folder (its nearest
    existing parent).
int64
    nodes, samples, samples x columns and the output bytes must stay below
    2^63 (steps are at most 2^53 by the checks).
run time
    node-steps on the largest tile (``ly x lx x steps``) over
    :data:`NODE_STEPS_PER_S`, the rate of the slower benchmarked model (EIRS,
    docs/performance.md); simpler models run up to about 2.3x faster, and
    start-up (a few seconds, more when numba compiles) is not counted.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from parnft.config import keys as K
from parnft.config.advice import output_samples
from parnft.config.spec import ModelSpec
from parnft.config.summary import history_lengths, memory_per_rank
from parnft.errors import ResourceError

#: Interpreter, numpy, numba (compiled loop included), mpi4py, h5py per rank [bytes].
RUNTIME_BYTES = 256 * 2**20
#: Output buffer bound of :mod:`parnft.outputs` when it does not say (bytes per rank).
DEFAULT_BUFFER_BYTES = 32 * 2**20
#: Node-steps per second of one rank (EIRS 512 x 512, docs/performance.md).
NODE_STEPS_PER_S = 1.5e7
INT64_MAX = 2**63 - 1
_TEXT_ROW = 23 + 1  # NFTsim text: the time column and the line feed
_TEXT_COLUMN = 22


def _buffer_bytes() -> int:
    try:
        from parnft import outputs
    except ImportError:  # numpy missing: the documented default
        return DEFAULT_BUFFER_BYTES
    return int(getattr(outputs, "BUFFER_BYTES", DEFAULT_BUFFER_BYTES))


def _float(x) -> float:
    """``float(x)``, or inf for an int too large for a float."""
    try:
        return float(x)
    except OverflowError:
        return float("inf")


def size(nbytes: float) -> str:
    """``nbytes`` as KiB, MiB, GiB or TiB with three significant digits."""
    nbytes = _float(nbytes)
    for unit, scale in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20)):
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"
    return f"{nbytes / 1024:.3g} KiB"


def duration(seconds: float) -> str:
    """A run time in s, min, h or days."""
    for unit, scale in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds:.2g} s"


# -- what the machine has --------------------------------------------------------------
def _int_prefix(text: str | None) -> int | None:
    digits = ""
    for ch in (text or "").strip():
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else None


def ranks_per_host(nranks: int, env) -> int:
    """Ranks sharing this host's memory (see the module notes), at most ``nranks``."""
    for key in ("OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"):
        n = _int_prefix(env.get(key))
        if n:
            return max(1, min(n, nranks))
    tasks, hosts = _int_prefix(env.get("SLURM_NTASKS")), _int_prefix(env.get("SLURM_JOB_NUM_NODES"))
    if tasks and hosts:
        return max(1, min(-(-tasks // hosts), nranks))
    return max(1, nranks)


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def mem_available(root: Path) -> int | None:
    """``MemAvailable`` of ``<root>/proc/meminfo`` in bytes."""
    text = _read(root / "proc" / "meminfo") or ""
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            n = _int_prefix(line.split(":", 1)[1])
            return None if n is None else n * 1024
    return None


def _stat(text: str | None, key: str) -> int:
    for line in (text or "").splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            return _int_prefix(v) or 0
    return 0


def cgroup_available(root: Path) -> int | None:
    """The cgroup memory limit of this process less its use (without page cache), bytes."""
    own = _read(root / "proc" / "self" / "cgroup") or ""
    v2 = v1 = None
    for line in own.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[0] == "0" and parts[1] == "":
            v2 = parts[2].lstrip("/")
        elif len(parts) == 3 and "memory" in parts[1].split(","):
            v1 = parts[2].lstrip("/")
    base = root / "sys" / "fs" / "cgroup"
    tries = []
    if v2 is not None:
        for d in (base / v2, base):
            tries.append((d / "memory.max", d / "memory.current", d / "memory.stat",
                          "inactive_file"))
    for d in ((base / "memory" / v1) if v1 is not None else None, base / "memory"):
        if d is not None:
            tries.append((d / "memory.limit_in_bytes", d / "memory.usage_in_bytes",
                          d / "memory.stat", "total_inactive_file"))
    for limit_f, used_f, stat_f, cache_key in tries:
        limit = _int_prefix(_read(limit_f))
        if limit is None or limit >= 2**60:  # "max" or v1's "no limit" (2^63 - 4096)
            continue
        used = _int_prefix(_read(used_f)) or 0
        used -= min(used, _stat(_read(stat_f), cache_key))
        return max(0, limit - used)
    return None


@dataclass(frozen=True)
class Budget:
    """Memory one rank may use: ``bytes`` (None when unknown) and where it comes from."""

    bytes: int | None
    source: str


def memory_budget(nranks: int, env=None, root: str | Path = "/") -> Budget:
    """The memory of one rank (the smallest source of the module notes)."""
    env = os.environ if env is None else env
    root = Path(root)
    share = ranks_per_host(nranks, env)
    on = f"/ {share} rank{'s' if share > 1 else ''} on this host"
    found: list[tuple[int, str]] = []
    avail = mem_available(root)
    if avail is not None:
        found.append((avail // share, f"MemAvailable {size(avail)} {on}"))
    cg = cgroup_available(root)
    if cg is not None:
        found.append((cg // share, f"cgroup memory limit, {size(cg)} free {on}"))
    per_node = _int_prefix(env.get("SLURM_MEM_PER_NODE"))
    if per_node:
        found.append((per_node * 2**20 // share, f"SLURM_MEM_PER_NODE {per_node} MB {on}"))
    per_cpu = _int_prefix(env.get("SLURM_MEM_PER_CPU"))
    if per_cpu:
        cpus = _int_prefix(env.get("SLURM_CPUS_PER_TASK")) or 1
        found.append((per_cpu * cpus * 2**20,
                      f"SLURM_MEM_PER_CPU {per_cpu} MB x {cpus} CPU per rank"))
    if not found:
        return Budget(None, "unknown (no /proc/meminfo, cgroup or SLURM limit)")
    return Budget(*min(found))


def disk_free(out: str | Path) -> tuple[int | None, str]:
    """Free bytes in the folder that will hold ``out`` (its nearest existing parent)."""
    folder = Path(os.path.abspath(out)).parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free, str(folder)
    except OSError:
        return None, str(folder)


# -- what the run needs ------------------------------------------------------------------
def _fields(spec: ModelSpec, family: str, item: str) -> int:
    num, _, fname = item.partition(".")
    if fname:
        return 1
    k = int(num)
    if family == "Population":
        p = next((p for p in spec.populations if p.index == k), None)
        if p is None:
            return 1
        return len(K.FIRING_FIELDS.get(p.firing.kind, ("Q",)) if p.firing else K.STIMULUS_FIELDS)
    objs = {"Dendrite": (spec.dendrites, K.DENDRITE_FIELDS),
            "Propagator": (spec.propagators, K.PROPAGATOR_FIELDS),
            "Coupling": (spec.couplings, K.COUPLING_FIELDS)}[family]
    obj = next((o for o in objs[0] if o.index == k), None)
    if obj is None:
        return 1
    return len(K.default_fields(family, obj.kind, objs[1].get(obj.kind, ("x",))))


def output_fields(spec: ModelSpec) -> int:
    """Fields per output node: the sum over output items of the fields each writes."""
    o = spec.output
    return sum(_fields(spec, fam, item) for fam in K.OUTPUT_FAMILIES
               for item in getattr(o, fam.lower()))


@dataclass(frozen=True)
class Estimate:
    """What a run of ``spec`` on ``nranks`` ranks needs (see the module notes)."""

    nranks: int
    tile: tuple[int, int] | None
    state: int
    history: int
    buffer: int
    runtime: int
    gather: int
    samples: int
    columns: int
    out_bytes: int
    node_steps: int
    seconds: float

    @property
    def memory(self) -> int:
        """Bytes of the largest rank: state + output buffer + runtime (+ rank 0's gather)."""
        return self.state + self.buffer + self.runtime + self.gather


def estimate(spec: ModelSpec, nranks: int = 1, fmt: str = "hdf5") -> Estimate:
    """The needs of ``spec`` on ``nranks`` ranks (tile None when they cannot tile the grid)."""
    g, t = spec.grid, spec.time
    mem = memory_per_rank(spec, nranks)
    samples = output_samples(spec)
    fields = output_fields(spec)
    out_nodes = len(spec.output.nodes) or g.nodes
    columns = fields * out_nodes
    if fmt == "nftsim":
        out_bytes = samples * (_TEXT_ROW + _TEXT_COLUMN * columns)
    else:
        out_bytes = samples * (columns + 1) * 8
    out_bytes += len(spec.text.encode("utf-8", "replace"))
    if mem is None:
        return Estimate(nranks, None, 0, 0, 0, RUNTIME_BYTES, 0, samples, columns, out_bytes,
                        g.nodes * t.steps, _float(g.nodes * t.steps) / NODE_STEPS_PER_S / nranks)
    state, (ly, lx) = mem
    area = ly * lx
    history = 8 * area * sum(history_lengths(spec).values())
    local = fields * min(out_nodes, area)
    cap = _buffer_bytes()
    nrows = max(1, min(max(samples, 1), cap // max(1, 8 * local)))
    node_steps = area * t.steps
    factor = 6 if fmt == "nftsim" else (2 if nranks > 1 else 0)
    gather = factor * nrows * columns * 8
    return Estimate(nranks, (ly, lx), state, history, nrows * local * 8, RUNTIME_BYTES, gather,
                    samples, columns, out_bytes, node_steps, _float(node_steps) / NODE_STEPS_PER_S)


@dataclass
class Report:
    """The preflight of one run: estimate, what is available, and what does not fit.

    ``refusals`` can be overridden with ``--force``; ``impossible`` cannot.
    """

    estimate: Estimate
    budget: Budget
    free: int | None
    folder: str
    fmt: str
    refusals: list[str] = field(default_factory=list)
    impossible: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report printed by ``parnft validate`` (one line per resource)."""
        e, b = self.estimate, self.budget
        out = []
        if e.tile is None:
            out.append(f"preflight: {e.nranks} ranks cannot tile the grid")
        else:
            have = f"{size(b.bytes)} available ({b.source})" if b.bytes is not None \
                else f"available memory {b.source}"
            gather = f" + rank-0 gather {size(e.gather)}" if e.gather else ""
            out.append(f"preflight: memory about {size(e.memory)} per rank (state "
                       f"{size(e.state)} + output buffer {size(e.buffer)} + runtime "
                       f"{size(e.runtime)}{gather}) of {have}")
        fmtname = {"hdf5": "HDF5", "netcdf": "netCDF", "nftsim": "NFTsim text"}.get(self.fmt,
                                                                                  self.fmt)
        free = f"{size(self.free)} free in {self.folder}" if self.free is not None \
            else f"free space of {self.folder} unknown"
        out.append(f"preflight: output about {size(e.out_bytes)} ({fmtname}, {e.samples} "
                   f"samples x {e.columns} columns) of {free}")
        rate = f"{NODE_STEPS_PER_S:.2g} node-steps/s per rank"
        out.append(f"preflight: {_float(e.node_steps):.3g} node-steps per rank, about "
                   f"{duration(e.seconds)} of computing (at {rate}; start-up not counted)")
        for r in self.impossible + self.refusals:
            out.append(f"preflight: REFUSED: {r}")
        return out


def preflight(spec: ModelSpec, nranks: int = 1, out: str | Path | None = None,
              fmt: str = "hdf5", env=None, root: str | Path = "/") -> Report:
    """Compare the needs of ``spec`` on ``nranks`` ranks with the machine (module notes).

    Parameters
    ----------
    spec : ModelSpec
        A validated model.
    nranks : int
        Ranks of the run.
    out : str or Path, optional
        Output file (default: ``<config>.h5`` beside the config).
    fmt : {"hdf5", "netcdf", "nftsim"}
        Output format (sets the size estimate).
    env : mapping, optional
        Environment (default ``os.environ``); ``root`` prefixes ``/proc`` and
        ``/sys`` (for tests).

    Returns
    -------
    Report
    """
    e = estimate(spec, nranks, fmt)
    budget = memory_budget(nranks, env, root)
    out = out if out is not None else Path(spec.path).with_suffix(".h5")
    free, folder = disk_free(out)
    rep = Report(e, budget, free, folder, fmt)
    where = spec.path
    big = [(what, v) for what, v in (("Nodes", spec.grid.nodes), ("samples", e.samples),
                                    ("samples x columns", e.samples * max(1, e.columns)),
                                    ("output bytes", e.out_bytes)) if v > INT64_MAX]
    for what, v in big:
        rep.impossible.append(f"{where}: {what} = {_float(v):.3g} is beyond int64 (2^63); "
                              "fix: fewer nodes, a longer Interval or fewer output nodes "
                              "(--force cannot override this)")
    if e.tile is not None and budget.bytes is not None and e.memory > budget.bytes:
        need_total = e.state * nranks
        hist = e.history > e.state / 2
        room = budget.bytes - e.runtime - e.buffer - e.gather
        ranks = f"at least {-(-need_total // room)} ranks with " \
            f"{size(budget.bytes)} each, " if room > 0 else ""
        fix = ("a shorter Tau (the delay history holds Tau/Deltat steps per node, "
               f"{size(e.history)} per rank)" if hist else
               f"fewer nodes per rank: more ranks on more hosts ({ranks}the state is about "
               f"{size(need_total)} in all), or a smaller grid")
        rep.refusals.append(f"{where}: memory: about {size(e.memory)} per rank on {nranks} "
                            f"rank{'s' if nranks > 1 else ''}, but {size(budget.bytes)} "
                            f"available ({budget.source}); fix: {fix}; or --force")
    if free is not None and e.out_bytes > free:
        rep.refusals.append(f"{where}: disk: the output needs about {size(e.out_bytes)} "
                            f"({e.samples} samples x {e.columns} columns), but {folder} has "
                            f"{size(free)} free; fix: a longer Interval, fewer output nodes "
                            "(Output: Node:) or items, or -o on a larger disk; or --force")
    return rep


def enforce(report: Report, force: bool = False) -> None:
    """Raise :class:`ResourceError` for what does not fit (``force`` skips the refusals)."""
    stop = report.impossible + ([] if force else report.refusals)
    if stop:
        raise ResourceError("\n".join(stop))


def check_run(spec: ModelSpec, nranks: int, out: str | Path | None, fmt: str = "hdf5",
              force: bool = False) -> Report:
    """:func:`preflight` then :func:`enforce`: what ``parnft run`` calls before building."""
    report = preflight(spec, nranks, out, fmt)
    enforce(report, force)
    return report

