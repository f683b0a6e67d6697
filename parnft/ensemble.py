"""Ensembles in one allocation: many members of one model, run side by side.

``parnft sweep model.conf --set KEY=v1,v2 --ranks-per-member R -o OUT``
(:mod:`parnft.commands.sweep`) calls :func:`run_ensemble`: the job's ranks are
split into groups of R (:func:`parnft.parallel.ensemble.split_groups`), member
i runs on group ``i mod G`` (static round robin), and each group runs its
members one after another. A member is the base config with the row's values
set by key path (:func:`parnft.jobs.sweep.set_values`, the grammar of the
job-array sweeps), validated, simulated and written like ``parnft run`` on R
ranks, so its file is bitwise the one ``parnft run`` writes for the member's
config (``OUT/member-NNNN.conf``, kept beside its output).

Parameter values are runtime arrays of the compiled loop
(:mod:`parnft.codegen`), so members that differ only in values share one
compiled loop: the first member of a group loads it (or compiles it), the
others reuse it from memory.

Outputs: one HDF5 file per member, ``OUT/member-NNNN.h5``, and an index,
``OUT/index.h5`` (:func:`write_index`), with the members' parameters, status,
error, exit code and timings. One file per member (rather than one file with
a member dimension) lets every group write with the run's own collective
writer on its own communicator, at its own pace, and a failed or killed
member never touches the others' data. ``parnft.open_dataset(OUT/index.h5)``
joins the members into one ``xarray.Dataset`` with a ``member`` dimension and
the parameters as coordinates (:func:`parnft.io.read.open_index`).

A member that fails (a value the validation refuses: ConfigError; a diverged
run: RunError; an I/O error) is recorded as failed with its error, and the
others go on. On R > 1 ranks a member advances in chunks that end at the
solver's finiteness check, and the group agrees on errors after each chunk,
so a divergence seen by one rank of a group stops the whole group together.
"""

from __future__ import annotations

import json
import logging
import os
import time as _time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import ConfigError, Interrupted, OutputError, ParnftError

log = logging.getLogger("parnft")

#: Root attribute ``parnft_kind`` of an index file.
INDEX_KIND = "ensemble-index"
#: Steps per chunk on several ranks: the solver checks finiteness every 64 steps.
CHECK_EVERY = 64


@dataclass
class MemberResult:
    """What became of one member (a row of the index).

    Attributes
    ----------
    member : int
        Row of the table, 0-based.
    values : list of str
        The row's values, one per key, as written.
    status : str
        ``"ok"``, ``"failed"`` or ``"pending"`` (not run: the job stopped).
    error : str
        The error message of a failed member (empty otherwise).
    exit_code : int
        What ``parnft run`` of the member would exit with (0 when ok).
    file, conf : str
        Output and config file names, relative to the index's folder.
    group : int
        Group of ranks that ran it.
    wall_s, compile_s : float
        Seconds for the whole member and for building/loading its loop.
    steps : int
        Steps simulated.
    """

    member: int
    values: list
    status: str = "pending"
    error: str = ""
    exit_code: int = 0
    file: str = ""
    conf: str = ""
    group: int = -1
    wall_s: float = 0.0
    compile_s: float = 0.0
    steps: int = 0
    extra: dict = field(default_factory=dict)


def member_table(sets: list[str], table: str | None) -> tuple[list[str], list[list[str]]]:
    """Keys and rows from ``--set KEY=v1,v2`` options (Cartesian product) or a table file.

    Raises
    ------
    ConfigError
        When neither or both are given, or either is malformed.
    """
    from .jobs import sweep as sw

    if bool(sets) == bool(table):
        raise ConfigError("parnft sweep: give the parameter sets either as --set "
                          "KEY=v1,v2,... (repeatable: every combination) or as --table FILE "
                          "(a header line of key paths, one row per member), not both")
    if sets:
        return sw.sweep_table(sets, flag="--set")
    return sw.read_table(table)


def member_name(i: int) -> str:
    """File stem of member ``i``: ``member-0007``."""
    return f"member-{i:04d}"


def _prepare(conf: str, keys: list[str], rows: list[list[str]], outdir: str) -> str:
    """Rank 0: read and check the base config and the keys; make ``outdir``; the text."""
    from .config import parse_config
    from .jobs.sweep import find_key

    try:
        text = Path(conf).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{conf}: cannot read it ({exc.strerror}); check the path") from None
    parse_config(text, path=conf)
    for k in keys:
        find_key(text, k, conf)
    if not rows:
        raise ConfigError("parnft sweep: the parameter table has no rows")
    try:
        os.makedirs(outdir, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"parnft sweep: cannot create the output folder {outdir} "
                          f"({exc.strerror}); choose another -o") from None
    return text


def _member_spec(base: str, conf: str, keys, row, conf_out: str):
    """Group rank 0: write the member's config and return its validated spec."""
    from .config import parse_config
    from .jobs.sweep import set_values

    text = set_values(base, dict(zip(keys, row, strict=True)), where=conf)
    Path(conf_out).write_text(text)
    return parse_config(text, path=conf_out)


def _together(comm, fn, *args, **kwargs):
    """``fn(...)`` on every rank of ``comm``; if any rank fails, all raise (collective)."""
    from .parallel.comm import agree_on_error

    out, err = None, None
    try:
        out = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - shared with the group, then re-raised
        err = exc
    agree_on_error(comm, err)
    return out


def _advance(sim, writer, comm) -> None:
    """Run ``sim`` to the end; on several ranks in chunks that end at a finiteness check."""
    if comm.Get_size() == 1:
        sim.run(writer)
        return
    total = sim.spec.time.steps
    while sim.n < total:
        _together(comm, sim.run, writer, steps=CHECK_EVERY - sim.n % CHECK_EVERY)


def run_member(i: int, row: list[str], base: str, conf: str, keys: list[str], outdir: str,
               group, *, procs=None, rng="counter", halo="auto") -> MemberResult:
    """Run member ``i`` on ``group`` (collective over the group).

    A failure is recorded in the result, never raised, except
    :class:`~parnft.errors.Interrupted` (a signal stops the sweep; the
    member's file is closed marked incomplete).

    Returns
    -------
    MemberResult
        On every rank of the group.
    """
    from .api import make_writer
    from .parallel.comm import bcast_result
    from .solver import Simulation

    name = member_name(i)
    res = MemberResult(i, list(row), file=f"{name}.h5", conf=f"{name}.conf")
    t0 = _time.perf_counter()
    sim = writer = None
    try:
        spec = bcast_result(group, _member_spec, base, conf, keys, row,
                            os.path.join(outdir, res.conf))
        sim = _together(group, Simulation, spec, group, procs=procs, rng=rng, halo=halo)
        writer = _together(group, make_writer, os.path.join(outdir, res.file), "hdf5", sim,
                           group)
        _advance(sim, writer, group)
        writer.close(sim.stats, complete=True)
        writer = None
        res.status = "ok"
    except Exception as exc:  # noqa: BLE001 - the member fails alone; the rest go on
        res.status = "failed"
        res.exit_code = exc.exit_code if isinstance(exc, ParnftError) else 1
        res.error = str(exc) if isinstance(exc, ParnftError) else f"{type(exc).__name__}: {exc}"
        if writer is not None:
            try:
                writer.close(None, complete=False)
            except Exception:  # noqa: BLE001 - keep the member's own error
                pass
        if isinstance(exc, Interrupted):
            raise  # a signal stops the whole sweep, not one member
    finally:
        if sim is not None:
            res.steps, res.compile_s = sim.n, sim.stats.compile
            sim.close()
    res.wall_s = _time.perf_counter() - t0
    return res


def run_ensemble(conf: str, keys: list[str], rows: list[list[str]], comm, *,
                 ranks_per_member: int = 1, outdir: str | None = None, procs=None,
                 rng: str = "counter", halo: str = "auto") -> tuple[str, list[MemberResult]]:
    """Run every row of the table as a member of the ensemble (collective over ``comm``).

    Parameters
    ----------
    conf : str
        Base ``.conf`` file.
    keys, rows :
        Key paths and one row of values per member (:func:`member_table`).
    comm : mpi4py communicator
        The job's ranks (the command layer passes ``COMM_WORLD``).
    ranks_per_member : int
        R: ranks per member; must divide ``comm``'s size.
    outdir : str, optional
        Output folder (default ``<conf stem>-sweep`` beside the config).
    procs, rng, halo :
        As for ``parnft run``, for every member.

    Returns
    -------
    tuple
        ``(index path, results of every member in order)``, on every rank.

    Raises
    ------
    ConfigError, OutputError
        On every rank, before anything runs: a bad base config, key path,
        rank count or output folder.
    """
    from .parallel.comm import bcast_result
    from .parallel.ensemble import assign_members, check_group_size, split_groups

    check_group_size(comm.Get_size(), ranks_per_member)
    if procs is not None and procs[0] * procs[1] != ranks_per_member:
        raise ConfigError(f"--procs {procs[0]}x{procs[1]}: a member runs on "
                          f"--ranks-per-member {ranks_per_member} ranks, not "
                          f"{procs[0] * procs[1]}; give a process grid of {ranks_per_member} "
                          "ranks or leave --procs out")
    outdir = outdir or str(Path(conf).with_suffix("")) + "-sweep"
    base = bcast_result(comm, _prepare, conf, keys, rows, outdir)
    index = os.path.join(outdir, "index.h5")
    pending = [MemberResult(i, list(r), file=f"{member_name(i)}.h5",
                            conf=f"{member_name(i)}.conf") for i, r in enumerate(rows)]
    meta = {"base_config_path": conf, "base_config_text": base, "keys": keys,
            "ranks_per_member": ranks_per_member, "nranks": comm.Get_size(),
            "groups": comm.Get_size() // ranks_per_member,
            "assignment": "static round robin: member i on group i mod groups"}
    bcast_result(comm, write_index, index, pending, meta, complete=False)
    groups = split_groups(comm, ranks_per_member)
    mine = []
    try:
        for i in assign_members(len(rows), groups.count, groups.index):
            res = run_member(i, rows[i], base, conf, keys, outdir, groups.comm,
                             procs=procs, rng=rng, halo=halo)
            res.group = groups.index
            mine.append(res)
            if groups.comm.Get_rank() == 0:
                setting = " ".join(f"{k}={v}" for k, v in zip(keys, rows[i], strict=True))
                if res.status == "ok":
                    log.info("member %d (%s): ok, %.3f s", i, setting, res.wall_s)
                else:
                    log.warning("member %d (%s) failed: %s", i, setting, res.error)
    finally:
        groups.free()
    parts = comm.allgather(mine if groups.index * ranks_per_member == comm.Get_rank()
                           else [])
    results = sorted((r for p in parts for r in p), key=lambda r: r.member)
    bcast_result(comm, write_index, index, results, meta, complete=True)
    return index, results


def write_index(path: str, results: list[MemberResult], meta: dict,
                complete: bool = True) -> str:
    """Write the ensemble's index file (HDF5, one entry per member along ``member``).

    Layout: root attributes ``parnft_kind = "ensemble-index"``, ``keys`` (JSON
    list), the base config's path and text, ``ranks_per_member``, ``nranks``,
    ``groups``, ``assignment``, ``complete``, ``members_ok``,
    ``members_failed``, ``parnft_version``, ``git_sha``, ``created``; datasets
    of length M: ``member``, ``status``, ``error``, ``exit_code``, ``file``,
    ``conf``, ``group``, ``wall_s``, ``compile_s``, ``steps``, and
    ``param/<i>`` per key (the values as written; attribute ``key`` holds the
    key path and ``numeric`` whether every value is a number).
    """
    import datetime as _dt

    import h5py
    import numpy as np

    from . import __version__
    from .provenance import git_sha

    sdt = h5py.string_dtype()
    tmp = f"{path}.{os.getpid()}.tmp"
    with h5py.File(tmp, "w") as f:
        a = f.attrs
        a["parnft_kind"] = INDEX_KIND
        a["parnft_version"] = __version__
        a["git_sha"] = git_sha()
        a["created"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        for k, v in meta.items():
            a[k] = json.dumps(v) if isinstance(v, (list, dict)) else v
        a["complete"] = bool(complete)
        a["members_ok"] = sum(r.status == "ok" for r in results)
        a["members_failed"] = sum(r.status == "failed" for r in results)
        rows = [asdict(r) for r in results]
        for name in ("status", "error", "file", "conf"):
            f.create_dataset(name, data=[r[name] for r in rows], dtype=sdt)
        for name, dt in (("member", np.int64), ("exit_code", np.int64), ("group", np.int64),
                         ("steps", np.int64), ("wall_s", np.float64),
                         ("compile_s", np.float64)):
            f.create_dataset(name, data=np.array([r[name] for r in rows], dtype=dt))
        g = f.create_group("param")
        for j, key in enumerate(meta["keys"]):
            vals = [r.values[j] for r in results]
            d = g.create_dataset(str(j), data=vals, dtype=sdt)
            d.attrs["key"] = key
            d.attrs["numeric"] = all(_is_number(v) for v in vals)
    os.replace(tmp, path)
    return path


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
