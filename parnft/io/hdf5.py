"""Self-describing HDF5 output, written collectively by every rank.

Layout of a run file (readable by h5py, :func:`parnft.open_dataset` and
xarray through it)::

    /                      attrs: parnft_version, git_sha, config_text, config_path,
                                  created, nodes, longside, shortside, deltat, time_total,
                                  nranks, process_grid, tile_bounds, complete, ...
    /time      (nt,)       sample times [s], absolute (NFTsim prints them relative
                           to Output Start)
    /x (nx,), /y (ny,)     cell-centre positions [m] (attrs units, axis,
                           grid_spacing; :mod:`parnft.io.coords`)
    /node_number (ny, nx)  1-based NFTsim node number of each cell
    /node      (nsel,)     1-based node numbers (node-list outputs only), with
                           node_x, node_y: their cell-centre positions [m]
    /<trace>               one dataset per trace, named like NFTsim's column in
                           lower case ("propagator.1.phi", "pop.2.q"):
                           (time, y, x) when the Output block selects all nodes,
                           (time, node) otherwise; attrs units, long_name,
                           nftsim_name, dx [m]

Datasets grow along time: they are created empty (``maxshape`` unlimited in
time, chunked per tile) and extended by each buffer of samples the run flushes
(every K samples, not every sample), so a file always holds exactly the samples
written so far. The root attributes say how far it got: ``samples_expected``
(from the config), ``samples_written`` (updated with every buffer) and
``complete``, which turns true only when the run ended normally, so an
aborted run is never mistaken for a finished one; a run stopped by a signal
also gets ``stop_reason`` (``"SIGTERM at step 1234"``).

Every buffer is followed by a flush of data and metadata, then of
``samples_written``: a file killed at any moment (SIGKILL, an MPI abort)
opens with h5py and holds at least its first ``samples_written`` samples
(docs/reliability.md).

With an MPI-enabled h5py and several ranks the file is opened with the
``mpio`` driver: full-field traces are written collectively, each rank its own
hyperslab; the few node-list traces are gathered to rank 0. Without MPI
support in h5py, everything is gathered to rank 0, which writes alone (logged).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os

import h5py
import numpy as np

from .._version import __version__
from ..provenance import git_sha
from .coords import axis_attrs, grid_coords

log = logging.getLogger("parnft.io")

UNITS = {"Q": "s^-1", "phi": "s^-1", "V": "V", "nu": "V s", "beta": "s^-1",
         "gNMDA": "1", "Ca": "mol", "nutilde": "V s"}


def mpi_h5py() -> bool:
    """True when h5py was built with MPI (``driver='mpio'`` available)."""
    return bool(h5py.get_config().mpi)


def writer_setup(w, path: str, sim, comm) -> None:
    """State shared by the HDF5 and netCDF writers: ranks, write mode, tiles.

    ``w.collective`` is True when several ranks write one file through MPI-IO;
    otherwise rank 0 gathers and writes alone (logged once).
    """
    w.path = str(path)
    w.sim = sim
    w.comm = comm
    w.plan = sim.outputs
    w.rank = comm.Get_rank()
    w.size = comm.Get_size()
    w.collective = w.size > 1 and mpi_h5py()
    w.row = 0
    if w.size > 1 and not w.collective and w.rank == 0:
        log.warning("h5py has no MPI support: rank 0 gathers and writes %s alone", path)
    w._tile = sim.tiling.tile_bounds()
    w._coords = grid_coords(sim.spec)


class HDF5Writer:
    """Write the samples of a :class:`parnft.solver.Simulation` to one HDF5 file.

    Parameters
    ----------
    path : str
        Output file (overwritten).
    sim : Simulation
        The run; provides the output plan, tiling and spec.
    comm : mpi4py communicator
        The simulation's communicator (collective calls on all its ranks).
    resume : int, optional
        Reopen the partial file ``path`` of an interrupted run for append, cut
        back to its first ``resume`` samples (the checkpoint's count), instead
        of creating it (``docs/checkpoint.md``).
    """

    def __init__(self, path: str, sim, comm, resume: int | None = None):
        writer_setup(self, path, sim, comm)
        # collective calls happen here, on every rank, never inside rank-0-only code
        self._created = comm.bcast(
            _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"), root=0)
        self._nodes_all = self._gather_node_lists()
        self.f = None
        mode = "w" if resume is None else "r+"
        if self.collective:
            self.f = h5py.File(self.path, mode, driver="mpio", comm=comm)
        elif self.rank == 0:
            self.f = h5py.File(self.path, mode)
        if self.f is not None and resume is not None:
            self._cut(int(resume))
        elif self.f is not None:
            self._create()
            self.f.flush()  # a readable file with 0 samples from the start

    # -- layout ------------------------------------------------------------
    def _gather_node_lists(self):
        """Per rank, per trace: the 1-based nodes that rank samples (collective)."""
        return self.comm.allgather([t.nodes for t in self.plan.traces])

    def _full(self, tr) -> bool:
        """True for a whole-grid trace, written as (time, y, x) hyperslabs."""
        return self.plan.all_nodes and not tr.scalar

    def _selected_nodes(self) -> np.ndarray:
        return np.asarray(self.sim.spec.output.nodes, dtype=np.int64)

    def _create(self) -> None:
        spec = self.sim.spec
        f = self.f
        nt = self.plan.total_samples
        ny, nx = spec.grid.shape
        a = f.attrs
        a["title"] = f"parnft run of {os.path.basename(spec.path)}"
        a["parnft_version"] = __version__
        a["git_sha"] = git_sha()
        a["created"] = self._created
        a["config_path"] = spec.path
        a["config_text"] = spec.text
        a["nodes"] = spec.grid.nodes
        a["longside"] = nx
        a["shortside"] = ny
        a["topology"] = spec.grid.topology
        a["boundary"] = str(spec.grid.boundary)
        a["dx"] = self._coords.dx
        a["deltat"] = spec.time.deltat
        a["time_total"] = spec.time.time
        a["output_start"] = spec.output.start
        a["output_interval_steps"] = self.plan.every
        a["nranks"] = self.size
        a["process_grid"] = np.asarray(self.sim.tiling.dims)
        a["tile_bounds"] = json.dumps(self._tile)
        a["writer"] = "mpio-collective" if self.collective else "serial"
        a["halo_mode"] = self.sim.halo_mode if self.sim.needs_exchange else "none (local wrap)"
        a["complete"] = False
        a["samples_expected"] = nt
        a["samples_written"] = 0
        # chunk = the largest tile (identical on every rank: a collective requirement)
        ly = max(b[1] - b[0] for b in self._tile)
        lx = max(b[3] - b[2] for b in self._tile)
        chunk_t = max(1, min(max(nt, 1), (1 << 20) // max(1, 8 * ly * lx)))
        t = f.create_dataset("time", shape=(0,), maxshape=(None,), chunks=(max(chunk_t, 64),),
                             dtype="f8")
        t.attrs["units"] = "s"
        t.attrs["long_name"] = "time since the start of the simulation"
        gc = self._coords
        for ax, vals in (("x", gc.x), ("y", gc.y)):
            f.create_dataset(ax, data=vals).attrs.update(axis_attrs(ax, gc.dx))
        nn = f.create_dataset("node_number", data=gc.node)
        nn.attrs.update({"long_name": "1-based NFTsim node number", "dims": "y x"})
        if not self.plan.all_nodes:
            nodes = self._selected_nodes()
            nd = f.create_dataset("node", data=nodes)
            nd.attrs["long_name"] = "1-based NFTsim node number"
            for ax, vals in zip(("x", "y"), gc.of_nodes(nodes), strict=True):
                f.create_dataset(f"node_{ax}", data=vals).attrs.update(
                    {"units": "m", "long_name": f"{ax} position of the node's cell centre"})
        for tr in self.plan.traces:
            fld = tr.name.split(".")[-1]
            if self._full(tr):
                shape, chunks, dims = (ny, nx), (chunk_t, ly, lx), "time y x"
            elif tr.scalar:
                shape, chunks, dims = (), (max(chunk_t, 64),), "time"
            else:
                nsel = len(self._selected_nodes())
                shape, dims = (nsel,), "time node"
                chunks = (max(1, min(max(nt, 1), (1 << 20) // (8 * nsel))), nsel)
            d = f.create_dataset(tr.key, shape=(0,) + shape, maxshape=(None,) + shape,
                                 dtype="f8", chunks=chunks)
            d.attrs["nftsim_name"] = tr.name
            d.attrs["units"] = tr.unit or UNITS.get(fld, "1")
            d.attrs["long_name"] = tr.name
            d.attrs["dims"] = dims

    def _cut(self, rows: int) -> None:
        """Resume: drop the samples after the first ``rows`` (collective), append from there."""
        f = self.f
        keys = ["time"] + [tr.key for tr in self.plan.traces]
        missing = [k for k in keys if k not in f]
        have = int(f.attrs.get("samples_written", -1))
        if missing or have < rows:
            raise OSError(f"not the partial output of this run (missing datasets "
                          f"{missing}, {have} samples written, the checkpoint needs {rows})")
        for k in keys:
            f[k].resize(rows, axis=0)
        self.row = rows
        if "stop_reason" in f.attrs:
            del f.attrs["stop_reason"]
        f.attrs["complete"] = False
        f.attrs["samples_written"] = rows
        f.attrs["resumed_at_sample"] = np.append(f.attrs.get("resumed_at_sample", []),
                                                 rows).astype(np.int64)
        f.flush()

    # -- data --------------------------------------------------------------
    def write(self, tsteps: np.ndarray, blocks: list) -> None:
        """Write one buffer of samples (collective: every rank calls it)."""
        r0, r1 = self.row, self.row + len(tsteps)
        self.row = r1
        ly, lx = self.sim.tiling.loc_shape
        y0, x0 = self.sim.tiling.loc_start
        if self.f is not None:  # extending is collective: every rank of an mpio file
            for key in ["time"] + [tr.key for tr in self.plan.traces]:
                self.f[key].resize(r1, axis=0)
        if self.rank == 0 and self.f is not None:
            self.f["time"][r0:r1] = tsteps * self.sim.spec.time.deltat
        for k, (tr, blk) in enumerate(zip(self.plan.traces, blocks, strict=True)):
            full = self._full(tr)
            if full and self.collective:
                d = self.f[tr.key]
                with d.collective:
                    d[r0:r1, y0:y0 + ly, x0:x0 + lx] = blk.reshape(-1, ly, lx)
            elif full:
                parts = self.comm.gather(blk, root=0) if self.size > 1 else [blk]
                if self.rank == 0:
                    self._write_gathered_field(tr.key, r0, r1, parts)
            else:
                parts = self.comm.gather(blk, root=0) if self.size > 1 else [blk]
                if self.rank == 0:
                    self._write_nodes(k, tr.key, r0, r1, parts)
        self._commit_rows(r1)

    def _commit_rows(self, r1: int) -> None:
        """Flush the rows' data and metadata, then record ``samples_written`` and flush.

        Two flushes, so that a kill in the middle of either leaves at worst the
        new rows present but not counted: ``samples_written`` reaches the file
        only after the data and extents it counts (docs/reliability.md).
        """
        if self.f is None:
            return
        self.f.flush()
        self.f.attrs["samples_written"] = r1
        self.f.flush()

    def _write_gathered_field(self, key, r0, r1, parts) -> None:
        ny, nx = self.sim.spec.grid.shape
        out = np.empty((r1 - r0, ny, nx))
        for (y0, y1, x0, x1), blk in zip(self._tile, parts, strict=True):
            out[:, y0:y1, x0:x1] = blk.reshape(r1 - r0, y1 - y0, x1 - x0)
        self.f[key][r0:r1] = out

    def _write_nodes(self, k, key, r0, r1, parts) -> None:
        """Place each rank's columns of trace ``k`` (node list or single value); rank 0."""
        d = self.f[key]
        out = np.full((r1 - r0,) + d.shape[1:], np.nan)
        if d.ndim == 1:  # one value for the whole grid, from the rank that sampled it
            for blk in parts:
                if blk.shape[1]:
                    out[:] = blk[:, 0]
        else:
            col = {int(nd): c for c, nd in enumerate(self._selected_nodes())}
            for rank, blk in enumerate(parts):
                for c, nd in enumerate(self._nodes_all[rank][k]):
                    out[:, col[int(nd)]] = blk[:, c]
        d[r0:r1] = out

    def close(self, stats=None, complete: bool = True, stop_reason: str | None = None) -> None:
        """Record run information, mark the file complete and close it (collective).

        Parameters
        ----------
        stats : RunStats, optional
            This rank's timings; every rank's go to ``timings_per_rank``.
        complete : bool
            The run ended normally.
        stop_reason : str, optional
            Why an incomplete run stopped (``"SIGTERM at step 1234"``), stored
            in the ``stop_reason`` attribute.
        """
        timings = self.comm.allgather(None if stats is None else vars(stats))
        if self.f is None:
            return
        if stats is not None:
            self.f.attrs["timings_per_rank"] = json.dumps(timings)
        if stop_reason is not None:
            self.f.attrs["stop_reason"] = str(stop_reason)
        self.f.attrs["complete"] = bool(complete)
        self.f.close()
        self.f = None
