"""High-level entry points: read, run and write in one call (used by the CLI)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from .errors import ConfigError, OutputError, ParnftError, RunError

log = logging.getLogger("parnft")

FORMATS = ("hdf5", "nftsim", "netcdf")
#: Output file extensions and their formats (``-o``); anything else needs ``--format``.
EXTENSIONS = {".h5": "hdf5", ".hdf5": "hdf5", ".output": "nftsim", ".nc": "netcdf"}


def output_format(path: str, fmt: str | None) -> str:
    """The output format: ``fmt`` if given, else from the file extension.

    Raises
    ------
    ConfigError
        For an unknown ``fmt``, or an extension not in :data:`EXTENSIONS`
        without ``fmt`` (``-o out.txt`` never silently writes HDF5).
    """
    if fmt:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown output format {fmt!r}; fix: use one of "
                              f"{', '.join(FORMATS)}")
        return fmt
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        known = ", ".join(f"{e} ({f})" for e, f in EXTENSIONS.items())
        raise ConfigError(f"{path}: unknown output extension {ext or '(none)'!r}; fix: name "
                          f"the file with one of {known}, or give --format "
                          f"{{{','.join(FORMATS)}}}")
    return EXTENSIONS[ext]


def default_output(conf: str, fmt: str = "hdf5") -> str:
    """``model.conf`` -> ``model.h5`` (``.output``, ``.nc``) beside the config."""
    ext = {"hdf5": ".h5", "nftsim": ".output", "netcdf": ".nc"}[fmt]
    return str(Path(conf).with_suffix(ext))


def load_spec(conf: str, comm, plugins=()):
    """Read and validate ``conf`` on rank 0 and broadcast the spec (or the error).

    Every rank first loads the ``plugins`` files (``--plugin``), so rank 0 can read
    their kinds; after the broadcast every rank loads the files the config's
    ``Plugin:`` keys named, so it can build them. A broken plugin raises the same
    :class:`~parnft.errors.ConfigError` on every rank, before any collective call.
    """
    from .config import read_config
    from .model.plugins import load_plugin
    from .parallel.comm import bcast_result

    for f in plugins:
        load_plugin(f)
    spec = bcast_result(comm, read_config, conf)
    for f in spec.plugins:
        load_plugin(f)
    return spec


def check_resources(spec, comm, out: str, fmt: str, force: bool = False) -> None:
    """Preflight (parnft.config.preflight) on rank 0, shared; rank 0 logs warnings and report."""
    from .config.preflight import check_run
    from .parallel.comm import bcast_result

    report = bcast_result(comm, check_run, spec, comm.Get_size(), out, fmt, force)
    if comm.Get_rank() == 0:
        for w in spec.warnings:
            log.warning("warning: %s", w)
        for line in report.lines():
            (log.warning if "REFUSED" in line else log.debug)(line)


def make_writer(path: str, fmt: str, sim, comm, resume: int | None = None):
    """The writer object for ``fmt`` writing ``path`` (collective; every rank calls it).

    Rank 0 creates the output folder. An ``OSError`` while creating the file
    becomes an :class:`~parnft.errors.OutputError` naming the path and the
    cause, raised on every rank.
    """
    from .io.target import os_cause
    from .parallel.comm import agree_on_error, bcast_result

    def _folder():
        try:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{path}: cannot create its folder: {os_cause(exc)}") from None

    bcast_result(comm, _folder)
    writer, err = None, None
    try:
        if fmt == "nftsim":
            from .io.text_writer import NftsimTextWriter as cls
        elif fmt == "netcdf":
            from .io.netcdf import NetCDFWriter as cls
        else:
            from .io.hdf5 import HDF5Writer as cls
        writer = cls(path, sim, comm) if resume is None else cls(path, sim, comm, resume)
    except OSError as exc:
        what = "create" if resume is None else "reopen for --resume"
        err = OutputError(f"{path}: cannot {what} the output file: {os_cause(exc)}")
    agree_on_error(comm, err)
    return writer


def _partial_summary(path: str, fmt: str) -> str:
    """``"12 of 50 samples"`` from a closed partial file (rank 0), or ``""``."""
    if fmt == "nftsim":
        return ""
    try:
        import h5py
        import numpy as np

        with h5py.File(path, "r") as f:  # netCDF attributes are 1-element arrays
            n, m = (int(np.ravel(f.attrs[k])[0]) for k in ("samples_written",
                                                             "samples_expected"))
        return f"{n} of {m} samples"
    except Exception:  # noqa: BLE001 - a summary only
        return ""


def run(conf: str, out: str | None = None, *, comm=None, fmt: str | None = None,
        procs=None, progress: bool = True, rng: str = "counter",
        halo: str = "auto", force: bool = False, plugins=(),
        checkpoint_every=None, resume: bool = False):
    """Read ``conf``, simulate it and write the outputs.

    Parameters
    ----------
    conf : str
        NFTsim ``.conf`` file.
    out : str, optional
        Output file; default ``<conf stem>.h5``. ``.output`` selects NFTsim's
        text format and ``.nc`` netCDF, unless ``fmt`` says otherwise; other
        extensions need ``fmt``. Written as ``<out>.partial`` and renamed to
        ``out`` when the run completes (:mod:`parnft.io.target`).
    comm : mpi4py communicator, optional
        Ranks that share the run (default: this process alone).
    fmt : {"hdf5", "nftsim", "netcdf"}, optional
    procs : tuple of int, optional
        Process grid (px, py).
    progress : bool
        Progress bar on rank 0's stderr (only when it is a terminal).
    halo : {"auto", "overlap", "blocking"}
        Halo exchange on several ranks: ``auto`` (default) is ``blocking``
        when the ranks share one node (shared-memory halo) and ``overlap``
        otherwise; ``overlap`` starts the wave
        ghost-frame messages at the end of a step and waits for them only
        before each wave's outer ring of nodes, doing all other work of the
        next step meanwhile; ``blocking`` exchanges them at the end of each
        step (``docs/parallel.md``).
    rng : {"counter", "nftsim"}
        White-noise generator: parnft's counter-based default, or NFTsim's
        mt19937_64 stream for bitwise comparisons with NFTsim (``docs/rng.md``).
    force : bool
        Run even when the preflight finds that memory or disk will not suffice.
    plugins : sequence of str
        Plugin files of Dynamics kinds to load first (``--plugin``;
        :mod:`parnft.model.plugins`).
    checkpoint_every : int or str, optional
        Write a checkpoint into ``<out>.ckpt/`` every N steps (``10000``) or at a
        wall-clock interval (``"15min"``), and on a stop signal
        (``docs/checkpoint.md``). HDF5 output only.
    resume : bool
        Continue from the newest valid checkpoint in ``<out>.ckpt/``, appending
        to ``<out>.partial``; the result is bitwise that of an uninterrupted run.

    Returns
    -------
    tuple
        ``(output path, RunStats of this rank)``.

    Raises
    ------
    parnft.errors.Interrupted
        On every rank, when SIGTERM, SIGINT, SIGUSR1 or SIGXCPU reached a rank
        during the run: the samples so far are in ``<out>.partial``, closed
        with ``complete = False`` and ``stop_reason`` (docs/reliability.md).
    parnft.errors.Checkpointed
        Instead of ``Interrupted`` when checkpointing: the state at the stop is
        saved (exit code 75, :data:`parnft.errors.EXIT_CHECKPOINTED`).
    parnft.errors.OutputError
        The output cannot be written (folder, permissions, lock held).
    """
    from .parallel.stop import catch_signals

    if comm is None:
        from mpi4py import MPI

        comm = MPI.COMM_SELF
    with catch_signals() as signals:
        return _run(conf, out, comm, fmt, procs, progress, rng, halo, signals, force, plugins,
                    Restart(checkpoint_every, resume))


class Restart:
    """``--checkpoint-every`` and ``--resume`` of one run (validated, no MPI)."""

    def __init__(self, every=None, resume: bool = False):
        self.steps, self.seconds = 0, None
        if every is not None:  # parnft.io.checkpoint only where checkpoints are asked for
            from .io.checkpoint import parse_interval

            self.steps, self.seconds = parse_interval(every)
        self.enabled = every is not None
        self.resume = bool(resume)

    def check(self, fmt: str) -> None:
        """Checkpoints need the HDF5 output (reopened for append on resume)."""
        if (self.enabled or self.resume) and fmt != "hdf5":
            raise ConfigError(f"--checkpoint-every/--resume need HDF5 output, not {fmt}; "
                              "fix: write -o <name>.h5")


def _run(conf, out, comm, fmt, procs, progress, rng, halo, signals, force=False, plugins=(),
         restart=None):
    from .io.target import OutputTarget

    restart = restart or Restart()
    fmt = output_format(out, fmt) if out else (fmt or "hdf5")
    restart.check(fmt)
    spec = load_spec(conf, comm, plugins)
    out = out or default_output(conf, fmt)
    # preflight: memory, disk, int64 and run time, before anything is allocated, locked
    # or opened; ResourceError (exit 5) on every rank unless forced
    check_resources(spec, comm, out, fmt, force)
    target = OutputTarget(out, comm, inputs=(conf,))
    target.acquire(keep_partial=restart.resume)
    try:
        return _run_locked(conf, spec, target, fmt, comm, procs, progress, rng, halo, signals,
                           restart)
    finally:
        target.release()  # rank 0, local: a stopped or failed run leaves no lock


def _start(spec, target, fmt, comm, sim, rng, restart):
    """The writer, after loading the checkpoint into ``sim`` on ``--resume`` (collective)."""
    if not (restart.enabled or restart.resume):
        return make_writer(target.partial, fmt, sim, comm)
    from . import __version__
    from .io.checkpoint import CheckpointWriter, checkpoint_dir, find_checkpoint

    folder = checkpoint_dir(target.path)
    expect = {"config_text": spec.text, "parnft_version": __version__, "rng": rng}
    if restart.enabled:
        sim.checkpoints = CheckpointWriter(folder, comm, sim.tiling,
                                           {**expect, "config_path": spec.path},
                                           every_steps=restart.steps)
        sim.state_arrays()  # an undeclared array fails now, not at the first checkpoint
    if not restart.resume:
        return make_writer(target.partial, fmt, sim, comm)
    sim.state_arrays()  # compiled first: the resume time is find, verify, load, refill
    t0 = time.perf_counter()
    path, meta = find_checkpoint(folder, expect, comm)
    writer = make_writer(target.partial, fmt, sim, comm, resume=int(meta["samples_written"]))
    sim.restore(path, meta)
    sim.stats.restore = time.perf_counter() - t0
    if comm.Get_rank() == 0:
        log.info("resumed from %s at step %d (%d samples kept, %.3g s)", path, sim.n,
                 int(meta["samples_written"]), sim.stats.restore)
    return writer


def _run_locked(conf, spec, target, fmt, comm, procs, progress, rng, halo, signals,
                restart):
    """Build, run, close and rename, with ``target`` locked."""
    import signal as _signal

    from .errors import Interrupted
    from .log import Progress
    from .parallel.stop import RunControl
    from .solver import Simulation

    try:
        sim = Simulation(spec, comm, procs=procs, rng=rng, halo=halo)
        writer = _start(spec, target, fmt, comm, sim, rng, restart)
    except BaseException:
        if not restart.resume:
            target.discard_empty()
        raise
    bar = Progress(spec.time.steps, spec.time.deltat, enabled=progress and comm.Get_rank() == 0)
    try:
        stats = sim.run(writer, progress=bar, control=RunControl(
            comm, signals, checkpoint_seconds=restart.seconds))
    except Interrupted as exc:
        # every rank stopped at the same step, buffers flushed: close collectively
        reason = f"{_signal.Signals(exc.signum).name} at step {exc.step}"
        writer.close(sim.stats, complete=False, stop_reason=reason)
        sim.close()
        bar.close(sim.n)
        done = _partial_summary(target.partial, fmt) if comm.Get_rank() == 0 else ""
        exc.args = (f"{exc}; partial output {target.partial} "
                    f"({done + ', ' if done else ''}complete = False)",)
        exc.agreed = True  # every rank stops here: printed once, no abort
        raise
    except BaseException as exc:
        # leave the file closed and marked incomplete, never silently truncated;
        # on several ranks the caller aborts the job (closing is collective)
        if comm.Get_size() == 1:
            try:
                writer.close(None, complete=False,
                             stop_reason=f"{type(exc).__name__} at step {sim.n}")
            except Exception:  # noqa: BLE001 - keep the original error
                pass
        where = f"; the samples so far are in {target.partial} (complete = False)"
        if isinstance(exc, ParnftError) and exc.args and isinstance(exc.args[0], str):
            exc.args = (exc.args[0] + where,) + exc.args[1:]
        if isinstance(exc, ParnftError) or not isinstance(exc, Exception):
            raise
        if isinstance(exc, OSError):
            from .io.target import os_cause

            raise OutputError(f"{target.partial}: writing failed at step {sim.n}: "
                              f"{os_cause(exc)}") from exc
        raise RunError(f"{conf}: run failed at step {sim.n}: {exc}{where}") from exc
    writer.close(stats, complete=True)
    sim.close()
    target.commit()
    if restart.enabled or restart.resume:
        from .io.checkpoint import checkpoint_dir, remove_checkpoints

        if comm.Get_rank() == 0:  # the output is complete: its checkpoints are stale
            remove_checkpoints(checkpoint_dir(target.path))
    bar.close(sim.n)
    log.info("wrote %s (%s)", target.path, fmt)
    return target.path, stats
