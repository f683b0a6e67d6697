"""CF-conforming netCDF-4 output, written collectively with h5netcdf over MPI h5py.

Layout of a run file (``docs/output.md``; readable by netCDF4, xarray, ncdump)::

    dimensions:  time (nt), y (shortside), x (longside), node (nsel, node-list outputs)
    variables:   time(time)   [s] since the start of the simulation, absolute
                 x(x), y(y)   cell-centre positions [m] (:mod:`parnft.io.coords`)
                 node_number(y, x)  1-based NFTsim node number of each cell (``Node:
                              All`` outputs; an auxiliary coordinate of the fields)
                 node(node)   1-based NFTsim node numbers, with auxiliary coordinates
                 node_x(node), node_y(node): their cell-centre positions [m]
                 <trace>      (time, y, x) for ``Node: All`` outputs, (time, node) for
                              node lists, (time) for a value shared by all nodes;
                              attrs units, long_name, nftsim_name, parnft_key, cell_methods
    global:      Conventions = "CF-1.10" and the provenance attributes of the HDF5
                 writer (:mod:`parnft.io.hdf5`); ``complete`` is 0 or 1 (netCDF has no
                 boolean attribute type); ``samples_expected``, ``samples_written`` and, for a run
                 stopped by a signal, ``stop_reason``.

The time dimension has its full length from the start (``samples_expected``);
after each buffer the file is flushed, then ``samples_written`` is updated and
flushed, so a killed run leaves a file that netCDF4 and h5py open, whose first
``samples_written`` time steps are valid and whose later ones read as 0 (HDF5's
default fill value): use ``samples_written``, not the dimension's length.

Trace variables are named like the HDF5 datasets with dots replaced by
underscores (``propagator.1.phi`` -> ``propagator_1_phi``). Dots are legal in
netCDF-4 names, but CF §2.3 asks for letters, digits and underscores only, and
dotted names break attribute access (``ds.pop_1_q``) and tools such as NCO's
arithmetic. The HDF5 name is kept in the ``parnft_key`` attribute and NFTsim's
column name in ``nftsim_name``.

With several ranks and an MPI-enabled h5py (:func:`parnft.io.hdf5.mpi_h5py`)
every rank opens the file with the ``mpio`` driver and writes its hyperslab of
each whole-grid trace collectively; node-list and shared traces are gathered to
rank 0, which writes them independently. Otherwise rank 0 gathers everything
and writes alone. Every metadata operation runs on every rank of the ``mpio``
file, with values broadcast from rank 0.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os

import h5netcdf
import numpy as np

from .._version import __version__
from ..provenance import git_sha
from . import hdf5 as _hdf5
from .coords import axis_attrs

log = logging.getLogger("parnft.io")

#: CF version written to the ``Conventions`` global attribute.
CONVENTIONS = "CF-1.10"


def nc_name(key: str) -> str:
    """netCDF variable name of an HDF5 dataset name: dots become underscores.

    Parameters
    ----------
    key : str
        HDF5 dataset name, e.g. ``"propagator.1.phi"``.

    Returns
    -------
    str
        ``"propagator_1_phi"``.
    """
    return key.replace(".", "_")


class NetCDFWriter:
    """Write the samples of a :class:`parnft.solver.Simulation` to one netCDF-4 file.

    Same interface as :class:`parnft.io.hdf5.HDF5Writer`.

    Parameters
    ----------
    path : str
        Output file (overwritten).
    sim : Simulation
        The run; provides the output plan, tiling and spec.
    comm : mpi4py communicator
        The simulation's communicator (collective calls on all its ranks).
    """

    def __init__(self, path: str, sim, comm):
        _hdf5.writer_setup(self, path, sim, comm)
        self._names = [nc_name(t.key) for t in self.plan.traces]
        if len(set(self._names)) != len(self._names):
            raise ValueError(f"{path}: trace names collide once dots become underscores: "
                             f"{self._names}")
        # collective calls: on every rank, never inside rank-0-only code
        self._attrs = comm.bcast(self._global_attrs() if self.rank == 0 else None, root=0)
        self._kinds = [self._kind(t) for t in self.plan.traces]
        self._nodes_all = (None if self.plan.all_nodes
                           else comm.allgather([t.nodes for t in self.plan.traces]))
        self.f = None
        if self.collective:
            self.f = h5netcdf.File(self.path, "w", driver="mpio", comm=comm)
        elif self.rank == 0:
            self.f = h5netcdf.File(self.path, "w")
        if self.f is not None:
            self._create()
            self._sync()  # a readable file from the start

    # -- layout ------------------------------------------------------------
    def _kind(self, tr) -> str:
        """``"field"`` (whole grid), ``"nodes"`` (node list) or ``"shared"`` (one value).

        A field with one value for all nodes (``len(src) == 1`` on a tile of
        several nodes) is ``"shared"``; the test is made on every rank and
        combined, so that every rank agrees (collective).
        """
        one = len(tr.src) == 1 and self.sim.ctx.nloc > 1
        if self.comm.allreduce(int(one)) > 0:
            return "shared"
        return "field" if self.plan.all_nodes else "nodes"

    def _selected_nodes(self) -> np.ndarray:
        return np.asarray(self.sim.spec.output.nodes, dtype=np.int64)

    def _global_attrs(self) -> dict:
        spec = self.sim.spec
        ny, nx = spec.grid.shape
        created = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
        sha = git_sha()
        return {
            "Conventions": CONVENTIONS,
            "title": f"parnft run of {os.path.basename(spec.path)}",
            "source": f"parnft {__version__} (git {sha}) neural field simulation",
            "history": f"{created} parnft run {spec.path} on {self.size} rank(s)",
            "parnft_version": __version__, "git_sha": sha, "created": created,
            "config_path": str(spec.path), "config_text": spec.text,
            "nodes": int(spec.grid.nodes), "longside": int(nx), "shortside": int(ny),
            "topology": str(spec.grid.topology), "boundary": str(spec.grid.boundary),
            "dx": float(self._coords.dx), "deltat": float(spec.time.deltat),
            "time_total": float(spec.time.time), "output_start": float(spec.output.start),
            "output_interval_steps": int(self.plan.every), "nranks": int(self.size),
            "process_grid": np.asarray(self.sim.tiling.dims, dtype=np.int64),
            "tile_bounds": json.dumps(self._tile),
            "writer": "mpio-collective" if self.collective else "serial",
            "complete": np.int8(0),
            "samples_expected": np.int64(self.plan.total_samples),
            "samples_written": np.int64(0),
        }

    def _create(self) -> None:
        f = self.f
        nt = self.plan.total_samples
        ny, nx = self.sim.spec.grid.shape
        for k, v in self._attrs.items():
            f.attrs[k] = v
        dims = {"time": nt, "y": ny, "x": nx}
        if not self.plan.all_nodes:
            dims["node"] = len(self._selected_nodes())
        f.dimensions = dims
        t = f.create_variable("time", ("time",), "f8")
        t.attrs.update({"units": "s", "standard_name": "time", "axis": "T",
                        "long_name": "time since the start of the simulation"})
        gc = self._coords
        for ax, vals in (("x", gc.x), ("y", gc.y)):
            v = f.create_variable(ax, (ax,), "f8", data=vals)
            v.attrs.update(axis_attrs(ax, gc.dx))
        if self.plan.all_nodes:  # an auxiliary coordinate of the (time, y, x) fields
            v = f.create_variable("node_number", ("y", "x"), "i8", data=gc.node)
            v.attrs.update({"units": "1", "long_name": "1-based NFTsim node number"})
        else:
            nodes = self._selected_nodes()
            v = f.create_variable("node", ("node",), "i8", data=nodes)
            v.attrs.update({"units": "1", "long_name": "1-based NFTsim node number"})
            for ax, vals in zip(("x", "y"), gc.of_nodes(nodes), strict=True):
                v = f.create_variable(f"node_{ax}", ("node",), "f8", data=vals)
                v.attrs.update({"units": "m",
                                "long_name": f"{ax} position of the node's cell centre"})
        # chunk = the largest tile (identical on every rank: a collective requirement)
        ly = max(b[1] - b[0] for b in self._tile)
        lx = max(b[3] - b[2] for b in self._tile)
        chunk_t = max(1, min(nt, (1 << 20) // max(1, 8 * ly * lx)))
        for tr, name, kind in zip(self.plan.traces, self._names, self._kinds, strict=True):
            chunks = None
            if kind == "field":
                vdims = ("time", "y", "x")
                chunks = (chunk_t, ly, lx) if nt else None
            elif kind == "nodes":
                vdims = ("time", "node")
            else:
                vdims = ("time",)
            v = f.create_variable(name, vdims, "f8", chunks=chunks)
            fld = tr.name.split(".")[-1]
            v.attrs.update({"units": tr.unit or _hdf5.UNITS.get(fld, "1"), "long_name": tr.name,
                            "nftsim_name": tr.name, "parnft_key": tr.key,
                            "cell_methods": "time: point"})
            if kind == "nodes":
                v.attrs["coordinates"] = "node_x node_y"
            elif kind == "field":
                v.attrs["coordinates"] = "node_number"

    # -- data --------------------------------------------------------------
    def write(self, tsteps: np.ndarray, blocks: list) -> None:
        """Write one buffer of samples (collective: every rank calls it).

        Parameters
        ----------
        tsteps : ndarray of int
            Step numbers of the samples.
        blocks : list of ndarray (len(tsteps), ncols)
            One block per trace, this rank's columns.
        """
        r0, r1 = self.row, self.row + len(tsteps)
        self.row = r1
        ly, lx = self.sim.tiling.loc_shape
        y0, x0 = self.sim.tiling.loc_start
        if self.rank == 0:
            self.f["time"][r0:r1] = tsteps * self.sim.spec.time.deltat
        for k, (name, kind, blk) in enumerate(zip(self._names, self._kinds, blocks,
                                                  strict=True)):
            if kind == "field" and self.collective:
                v = self.f[name]
                with v._h5ds.collective:
                    v[r0:r1, y0:y0 + ly, x0:x0 + lx] = blk.reshape(-1, ly, lx)
                continue
            parts = self.comm.gather(blk, root=0) if self.size > 1 else [blk]
            if self.rank != 0:
                continue
            if kind == "field":
                self.f[name][r0:r1] = self._assemble_field(r1 - r0, parts)
            elif kind == "nodes":
                self.f[name][r0:r1] = self._assemble_nodes(k, r1 - r0, parts)
            else:
                part = next((p for p in parts if p.shape[1]), None)
                self.f[name][r0:r1] = np.nan if part is None else part[:, 0]
        if self.f is not None:  # data first, then the count (as the HDF5 writer)
            self._sync()
            self.f.attrs["samples_written"] = np.int64(r1)
            self._sync()

    def _sync(self) -> None:
        """Write h5netcdf's pending netCDF attributes, then flush the HDF5 file itself.

        ``h5netcdf.File.flush`` only writes ``_NCProperties``; the data and
        metadata reach the file with the underlying h5py file's flush.
        """
        self.f.flush()
        self.f._h5file.flush()  # noqa: SLF001 - h5netcdf exposes no public flush of it

    def _assemble_field(self, n: int, parts: list) -> np.ndarray:
        ny, nx = self.sim.spec.grid.shape
        out = np.empty((n, ny, nx))
        for (y0, y1, x0, x1), blk in zip(self._tile, parts, strict=True):
            out[:, y0:y1, x0:x1] = blk.reshape(n, y1 - y0, x1 - x0)
        return out

    def _assemble_nodes(self, k: int, n: int, parts: list) -> np.ndarray:
        col = {int(nd): c for c, nd in enumerate(self._selected_nodes())}
        out = np.full((n, len(col)), np.nan)
        for r, blk in enumerate(parts):
            for c, nd in enumerate(self._nodes_all[r][k]):
                out[:, col[int(nd)]] = blk[:, c]
        return out

    def close(self, stats=None, complete: bool = True, stop_reason: str | None = None) -> None:
        """Record run information, mark the file complete and close it (collective).

        Parameters
        ----------
        stats : RunStats, optional
            This rank's timings; every rank's go to ``timings_per_rank``.
        complete : bool
            The run ended normally (the ``complete`` attribute becomes 1).
        stop_reason : str, optional
            Why an incomplete run stopped, stored in ``stop_reason``.
        """
        timings = self.comm.allgather(None if stats is None else vars(stats))
        done = self.comm.bcast(bool(complete), root=0)
        if self.f is None:
            return
        if stats is not None:
            self.f.attrs["timings_per_rank"] = json.dumps(timings)
        if stop_reason is not None:
            self.f.attrs["stop_reason"] = str(stop_reason)
        self.f.attrs["complete"] = np.int8(done)
        self.f.close()
        self.f = None
