"""Every NFTsim regression and benchmark model gives the same fields at any rank count.

For each config of NFTsim's ``test/numerical`` (the regression cases) and
``benchmarks`` folders, a short variant (long enough for the longest axonal
delay to be read from the history, every node written every five steps) is run
on a square and a rectangular grid whose sides do not divide evenly by the rank
counts, on all ranks of ``COMM_WORLD`` (the square grid with the ``overlap``
halo mode, the rectangle with ``blocking``, so every model runs in both modes),
and compared with a one-rank run of the same variant: every dataset must be identical, bit for bit
(tolerance zero), white noise included.

CI runs this file at 2, 3, 4 and 6 ranks (oversubscribed; see the Makefile).
"""

from __future__ import annotations

import math
import os

import h5py
import numpy as np
import pytest
from mpi4py import MPI

from parnft.api import run
from parnft.bench.resize import variant_text
from parnft.config import parse_config
from tests.boundary_tools import boundary_text
from tests.refdata import nftsim_configs, nftsim_ref

CONFIGS = nftsim_configs("test/numerical") + nftsim_configs("benchmarks")
#: One config of each population kind with local dynamics (parnft's own, configs/rosetta).
ROSETTA = [f"configs/rosetta/{k}.conf" for k in
           ("harmonic", "stuart-landau", "wilson-cowan", "jansen-rit", "ing", "coombes-byrne")]
#: Kinds whose state spreads (a ghost fill per RK4 stage; issue 14 item 3): configs/fields.
ROSETTA += [f"configs/fields/{k}.conf" for k in ("cgle", "jh-excitatory")]
CONFIGS += ROSETTA
SKIP_DATASETS = ("x", "y")  # coordinates: compared through the shapes
HALO = {"square": "overlap", "rect": "blocking"}  # every config runs in both modes


def grids(longside: int) -> dict:
    """An uneven square and rectangle, each with at least the original node count.

    A one-node model keeps its Length, so its grid must be fine enough to
    resolve the Wave propagators' Range (dx = 0.5 m / 26 < 0.043 m).
    """
    n = max(longside, 6) if longside > 1 else 25
    return {"square": (n + 1, n + 1), "rect": (n + 5, n - 1)}


def variant(name: str, shape: str) -> str:
    """The config text of the short, resized, all-node variant of ``name``."""
    from parnft.config import read_config

    here = os.path.join(os.path.dirname(__file__), "..", "..", name)
    spec = read_config(here if name in ROSETTA else nftsim_ref(name))
    dt = spec.time.deltat
    tau = max((max(p.tau) for p in spec.propagators), default=0.0)
    steps = min(spec.time.steps, int(math.ceil(tau / dt)) + 25)
    grid = grids(spec.grid.longside)[shape]
    return variant_text(spec, time=steps * dt, grid=grid, interval=5 * dt,
                        scale_length=spec.grid.longside > 1, all_nodes=True)


def compare(par: str, ser: str) -> int:
    """Assert every dataset of ``par`` equals ``ser`` exactly; return the values compared."""
    n = 0
    with h5py.File(par, "r") as a, h5py.File(ser, "r") as b:
        keys = sorted(k for k in b if isinstance(b[k], h5py.Dataset) and k not in SKIP_DATASETS)
        assert keys and sorted(k for k in a if isinstance(a[k], h5py.Dataset)
                               and k not in SKIP_DATASETS) == keys
        for k in keys:
            x, y = a[k][...], b[k][...]
            assert x.shape == y.shape, k
            np.testing.assert_array_equal(x, y, err_msg=f"dataset {k}")
            n += y.size
    return n


def on_root(comm, fn, *args):
    """``fn(*args)`` on rank 0 only; a failure there fails every rank (no hang)."""
    res, err = None, None
    if comm.rank == 0:
        try:
            res = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised below on every rank
            err = exc
    msg = comm.bcast(None if err is None else f"{type(err).__name__}: {err}", root=0)
    if err is not None:
        raise err
    if msg is not None:
        pytest.fail(f"rank 0 failed: {msg}")
    return res


def serial_reference(text: str, conf: str, out: str) -> None:
    """Write the variant's config and its one-rank output (rank 0)."""
    with open(conf, "w") as f:
        f.write(text)
    spec = parse_config(text, path=conf)
    assert spec.output.nodes == () or len(spec.output.nodes) == spec.grid.nodes
    run(conf, out, comm=MPI.COMM_SELF, progress=False)


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", CONFIGS)
def test_same_fields_at_any_rank_count(shared_dir, name):
    comm = MPI.COMM_WORLD
    texts = comm.bcast(on_root(comm, lambda: {s: variant(name, s) for s in ("square", "rect")}))
    stem = os.path.basename(name).replace(".conf", "")
    for shape, text in texts.items():
        conf = os.path.join(shared_dir, f"{stem}-{shape}.conf")
        ref = os.path.join(shared_dir, f"{stem}-{shape}-1.h5")
        on_root(comm, serial_reference, text, conf, ref)
        par = os.path.join(shared_dir, f"{stem}-{shape}-par.h5")
        run(conf, par, comm=comm, progress=False, halo=HALO[shape])
        assert on_root(comm, compare, par, ref) != 0


#: Boundary cases (``docs/boundaries.md``): every kind, each in a mix, on uneven
#: rectangles (nx, ny) in both halo modes; a pulse next to a corner reaches every edge.
#: Three cases only: each new loop is compiled afresh (about 20 s a case and rank).
BOUNDARIES = [
    ("x absorbing y neumann", (23, 14), "overlap"),
    ("x dirichlet -0.5 y absorbing", (14, 23), "blocking"),
    ("x neumann y periodic", (17, 18), "overlap"),
]


#: Kinds whose state spreads, on bounded edges: their mid-step ghost fills run the
#: edge kinds' field fills after each exchange (and the Wave of jh-excitatory its own).
FIELD_BOUNDARIES = [
    ("configs/fields/cgle.conf", "x dirichlet 0 y neumann", "overlap"),
    ("configs/fields/jh-excitatory.conf", "x periodic y neumann", "blocking"),
]


def bounded_variant(name: str, boundary: str) -> str:
    """The rectangular variant of ``name`` with a ``Boundary:`` line after its grid."""
    lines = variant(name, "rect").splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("Nodes:"))
    return "\n".join(lines[:at + 1] + [f"Boundary: {boundary}"] + lines[at + 1:]) + "\n"


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(600)
@pytest.mark.parametrize("name,boundary,halo", FIELD_BOUNDARIES,
                         ids=[os.path.basename(f[0]) for f in FIELD_BOUNDARIES])
def test_spreading_fields_on_bounded_edges_same_at_any_rank_count(shared_dir, name, boundary,
                                                                  halo):
    comm = MPI.COMM_WORLD
    text = comm.bcast(on_root(comm, bounded_variant, name, boundary))
    stem = "bfield-" + os.path.basename(name).replace(".conf", "")
    conf = os.path.join(shared_dir, f"{stem}.conf")
    ref = os.path.join(shared_dir, f"{stem}-1.h5")
    on_root(comm, serial_reference, text, conf, ref)
    par = os.path.join(shared_dir, f"{stem}-par.h5")
    run(conf, par, comm=comm, progress=False, halo=halo)
    assert on_root(comm, compare, par, ref) != 0


#: Per-node maps of every source (HDF5 file, .npy, expression, node list) on an uneven
#: 10 x 7 sheet, a Wave's Range and gamma among them, then a second run starting from
#: the first run's last sample, and the first on absorbing x edges (Mur's per-node
#: constants at the edge nodes of every tile).
MAP_GRID = (10, 7)


def _map_texts(folder: str) -> dict:
    from tests.heterogeneous import sheet, write_maps

    write_maps(folder, MAP_GRID)
    n = MAP_GRID[0] * MAP_GRID[1]
    maps = {"Theta": "map(maps.h5 /theta)", "Q": "map(q.npy)",
            "Sigma": "expr(0.0038 * (1 + 0.2 * exp(-((x - Lx/2)**2 + (y - Ly/2)**2) / 0.002)))",
            "alpha": " ".join(str(80 + (k % 7)) for k in range(n)), "phi": "expr(5 + 20 * y)",
            "Range": "expr(0.08 + 0.03 * (x > Lx/2) + 0.01 * (y > Ly/3))",
            "gamma": " ".join(str(100 + 10 * (k % 3)) for k in range(n))}
    first = sheet(MAP_GRID, **maps)
    second = sheet(MAP_GRID, **dict(maps, Q="map(first-1.h5 pop.1.q)",
                                    V="map(first-1.h5 dendrite.1.v)",
                                    phi="map(first-1.h5 propagator.1.phi)"))
    grid = f"Longside nodes: {MAP_GRID[1]}\n"
    edges = first.replace(grid, grid + "Boundary: x absorbing y neumann\n")
    assert edges != first
    return {"first": first, "second": second, "edges": edges}


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(600)
@pytest.mark.parametrize("boundary,grid,halo", BOUNDARIES, ids=[b[0] for b in BOUNDARIES])
def test_boundaries_same_at_any_rank_count(shared_dir, boundary, grid, halo):
    comm = MPI.COMM_WORLD
    text = boundary_text(boundary, *grid)
    stem = "bnd-" + boundary.replace(" ", "_")
    conf = os.path.join(shared_dir, f"{stem}.conf")
    ref = os.path.join(shared_dir, f"{stem}-1.h5")
    on_root(comm, serial_reference, text, conf, ref)
    par = os.path.join(shared_dir, f"{stem}-par.h5")
    run(conf, par, comm=comm, progress=False, halo=halo)
    assert on_root(comm, compare, par, ref) != 0


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(600)
def test_maps_and_file_initial_state_same_fields_at_any_rank_count(shared_dir):
    comm = MPI.COMM_WORLD
    texts = comm.bcast(on_root(comm, _map_texts, shared_dir))
    for stem, text in texts.items():  # "second" starts from "first"'s serial output
        conf = os.path.join(shared_dir, f"{stem}.conf")
        ref = os.path.join(shared_dir, f"{stem}-1.h5")
        on_root(comm, serial_reference, text, conf, ref)
        for halo in ("overlap", "blocking"):
            par = os.path.join(shared_dir, f"{stem}-par-{halo}.h5")
            run(conf, par, comm=comm, progress=False, halo=halo)
            assert on_root(comm, compare, par, ref) != 0


#: A field whose state spreads, with per-node maps of its local parameters (alpha an
#: expression, omega a node list) and of its initial state, on an uneven 11 x 7 torus.
SPREAD_MAPS = """CGLE with per-node alpha, omega and initial state
Time: 0.01 Deltat: 1e-4
Nodes: 77
Longside nodes: 11

Connection matrix:
From:  1
To 1:  0

Population 1: CGLE
 Length: 0.11
 Dynamics: GinzburgLandau alpha: expr(10 + 5 * exp(-((x - Lx/2)**2 + (y - Ly/2)**2) / 1e-3))
           omega: {omega} gamma: 0.1 beta: 0.05 D: 2e-4 c1: 0.5
           x_0: expr(10 + 3 * sin(2 * pi * x / Lx)) y_0: expr(2 * cos(2 * pi * y / Ly))

Output: Node: All Start: 0 Interval: 5e-4
Population: 1.x 1.y
"""


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(600)
def test_spreading_field_with_parameter_maps_same_at_any_rank_count(shared_dir):
    comm = MPI.COMM_WORLD
    text = SPREAD_MAPS.format(omega=" ".join(f"{62.8 + 0.1 * (k % 13):.1f}" for k in range(77)))
    conf = os.path.join(shared_dir, "cgle-maps.conf")
    ref = os.path.join(shared_dir, "cgle-maps-1.h5")
    on_root(comm, serial_reference, text, conf, ref)
    for halo in ("overlap", "blocking"):
        par = os.path.join(shared_dir, f"cgle-maps-par-{halo}.h5")
        run(conf, par, comm=comm, progress=False, halo=halo)
        assert on_root(comm, compare, par, ref) != 0
