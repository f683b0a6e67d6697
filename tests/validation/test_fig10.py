"""NFTsim's Fig 10 as a test: simulated corticothalamic EEG spectrum against linear theory.

The EIRS model of ``configs/eirs-corticothalamic.conf`` (12 x 12 nodes, side
0.5 m), driven by white noise into the relay nucleus, run for 17 s; the last
16 s of ``propagator.1.phi`` (256 Hz) give a Welch spectrum (Hann, 256-sample
segments = 1 Hz bins, 50 % overlap, 31 segments) of the EEG (volume-conduction
filter ``exp(-k^2/k0^2)``, ``k0 = 10 m^-1``, summed over the grid's
wavenumbers). The analytic curve (Robinson et al. 2002) uses the config's
steady state, gains and noise amplitude: no fitted scale factor.

Tolerances (measured values in brackets; NFTsim: 0.08 RMS at 16x16, 32 s):

* alpha and beta peaks of the analytic curve (9 and 18 Hz) found in the
  simulated one within one bin, 1 Hz [both exact];
* RMS of the log10 difference over 0.25-45 Hz <= 0.12 decades [0.066];
* mean log10 difference (absolute level) within +-0.06 decades [0.017];
* node-averaged PSD against theory with the stencil's k^2: RMS <= 0.06 [0.029].

The expected scatter of a 31-segment Welch estimate is about 0.06 decades per
bin, so the bounds are about twice what chance gives.
"""

from __future__ import annotations

import numpy as np
import pytest

from parnft import analysis as pa
from parnft.api import run
from parnft.cli import main
from tests.refdata import REPO

CONF = REPO / "tests" / "validation" / "data" / "fig10-small.conf"
NPERSEG = 256
FMIN, FMAX = 0.25, 45.0


@pytest.fixture(scope="module")
def fig10(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig10") / "fig10.h5"
    run(str(CONF), str(out), progress=False)
    ds = pa.load(out)
    da = pa.field(ds, "propagator.1.phi")
    eeg = pa.eeg_spectrum(da, k0=10.0, nperseg=NPERSEG)
    f = eeg.frequency.values
    m = (f >= FMIN) & (f <= FMAX)
    ana = pa.analytic_spectrum(pa.model_spec(ds), f[m], eeg=True, k0=10.0)
    return dict(path=out, da=da, f=f[m], sim=eeg.values[m], ana=ana.values, df=eeg.attrs["df"])


def test_simulated_eeg_spectrum_matches_theory(fig10):
    f, sim, ana, df = fig10["f"], fig10["sim"], fig10["ana"], fig10["df"]
    assert df == 1.0 and f[0] == 1.0 and f[-1] == 45.0
    for lo, hi, want in ((6, 13, 9.0), (14, 25, 18.0)):
        fa = pa.band_peak(f, ana, lo, hi)
        fs = pa.band_peak(f, sim, lo, hi)
        assert fa == want
        assert abs(fs - fa) <= df, f"peak in {lo}-{hi} Hz: simulated {fs}, analytic {fa}"
        # a real resonance in both curves, not the edge of the band
        assert any(abs(p[0] - fs) < 1e-9 for p in pa.find_peaks(f, sim, prominence=0.2))
    d = np.log10(sim) - np.log10(ana)
    rms = float(np.sqrt(np.mean(d * d)))
    assert rms <= 0.12, f"RMS log10 difference {rms:.3f}"
    assert abs(float(d.mean())) <= 0.06, f"level offset {d.mean():.3f} decades"


def test_node_averaged_spectrum_matches_theory(fig10):
    da = fig10["da"]
    ps = pa.power_spectrum(da, nperseg=NPERSEG)
    f = ps.frequency.values
    m = (f >= FMIN) & (f <= FMAX)
    ana = pa.analytic_spectrum(pa.model_spec(pa.load(fig10["path"])), f[m], eeg=False,
                               laplacian="stencil")
    rms = pa.log_rms(ps["psd_mean"].values[m], ana.values)
    assert rms <= 0.06, f"RMS log10 difference {rms:.3f}"


def test_spectrum_command_draws_and_reports(fig10, tmp_path, capsys):
    png, csv = tmp_path / "eeg.png", tmp_path / "eeg.csv"
    code = main(["spectrum", str(fig10["path"]), "--eeg", "--analytic", "--nperseg",
                 str(NPERSEG), "--out", str(png), "--csv", str(csv)])
    assert code == 0
    out = capsys.readouterr().out
    assert "peaks [Hz]: 9 (" in out and ", 18 (" in out
    assert "analytic peaks [Hz]: 9, 18" in out
    rms = float(out.split("0.25-45 Hz:")[1].split()[0])
    assert rms == pytest.approx(pa.log_rms(fig10["sim"], fig10["ana"]), abs=5e-4)
    tab = np.loadtxt(csv, delimiter=",", skiprows=1)
    m = (tab[:, 0] >= FMIN) & (tab[:, 0] <= FMAX)
    np.testing.assert_allclose(tab[m, 1], fig10["sim"], rtol=1e-12)
    np.testing.assert_allclose(tab[m, 2], fig10["ana"], rtol=1e-12)
    import matplotlib.image as mpimg

    img = mpimg.imread(png)
    assert png.stat().st_size > 20_000 and img.shape[0] > 300 and img.shape[1] > 500
    # two curves drawn: the blue simulated and the black dashed analytic one
    rgb = img[..., :3]
    blue = np.sum((rgb[..., 2] > 0.6) & (rgb[..., 0] < 0.3))
    black = np.sum(rgb.max(axis=-1) < 0.15)
    assert blue > 300 and black > 300


def test_spectrum_command_errors(fig10, tmp_path, capsys):
    assert main(["spectrum", str(fig10["path"]), "--trace", "pop.9.q"]) == 2
    assert "not in the file" in capsys.readouterr().err
    assert main(["spectrum", str(fig10["path"]), "--eeg", "--k0", "0",
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "--k0" in capsys.readouterr().err
    big = REPO / "docs" / "examples" / "fig10" / "fig10.conf"         # 16 x 16 nodes
    assert main(["spectrum", str(fig10["path"]), "--analytic", str(big),
                 "--out", str(tmp_path / "x.png")]) == 2
    assert "differs from the run's" in capsys.readouterr().err


def test_analytic_from_a_config_file_equals_the_runs_own(fig10):
    a = pa.spectrum_report(fig10["path"], eeg=True, analytic=str(CONF), nperseg=NPERSEG)
    b = pa.spectrum_report(fig10["path"], eeg=True, analytic="", nperseg=NPERSEG)
    np.testing.assert_array_equal(a["analytic"], b["analytic"])
    assert a["rms"] == pytest.approx(pa.log_rms(fig10["sim"], fig10["ana"]), rel=1e-12)
