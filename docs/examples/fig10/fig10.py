"""NFTsim's Fig 10 with parnft: the corticothalamic EEG spectrum against linear theory.

Runs ``fig10.conf`` (EIRS model, 16 x 16 nodes, 32 s of output after a 5 s
transient), computes the EEG spectrum of ``propagator.1.phi`` (Welch: Hann,
4 s segments = 0.25 Hz bins, 50 % overlap; volume-conduction filter
exp(-k^2/k0^2), k0 = 10 m^-1, summed over the grid's wavenumbers) and the
analytic linear spectrum from the config's gains and noise amplitude (no fitted
factor), and writes ``fig10.png`` and ``results.json`` beside this script.

Usage (from the repository root)::

    .venv/bin/python docs/examples/fig10/fig10.py            # one process
    mpiexec -n 2 .venv/bin/parnft run docs/examples/fig10/fig10.conf \\
        -o docs/examples/fig10/fig10.h5 && .venv/bin/python docs/examples/fig10/fig10.py --no-run
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-run", action="store_true", help="reuse fig10.h5")
    ap.add_argument("--h5", default=str(HERE / "fig10.h5"))
    args = ap.parse_args(argv)

    from parnft import analysis as pa
    from parnft.api import run

    wall = None
    if not args.no_run:
        t0 = time.perf_counter()
        run(str(HERE / "fig10.conf"), args.h5, progress=True)
        wall = time.perf_counter() - t0
    ds = pa.load(args.h5)
    spec = pa.model_spec(ds)
    da = pa.field(ds, "propagator.1.phi")
    eeg = pa.eeg_spectrum(da, k0=10.0, nperseg=1024)
    f = eeg.frequency.values
    m = (f >= 0.25) & (f <= 45.0)
    sim = eeg.values[m]
    fa = np.linspace(0.25, 45.0, 900)
    ana_fine = pa.analytic_spectrum(spec, fa).values
    ana = pa.analytic_spectrum(spec, f[m]).values
    ana_st = pa.analytic_spectrum(spec, f[m], laplacian="stencil").values
    m1 = f[m] >= 1.0
    d = np.log10(sim) - np.log10(ana)
    res = {
        "grid": list(spec.grid.shape), "output_seconds": float(da.time[-1] - da.time[0]
                                                               + da.attrs["dt"]),
        "welch": {k: eeg.attrs[k] for k in ("window", "nperseg", "noverlap", "nsegments",
                                            "df")},
        "k0": 10.0,
        "rms_log10_0.25_45Hz": float(np.sqrt(np.mean(d ** 2))),
        "rms_log10_1_45Hz": float(np.sqrt(np.mean(d[m1] ** 2))),
        "rms_log10_1_45Hz_stencil_k2": pa.log_rms(sim[m1], ana_st[m1]),
        "mean_log10_difference": float(d.mean()),
        "alpha_peak_Hz": {"simulated": pa.band_peak(f[m], sim, 6, 13),
                          "analytic": pa.band_peak(f[m], ana, 6, 13)},
        "beta_peak_Hz": {"simulated": pa.band_peak(f[m], sim, 14, 25),
                         "analytic": pa.band_peak(f[m], ana, 14, 25)},
        "gains": {k: v for k, v in pa.eirs_parameters(spec).items() if k.startswith("G_")},
        "steady_state_residual": pa.steady_state_residual(spec),
        "run_wall_seconds": wall,
    }
    (HERE / "results.json").write_text(json.dumps(res, indent=2) + "\n")
    _figure(HERE / "fig10.png", f[m], sim, fa, ana_fine, res)
    print(json.dumps(res, indent=2))
    return 0


def _figure(out, f, sim, fa, ana, res) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    ax.loglog(f, sim, color="tab:blue", lw=1.2, label="parnft, simulated EEG")
    ax.loglog(fa, ana, color="k", ls="--", lw=1.2, label="linear theory")
    for name in ("alpha", "beta"):
        pk = res[f"{name}_peak_Hz"]["simulated"]
        ax.axvline(pk, color="tab:red", lw=0.6, alpha=0.6)
        ax.text(pk * 0.97, 2.5e-9, f"{name} {pk:g} Hz", color="tab:red", fontsize=8,
                rotation=90, va="bottom", ha="right")
    ax.set_xlabel("frequency [Hz]")
    ax.set_ylabel("EEG power [s$^{-2}$/Hz]")
    ny, nx = res["grid"]
    ax.set_title(f"Corticothalamic EEG spectrum ({ny}x{nx} nodes, "
                 f"{res['output_seconds']:.0f} s, k0 = 10 m$^{{-1}}$)", fontsize=10)
    ax.text(0.98, 0.97, f"RMS log10 difference {res['rms_log10_0.25_45Hz']:.3f} (0.25-45 Hz), "
            f"{res['rms_log10_1_45Hz']:.3f} (1-45 Hz)\nWelch: Hann, "
            f"{res['welch']['nperseg']} samples ({res['welch']['df']:g} Hz), "
            f"{res['welch']['nsegments']} segments, 50% overlap",
            transform=ax.transAxes, fontsize=8, va="top", ha="right")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    raise SystemExit(main())
