"""parnft.analysis against known answers: Welch, spatial and EEG spectra, linear theory, files.

* Welch: a bin-centred sinusoid in white noise gives its peak at the right
  frequency with height ``A^2/2 / (1.5 df)`` (Hann's equivalent noise bandwidth
  is 1.5 bins), the noise floor ``2 sigma^2/fs``, and ``sum(psd) df = var``.
* Spatial spectrum: a travelling plane wave peaks at its own ``(kx, ky, f)``
  (not at ``-k``), and the spectrum sums over k to the node-averaged PSD.
* EEG: ``k0 -> 0`` gives the spectrum of the spatial mean, ``k0 -> inf`` the
  node average, and a field of two known modes gets each weighted by
  ``exp(-k^2/k0^2)``.
* Linear theory: the general solver equals the closed-form EIRS response; with
  the loop gains set to zero only the dendritic filter of the noise remains.
* Files: an NFTsim text file and parnft's HDF5 and netCDF files of the same
  run (NFTsim's noise stream, bit for bit) give identical spectra.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from parnft import analysis as pa
from parnft.api import run
from parnft.config import parse_config, read_config
from parnft.errors import ConfigError
from tests.refdata import REPO, nftsim_ref

FS = 256.0


def _noise(seed):
    return np.random.default_rng(seed)


def test_welch_sinusoid_in_white_noise():
    n, f0, amp, sigma = 256 * 64, 16.0, 2.0, 0.5
    t = np.arange(n) / FS
    x = amp * np.sin(2 * np.pi * f0 * t) + sigma * _noise(1).standard_normal(n)
    f, p, info = pa.welch(x, FS, nperseg=256)
    df = info["df"]
    assert df == 1.0 and info["noverlap"] == 128 and info["nsegments"] == 127
    assert f[np.argmax(p)] == f0
    floor = np.median(p[(f > 40) & (f < 120)])
    assert floor == pytest.approx(2 * sigma**2 / FS, rel=0.05)
    assert p[int(f0)] - floor == pytest.approx(amp**2 / 2 / (1.5 * df), rel=0.02)
    assert np.sum(p) * df == pytest.approx(np.var(x), rel=0.01)   # Parseval


def test_welch_defaults_and_bad_segment():
    x = _noise(2).standard_normal((4096, 3))
    f, p, info = pa.welch(x, FS)
    assert info["nperseg"] == 1024 and p.shape == (513, 3)      # 4 s, 0.25 Hz
    f, p, info = pa.welch(x[:400], FS)
    assert info["nperseg"] == 100                                # at most a quarter
    with pytest.raises(ConfigError, match="segment length"):
        pa.welch(x, FS, nperseg=5000)


def _grid_da(x, dx, dt, units="s^-1"):
    import xarray as xr

    nt, ny, nx = x.shape
    return xr.DataArray(x, dims=("time", "y", "x"),
                        coords={"time": np.arange(nt) * dt, "y": np.arange(ny) * dx,
                                "x": np.arange(nx) * dx},
                        attrs={"dx": dx, "dt": dt, "units": units, "trace": "test"})


def test_spatial_spectrum_of_plane_wave():
    ny, nx, dx, nt, f0 = 12, 16, 0.01, 1024, 10.0
    kx0, ky0 = 2 * np.pi * 3 / (nx * dx), -2 * np.pi * 2 / (ny * dx)
    t = np.arange(nt)[:, None, None] / FS
    y = np.arange(ny)[None, :, None] * dx
    xx = np.arange(nx)[None, None, :] * dx
    field = 1.5 * np.cos(kx0 * xx + ky0 * y - 2 * np.pi * f0 * t)
    field = field + 0.01 * _noise(3).standard_normal(field.shape)
    da = _grid_da(field, dx, 1 / FS)
    s = pa.spatial_spectrum(da, nperseg=256)
    assert s.attrs["units"] == "s^-2/Hz" and s.kx.attrs["units"] == "rad/m"
    i = np.unravel_index(int(np.argmax(s.values)), s.shape)
    assert s.frequency.values[i[0]] == f0
    assert s.ky.values[i[1]] == pytest.approx(ky0)
    assert s.kx.values[i[2]] == pytest.approx(kx0)
    # the wave travels along +k: nothing at (-k, +f0)
    back = s.sel(frequency=f0).sel(kx=-kx0, ky=-ky0, method="nearest")
    assert float(back) < 1e-6 * float(s.values[i])
    # summed over k: the node-averaged Welch PSD; Parseval over (k, f)
    node = pa.power_spectrum(da, nperseg=256)["psd_mean"].values
    np.testing.assert_allclose(s.sum(("ky", "kx")).values, node, rtol=1e-10)
    assert float(s.sum()) * s.attrs["df"] == pytest.approx(np.var(field, axis=0).mean(),
                                                           rel=0.01)


def test_kf_picture_shows_one_bright_cell(tmp_path):
    """The k-f picture of a plane wave: one bright (top-of-colormap) cell, nothing else."""
    import matplotlib.image as mpimg

    from parnft.analysis.plots import plot_kf

    ny = nx = 8
    dx, nt, f0 = 0.02, 1024, 12.0
    kx0 = 2 * np.pi * 2 / (nx * dx)
    t = np.arange(nt)[:, None, None] / FS
    xx = np.arange(nx)[None, None, :] * dx
    field = np.cos(kx0 * xx - 2 * np.pi * f0 * t) * np.ones((1, ny, 1))
    field = field + 1e-3 * _noise(5).standard_normal(field.shape)
    s = pa.spatial_spectrum(_grid_da(field, dx, 1 / FS), nperseg=128)
    out = plot_kf(str(tmp_path / "kf.png"), s, fmax=40)
    img = mpimg.imread(out)[..., :3]
    assert img.shape[0] > 300 and img.shape[1] > 500
    img = img[:, : int(0.78 * img.shape[1])]        # the axes, without the colour bar
    yellow = (img[..., 0] > 0.85) & (img[..., 1] > 0.85) & (img[..., 2] < 0.3)
    rows, cols = np.nonzero(yellow)
    # one cell of an 8 x 21 mesh
    assert 50 < yellow.sum() < 0.02 * yellow.size
    assert np.ptp(cols) < img.shape[1] / 8 and np.ptp(rows) < img.shape[0] / 10
    # right of the kx = 0 column (kx0 > 0) and in the lower half (12 of 40 Hz)
    assert cols.mean() > 0.55 * img.shape[1] and rows.mean() > 0.5 * img.shape[0]


def test_eeg_filter_limits_and_two_modes():
    ny = nx = 8
    dx, nt = 0.05, 4096
    rng = _noise(4)
    a = rng.standard_normal((nt, 1, 1))
    b = 2.0 * rng.standard_normal((nt, 1, 1))
    k1 = 2 * np.pi / (nx * dx)
    xx = np.arange(nx)[None, None, :] * dx
    field = a + b * np.cos(k1 * xx) + 0.0 * np.zeros((1, ny, 1))
    da = _grid_da(field, dx, 1 / FS)
    mean = pa.welch(field.mean(axis=(1, 2)), FS, nperseg=256)[1]
    nodes = pa.welch(field.reshape(nt, -1), FS, nperseg=256)[1].mean(axis=1)
    np.testing.assert_allclose(pa.eeg_spectrum(da, k0=1e-3, nperseg=256).values, mean,
                               rtol=1e-10)
    np.testing.assert_allclose(pa.eeg_spectrum(da, k0=1e9, nperseg=256).values, nodes,
                               rtol=1e-10)
    k0 = 10.0
    eeg = pa.eeg_spectrum(da, k0=k0, nperseg=256)
    # white a (var 1) and b cos(k1 x) (node variance 4/2): 2 var/fs each, b's filtered
    want = 2 * (1.0 + math.exp(-(k1 / k0) ** 2) * 2.0) / FS
    assert float(eeg.values[1:-1].mean()) == pytest.approx(want, rel=0.03)
    assert eeg.attrs["k0"] == k0
    ky, kx = pa.wavenumbers(ny, nx, dx)
    assert kx[1] == pytest.approx(k1) and ky[-1] == pytest.approx(-k1)
    assert pa.eeg_filter(ky, kx, k0)[0, 1] == pytest.approx(math.exp(-(k1 / k0) ** 2))
    with pytest.raises(ConfigError, match="whole grid"):
        import xarray as xr

        pa.eeg_spectrum(xr.DataArray(field[:, 0, :], dims=("time", "node")))


CONF = REPO / "configs" / "eirs-corticothalamic.conf"


def test_general_transfer_equals_closed_form_eirs():
    spec = read_config(CONF)
    assert pa.steady_state_residual(spec) < 1e-6
    p = pa.eirs_parameters(spec)
    assert p["t0"] == pytest.approx(0.0849609375) and p["r_e"] == 0.086
    f = np.linspace(0.25, 45, 60)
    for lap in ("continuum", "stencil"):
        closed = pa.eirs_transfer(pa.eirs_k2(spec, lap)[..., None], f, p)
        general = pa.transfer(spec, f, laplacian=lap)[5]
        np.testing.assert_allclose(general, closed, rtol=1e-12)
    # alpha and beta resonances of the EEG spectrum
    a = pa.analytic_spectrum(spec, np.arange(1, 46, 0.25))
    peaks = [pk[0] for pk in pa.find_peaks(a.frequency.values, a.values, prominence=0.1)]
    assert peaks == [9.0, 18.25]


def _zero_loops(text: str, keep=(11,)) -> str:
    def repl(m):
        return m.group(0) if int(m.group(1)) in keep else f"Coupling {m.group(1)}: Map - nu: 0"
    return re.sub(r"Coupling (\d+):\s+Map - nu: \S+", repl, text)


def test_zero_gain_limit_is_the_filtered_noise():
    spec = parse_config(_zero_loops(CONF.read_text()), validate=False)
    g = pa.gains(spec)
    sigma = pa.noise_sigma(spec, 5)
    assert sigma == pytest.approx(math.sqrt(8 * math.pi**3 * 1e-10 / (spec.time.deltat
                                                                     * (0.5 / 12) ** 2)))
    f = np.linspace(0.5, 45, 50)
    w = 2 * np.pi * f
    lw = 1 / ((1 - 1j * w / 83.33333333) * (1 - 1j * w / 769.2307692))
    white = 2 * sigma**2 * spec.time.deltat
    qs = pa.analytic_spectrum(spec, f, "pop.4.q", eeg=False).values
    np.testing.assert_allclose(qs, white * np.abs(g["G"][11] * lw) ** 2, rtol=1e-12)
    v = pa.analytic_spectrum(spec, f, "dendrite.11.v", eeg=True).values
    np.testing.assert_allclose(v, white / 144 * np.abs(0.003593330094 * lw) ** 2
                               * pa.eeg_filter(*pa.wavenumbers(12, 12, 0.5 / 12)).sum(),
                               rtol=1e-12)
    # the cortex sees that noise through G_es only: closed form with the other gains 0
    spec2 = parse_config(_zero_loops(CONF.read_text(), keep=(3, 11)), validate=False)
    p = pa.eirs_parameters(spec2)
    assert p["G_ee"] == p["G_ei"] == p["G_se"] == p["G_sr"] == 0.0
    t = pa.eirs_transfer(pa.eirs_k2(spec2)[..., None], f, p)
    k2 = pa.eirs_k2(spec2)[..., None]
    dk = 1 / ((1 - 1j * w / 116) ** 2 + k2 * 0.086**2)
    np.testing.assert_allclose(t, p["G_es"] * p["G_sn"] * lw**2 * np.exp(1j * w * p["t0"] / 2)
                               * dk, rtol=1e-12)
    np.testing.assert_allclose(pa.transfer(spec2, f)[5], t, rtol=1e-12)


def test_analytic_errors_name_the_problem():
    text = CONF.read_text().replace("Coupling 2:  Map - nu: -0.003022754434",
                                    "Coupling 2:  DiffArctan - nu_min: 0 nu_max: 1 delta: 1 "
                                    "t_half_up: 1 t_half_down: 2")
    with pytest.raises(ConfigError, match="Coupling 2 is DiffArctan"):
        pa.analytic_spectrum(parse_config(text, validate=False), [10.0])
    nonoise = CONF.read_text().replace("White - Onset: 0 Mean: 1 ASD: 1e-05",
                                       "Const - Mean: 1")
    with pytest.raises(ConfigError, match="no White stimulus"):
        pa.analytic_spectrum(parse_config(nonoise, validate=False), [10.0])


@pytest.fixture(scope="module")
def white_grid(tmp_path_factory):
    """NFTsim's 4x4 white-noise case: NFTsim's file, parnft HDF5 and netCDF (same stream)."""
    tmp = tmp_path_factory.mktemp("white")
    conf = str(nftsim_ref("test", "numerical", "stimulus-white-square-grid.conf"))
    ref = str(nftsim_ref("outputs-this-machine", "stimulus-white-square-grid.output"))
    h5, _ = run(conf, str(tmp / "w.h5"), rng="nftsim", progress=False)
    nc, _ = run(conf, str(tmp / "w.nc"), rng="nftsim", progress=False)
    return ref, h5, nc


def test_nftsim_text_and_parnft_files_give_the_same_spectra(white_grid):
    ref, h5, nc = white_grid
    fields = [pa.field(pa.load(p)) for p in (ref, h5, nc)]
    for da in fields:
        assert da.dims == ("time", "y", "x") and da.shape[1:] == (4, 4)
        # cell centres in metres (parnft.io.coords): x = (i + 1/2) dx
        assert da.attrs["dx"] == pytest.approx(float(da.x[1] - da.x[0]))
        assert float(da.x[0]) == pytest.approx(0.5 * da.attrs["dx"])
    t0 = fields[0]
    np.testing.assert_allclose(fields[1].time, t0.time, rtol=0, atol=1e-12)
    for fn in (lambda d: pa.power_spectrum(d, nperseg=128)["psd"].values,
               lambda d: pa.eeg_spectrum(d, k0=10, nperseg=128).values,
               lambda d: pa.spatial_spectrum(d, nperseg=128).values):
        want = fn(t0)
        assert np.all(np.isfinite(want)) and want.max() > 0
        for other in fields[1:]:
            np.testing.assert_allclose(fn(other), want, rtol=1e-10)


def test_four_rank_file_gives_nftsims_spectrum(white_grid, tmp_path):
    """A 4-rank run's collective HDF5 file: the same spectra as NFTsim's text file."""
    ref, _, _ = white_grid
    conf = str(nftsim_ref("test", "numerical", "stimulus-white-square-grid.conf"))
    out = tmp_path / "w4.h5"
    mpiexec = shutil.which("mpiexec") or shutil.which("mpirun")
    assert mpiexec, "mpiexec not found (setup.sh installs Open MPI)"
    cmd = [mpiexec, "-n", "4", sys.executable, "-m", "parnft", "run", conf, "-o", str(out),
           "--rng", "nftsim", "-q"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240,
                          env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr[-2000:]
    ds4 = pa.load(out)
    assert ds4.attrs["nranks"] == 4
    a = pa.eeg_spectrum(pa.field(pa.load(ref)), nperseg=128).values
    b = pa.eeg_spectrum(pa.field(ds4), nperseg=128).values
    np.testing.assert_allclose(b, a, rtol=1e-10)


def test_node_list_spectra_nftsim_vs_parnft(tmp_path):
    """eirs-eyes-closed: a node list, NFTsim's output file against parnft's HDF5."""
    conf = str(nftsim_ref("test", "numerical", "eirs-eyes-closed.conf"))
    ref = pa.field(pa.load(nftsim_ref("outputs-this-machine", "eirs-eyes-closed.output")))
    h5, _ = run(conf, str(tmp_path / "e.h5"), rng="nftsim", progress=False)
    got = pa.field(pa.load(h5), "propagator.1.phi")
    assert got.dims == ("time", "node") and got.sizes["node"] == 9
    # times counted from Output: Start in both (HDF5 stores absolute times)
    np.testing.assert_allclose(got.time, ref.time, rtol=0, atol=1e-12)
    a = pa.power_spectrum(ref, nperseg=128)
    b = pa.power_spectrum(got, nperseg=128)
    # the text file's 15 digits: equal to 1e-9 of the spectrum's peak
    np.testing.assert_allclose(b["psd"].values, a["psd"].values, rtol=1e-9,
                               atol=1e-9 * float(a["psd"].max()))
    assert a.attrs["units"] == "s^-2/Hz"
    with pytest.raises(ConfigError, match="whole grid"):
        pa.eeg_spectrum(got)
