"""NFTsim ``.output`` reader/writer: byte-exact round trips of the reference files."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest

from parnft.io.nftsim_text import (
    SEPARATOR,
    NftsimOutput,
    OutputTextWriter,
    _decode_values,
    _encode_values,
    _format_value,
    format_header,
    group_sizes_from_names,
    parse_output_text,
    read_output,
    write_output,
)
from tests.refdata import nftsim_ref, shared_dir

OUTPUT_DIRS = ("outputs-this-machine", "test/numerical/data")


def _reference_outputs() -> list[str]:
    root = shared_dir() / "nftsim-ref"
    found = []
    for sub in OUTPUT_DIRS:
        found += sorted(str(p.relative_to(root)) for p in (root / sub).glob("*.output"))
    return found or [f"{OUTPUT_DIRS[0]}/<missing>.output"]


REFERENCE_OUTPUTS = _reference_outputs()


@pytest.fixture(scope="module")
def coupling_map() -> NftsimOutput:
    return read_output(nftsim_ref("test", "numerical", "data", "coupling-map.output"))


# ---------------------------------------------------------------------------
# every reference file


@pytest.mark.parametrize("rel", REFERENCE_OUTPUTS)
def test_reference_file_round_trips_byte_for_byte(rel, tmp_path):
    path = nftsim_ref(*rel.split("/"))
    original = path.read_bytes()
    out = read_output(path)

    ncols = len(out.names)
    assert ncols > 0
    assert len(out.nodes) == ncols
    assert sum(out.groups) == ncols
    assert out.data.dtype == np.float64 and out.time.dtype == np.float64
    assert out.data.shape == (out.time.size, ncols)
    assert out.time.size > 0
    assert np.all(np.diff(out.time) > 0), "time must be strictly increasing"
    assert np.all(np.isfinite(out.data))
    assert all(n >= 1 for n in out.nodes)

    target = tmp_path / "copy.output"
    write_output(target, out.config_text, out.names, out.nodes, out.time, out.data)
    assert target.read_bytes() == original

    # the same through a text-mode file object and through NftsimOutput.write
    buf = io.StringIO(newline="")
    out.write(buf)
    assert buf.getvalue().encode() == original


@pytest.mark.parametrize("rel", REFERENCE_OUTPUTS)
def test_values_match_python_float_parsing(rel):
    path = nftsim_ref(*rel.split("/"))
    out = read_output(path)
    lines = path.read_text().split("\n")
    first = lines.index(SEPARATOR) + 4
    step = max(1, out.time.size // 50)
    for i in range(0, out.time.size, step):
        tokens = [float(t) for t in lines[first + i].split()]
        assert tokens[0] == out.time[i]
        assert tokens[1:] == out.data[i].tolist()


def test_config_text_is_the_conf_file(coupling_map):
    conf = nftsim_ref("test", "numerical", "coupling-map.conf").read_text()
    assert coupling_map.config_text == conf


def test_coupling_map_columns(coupling_map):
    out = coupling_map
    assert out.names == ("Pop.2.Q",) * 6 + ("Propagator.1.phi",) * 6
    assert out.nodes == (1, 8, 28, 37, 57, 64) * 2
    assert out.groups == (6, 6)
    assert out.unique_names == ("Pop.2.Q", "Propagator.1.phi")
    assert out.data.shape == (512, 12)
    assert out.time[0] == 2.44140625e-04
    assert out.time[1] == 4.88281250e-04
    assert out.data[0, 6] == 1.00000141966487e01

    nodes, q = out.trace("Pop.2.Q")
    assert nodes == (1, 8, 28, 37, 57, 64)
    assert q.shape == (512, 6)
    np.testing.assert_array_equal(q, out.data[:, :6])

    nodes_ci, phi = out.trace("propagator.1.phi")
    assert nodes_ci == nodes
    np.testing.assert_array_equal(phi, out.data[:, 6:])
    np.testing.assert_array_equal(out.trace("pop.2.q")[1], q)

    with pytest.raises(KeyError, match="Pop.3.Q"):
        out.trace("Pop.3.Q")


# ---------------------------------------------------------------------------
# writer details


def test_header_layout():
    text = format_header(["Pop.1.Q", "Pop.1.Q", "Propagator.1.phi"], [1, 2, 5])
    name_row, node_row, rest = text.split("\n")
    assert rest == ""
    assert name_row == (
        " " + "Time".rjust(20) + "  "
        + "  " + "Pop.1.Q".rjust(20) + "  " + "Pop.1.Q".rjust(20) + "  "
        + "  " + "Propagator.1.phi".rjust(20) + "  "
    )  # fmt: skip
    assert node_row == (
        " " * 23 + "  " + "1".rjust(20) + "  " + "2".rjust(20) + "  " + "  " + "5".rjust(20) + "  "
    )


def test_group_sizes_from_names():
    assert group_sizes_from_names(["a", "a", "b", "a"]) == (2, 1, 1)
    assert group_sizes_from_names([]) == ()


def test_special_values_follow_nftsim_sign_rule():
    buf = io.BytesIO()
    w = OutputTextWriter(buf, "c", ["A", "A", "B"], [1, 2, 1])
    rows = [
        [-0.0, math.nan, -math.nan],
        [math.inf, -math.inf, 1e-300],
        [1e300, -2.5e-9, 0.0],
    ]
    w.write_rows([0.5, 1.0, 1.5], rows)
    assert w.rows_written == 3
    body = buf.getvalue().decode().split("\n")[-4:]
    assert body[0] == " 5.00000000000000e-01    -0.00000000000000e+00 nan   -nan  "
    assert body[1] == " 1.00000000000000e+00    inf -inf    1.00000000000000e-300  "
    assert body[2] == (
        " 1.50000000000000e+00    1.00000000000000e+300 -2.50000000000000e-09"
        "    0.00000000000000e+00  "
    )
    assert body[3] == ""

    back = parse_output_text(buf.getvalue())
    assert np.signbit(back.data[0, 0]) and back.data[0, 0] == 0
    assert math.isnan(back.data[0, 1]) and not np.signbit(back.data[0, 1])
    assert math.isnan(back.data[0, 2]) and np.signbit(back.data[0, 2])
    assert back.data[1].tolist()[:2] == [math.inf, -math.inf]
    again = io.BytesIO()
    back.write(again)
    assert again.getvalue() == buf.getvalue()


def test_incremental_writes_equal_one_write():
    rng = np.random.default_rng(1)
    names = ["Pop.1.Q"] * 3 + ["Coupling.1.nu"] + ["Pop.1.V"] * 3
    nodes = [1, 2, 3, 1, 1, 2, 3]
    t = np.arange(1, 101) * 2.0**-13
    d = rng.standard_normal((100, 7)) * 10.0 ** rng.integers(-10, 16, (100, 7))
    d[5, 2] = 1e-12  # slow-path rows mixed in
    d[17, 0] = np.nan
    whole = io.BytesIO()
    write_output(whole, "conf\n", names, nodes, t, d)
    parts = io.StringIO(newline="")
    w = OutputTextWriter(parts, "conf\n", names, nodes, chunk_values=40)
    for s in (0, 1, 30, 77):
        e = {0: 1, 1: 30, 30: 77, 77: 100}[s]
        w.write_rows(t[s:e], d[s:e])
    w.write_rows(t[99:99], d[99:99])  # empty is fine
    assert w.rows_written == 100
    assert parts.getvalue().encode() == whole.getvalue()
    lines = whole.getvalue().decode().split("\n")
    first = lines.index(SEPARATOR) + 4
    for i in range(100):
        vals = [t[i], *d[i]]
        fields = lines[first + i].split()
        assert [float(f) for f in fields[1:]] == pytest.approx(list(d[i]), nan_ok=True, rel=1e-14)
        assert fields == [_format_value(v).strip() for v in vals]


def test_adjacent_outlets_with_the_same_name_keep_their_grouping():
    buf = io.BytesIO()
    write_output(buf, "c\n", ["A"] * 4, [1, 2, 1, 2], [1.0], [[1, 2, 3, 4]], groups=(2, 2))
    text = buf.getvalue().decode()
    assert text.split("\n")[-2].count("    ") == 2  # time separator + one group break
    back = parse_output_text(text)
    assert back.groups == (2, 2)
    again = io.BytesIO()
    back.write(again)
    assert again.getvalue() == buf.getvalue()


def test_shape_mismatch_is_rejected():
    w = OutputTextWriter(io.StringIO(), "c", ["A", "A"], [1, 2])
    with pytest.raises(ValueError, match="shape"):
        w.write_rows([1.0, 2.0], np.zeros((2, 3)))
    with pytest.raises(ValueError, match="names"):
        OutputTextWriter(io.StringIO(), "c", ["A", "A"], [1])


# ---------------------------------------------------------------------------
# the vectorised number codec against Python's (correctly rounded) formatting


def _codec_cases() -> np.ndarray:
    rng = np.random.default_rng(7)
    n = 1 << 15
    x = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-8.3, 15.3, n)
    # short binary fractions: many exact decimal ties at the 15th digit
    y = np.round(x * 2.0 ** rng.integers(0, 40, n)) / 2.0 ** rng.integers(0, 40, n)
    p = 10.0 ** np.arange(-9, 16)
    edges = np.concatenate(
        [p, np.nextafter(p, 0), np.nextafter(p, np.inf), -p, [0.0, 0.5, 1.5, 2.5]]
    )
    ties = np.array([123456789012345.5, 123456789012344.5, 999999999999999.5, 0.1, 1 / 3])
    return np.concatenate([x, y, edges, ties])


def test_fast_codec_is_exact():
    x = _codec_cases()
    chars = np.empty((x.size, 21), dtype=np.uint8)
    ok = _encode_values(x, chars)
    assert ok.mean() > 0.8
    fast = x[ok]
    expected = "".join(_format_value(v).rjust(21) for v in fast.tolist())
    assert chars[ok].tobytes().decode() == expected
    values, vok = _decode_values(chars[ok])
    assert vok.all()
    parsed = [float(expected[i : i + 21]) for i in range(0, len(expected), 21)]
    assert values.tolist() == parsed


def test_slow_path_values_round_trip():
    x = _codec_cases()
    t = np.arange(1, x.size // 8 + 1, dtype=np.float64)
    d = x[: t.size * 8].reshape(-1, 8)
    buf = io.BytesIO()
    write_output(buf, "", ["X"] * 8, range(1, 9), t, d)
    text = buf.getvalue().decode()
    back = parse_output_text(text)
    lines = text.split("\n")
    first = lines.index(SEPARATOR) + 4
    for i in range(0, t.size, 37):
        fields = lines[first + i].split()
        assert fields[1:] == [_format_value(v).strip() for v in d[i].tolist()]
        assert back.data[i].tolist() == [float(f) for f in fields[1:]]


# ---------------------------------------------------------------------------
# malformed files


def _corrupt(tmp_path, rel: str, edit) -> tuple[str, int]:
    src = nftsim_ref(*rel.split("/"))
    lines = src.read_text().split("\n")
    lines, bad_line = edit(lines)
    path = tmp_path / "bad.output"
    path.write_text("\n".join(lines))
    return str(path), bad_line


def _error(path: str) -> str:
    with pytest.raises(ValueError) as info:
        read_output(path)
    return str(info.value)


REL = "test/numerical/data/coupling-map.output"


def test_truncated_row_names_path_and_line(tmp_path):
    def edit(lines):
        i = lines.index(SEPARATOR) + 4 + 10
        lines[i] = lines[i][:-50]
        return lines, i + 1

    path, line = _corrupt(tmp_path, REL, edit)
    msg = _error(path)
    assert msg.startswith(f"{path}:{line}:"), msg
    assert "expected 13" in msg


def test_file_cut_mid_row(tmp_path):
    def edit(lines):
        # drop the final newline and half of the last row
        lines = lines[:-1]
        lines[-1] = lines[-1][:100]
        return lines, len(lines)

    path, line = _corrupt(tmp_path, REL, edit)
    assert _error(path).startswith(f"{path}:{line}:")


def test_garbage_value_names_line(tmp_path):
    def edit(lines):
        i = lines.index(SEPARATOR) + 4 + 3
        lines[i] = lines[i].replace("1.0000", "1.x000", 1)
        return lines, i + 1

    path, line = _corrupt(tmp_path, REL, edit)
    msg = _error(path)
    assert msg.startswith(f"{path}:{line}:") and "not a number" in msg


def test_missing_separator(tmp_path):
    def edit(lines):
        i = lines.index(SEPARATOR)
        del lines[i]
        return lines, 0

    path, _ = _corrupt(tmp_path, REL, edit)
    msg = _error(path)
    assert re.match(rf"{re.escape(path)}:\d+: no separator line", msg), msg


def test_misaligned_node_row(tmp_path):
    def edit(lines):
        i = lines.index(SEPARATOR) + 3
        lines[i] = " " + lines[i]
        return lines, i + 1

    path, line = _corrupt(tmp_path, REL, edit)
    assert _error(path).startswith(f"{path}:{line}:")


def test_header_only_file_has_no_rows(tmp_path):
    buf = io.BytesIO()
    write_output(buf, "conf", ["A"], [3], np.empty(0), np.empty((0, 1)))
    out = parse_output_text(buf.getvalue())
    assert out.names == ("A",) and out.nodes == (3,) and out.data.shape == (0, 1)
    assert out.config_text == "conf"
