"""Timed runs of configs on the ranks of one job, one CSV row per run.

:func:`bench_config` is what ``parnft bench CONF`` does on every rank: build
the model, compile (or load) its loop *before* the clock starts, then time the
run including its output, and gather the per-rank phase times and peak memory
to rank 0, which returns the row (:data:`parnft.bench.provenance.COLUMNS`).
The STREAM-triad bandwidth is measured by all ranks together (the bandwidth
they share), once per invocation, and the model's memory traffic per
node-step is counted from its compiled step (:mod:`parnft.bench.roofline`),
so each row says what fraction of the machine's memory limit it reached.
With ``startup=N`` rank 0 also times N alternating pairs of the import floor
and a one-step ``parnft run`` process (:mod:`parnft.bench.startup`) before
the timed runs, for the ``import_floor_s``, ``startup_s`` and
``startup_excess_s`` columns (and the processes' CPU times,
``import_floor_cpu_s``, ``startup_cpu_s``) of the first row; every row has the 1-minute
load average (``load1``) taken at its end, since the machine may be shared.
"""

from __future__ import annotations

import logging
import os
import resource
import shutil
import tempfile
import time as _time

from ..parallel.comm import bcast_result
from .provenance import base_row, config_sha, physical_cores

log = logging.getLogger("parnft")


def max_rss_mb() -> float:
    """Peak resident memory of this process [MB] (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def ranks_on_host(comm) -> int:
    """Ranks of ``comm`` that share this rank's host (shared-memory split)."""
    from mpi4py import MPI

    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    try:
        return local.Get_size()
    finally:
        local.Free()


def stream_bandwidth(comm) -> float | None:
    """Triad bandwidth [GB/s] of all ranks of ``comm`` measuring at once (summed).

    Every rank runs the triad at the same time, so the sum is the bandwidth
    the ranks share; returns None when the STREAM module is unavailable.
    """
    try:
        from .stream import triad_gbs
    except ImportError:  # pragma: no cover - the module ships with parnft
        return None
    comm.Barrier()
    mine = float(triad_gbs())
    return float(comm.allreduce(mine))


def traffic_per_node_step(sim) -> float | None:
    """Bytes a step streams per node (:mod:`parnft.bench.roofline`), or None."""
    try:
        from .roofline import bytes_per_node_step
    except ImportError:  # pragma: no cover
        return None
    return float(bytes_per_node_step(sim))


def _halo_pingpong(comm, sim):
    """Ping-pong of ``sim``'s halo message sizes between ranks 0 and 1 (collective)."""
    from .pingpong import halo_pingpong, sim_halo

    nfields = max(2, sim_halo(sim)[0])
    shape = comm.bcast(tuple(sim.tiling.loc_shape), root=0)
    return halo_pingpong(comm, shape, nfields)


def _scratch(comm) -> str:
    """A temporary folder made by rank 0 and shared with every rank."""
    path = tempfile.mkdtemp(prefix="parnft-bench-") if comm.Get_rank() == 0 else None
    return comm.bcast(path, root=0)


def timed_run(spec, comm, out: str, *, procs=None, halo="auto", rng="counter") -> dict:
    """Build, compile, then time one run of ``spec`` writing ``out``; this rank's numbers."""
    from ..api import make_writer, output_format
    from ..solver import Simulation

    t0 = _time.perf_counter()
    sim = Simulation(spec, comm, procs=procs, rng=rng, halo=halo)
    writer = make_writer(out, output_format(out, None), sim, comm)
    try:
        sim.run(writer, steps=0)  # compile or load the cached loop: not timed
        t1 = _time.perf_counter()
        comm.Barrier()
        t2 = _time.perf_counter()
        stats = sim.run(writer)
        writer.close(stats, complete=True)
        comm.Barrier()
        t3 = _time.perf_counter()
        res = {"wall": t3 - t2, "compute": stats.compute, "halo": stats.halo,
               "output": stats.output + max(0.0, (t3 - t2) - stats.compute - stats.halo
                                            - stats.output),
               "compile": t1 - t0, "steps": sim.n,
               "procs": "{}x{}".format(*sim.tiling.procs), "sim": sim,
               "transport": sim.halo_transport or "", "halo_mode": sim.halo_mode}
    finally:
        sim.close()
    return res


def bench_config(path: str, comm, *, repeat: int = 1, time: float | None = None,
                 grid: tuple[int, int] | None = None, out: str | None = None,
                 procs=None, halo: str = "auto", rng: str = "counter", label: str = "",
                 series: str = "single", stream: bool = True,
                 pingpong: bool = False, startup: int = 0) -> list[dict]:
    """Run ``path`` ``repeat`` times on ``comm`` and return the CSV rows (rank 0).

    Parameters
    ----------
    path : str
        NFTsim ``.conf`` file.
    comm : mpi4py communicator
        The ranks of the run (collective call).
    repeat : int
        Timed runs; each gives a row. The first also pays the loop compile
        (or cache load), reported as ``compile_s`` and never in ``wall_s``.
    time, grid :
        Benchmark variant (:func:`parnft.bench.resize.variant_text`).
    out : str, optional
        Keep the last run's output here (``.h5``/``.nc``/``.output``);
        otherwise outputs go to a scratch folder that is removed.
    procs, halo, rng :
        As for ``parnft run``.
    label, series : str
        Free text and ``single``/``strong``/``weak``, copied into the rows.
    stream : bool
        Measure the STREAM-triad bandwidth for the ``bandwidth_fraction`` column
        (left empty on oversubscribed hosts, where ranks share cores).
    pingpong : bool
        On 2+ ranks, also time a ping-pong of this model's halo message sizes
        (:func:`parnft.bench.pingpong.halo_pingpong`); the result goes into the
        first row under the non-CSV key ``"_pingpong"``.
    startup : int
        Pairs of start-up measurements (0: none), by rank 0 while the other
        ranks wait (:func:`parnft.bench.startup.measure_startup`).

    Returns
    -------
    list of dict
        One row per run on rank 0; an empty list on other ranks.
    """
    from .resize import bench_spec

    spec = bcast_result(comm, bench_spec, path, time, grid)
    rank, size = comm.Get_rank(), comm.Get_size()
    base = base_row() if rank == 0 else {}
    gbs = stream_bandwidth(comm) if stream else None
    host_ranks = ranks_on_host(comm)
    over = comm.allreduce(host_ranks > physical_cores(), op=_lor())
    scratch = _scratch(comm)
    rows, traffic = [], None
    boot = None
    if startup > 0:
        from .startup import measure_startup

        boot = bcast_result(comm, measure_startup, spec, startup)  # rank 0 runs it
    try:
        for i in range(repeat):
            target = out if (out and i == repeat - 1) else os.path.join(scratch, f"run{i}.h5")
            res = timed_run(spec, comm, target, procs=procs, halo=halo, rng=rng)
            sim = res.pop("sim")
            if i == 0:
                traffic = traffic_per_node_step(sim)
                pp = _halo_pingpong(comm, sim) if pingpong and size > 1 else None
            mine = (res["compute"], res["halo"], res["output"], max_rss_mb())
            allr = comm.gather(mine, root=0)
            if rank != 0:
                continue
            nodes, steps = spec.grid.nodes, res["steps"]
            rate = nodes * steps / res["wall"] if res["wall"] > 0 else float("nan")
            row = dict(base, label=label, series=series, config=spec.path,
                       config_sha=config_sha(spec.text), ranks=size, procs=res["procs"],
                       oversubscribed=bool(over), halo=res["halo_mode"],
                       halo_transport=res["transport"], nodes=nodes,
                       nodes_per_rank=nodes / size, steps=steps, repeat=i,
                       wall_s=res["wall"], compute_s=max(a[0] for a in allr),
                       halo_s=max(a[1] for a in allr), output_s=max(a[2] for a in allr),
                       compile_s=res["compile"] if i == 0 else 0.0,
                       node_steps_per_s=rate, node_steps_per_s_per_rank=rate / size,
                       max_rss_mb=max(a[3] for a in allr),
                       rss_mb_per_rank=";".join(f"{a[3]:.1f}" for a in allr))
            if traffic is not None:
                row["bytes_per_node_step"] = traffic
            if gbs and not over:
                row["stream_triad_gbs"] = gbs
                if traffic is not None:
                    row["bandwidth_fraction"] = traffic * rate / (gbs * 1e9)
            if i == 0 and pp is not None:
                row["_pingpong"] = pp
            if i == 0 and boot is not None:
                row.update(import_floor_s=boot.import_floor, startup_s=boot.startup,
                           startup_excess_s=boot.excess, import_floor_cpu_s=boot.floor_cpu,
                           startup_cpu_s=boot.startup_cpu)
            row["load1"] = os.getloadavg()[0]
            rows.append(row)
            log.info("%s: %d ranks, %.3f s, %.3g node-steps/s", spec.path, size,
                     res["wall"], rate)
    finally:
        comm.Barrier()
        if rank == 0:
            shutil.rmtree(scratch, ignore_errors=True)
    return rows


def _lor():
    from mpi4py import MPI

    return MPI.LOR
