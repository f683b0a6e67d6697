"""Pictures: snapshots, node time series and movies, checked for their content.

A small quiet E model (24 x 32 torus, rectangular so that a swapped x/y
shows) gets a point pulse at one node; the tests read back what was drawn
(the arrays, the PNG's pixels, the GIF's frames, the curves) and compare it
with the run itself, from one rank, four ranks and NFTsim's text format.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from parnft import open_dataset
from parnft.cli import main
from parnft.errors import ConfigError
from parnft.plots import load_trace, neighbours, plot_snapshots, plot_timeseries, write_movie
from parnft.plots import movie as movie_mod
from tests.refdata import nftsim_ref

NY, NX = 24, 32
SY, SX = 16, 9                      # the stimulated node's row and column (0-based)
NODE = SY * NX + SX + 1             # NFTsim's 1-based node number: 522
Q0 = 340.0 / (1.0 + math.exp(0.01292 / 0.0038))   # S(0): the quiet steady state

CONF = f"""Quiet E sheet, one point pulse (tests/unit/test_plots.py).
Time: 0.02 Deltat: 1e-4
Nodes: {NY * NX} Longside nodes: {NX}
Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0
Population 1: E
 Length: 0.5
 Q: {Q0!r}
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769
Population 2: stimulus
 Length: 0.5
 Stimulus: PulseRect - Onset: 0.001 Node: {NODE} Amplitude: 5 Width: 1e-3
Propagator 1: Wave - Tau: 0 Range: 0.1 gamma: 100
Propagator 2: Map - Tau: 0
Coupling 1: Map - nu: 0
Coupling 2: Map - nu: 1e-3
Output: Node: All Interval: 5e-4
Population: 1.Q
Dendrite:
Propagator: 1.phi
Coupling:
"""


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The model run on one rank (HDF5, netCDF, NFTsim text) and on four ranks (HDF5)."""
    d = tmp_path_factory.mktemp("plots")
    conf = d / "pulse.conf"
    conf.write_text(CONF)
    h5, txt, h5_4 = d / "one.h5", d / "one.output", d / "four.h5"
    assert main(["run", "-q", str(conf), "-o", str(h5)]) == 0
    assert main(["run", "-q", str(conf), "-o", str(txt)]) == 0
    assert main(["run", "-q", str(conf), "-o", str(d / "one.nc")]) == 0
    mpiexec = shutil.which("mpiexec")
    assert mpiexec, "mpiexec must be installed (setup.sh)"
    r = subprocess.run([mpiexec, "-n", "4", sys.executable, "-m", "parnft", "run", "-q",
                        str(conf), "-o", str(h5_4)], capture_output=True, text=True,
                       timeout=300, env=dict(os.environ))
    assert r.returncode == 0, r.stderr
    return {"dir": d, "h5": h5, "txt": txt, "h5_4": h5_4, "nc": d / "one.nc"}


def _reddest_cell(png, box, shape):
    """Grid (row, column) of the reddest spot inside one image panel of a PNG."""
    img = np.asarray(Image.open(png).convert("RGB"), dtype=float) / 255.0
    x0, y0, x1, y1 = box
    panel = img[y0:y1, x0:x1]
    red = panel[..., 0] - panel[..., 2]
    py, px = np.argwhere(red >= red.max() - 0.02).mean(axis=0)
    ny, nx = shape
    col = int(px / (x1 - x0) * nx)
    row = ny - 1 - int(py / (y1 - y0) * ny)        # origin="lower": row 0 at the bottom
    return row, col


def test_snapshot_peak_sits_at_the_stimulated_node(runs):
    png = runs["dir"] / "snap.png"
    pic = plot_snapshots(runs["h5"], "propagator.1.phi", "0.003,0.006", out=str(png))
    # the file: a PNG of the expected size (two panels side by side, 100 dpi)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = Image.open(png).size
    assert (w, h) == (680, int(100 * (0.6 + 3.0 * NY / NX + 0.5)))
    assert png.stat().st_size > 10_000
    # the sample times nearest to those asked (Interval 5e-4 s)
    np.testing.assert_allclose(pic.times, [0.003, 0.006], atol=1e-12)
    phi = open_dataset(runs["h5"])["propagator.1.phi"].values
    for k, (label, snap) in enumerate(pic.data.items()):
        # the drawn array is the sample minus its spatial mean ...
        i = int(round(pic.times[k] / 5e-4)) - 1
        np.testing.assert_allclose(snap, phi[i] - phi[i].mean(), rtol=0, atol=1e-12)
        # ... whose peak is at the stimulated node, in the array and in the pixels
        assert np.unravel_index(np.argmax(snap), snap.shape) == (SY, SX), label
        assert _reddest_cell(png, pic.panels[k], (NY, NX)) == (SY, SX), label


def test_coordinates_are_cell_centres_in_metres(runs):
    """open_dataset: x, y [m] at (i + 1/2) dx, dx = Length / Longside; node numbers kept."""
    dx = 0.5 / NX
    for key in ("h5", "h5_4"):
        ds = open_dataset(runs[key])
        assert ds.attrs["dx"] == dx
        for ax, n in (("x", NX), ("y", NY)):
            assert ds[ax].attrs["units"] == "m" and ds[ax].attrs["grid_spacing"] == dx
            np.testing.assert_allclose(ds[ax].values, (np.arange(n) + 0.5) * dx, rtol=1e-15)
        # the NFTsim node number, a non-dimension coordinate of the field
        phi = ds["propagator.1.phi"]
        assert "node_number" in phi.coords and "node_number" not in ds.dims
        assert int(phi.node_number.sel(y=(SY + 0.5) * dx, x=(SX + 0.5) * dx)) == NODE
        # the peak, found by position in metres, is the stimulated node
        snap = phi.isel(time=5)
        peak = snap.where(snap == snap.max(), drop=True)
        assert int(peak.node_number.item()) == NODE


def test_rectangular_sheet_keeps_its_aspect_ratio(runs, tmp_path):
    """Each snapshot panel spans nx dx by ny dx metres and is drawn nx : ny in pixels."""
    pic = plot_snapshots(runs["h5"], "propagator.1.phi", "0.003", out=str(tmp_path / "r.png"))
    x0, y0, x1, y1 = pic.panels[0]
    assert abs((x1 - x0) / (y1 - y0) - NX / NY) < 0.03  # a few pixels of rounding
    tr = load_trace(runs["h5"], "propagator.1.phi")
    (e0, e1, e2, e3), xl, yl = tr.extent()
    assert (e0, e2) == (0.0, 0.0) and (xl, yl) == ("x [m]", "y [m]")
    np.testing.assert_allclose((e1, e3), (0.5, 0.5 * NY / NX), rtol=1e-15)


def test_snapshots_agree_from_four_ranks_netcdf_and_nftsim_text(runs, tmp_path):
    times = "0.004,0.012"
    one = plot_snapshots(runs["h5"], "propagator.1.phi", times, out=str(tmp_path / "a.png"))
    four = plot_snapshots(runs["h5_4"], "propagator.1.phi", times, out=str(tmp_path / "b.svg"))
    text = plot_snapshots(runs["txt"], "Propagator.1.phi", times, out=str(tmp_path / "c.png"))
    nc = plot_snapshots(runs["nc"], "propagator_1_phi", times, out=str(tmp_path / "d.pdf"))
    assert (tmp_path / "b.svg").read_text().lstrip().startswith("<?xml")
    assert (tmp_path / "d.pdf").read_bytes()[:5] == b"%PDF-"
    for a, b, c, d in zip(one.data.values(), four.data.values(), text.data.values(),
                          nc.data.values(), strict=True):
        np.testing.assert_array_equal(a, b)          # the files are identical
        np.testing.assert_array_equal(a, d)
        # NFTsim text holds 15 significant digits of phi ~ 11 s^-1
        np.testing.assert_allclose(c, a, rtol=0, atol=1e-12)
        assert np.unravel_index(np.argmax(c), c.shape) == (SY, SX)


def test_timeseries_one_line_per_node_and_neighbour(runs, tmp_path):
    pic = plot_timeseries(runs["h5"], "pop.1.q", f"{NODE},1", with_neighbours=True,
                          out=str(tmp_path / "ts.png"))
    assert pic.lines == 10                           # 2 nodes x (itself + 4 neighbours)
    # node 1's torus neighbours: N wraps to the top row, W to the last column
    assert [n for _, n in neighbours(1, (NY, NX))] == [(NY - 1) * NX + 1, NX + 1, NX, 2]
    assert "node 1 N (737)" in pic.data and "node 1 W (32)" in pic.data
    q = open_dataset(runs["h5"])["pop.1.q"].values
    np.testing.assert_array_equal(pic.data[f"node {NODE}"], q[:, SY, SX])
    np.testing.assert_array_equal(pic.data[f"node {NODE} E ({NODE + 1})"], q[:, SY, SX + 1])
    # only the stimulated node's rate moves (no E->E coupling): its curve rises, the
    # neighbours' stay at the steady state
    assert pic.data[f"node {NODE}"].max() > Q0 + 0.5
    assert np.abs(pic.data[f"node {NODE} N ({NODE - NX})"] - Q0).max() < 1e-9
    plain = plot_timeseries(runs["txt"], "Pop.1.Q", "1,45,522", out=str(tmp_path / "p.png"))
    assert plain.lines == 3 and (tmp_path / "p.png").stat().st_size > 5000


def test_timeseries_of_an_nftsim_reference_file(tmp_path):
    out = nftsim_ref("outputs-this-machine", "e-cortical.output")
    pic = plot_timeseries(out, "Propagator.1.phi", [528], with_neighbours=True,
                          out=str(tmp_path / "t.png"))
    assert pic.lines == 5                            # 528 and 496, 560, 527, 529: all written
    edge = plot_timeseries(out, "Propagator.1.phi", [1], with_neighbours=True,
                           out=str(tmp_path / "e.png"))
    # node 1 of the 32 x 32 grid: N = 993 and W = 32 are in the file, S = 33 and E = 2 not
    assert edge.lines == 3
    assert set(edge.data) == {"node 1", "node 1 N (993)", "node 1 W (32)"}
    from parnft.io.nftsim_text import read_output

    nodes, phi = read_output(out).trace("Propagator.1.phi")
    np.testing.assert_array_equal(pic.data["node 528 N (496)"], phi[:, nodes.index(496)])


def test_movie_has_the_requested_frames(runs, tmp_path):
    gif = tmp_path / "m.gif"
    pic = write_movie(runs["h5_4"], "propagator.1.phi", out=str(gif), every=3, fps=5)
    assert pic.frames == 14                          # samples 0, 3, ..., 39 of 40
    with Image.open(gif) as im:
        assert im.n_frames == 14
        assert im.size[0] > 300 and im.size[1] > 200
    np.testing.assert_allclose(pic.times, 5e-4 * (1 + np.arange(0, 40, 3)), rtol=1e-12)
    # frame 2 (t = 3.5 ms) peaks at the stimulated node
    f = pic.data["frames"][2]
    assert np.unravel_index(np.argmax(f), f.shape) == (SY, SX)
    win = write_movie(runs["txt"], out=str(tmp_path / "w.gif"), start=0.005, stop=0.01)
    assert win.frames == 11
    with Image.open(tmp_path / "w.gif") as im:
        assert im.n_frames == 11


def test_mp4_movie_has_the_requested_frames(runs, tmp_path):
    """MP4 through ffmpeg (setup.sh installs it): frame count and size read back by ffprobe."""
    import json
    import shutil
    import subprocess

    ffprobe = shutil.which("ffprobe")
    assert movie_mod.ffmpeg_available() and ffprobe, "ffmpeg/ffprobe missing: run ./setup.sh"
    mp4 = tmp_path / "m.mp4"
    pic = write_movie(runs["h5"], "propagator.1.phi", out=str(mp4), every=4, fps=5)
    assert pic.frames == 10 and mp4.stat().st_size > 1000
    info = json.loads(subprocess.run(
        [ffprobe, "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
         "stream=nb_read_frames,width,height,codec_type", "-of", "json", str(mp4)],
        capture_output=True, text=True, check=True, timeout=60).stdout)["streams"][0]
    assert info["codec_type"] == "video" and int(info["nb_read_frames"]) == 10
    assert int(info["width"]) > 300 and int(info["height"]) > 200


def test_mp4_without_ffmpeg_is_a_clear_error(runs, tmp_path, monkeypatch):
    monkeypatch.setattr(movie_mod, "ffmpeg_available", lambda: False)
    with pytest.raises(ConfigError, match=r"ffmpeg.*--out .*m\.gif"):
        write_movie(runs["h5"], out=str(tmp_path / "m.mp4"))
    assert not (tmp_path / "m.mp4").exists()


@pytest.mark.parametrize("kwargs, needle", [
    ({"trace": "propagator.9.phi"}, "available: pop.1.q, propagator.1.phi"),
    ({"nodes": "0"}, "nodes are numbered 1..768"),
    ({"nodes": str(NY * NX + 1)}, "out of range"),
    ({"nodes": "1,x"}, "not a number"),
])
def test_bad_trace_or_node_is_a_config_error(runs, tmp_path, kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        plot_timeseries(runs["h5"], out=str(tmp_path / "x.png"), **kwargs)


def test_bad_times_and_node_list_snapshots_are_config_errors(runs, tmp_path):
    with pytest.raises(ConfigError, match=r"outside the record 0.0005 .. 0.02 s"):
        plot_snapshots(runs["h5"], times="0.01,0.5", out=str(tmp_path / "x.png"))
    with pytest.raises(ConfigError, match="unknown picture format"):
        plot_snapshots(runs["h5"], out=str(tmp_path / "x.jpg"))
    ref = nftsim_ref("outputs-this-machine", "e-cortical.output")
    with pytest.raises(ConfigError, match="Output: Node: All"):
        plot_snapshots(ref, "Propagator.1.phi", out=str(tmp_path / "x.png"))
    with pytest.raises(ConfigError, match="has no node 2;"):
        load_trace(ref, "Propagator.1.phi").series(2)


def test_commands_write_pictures_and_exit_2_on_bad_input(runs, tmp_path, capsys):
    h5 = str(runs["h5"])
    demo = tmp_path / "demo.png"          # the form `make demo` uses
    assert main(["plot", h5, "--times", "0.004,0.008,0.012,0.016", "--out", str(demo)]) == 0
    assert Image.open(demo).size[0] == 4 * 340
    ts = tmp_path / "ts.png"
    assert main(["plot", h5, "--trace", "propagator.1.phi", "--nodes", f"{NODE},45",
                 "--neighbours", "--out", str(ts)]) == 0
    assert Image.open(ts).size == (800, int(100 * (1.2 + 2.2 * 2)))
    snap = tmp_path / "s.png"
    assert main(["snapshot", h5, "--trace", "propagator.1.phi", "--times", "0.004,0.008",
                 "--out", str(snap)]) == 0
    gif = tmp_path / "m.gif"
    assert main(["movie", h5, "--out", str(gif), "--every", "10"]) == 0
    assert f"{gif} (4 frames)" in capsys.readouterr().out
    with Image.open(gif) as im:
        assert im.n_frames == 4
    assert main(["snapshot", h5, "--trace", "nope"]) == 2
    assert main(["movie", h5, "--out", str(tmp_path / "m.avi")]) == 2
    assert main(["plot", h5, "--nodes", "99999"]) == 2
    ref = str(nftsim_ref("outputs-this-machine", "e-cortical.output"))
    assert main(["plot", ref, "--times", "0.1", "--out", str(tmp_path / "r.png")]) == 2
    err = capsys.readouterr().err
    assert "no trace 'nope'; available: pop.1.q, propagator.1.phi" in err
    assert "a movie is .gif or .mp4" in err and "node 99999 is out of range" in err
    assert "was written at 17 of the 1024 nodes" in err and "Output: Node: All" in err
