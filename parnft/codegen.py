"""Generate the compiled time loop of one model.

The loop body is the model's kernel calls in stage order, written out as
Python source and compiled once by numba. Arrays are passed as arguments
(deduplicated); float scalars travel in one array ``S`` and integer scalars in
one array ``I``, so the generated source depends only on the model's
*structure* (which kinds, in which order), not on its parameter values: a
parameter sweep reuses the same compiled, disk-cached loop.

On several ranks the loop also exchanges: an :class:`Exchange` adds, per
step, the completion of the halo messages in flight and the unpacking of the
ghost frames, the packing and start of the next exchange, and the
``Allgatherv`` of all-to-all couplings' fields, all as calls into
:mod:`parnft.parallel.native` (MPI) and :mod:`parnft.kernels.halo` (copies),
so Python is entered only between chunks of steps. The MPI entry points are
named symbols, not addresses, and every handle is an argument array, so such a
loop is disk-cached like any other.

The generated module is written to the kernel cache folder
(``$PARNFT_CACHE_DIR`` or ``~/.cache/parnft``) under a name that hashes its
source, and imported from there so numba can cache it like any kernel.

Loading a cached function is made cheap here (:func:`fast_cache_loads`,
installed when this module is imported, before any model is built): numba refreshes its whole typing
and target context (importing and registering every implementation module,
about 0.15 s) before it even looks in the disk cache, although a cache hit
needs none of it; the refresh is left to the compile that follows a miss,
which does it anyway.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .model.base import Call, GhostFill

CODEGEN_VERSION = "3"


def fast_cache_loads() -> bool:
    """Let numba load cached functions without its context refresh (idempotent).

    numba's ``Cache.load_overload`` calls ``target_context.refresh()`` first;
    the replacement only initialises numba's runtime (the symbols compiled
    code links to) and loads. A miss returns None as before, and numba's
    compiler refreshes the contexts itself before compiling; a load that
    raises is retried through numba's own path (with the refresh). Set
    ``PARNFT_NUMBA_REFRESH=1`` to keep numba's behaviour. Returns True when
    the fast path is installed.
    """
    from numba.core import caching

    if os.environ.get("PARNFT_NUMBA_REFRESH") == "1":
        return False
    cls = caching.Cache
    if getattr(cls.load_overload, "_parnft_fast", False):
        return True
    numba_load = cls.load_overload

    def load_overload(self, sig, target_context):
        try:
            from numba.core.runtime import rtsys

            rtsys.initialize(target_context)
            with self._guard_against_spurious_io_errors():
                return self._load_overload(sig, target_context)
        except Exception:  # noqa: BLE001 - numba's own path decides
            return numba_load(self, sig, target_context)

    load_overload._parnft_fast = True
    load_overload.__doc__ = numba_load.__doc__
    cls.load_overload = load_overload
    return True


fast_cache_loads()  # before the model builders call their first kernels


def cache_dir() -> Path:
    """Folder of generated loop modules and their numba caches."""
    root = os.environ.get("PARNFT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "parnft")
    path = Path(root) / "loops"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class LoopPlan:
    """The argument layout of a generated loop.

    Attributes
    ----------
    arrays : list of ndarray
        Distinct arrays, passed as ``A0, A1, ...``.
    floats, ints : list
        Scalar values, packed into ``S`` (float64) and ``I`` (int64).
    lines : list of str
        Source lines of one step's body.
    imports : dict
        ``alias -> (module, name)`` of the kernels called.
    comments : list of str
        Lines written at the top of the source (e.g. the MPI ABI it assumes).
    """

    arrays: list = field(default_factory=list)
    floats: list = field(default_factory=list)
    ints: list = field(default_factory=list)
    lines: list = field(default_factory=list)
    imports: dict = field(default_factory=dict)
    comments: list = field(default_factory=list)
    _ids: dict = field(default_factory=dict)

    def array(self, a: np.ndarray) -> str:
        """Name of array ``a`` in the loop (added once)."""
        key = array_id(a)
        if key not in self._ids:
            self._ids[key] = f"A{len(self.arrays)}"
            self.arrays.append(a)
        return self._ids[key]

    def arg(self, v) -> str:
        """Source text of one kernel argument."""
        if isinstance(v, np.ndarray):
            return self.array(v)
        if isinstance(v, (bool, np.bool_)):
            return "True" if v else "False"
        if isinstance(v, (int, np.integer)):
            self.ints.append(int(v))
            return f"I[{len(self.ints) - 1}]"
        if isinstance(v, (float, np.floating)):
            self.floats.append(float(v))
            return f"S[{len(self.floats) - 1}]"
        raise TypeError(f"unsupported kernel argument {type(v).__name__}")

    def kernel(self, k) -> str:
        """Alias of kernel ``k`` in the loop module."""
        fn = k.py_func
        mod, name = fn.__module__, fn.__name__
        for alias, (m, n) in self.imports.items():
            if (m, n) == (mod, name):
                return alias
        alias = f"k{len(self.imports)}_{name}"
        self.imports[alias] = (mod, name)
        return alias

    def call(self, c, indent: str = "        ", lead: tuple = ()) -> None:
        """Append ``kernel(*lead, *args, n)`` to the step body."""
        args = ", ".join(list(lead) + [self.arg(a) for a in c.args] + ["n"])
        self.lines.append(f"{indent}{self.kernel(c.kernel)}({args})")

    def strips(self, group: list[Call], strip: tuple[int, int, int]) -> None:
        """Append the calls of ``group`` run together over strips of ``rows`` grid rows.

        ``strip = (ly, lx, rows)``. The ``before`` calls run first (in order),
        then for each strip every call's ranged kernel, then the ``after`` calls.
        """
        ly, lx, rows = (self.arg(int(v)) for v in strip)
        for c in group:
            for b in c.ranged.before:
                self.call(b)
        self.lines += [f"        for y0 in range(0, {ly}, {rows}):",
                       f"            y1 = min(y0 + {rows}, {ly})",
                       f"            i0 = y0 * {lx}",
                       f"            i1 = y1 * {lx}"]
        for c in group:
            lead = ("y0", "y1") if c.ranged.unit == "rows" else ("i0", "i1")
            self.call(c.ranged, "            ", lead)
        for c in group:
            for a in c.ranged.after:
                self.call(a)


def array_id(a: np.ndarray) -> tuple:
    """Identity of an array argument: data address, shape, strides, dtype."""
    return (a.__array_interface__["data"][0], a.shape, a.strides, a.dtype.str)


def _array_ids(calls) -> set:
    """Identities of the arrays in ``calls``' arguments."""
    return {array_id(a) for c in calls for a in c.args if isinstance(a, np.ndarray)}


def _touched(c: Call) -> set:
    r = c.ranged
    return _array_ids((c, r) + tuple(r.before) + tuple(r.after))


def fuse_groups(calls: list[Call]) -> list[list[Call]]:
    """Split the step's calls into runs that are executed strip by strip.

    A run is a maximal sequence of calls with a :class:`~parnft.model.base.Ranged`
    form such that hoisting their ``before`` calls to the start of the run and
    sinking their ``after`` calls to its end changes nothing: a call's
    ``before`` touches no array an earlier call of the run touches, and an
    earlier call's ``after`` touches no array this call touches. A call without
    a ranged form is a run of its own (run whole).
    """
    runs: list[list[Call]] = []
    cur: list[Call] = []
    seen: set = set()
    pending_after: set = set()
    for c in calls:
        if c.ranged is None:
            if cur:
                runs.append(cur)
            runs.append([c])
            cur, seen, pending_after = [], set(), set()
            continue
        before = _array_ids(c.ranged.before)
        touched = _touched(c)
        if cur and (before & seen or touched & pending_after):
            runs.append(cur)
            cur, seen, pending_after = [], set(), set()
        cur.append(c)
        seen |= touched
        pending_after |= _array_ids(c.ranged.after)
    if cur:
        runs.append(cur)
    return runs


@dataclass
class Exchange:
    """What a multi-rank loop exchanges each step (arrays made by :mod:`parnft.parallel`).

    Attributes
    ----------
    mode : {"overlap", "blocking"}
        overlap: the step's calls before the wait, the wait (receives of the
        exchange started at the end of the previous step, then unpacking), the
        :attr:`after_wait` calls, then the next start. blocking: all calls,
        then start and wait.
    halo : HaloExchange or None
        Its ``handles``, ``nrecv``, ``statuses``, ``state``, ``times``,
        ``sendbuf``, ``recvbuf``, ``plan`` and ``wraps`` are used.
    fields : list of (ndarray, ndarray)
        ``(levels x ghosted array, cur)`` per exchanged field, in message order.
    gather : Allgather or None
        Its ``ops``, ``counts``, ``displs``, ``handles``, ``state`` and ``times``.
    after_wait : list of Call
        overlap mode: the calls that read ghost cells (after the wait).
    fills : list of Call
        The boundary fills of the tile's global edges (:mod:`parnft.boundary`),
        right after each wait's unpacking, in both modes.
    abi : str
        The MPI ABI facts the handle arrays follow (written into the source).
    """

    mode: str
    halo: object = None
    fields: list = field(default_factory=list)
    gather: object = None
    after_wait: list = field(default_factory=list)
    abi: str = ""
    fills: list = field(default_factory=list)


def _body(plan: LoopPlan, calls: list[Call], strip) -> None:
    runs = fuse_groups(calls) if strip is not None else [[c] for c in calls]
    for run in runs:
        if isinstance(run[0], GhostFill):
            _ghost_fill(plan, run[0])
        elif strip is not None and run[0].ranged is not None:
            plan.strips(run, strip)
        else:
            plan.call(run[0])


def _halo_wait(plan: LoopPlan, ex: Exchange) -> None:
    """Complete the receives in flight and unpack them into the ghost frames."""
    from .kernels.halo import unpack_field
    from .parallel.native import halo_complete, wtime
    from .parallel.shm import shm_complete

    h = ex.halo
    clock = plan.kernel(wtime)
    plan.lines.append(f"        t0 = {clock}()")
    if h.shm is not None:  # shared-memory transport (parallel.shm)
        sh = h.shm
        call = f"{plan.kernel(shm_complete)}({plan.array(sh.words_i)}, " \
               f"{plan.array(sh.words_f)}, {plan.array(h.recvbuf)}, " \
               f"{plan.array(sh.recv_plan)}, {plan.array(sh.win_handle)}, {plan.array(h.state)})"
    else:
        call = f"{plan.kernel(halo_complete)}({plan.array(h.handles)}, " \
               f"{plan.arg(int(h.nrecv))}, {plan.array(h.statuses)}, {plan.array(h.state)})"
    plan.lines.append(f"        if {call}:")
    unpack = plan.kernel(unpack_field)
    for k, (f, cur) in enumerate(ex.fields):
        plan.lines.append(f"            {unpack}({plan.array(h.recvbuf)}, {plan.array(h.plan)}, "
                          f"{k}, {plan.array(f)}, {plan.array(cur)})")
    plan.lines.append(f"        {plan.array(h.times)}[0] += {clock}() - t0")
    for c in ex.fills:  # physical boundaries on the global edges, after the exchange
        plan.call(c)


def _halo_start(plan: LoopPlan, ex: Exchange) -> None:
    """Complete the previous sends, pack this step's border strips, start, wrap locally."""
    from .kernels.halo import pack_field
    from .parallel.native import halo_begin, halo_post, wtime
    from .parallel.shm import shm_post

    h = ex.halo
    hs, st = plan.array(h.handles), plan.array(h.state)
    clock = plan.kernel(wtime)
    plan.lines.append(f"        t0 = {clock}()")
    if h.shm is None:
        plan.lines.append(f"        {plan.kernel(halo_begin)}({hs}, {plan.arg(int(h.nrecv))}, "
                          f"{plan.array(h.statuses)}, {st})")
    pack = plan.kernel(pack_field)
    for k, (f, cur) in enumerate(ex.fields):
        plan.lines.append(f"        {pack}({plan.array(h.sendbuf)}, {plan.array(h.plan)}, {k}, "
                          f"{plan.array(f)}, {plan.array(cur)})")
    if h.shm is None:
        plan.lines.append(f"        {plan.kernel(halo_post)}({hs}, {st})")
    else:  # write into the neighbours' slots, raise their flags (parallel.shm)
        sh = h.shm
        plan.lines.append(f"        {plan.kernel(shm_post)}({plan.array(sh.words_i)}, "
                          f"{plan.array(sh.words_f)}, {plan.array(h.sendbuf)}, "
                          f"{plan.array(sh.send_plan)}, {plan.array(sh.win_handle)}, {st})")
    _halo_wraps(plan, ex)
    plan.lines.append(f"        {plan.array(h.times)}[0] += {clock}() - t0")


def _halo_wraps(plan: LoopPlan, ex: Exchange) -> None:
    """The periodic wrap of the tile onto itself on the sides whose neighbour is this rank."""
    from .kernels.halo import wrap_field

    h = ex.halo
    if h.wraps.size:
        wrap = plan.kernel(wrap_field)
        for f, cur in ex.fields:
            plan.lines.append(f"        {wrap}({plan.array(f)}, {plan.array(cur)}, "
                              f"{plan.array(h.wraps)})")


def _ghost_fill(plan: LoopPlan, fill: GhostFill) -> None:
    """A blocking exchange of ``fill``'s fields in the middle of the step.

    Through the same plan kinds and code as the wave fields' exchange: with
    messages to other ranks, start then wait (:func:`_halo_start`,
    :func:`_halo_wait`); with none (one rank), only the local wraps, so a
    one-rank loop calls no MPI.
    """
    if fill.halo is None:
        raise RuntimeError("GhostFill without a halo plan (the solver binds one)")
    ex = Exchange("blocking", fill.halo, list(fill.fields), fills=list(fill.edges))
    if fill.halo.plan.shape[0]:
        _halo_start(plan, ex)
        _halo_wait(plan, ex)  # ends with the physical boundary fills
    else:
        _halo_wraps(plan, ex)
        for c in ex.fills:
            plan.call(c)


def _gather(plan: LoopPlan, ex: Exchange) -> None:
    """One ``Allgatherv`` per gathered field, then the permutation into global order."""
    from .kernels.halo import permute
    from .parallel.native import gather, wtime

    g = ex.gather
    clock = plan.kernel(wtime)
    plan.lines.append(f"        t0 = {clock}()")
    for op in g.ops:
        plan.lines.append(f"        {plan.kernel(gather)}({plan.array(op.local)}, "
                          f"{plan.array(op.recv)}, {plan.array(g.counts)}, "
                          f"{plan.array(g.displs)}, {plan.array(g.handles)}, "
                          f"{plan.array(g.state)})")
        if op.perm is not None:
            plan.lines.append(f"        {plan.kernel(permute)}({plan.array(op.recv)}, "
                              f"{plan.array(op.perm)}, {plan.array(op.glob)})")
    plan.lines.append(f"        {plan.array(g.times)}[0] += {clock}() - t0")


def _exchange(plan: LoopPlan, calls: list[Call], strip, ex: Exchange) -> None:
    """The step body of a multi-rank loop (see :class:`Exchange`)."""
    plan.comments.append(f"# MPI ABI: {ex.abi}; halo {ex.mode}")
    _body(plan, calls, strip)
    if ex.halo is not None and ex.mode == "overlap":
        _halo_wait(plan, ex)
        _body(plan, ex.after_wait, strip)
        _halo_start(plan, ex)
    elif ex.halo is not None:
        _body(plan, ex.after_wait, strip)
        _halo_start(plan, ex)
        _halo_wait(plan, ex)
    else:
        _body(plan, ex.after_wait, strip)
    if ex.gather is not None:
        _gather(plan, ex)
    owners = [o for o in (ex.halo, ex.gather) if o is not None]
    for c in list(calls) + list(ex.after_wait):  # the mid-step fills' plans too
        if isinstance(c, GhostFill) and all(c.halo is not o for o in owners):
            owners.append(c.halo)
    if owners:
        cond = " or ".join(f"{plan.array(o.state)}[2] != 0" for o in owners)
        plan.lines.append(f"        if {cond}:")
        plan.lines.append("            return s + 1, row")


def plan_loop(step_calls: list[Call], records: list[tuple], sample: bool = True,
              strip: tuple[int, int, int] | None = None,
              exchange: Exchange | None = None) -> LoopPlan:
    """Lay out the loop of ``step_calls`` sampling ``records`` = [(buf, src, idx)].

    With ``sample=False`` the loop only advances (no output rows are taken).
    With ``strip = (ly, lx, rows)`` consecutive calls that have a ranged form
    run together over strips of ``rows`` grid rows of the ``ly x lx`` tile
    (:func:`fuse_groups`), so each strip's arrays stay in cache from one kernel
    to the next; every node gets the same operations in the same order, so the
    results are bit for bit those of the unfused loop. With ``exchange`` the
    step also does its halo exchange and gathers (:class:`Exchange`), and an
    MPI error code stops the loop after that step (the solver raises).
    """
    plan = LoopPlan()
    if exchange is None:
        _body(plan, step_calls, strip)
    else:
        _exchange(plan, step_calls, strip, exchange)
    if not sample:
        return plan
    from .kernels.record import record

    rec = plan.kernel(record)
    body = []
    for buf, src, idx in records:
        body.append(f"            {rec}({plan.array(buf)}, row, {plan.array(src)}, "
                    f"{plan.array(idx)})")
    plan.lines.append("        m = n - skip")
    plan.lines.append("        if m > 0 and m % every == 0:")
    plan.lines.extend(body)
    plan.lines.append("            tsteps[row] = n")
    plan.lines.append("            row += 1")
    plan.lines.append("            if row == nrows:")
    plan.lines.append("                return s + 1, row")
    return plan


def kernels_digest(modules) -> str:
    """Hash of the source files of ``modules`` (and parnft's kernel package).

    numba's cache of a function does not notice changes in the functions it
    calls from other files; putting this digest in the generated source makes
    every change of a kernel give a new loop module, compiled afresh.
    """
    import importlib

    h = hashlib.sha1()
    names = sorted(set(modules) | {"parnft.kernels"})
    for name in names:
        mod = importlib.import_module(name)
        path = getattr(mod, "__file__", None)
        if path and os.path.exists(path):
            h.update(Path(path).read_bytes())
    kdir = Path(__file__).with_name("kernels")
    for f in sorted(kdir.glob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def source(plan: LoopPlan) -> str:
    """Python source of the loop module."""
    mods = {m for m, _ in plan.imports.values()}
    head = ["# generated by parnft.codegen; do not edit",
            f"# kernel sources digest {kernels_digest(mods)}", *plan.comments,
            "from numba import njit"]
    for alias, (mod, name) in sorted(plan.imports.items()):
        head.append(f"from {mod} import {name} as {alias}")
    params = ", ".join(f"A{i}" for i in range(len(plan.arrays)))
    head += [
        "",
        "",
        "@njit(cache=True, fastmath=False, error_model='numpy')",
        f"def advance(nsteps, n0, skip, every, tsteps, row, nrows, S, I, {params}):",
        "    for s in range(nsteps):",
        "        n = n0 + s + 1",
    ]
    return "\n".join(head + plan.lines + ["    return nsteps, row", ""])


@contextlib.contextmanager
def compile_lock(fn):
    """Hold an exclusive lock on the cache entry of the generated loop ``fn``.

    Around a loop's first call (which compiles it, or loads it from numba's
    disk cache): of several processes that need the same new loop at once
    (the ranks of one run, pytest workers, sweep groups) one compiles while
    the others wait asleep in ``flock`` and then load what it cached, instead
    of every process compiling the same source (on an oversubscribed node, N
    times the CPU). The lock is a file beside the loop's source; the kernel
    drops it when a holder dies. Where the file system refuses ``flock``, or
    with ``PARNFT_COMPILE_LOCK=0``, no lock is taken. No MPI: a holder
    compiles without waiting on any other process.
    """
    fh = None
    if os.environ.get("PARNFT_COMPILE_LOCK", "1") != "0":
        name = getattr(getattr(fn, "py_func", fn), "__module__", "") or "loop"
        try:
            fh = open(cache_dir() / f"{name}.lock", "a")  # noqa: SIM115 - closed below
            fcntl.flock(fh, fcntl.LOCK_EX)
        except OSError:
            if fh is not None:
                fh.close()
            fh = None
    try:
        yield
    finally:
        if fh is not None:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()


def compile_loop(plan: LoopPlan):
    """Write, import and return the generated ``advance`` function.

    Its first call loads it from numba's disk cache when this source was
    compiled before (without numba's context refresh: :func:`fast_cache_loads`).
    """
    src = source(plan)
    digest = hashlib.sha1((CODEGEN_VERSION + src).encode()).hexdigest()[:16]
    name = f"parnft_loop_{digest}"
    if name in sys.modules:
        return sys.modules[name].advance
    path = cache_dir() / f"{name}.py"
    if not path.exists() or path.read_text() != src:
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(src)
        os.replace(tmp, path)
    fast_cache_loads()
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod.advance
