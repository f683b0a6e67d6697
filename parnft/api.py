"""High-level entry points: read, run and write in one call (used by the CLI)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .errors import ParnftError, RunError

log = logging.getLogger("parnft")

FORMATS = ("hdf5", "nftsim", "netcdf")


def output_format(path: str, fmt: str | None) -> str:
    """The output format: ``fmt`` if given, else from the file extension (default hdf5)."""
    if fmt:
        if fmt not in FORMATS:
            raise ParnftError(f"unknown output format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt
    ext = Path(path).suffix.lower()
    return {".output": "nftsim", ".nc": "netcdf"}.get(ext, "hdf5")


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


def make_writer(path: str, fmt: str, sim, comm):
    """The writer object for ``fmt``; rank 0 creates the output folder."""
    if comm.Get_rank() == 0:
        parent = os.path.dirname(os.path.abspath(path))
        os.makedirs(parent, exist_ok=True)
    comm.Barrier()
    if fmt == "nftsim":
        from .io.text_writer import NftsimTextWriter

        return NftsimTextWriter(path, sim, comm)
    if fmt == "netcdf":
        from .io.netcdf import NetCDFWriter

        return NetCDFWriter(path, sim, comm)
    from .io.hdf5 import HDF5Writer

    return HDF5Writer(path, sim, comm)


def run(conf: str, out: str | None = None, *, comm=None, fmt: str | None = None,
        procs=None, progress: bool = True, rng: str = "counter",
        halo: str = "overlap", plugins=()):
    """Read ``conf``, simulate it and write the outputs.

    Parameters
    ----------
    conf : str
        NFTsim ``.conf`` file.
    out : str, optional
        Output file; default ``<conf stem>.h5``. ``.output`` selects NFTsim's
        text format and ``.nc`` netCDF, unless ``fmt`` says otherwise.
    comm : mpi4py communicator, optional
        Ranks that share the run (default: this process alone).
    fmt : {"hdf5", "nftsim", "netcdf"}, optional
    procs : tuple of int, optional
        Process grid (px, py).
    progress : bool
        Progress bar on rank 0's stderr (only when it is a terminal).
    halo : {"overlap", "blocking"}
        Halo exchange on several ranks: ``overlap`` (default) starts the wave
        ghost-frame messages at the end of a step and waits for them only
        before each wave's outer ring of nodes, doing all other work of the
        next step meanwhile; ``blocking`` exchanges them at the end of each
        step (``docs/parallel.md``).
    rng : {"counter", "nftsim"}
        White-noise generator: parnft's counter-based default, or NFTsim's
        mt19937_64 stream for bitwise comparisons with NFTsim (``docs/rng.md``).
    plugins : sequence of str
        Plugin files of Dynamics kinds to load first (``--plugin``;
        :mod:`parnft.model.plugins`).

    Returns
    -------
    tuple
        ``(output path, RunStats of this rank)``.
    """
    from .log import Progress
    from .solver import Simulation

    if comm is None:
        from mpi4py import MPI

        comm = MPI.COMM_SELF
    spec = load_spec(conf, comm, plugins)
    fmt = output_format(out or "", fmt) if out else (fmt or "hdf5")
    out = out or default_output(conf, fmt)
    sim = Simulation(spec, comm, procs=procs, rng=rng, halo=halo)
    writer = make_writer(out, fmt, sim, comm)
    bar = Progress(spec.time.steps, spec.time.deltat, enabled=progress and comm.Get_rank() == 0)
    try:
        stats = sim.run(writer, progress=bar)
    except Exception as exc:
        # leave the file closed and marked incomplete, never silently truncated;
        # on several ranks the caller aborts the job (closing is collective)
        if comm.Get_size() == 1:
            try:
                writer.close(None, complete=False)
            except Exception:  # noqa: BLE001 - keep the original error
                pass
        if isinstance(exc, ParnftError):
            raise
        raise RunError(f"{conf}: run failed at step {sim.n}: {exc}") from exc
    writer.close(stats, complete=True)
    sim.close()
    bar.close(sim.n)
    log.info("wrote %s (%s)", out, fmt)
    return out, stats
