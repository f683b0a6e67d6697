"""Tiling and HaloExchange under MPI, checked against the periodic global grid.

Run e.g. ``mpiexec -n 4 python -m mpi4py -m pytest --with-mpi tests/mpi/test_halo.py``;
every test also runs (and is meaningful) on 1 rank.
"""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

from parnft.errors import ConfigError
from parnft.parallel import HaloExchange, Tiling, choose_dims

SHAPES = [(7, 5), (10, 3), (5, 13), (12, 12), (1, 9), (9, 1), (3, 3)]


def _dims_options(size):
    """Explicit (px, py) process grids to try, plus None (the default choice)."""
    return [None, (1, size), (size, 1), (2, size // 2) if size % 2 == 0 else (size, 1)]


def _fits(size, glb_shape, dims):
    try:
        choose_dims(size, glb_shape, dims)
    except ConfigError:
        return False
    return True


def _fill(tiling, nfields=2, ghost=-1.0):
    """Ghosted tile arrays with interiors from global functions, ghost frames = ``ghost``."""
    ly, lx = tiling.loc_shape
    gidx = tiling.glb_index()
    fields = [np.full((ly + 2, lx + 2), ghost) for _ in range(nfields)]
    fields[0][1:-1, 1:-1] = gidx + 1.0
    if nfields > 1:
        fields[1][1:-1, 1:-1] = 1000.0 * (tiling.rank + 1) + 0.001 * gidx
    for k in range(2, nfields):
        fields[k][1:-1, 1:-1] = -(k + 1) * (gidx + 1.0)
    return fields


def _expected(tiling, nfields=2):
    """Expected ghosted tiles, built from the global arrays padded periodically."""
    ny, nx = tiling.glb_shape
    g = np.arange(ny * nx, dtype=np.int64).reshape(ny, nx)
    owner = tiling.owner_of(g).astype(np.float64)
    glb = [g + 1.0]
    if nfields > 1:
        glb.append(1000.0 * (owner + 1) + 0.001 * g)
    for k in range(2, nfields):
        glb.append(-(k + 1) * (g + 1.0))
    (y0, x0), (ly, lx) = tiling.loc_start, tiling.loc_shape
    ys = np.arange(y0 - 1, y0 + ly + 1) % ny
    xs = np.arange(x0 - 1, x0 + lx + 1) % nx
    return [a[np.ix_(ys, xs)] for a in glb]


def _check(tiling, fields, nfields, corners, ghost=-1.0):
    expected = _expected(tiling, nfields)
    for k, (f, e) in enumerate(zip(fields, expected, strict=True)):
        # interior untouched, edges exchanged
        np.testing.assert_array_equal(f[1:-1, :], e[1:-1, :], err_msg=f"field {k} rows")
        np.testing.assert_array_equal(f[:, 1:-1], e[:, 1:-1], err_msg=f"field {k} cols")
        c = (slice(None, None, f.shape[0] - 1), slice(None, None, f.shape[1] - 1))
        if corners:
            np.testing.assert_array_equal(f[c], e[c], err_msg=f"field {k} corners")
        else:
            np.testing.assert_array_equal(f[c], ghost, err_msg=f"field {k} corners touched")


@pytest.mark.mpi
@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("glb_shape", SHAPES)
def test_exchange_matches_periodic_global(glb_shape, corners):
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    tried = 0
    for dims in _dims_options(size):
        if not _fits(size, glb_shape, dims):
            continue
        tried += 1
        with Tiling(comm, glb_shape, dims) as tiling:
            with HaloExchange(tiling, 2, corners=corners) as halo:
                fields = _fill(tiling)
                halo.exchange(fields)
                _check(tiling, fields, 2, corners)
                # a second exchange on the same plan (persistent requests) gives the same
                fields = _fill(tiling)
                halo.start(fields)
                halo.wait()
                _check(tiling, fields, 2, corners)
    if size == 1:
        assert tried >= 1


@pytest.mark.mpi(min_size=2)
@pytest.mark.parametrize("corners", [False, True])
def test_exchange_all_process_grids(corners):
    """Every factorisation of the rank count, incl. extents 1 and 2 on either axis."""
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    glb_shape = (2 * size + 1, 2 * size + 3)
    for px in range(1, size + 1):
        if size % px:
            continue
        dims = (px, size // px)
        with Tiling(comm, glb_shape, dims) as tiling:
            assert tiling.dims == (size // px, px)
            for nfields in (1, 3):
                with HaloExchange(tiling, nfields, corners=corners) as halo:
                    fields = _fill(tiling, nfields)
                    halo.exchange(fields)
                    _check(tiling, fields, nfields, corners)


@pytest.mark.mpi(min_size=2)
def test_exchange_tiles_one_cell_wide():
    """As many ranks as columns (or rows): tiles of width 1."""
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    for glb_shape, dims in [((4, size), (size, 1)), ((size, 4), (1, size)), ((1, size), None)]:
        with Tiling(comm, glb_shape, dims) as tiling:
            with HaloExchange(tiling, 2, corners=True) as halo:
                fields = _fill(tiling)
                halo.exchange(fields)
                _check(tiling, fields, 2, True)


@pytest.mark.mpi
def test_overlap_mode_interior_readable_between_start_and_wait():
    comm = MPI.COMM_WORLD
    with Tiling(comm, (11, 6)) as tiling, HaloExchange(tiling, 2, corners=True) as halo:
        fields = _fill(tiling)
        halo.start(fields)
        interior_sum = sum(float(f[1:-1, 1:-1].sum()) for f in fields)  # "compute"
        with pytest.raises(RuntimeError):
            halo.start(fields)
        halo.wait()
        _check(tiling, fields, 2, True)
        assert interior_sum == sum(float(f[1:-1, 1:-1].sum()) for f in fields)
        with pytest.raises(RuntimeError):
            halo.wait()


@pytest.mark.mpi
def test_single_rank_equals_numpy_wrap():
    comm = MPI.COMM_SELF  # a 1-rank run, whatever the world size
    rng = np.random.default_rng(1 + MPI.COMM_WORLD.Get_rank())
    for glb_shape in [(7, 5), (1, 4), (4, 1), (1, 1), (16, 16)]:
        with Tiling(comm, glb_shape) as tiling:
            assert tiling.dims == (1, 1)
            assert tiling.loc_shape == glb_shape
            assert set(tiling.neighbours.values()) == {0}
            interiors = [rng.standard_normal(glb_shape) for _ in range(3)]
            fields = [np.pad(a, 1, mode="constant", constant_values=np.nan) for a in interiors]
            with HaloExchange(tiling, 3, corners=True) as halo:
                halo.exchange(fields)
            for f, a in zip(fields, interiors, strict=True):
                np.testing.assert_array_equal(f, np.pad(a, 1, mode="wrap"))


@pytest.mark.mpi
def test_tiling_geometry_consistent():
    comm = MPI.COMM_WORLD
    size, rank = comm.Get_size(), comm.Get_rank()
    for glb_shape in [(7, 5), (10, 3), (5, 13), (100, 30)]:
        if not _fits(size, glb_shape, None):
            continue
        with Tiling(comm, glb_shape) as t:
            assert t.comm is not comm and t.size == size
            assert t.rank == rank  # reorder=False
            assert t.dims == choose_dims(size, glb_shape)
            bounds = t.tile_bounds()
            assert len(bounds) == size
            y0, y1, x0, x1 = bounds[t.rank]
            assert (y0, x0) == t.loc_start and (y1 - y0, x1 - x0) == t.loc_shape
            assert t.loc_slices == (slice(y0, y1), slice(x0, x1))
            # tiles cover the grid exactly once, and owner_of agrees
            cover = np.zeros(glb_shape, dtype=int)
            owner = np.full(glb_shape, -1)
            for r, (a, b, c, d) in enumerate(bounds):
                cover[a:b, c:d] += 1
                owner[a:b, c:d] = r
            assert (cover == 1).all()
            g = np.arange(glb_shape[0] * glb_shape[1]).reshape(glb_shape)
            np.testing.assert_array_equal(t.owner_of(g), owner)
            assert t.owner_of(int(t.glb_index()[0, 0])) == t.rank
            assert (t.owner_of(t.glb_index()) == t.rank).all()
            np.testing.assert_array_equal(t.glb_index(), g[t.loc_slices])
            assert t.glb_index().dtype == np.int64
            # neighbours agree with the periodic process grid
            py, px = t.dims
            cy, cx = t.coords
            assert t.neighbours["N"] == ((cy - 1) % py) * px + cx
            assert t.neighbours["SE"] == ((cy + 1) % py) * px + (cx + 1) % px
            # everyone agrees on the geometry
            assert comm.allgather(t.tile_bounds()) == [bounds] * size
            with pytest.raises(IndexError):
                t.owner_of(glb_shape[0] * glb_shape[1])


@pytest.mark.mpi
def test_bad_process_grid_raises_same_error_everywhere():
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    cases = [((5, 5), (size + 1, 1), "tiles but the run has")]
    if size > 1:
        cases.append(((1, size - 1), None, "cannot tile"))
    for glb_shape, dims, match in cases:
        with pytest.raises(ConfigError, match=match) as info:
            Tiling(comm, glb_shape, dims)
        assert len(set(comm.allgather(str(info.value)))) == 1


@pytest.mark.mpi(min_size=2)
def test_wait_does_not_wait_for_a_slow_partner_to_take_our_messages():
    """wait() completes the receives only; the sends complete at the next start().

    Rank 1 sleeps 1 s between start() and wait(). Rank 0's wait() needs only
    rank 1's message, sent before the sleep (8 kB west/east strips: above the
    shared-memory eager limit, so its own sends stay open until rank 1 takes
    them); it must return long before rank 1 wakes. The ghosts must be right.
    """
    import time

    comm = MPI.COMM_WORLD
    tiling = Tiling(comm, (512, 16 * comm.size), (comm.size, 1))
    ly, lx = tiling.loc_shape
    y0, x0 = tiling.loc_start
    ny, nx = tiling.glb_shape
    glob = np.arange(ny * nx, dtype=float).reshape(ny, nx)
    fields = []
    for k in range(2):
        f = np.full((ly + 2, lx + 2), np.nan)
        f[1:-1, 1:-1] = glob[y0:y0 + ly, x0:x0 + lx] + 1e6 * k
        fields.append(f)
    halo = HaloExchange(tiling, 2)
    try:
        comm.Barrier()
        halo.start(fields)
        if comm.rank == 1:
            time.sleep(1.0)
        t0 = time.perf_counter()
        halo.wait()
        waited = time.perf_counter() - t0
        flags = comm.allgather(waited < 0.5)
        assert flags[0], f"rank 0 waited {waited:.2f} s for rank 1"
        for k, f in enumerate(fields):
            rows = np.arange(y0 - 1, y0 + ly + 1) % ny
            cols = np.arange(x0 - 1, x0 + lx + 1) % nx
            want = glob[np.ix_(rows, cols)] + 1e6 * k
            np.testing.assert_array_equal(f[1:-1, [0, -1]], want[1:-1, [0, -1]])
            np.testing.assert_array_equal(f[[0, -1], 1:-1], want[[0, -1], 1:-1])
        halo.exchange(fields)  # the open sends complete here, before repacking
    finally:
        halo.free()
        tiling.free()


@pytest.mark.mpi
@pytest.mark.parametrize("periods", [(False, True), (True, False), (False, False)])
def test_open_edges_are_proc_null_and_left_to_the_fill(periods):
    """Beyond a non-periodic edge: PROC_NULL, no message, the ghost strip untouched.

    Every other ghost equals the periodic-padded global array (the torus case);
    ``Tiling.edges`` names exactly the tile sides on an open global edge. At
    every process grid of the rank count, incl. extent 1 along an open axis.
    """
    comm = MPI.COMM_WORLD
    size = comm.Get_size()
    glb_shape = (2 * size + 3, 2 * size + 1)
    for px in range(1, size + 1):
        if size % px:
            continue
        with Tiling(comm, glb_shape, (px, size // px), periods=periods) as tiling:
            py_, px_ = tiling.dims
            cy, cx = tiling.coords
            want = {"y": [s for s, at in ((0, cy == 0), (1, cy == py_ - 1))
                          if at and not periods[0]],
                    "x": [s for s, at in ((2, cx == 0), (3, cx == px_ - 1))
                          if at and not periods[1]]}
            assert {k: list(v) for k, v in tiling.edges.items()} == want
            sides = dict(zip(("N", "S", "W", "E"), range(4), strict=True))
            for d, s in sides.items():
                null = s in want["y"] + want["x"]
                assert (tiling.neighbours[d] == MPI.PROC_NULL) == null, d
            with HaloExchange(tiling, 2) as halo:
                fields = _fill(tiling, 2, ghost=-7.0)
                halo.exchange(fields)
                expected = _expected(tiling, 2)
                strips = {0: np.s_[0, 1:-1], 1: np.s_[-1, 1:-1], 2: np.s_[1:-1, 0],
                          3: np.s_[1:-1, -1]}
                for f, e in zip(fields, expected, strict=True):
                    np.testing.assert_array_equal(f[1:-1, 1:-1], e[1:-1, 1:-1])
                    for s, sl in strips.items():
                        if s in want["y"] + want["x"]:
                            np.testing.assert_array_equal(f[sl], -7.0)
                        else:
                            np.testing.assert_array_equal(f[sl], e[sl])
