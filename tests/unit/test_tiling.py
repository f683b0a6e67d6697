"""Pure functions of the decomposition: block_range, choose_dims, parse_procs."""

from __future__ import annotations

import pytest

from parnft.errors import ConfigError
from parnft.parallel.tiling import block_range, choose_dims, parse_procs


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 10, 13, 30, 100])
@pytest.mark.parametrize("parts", [1, 2, 3, 4, 6, 7])
def test_block_range_covers_exactly(n, parts):
    if parts > n:
        with pytest.raises(ValueError):
            block_range(n, parts, 0)
        return
    blocks = [block_range(n, parts, i) for i in range(parts)]
    assert blocks[0][0] == 0
    assert blocks[-1][1] == n
    for (_, stop), (start, _) in zip(blocks[:-1], blocks[1:], strict=True):
        assert stop == start
    sizes = [b - a for a, b in blocks]
    assert min(sizes) >= 1
    assert max(sizes) - min(sizes) <= 1
    # the larger blocks come first
    assert sizes == sorted(sizes, reverse=True)
    assert sum(s == n // parts + 1 for s in sizes) == n % parts


def test_block_range_uneven_examples():
    assert [block_range(100, 3, i) for i in range(3)] == [(0, 34), (34, 67), (67, 100)]
    assert [block_range(30, 6, i) for i in range(6)] == [(i * 5, i * 5 + 5) for i in range(6)]
    assert [block_range(100, 6, i) for i in range(6)] == [
        (0, 17), (17, 34), (34, 51), (51, 68), (68, 84), (84, 100)
    ]  # fmt: skip
    assert [block_range(10, 3, i) for i in range(3)] == [(0, 4), (4, 7), (7, 10)]


@pytest.mark.parametrize(
    "n, parts, index", [(5, 6, 0), (5, 0, 0), (5, 2, 2), (5, 2, -1), (0, 1, 0)]
)
def test_block_range_errors(n, parts, index):
    with pytest.raises(ValueError):
        block_range(n, parts, index)


def _tile_extents(glb_shape, dims):
    (ny, nx), (py, px) = glb_shape, dims
    return -(-ny // py), -(-nx // px)


@pytest.mark.parametrize("nranks", [1, 2, 3, 4, 6, 8, 12, 16])
def test_choose_dims_square_grid_matches_compute_dims(nranks):
    from mpi4py import MPI

    assert choose_dims(nranks, (48, 48)) == tuple(MPI.Compute_dims(nranks, 2))


def test_choose_dims_elongated_grid():
    # 100 rows (y) x 30 columns (x): more ranks along the long y side
    assert choose_dims(6, (100, 30)) == (6, 1)  # tiles 17x30, not 100x5
    assert choose_dims(3, (100, 30)) == (3, 1)  # tiles 34x30
    assert choose_dims(2, (100, 30)) == (2, 1)
    # transposed grid: the x side is long
    assert choose_dims(6, (30, 100)) == (1, 6)
    assert choose_dims(3, (30, 100)) == (1, 3)
    # squarer tiles than Compute_dims' (2, 2) on a 4:1 grid
    assert choose_dims(4, (16, 64)) == (1, 4)
    assert choose_dims(8, (16, 64)) == (2, 4)


@pytest.mark.parametrize(
    "glb_shape", [(100, 30), (30, 100), (7, 5), (10, 3), (5, 13), (1, 64), (64, 1), (48, 48)]
)
@pytest.mark.parametrize("nranks", [1, 2, 3, 4, 5, 6, 8, 12])
def test_choose_dims_is_squarest_valid(glb_shape, nranks):
    ny, nx = glb_shape
    options = [
        (py, nranks // py)
        for py in range(1, nranks + 1)
        if nranks % py == 0 and py <= ny and nranks // py <= nx
    ]
    if not options:
        with pytest.raises(ConfigError):
            choose_dims(nranks, glb_shape)
        return
    py, px = choose_dims(nranks, glb_shape)
    assert py * px == nranks and py <= ny and px <= nx

    def aspect(d):
        a, b = ny / d[0], nx / d[1]
        return max(a, b) / min(a, b)

    assert aspect((py, px)) <= min(aspect(d) for d in options) + 1e-12


def test_choose_dims_one_row_grid():
    assert choose_dims(4, (1, 64)) == (1, 4)
    assert choose_dims(4, (64, 1)) == (4, 1)


def test_choose_dims_override_is_px_py():
    # dims are given as (px, py), the --procs order; the result is (py, px)
    assert choose_dims(6, (100, 30), dims=(2, 3)) == (3, 2)
    assert choose_dims(6, (100, 30), dims=(6, 1)) == (1, 6)
    assert choose_dims(4, (7, 5), dims=(1, 4)) == (4, 1)
    assert choose_dims(6, (100, 30), dims=parse_procs("3x2")) == (2, 3)


@pytest.mark.parametrize(
    "nranks, glb_shape, dims, match",
    [
        (6, (100, 30), (2, 2), "4 tiles but the run has 6 ranks"),
        (4, (3, 3), (4, 1), "at least one node per direction"),
        (4, (3, 3), (1, 4), "at least one node per direction"),
        (7, (5, 5), None, "7 ranks cannot tile the grid of 5x5"),
        (26, (5, 5), None, "cannot tile"),
        (2, (1, 1), None, "cannot tile"),
        (0, (5, 5), None, "ranks must be >= 1"),
        (1, (0, 5), None, "at least one node"),
        (2, (5, 5), (0, 2), "0x2"),
    ],
)
def test_choose_dims_errors(nranks, glb_shape, dims, match):
    with pytest.raises(ConfigError, match=match):
        choose_dims(nranks, glb_shape, dims)


def test_choose_dims_max_ranks():
    assert choose_dims(25, (5, 5)) == (5, 5)
    assert choose_dims(5, (1, 5)) == (1, 5)


@pytest.mark.parametrize(
    "text, expected", [("2x3", (2, 3)), ("1X4", (1, 4)), (" 4 x 1 ", (4, 1)), ("12x10", (12, 10))]
)
def test_parse_procs(text, expected):
    assert parse_procs(text) == expected


@pytest.mark.parametrize("text", ["", "2", "2x", "x3", "2x3x4", "axb", "0x2", "-1x2", "2.5x2"])
def test_parse_procs_errors(text):
    with pytest.raises(ConfigError, match="--procs"):
        parse_procs(text)
