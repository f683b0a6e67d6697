"""Checkpoint files: the whole model state at one step, in global layout, verified on load.

Layout of ``<out>.ckpt/step-NNNNNNNNNN.h5`` (``docs/checkpoint.md``)::

    /meta                  attrs: format, parnft_version, config_text, config_path, rng,
                                  step, time, samples_written, nranks, process_grid,
                                  numpy, numba, created, ..., complete (written last)
    /state/<owner>/<name>  one dataset per saved array (parnft.model.state): owned
                           nodes only, in global layout; attrs layout, crc32

Writing (collective, :class:`CheckpointWriter`): every rank writes its
hyperslabs into ``.step-N.h5.tmp`` through MPI-IO (``h5py`` ``mpio``; rank 0
gathers and writes alone where h5py has no MPI), the file is closed, rank 0
reopens it, stores the zlib CRC-32 of every dataset as read back from the
disk, writes ``complete = True`` last, closes and ``fsync``-s it, renames it
to its final name and ``fsync``-s the folder. Only then are older checkpoints
removed (the newest :data:`KEEP` are kept), so a kill at any moment leaves the
previous complete checkpoint in place.

Loading (:func:`find_checkpoint`, :func:`read_state`): rank 0 takes the newest
``step-*.h5`` whose ``complete`` flag is set and whose checksums all verify,
logging why it refuses any newer one; config text, parnft version and noise
generator must match the run (:class:`~parnft.errors.ConfigError`, exit 2,
naming what differs). Every rank then reads its own hyperslabs, whatever the
rank count and process grid of the run that wrote the file.

Fault injection for the tests: ``PARNFT_TEST_KILL_AT=before-complete`` or
``before-rename`` makes rank 0 SIGKILL itself at that point of the next
checkpoint write (:func:`fault`).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import logging
import os
import re
import signal
import zlib

import h5py
import numpy as np

from ..errors import ConfigError, OutputError
from ..model.state import CheckpointError, StateArray, global_shape, tile_view
from ..parallel.comm import bcast_result
from .target import os_cause

log = logging.getLogger("parnft.io")

#: Version of the file layout (``/meta`` attribute ``format``).
FORMAT = 1
#: Complete checkpoints kept: the newest and the one before it.
KEEP = 2
#: Suffix of the checkpoint folder beside the output.
SUFFIX = ".ckpt"
_NAME = re.compile(r"^step-(\d+)\.h5$")
#: Bytes of a dataset read at a time while checksumming it.
_SLAB_BYTES = 1 << 26


_UNITS = {"s": 1.0, "sec": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0}


def parse_interval(text) -> tuple[int, float | None]:
    """``--checkpoint-every``: ``"5000"`` -> (5000, None) steps; ``"15min"`` -> (0, 900.0).

    Units: s, min (or m), h. Raises :class:`~parnft.errors.ConfigError` (exit 2).
    """
    t = str(text).strip().lower()
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*(s|sec|min|m|h)?", t)
    if m is None or (m.group(2) is None and not m.group(1).isdigit()):
        raise ConfigError(f"--checkpoint-every {text!r}: not a number of steps or a wall "
                          "time; fix: give steps (e.g. 10000) or a time with a unit (30s, "
                          "15min, 2h)")
    if m.group(2) is None:
        steps = int(m.group(1))
        if steps <= 0:
            raise ConfigError(f"--checkpoint-every {text!r}: must be at least 1 step")
        return steps, None
    sec = float(m.group(1)) * _UNITS[m.group(2)]
    if sec <= 0:
        raise ConfigError(f"--checkpoint-every {text!r}: the interval must be positive")
    return 0, sec


def checkpoint_dir(out: str) -> str:
    """The checkpoint folder of output ``out``: ``<out>.ckpt``."""
    return os.fspath(out) + SUFFIX


def step_file(step: int) -> str:
    """File name of the checkpoint at ``step``."""
    return f"step-{int(step):010d}.h5"


_FAULTS: dict = {}


def fault(point: str) -> None:
    """SIGKILL this process when ``$PARNFT_TEST_KILL_AT`` names ``point`` (tests only).

    ``point:N`` kills at the N-th time this process reaches ``point`` (default 1).
    """
    spec = os.environ.get("PARNFT_TEST_KILL_AT", "")
    if point.startswith("step:"):
        hit = spec == point
    else:
        name, _, nth = spec.partition(":")
        if name != point:
            return
        _FAULTS[point] = _FAULTS.get(point, 0) + 1
        hit = _FAULTS[point] == int(nth or 1)
    if hit:
        log.warning("PARNFT_TEST_KILL_AT=%s: killing pid %d", point, os.getpid())
        logging.shutdown()
        os.kill(os.getpid(), signal.SIGKILL)


def dataset_crc(d: h5py.Dataset) -> int:
    """zlib CRC-32 of a dataset's values in C order, read in slabs along the first axis."""
    if d.shape == () or d.size == 0:
        return zlib.crc32(np.ascontiguousarray(d[()]).tobytes())
    row = max(1, d.size // max(1, d.shape[0])) * d.dtype.itemsize
    step = max(1, _SLAB_BYTES // row)
    crc = 0
    for i in range(0, d.shape[0], step):
        crc = zlib.crc32(np.ascontiguousarray(d[i:i + step]).tobytes(), crc)
    return crc


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _steps_in(directory: str) -> list[tuple[int, str]]:
    """``(step, path)`` of the checkpoint files in ``directory``, newest first."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = [(int(m.group(1)), os.path.join(directory, n)) for n in names
             if (m := _NAME.match(n))]
    return sorted(found, reverse=True)


class CheckpointWriter:
    """Write checkpoints of one run into ``directory`` (collective).

    Parameters
    ----------
    directory : str
        The checkpoint folder (:func:`checkpoint_dir`), created by rank 0.
    comm : mpi4py communicator
        The simulation's ranks.
    tiling : parnft.parallel.tiling.Tiling
        Global shape, this rank's tile and every rank's tile bounds.
    meta : dict
        Attributes of ``/meta`` common to every checkpoint of the run.
    keep : int
        Complete checkpoints kept (:data:`KEEP`).
    every_steps : int
        Checkpoint at every multiple of this step count (0: only on a signal or
        at wall-clock intervals agreed by :class:`~parnft.parallel.stop.RunControl`).
    """

    def __init__(self, directory: str, comm, tiling, meta: dict, keep: int = KEEP,
                 every_steps: int = 0):
        self.dir = os.fspath(directory)
        self.every_steps = int(every_steps)
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self.glb = tuple(tiling.glb_shape)
        self.loc = tuple(tiling.loc_shape)
        self.start = tuple(tiling.loc_start)
        self.bounds = tiling.tile_bounds()
        self.meta = dict(meta)
        self.keep = max(1, int(keep))
        self.collective = self.size > 1 and bool(h5py.get_config().mpi)
        self.written: list[str] = []
        bcast_result(comm, self._mkdir)

    def _mkdir(self) -> None:
        try:
            os.makedirs(self.dir, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.dir}: cannot create the checkpoint folder: "
                              f"{os_cause(exc)}") from None

    # -- collective --------------------------------------------------------
    def write(self, step: int, entries: list[StateArray], meta: dict) -> str:
        """Write the checkpoint of ``step`` (collective); returns its path.

        ``entries`` (:func:`parnft.model.state.model_state`) are read, not
        changed; ``meta`` adds per-checkpoint attributes (time, samples written).
        """
        final = os.path.join(self.dir, step_file(step))
        tmp = os.path.join(self.dir, f".{step_file(step)}.tmp")
        self._check_tile_arrays(entries)
        err = None
        try:
            self._write_data(tmp, step, entries, meta)
        except OSError as exc:
            err = exc
        if self.size > 1:
            from ..parallel.comm import agree_on_error

            agree_on_error(self.comm, None if err is None else OutputError(
                f"{tmp}: cannot write the checkpoint: {os_cause(err)}"))
        elif err is not None:
            raise OutputError(f"{tmp}: cannot write the checkpoint: {os_cause(err)}")
        bcast_result(self.comm, self._seal, tmp, final)
        self.written.append(final)
        return final

    def _check_tile_arrays(self, entries) -> None:
        """Arrays saved once (layout ``tile``) must be the same on every rank."""
        if self.size == 1:
            return
        mine = [zlib.crc32(np.ascontiguousarray(s.array).tobytes()) for s in entries
                if s.layout == "tile"]
        every = self.comm.allgather(mine)
        if any(o != every[0] for o in every):
            names = [s.name for s in entries if s.layout == "tile"]
            bad = [n for k, n in enumerate(names) if len({o[k] for o in every}) > 1]
            raise CheckpointError(f"arrays declared 'tile' differ between ranks: "
                                  f"{', '.join(bad)}; fix: declare them per node")

    def _open(self, tmp: str):
        if self.collective:
            return h5py.File(tmp, "w", driver="mpio", comm=self.comm)
        if self.rank == 0:
            return h5py.File(tmp, "w")
        return None

    def _write_data(self, tmp: str, step: int, entries, meta: dict) -> None:
        f = self._open(tmp)
        try:
            if f is not None:
                m = f.create_group("meta")
                for k, v in {**self.meta, **meta, "step": int(step), "format": FORMAT,
                             "created": _dt.datetime.now(_dt.UTC).isoformat(
                                 timespec="seconds")}.items():
                    m.attrs[k] = v
                m.attrs["complete"] = False
            for s in entries:
                self._write_one(f, s)
        finally:
            if f is not None:
                f.close()

    def _write_one(self, f, s: StateArray) -> None:
        shape = global_shape(s, self.glb, self.loc)
        tile = tile_view(s, self.loc)
        d = None
        if f is not None:
            d = f.create_dataset(f"state/{s.name}", shape=shape, dtype=s.array.dtype)
            d.attrs["layout"] = s.layout
        if s.layout == "tile":
            if self.rank == 0:
                d[...] = s.array
            return
        y0, x0 = self.start
        ly, lx = self.loc
        if self.collective:
            with d.collective:
                d[..., y0:y0 + ly, x0:x0 + lx] = np.ascontiguousarray(tile)
            return
        parts = self.comm.gather(np.ascontiguousarray(tile), root=0) if self.size > 1 \
            else [tile]
        if self.rank == 0:
            out = np.empty(shape, dtype=s.array.dtype)
            for (a0, a1, b0, b1), blk in zip(self.bounds, parts, strict=True):
                out[..., a0:a1, b0:b1] = blk
            d[...] = out

    # -- rank 0 ------------------------------------------------------------
    def _seal(self, tmp: str, final: str) -> None:
        """Checksums as read back, then ``complete``, fsync, rename, fsync, prune."""
        try:
            with h5py.File(tmp, "r+") as f:
                def _crc(name, obj):
                    if isinstance(obj, h5py.Dataset):
                        obj.attrs["crc32"] = np.uint32(dataset_crc(obj))
                if "state" in f:
                    f["state"].visititems(_crc)
                fault("before-complete")
                f["meta"].attrs["complete"] = True
            _fsync(tmp)
            fault("before-rename")
            os.replace(tmp, final)
            _fsync(self.dir)
        except OSError as exc:
            raise OutputError(f"{tmp}: cannot finish the checkpoint: {os_cause(exc)}") \
                from None
        self._prune(final)

    def _prune(self, final: str) -> None:
        kept = 0
        for _, path in _steps_in(self.dir):
            if kept < self.keep and (path == final or _is_complete(path)):
                kept += 1
                continue
            if path != final:
                _unlink(path)
        for n in os.listdir(self.dir):
            if n.startswith(".step-") and n.endswith(".tmp"):
                _unlink(os.path.join(self.dir, n))


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError as exc:
        log.warning("%s: could not remove an old checkpoint: %s", path, os_cause(exc))


def remove_checkpoints(directory: str) -> None:
    """Delete a finished run's checkpoint folder (rank 0; logged, never fatal)."""
    import shutil

    if os.path.isdir(directory):
        shutil.rmtree(directory, ignore_errors=True)
        log.info("removed the checkpoints of the finished run: %s", directory)


def _is_complete(path: str) -> bool:
    try:
        with h5py.File(path, "r") as f:
            return bool(f["meta"].attrs.get("complete", False))
    except (OSError, KeyError):
        return False


def verify(path: str) -> dict:
    """The ``/meta`` attributes of a sound checkpoint; raises ``ValueError`` saying why not."""
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ValueError(f"cannot be opened ({os_cause(exc)})") from None
    with f:
        if "meta" not in f or not bool(f["meta"].attrs.get("complete", False)):
            raise ValueError("incomplete (no complete = True marker: killed while writing)")
        bad = []

        def _check(name, obj):
            if not isinstance(obj, h5py.Dataset):
                return
            want = obj.attrs.get("crc32")
            try:
                got = dataset_crc(obj)
            except OSError as exc:
                bad.append(f"{name} (unreadable: {os_cause(exc)})")
                return
            if want is None or int(want) != got:
                bad.append(f"{name} (crc32 {got:#010x}, stored "
                           f"{'none' if want is None else f'{int(want):#010x}'})")

        try:
            if "state" in f:
                f["state"].visititems(_check)
        except (OSError, RuntimeError) as exc:
            raise ValueError(f"unreadable ({os_cause(exc)})") from None
        if bad:
            raise ValueError("checksum mismatch in " + ", ".join(bad))
        return {k: f["meta"].attrs[k] for k in f["meta"].attrs}


def _text(v) -> str:
    return v.decode() if isinstance(v, bytes) else str(v)


def mismatch(meta: dict, expect: dict) -> list[str]:
    """What differs between a checkpoint's ``meta`` and the run's ``expect``, one line each."""
    out = []
    for key, want in expect.items():
        got = meta.get(key)
        if key == "config_text":
            if _text(got) != _text(want):
                diff = list(difflib.unified_diff(_text(got).splitlines(),
                                                 _text(want).splitlines(), "checkpoint",
                                                 "this run", n=0, lineterm=""))
                out.append("the config text differs: " + " | ".join(diff[2:8]))
        elif _text(got) != _text(want):
            out.append(f"{key}: checkpoint {_text(got)!r}, this run {_text(want)!r}")
    return out


def _choose(directory: str, expect: dict) -> tuple[str, dict]:
    """Rank 0: the newest sound checkpoint matching ``expect``."""
    refused = []
    for _, path in _steps_in(directory):
        try:
            meta = verify(path)
        except ValueError as why:
            log.error("%s: refused: %s; trying the previous checkpoint", path, why)
            refused.append(f"{os.path.basename(path)}: {why}")
            continue
        diff = mismatch(meta, expect)
        if diff:
            raise ConfigError(f"{path}: cannot resume: the checkpoint was written by another "
                              "model or parnft: " + "; ".join(diff) + "; fix: resume with the "
                              "same config, parnft version and --rng, or run without --resume "
                              "to start again")
        return path, meta
    why = ("; ".join(refused)) if refused else "none found"
    raise ConfigError(f"{directory}: no valid checkpoint to resume from ({why}); fix: run "
                      "without --resume to start again")


def find_checkpoint(directory: str, expect: dict, comm) -> tuple[str, dict]:
    """``(path, meta)`` of the checkpoint to resume from, the same on every rank.

    Raises
    ------
    parnft.errors.ConfigError
        On every rank when no complete checkpoint verifies, or when the newest
        sound one was written for another config, parnft version or generator.
    """
    return bcast_result(comm, _choose, os.fspath(directory), expect)


def read_state(path: str, entries: list[StateArray], glb_shape, loc_shape, loc_start) -> None:
    """Fill ``entries`` in place from their hyperslabs of checkpoint ``path`` (this rank).

    Raises
    ------
    parnft.errors.ConfigError
        When the checkpoint's arrays are not exactly the model's (names, shapes).
    """
    y0, x0 = loc_start
    ly, lx = loc_shape
    with h5py.File(path, "r") as f:
        have = set()
        f["state"].visititems(lambda n, o: have.add(n) if isinstance(o, h5py.Dataset)
                              else None)
        want = {s.name for s in entries}
        if have != want:
            raise ConfigError(f"{path}: the checkpoint's state arrays do not match the "
                              f"model's (only in the checkpoint: {sorted(have - want)}, only "
                              f"in the model: {sorted(want - have)})")
        for s in entries:
            d = f[f"state/{s.name}"]
            shape = global_shape(s, glb_shape, loc_shape)
            if tuple(d.shape) != tuple(shape) or d.dtype != s.array.dtype:
                raise ConfigError(f"{path}: state/{s.name} is {d.dtype}{d.shape}, the model "
                                  f"needs {s.array.dtype}{shape}")
            view = tile_view(s, loc_shape)
            if s.layout == "tile":
                view[...] = d[()]
            else:
                view[...] = d[..., y0:y0 + ly, x0:x0 + lx]
