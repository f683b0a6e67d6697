"""``parnft spectrum run.h5 [--trace T] [--eeg] [--analytic [model.conf]] [--out x.png]``."""

from __future__ import annotations

from . import is_root

ORDER = 35


def cmd_spectrum(args) -> int:
    """Compute the spectrum on rank 0, draw it, print peaks (and the RMS against theory)."""
    if not is_root():
        return 0
    from pathlib import Path

    from ..analysis import spectrum_report

    # default beside the working directory: the run file's folder may be read-only
    out = args.out or Path(args.file).stem + ("-eeg.png" if args.eeg else "-spectrum.png")
    r = spectrum_report(args.file, args.trace, eeg=args.eeg, k0=args.k0,
                        analytic=args.analytic, fmin=args.fmin, fmax=args.fmax,
                        nperseg=args.nperseg, laplacian=args.laplacian,
                        prominence=args.prominence, out=out, csv=args.csv)
    info = r["info"]
    what = f"EEG, k0 = {args.k0:g} m^-1" if args.eeg else "node-averaged"
    print(f"{r['trace']} ({what}): Welch, Hann window, {info['nperseg']} samples per segment "
          f"({info['df']:.4g} Hz bins), {info['noverlap']} overlap, {info['nsegments']} "
          f"segments; units {r['units']}")
    print("peaks [Hz]: " + (", ".join(f"{p[0]:.3g} (prominence {p[2]:.2f} dec)"
                                      for p in r["peaks"]) or "none"))
    if r["analytic"] is not None:
        print("analytic peaks [Hz]: " + (", ".join(f"{p[0]:.3g}" for p in r["analytic_peaks"])
                                         or "none"))
        print(f"RMS difference of log10 power, {args.fmin:g}-{args.fmax:g} Hz: {r['rms']:.3f}")
    print(out)
    if args.csv:
        print(args.csv)
    return 0


def register(sub) -> None:
    """Add the ``spectrum`` subcommand."""
    sp = sub.add_parser("spectrum", help="power or EEG spectrum of a run (PNG), with peaks "
                        "and the analytic linear spectrum")
    sp.add_argument("file", help="parnft .h5/.nc or NFTsim .output file")
    sp.add_argument("--trace", help="e.g. propagator.1.phi (default: first *.phi)")
    sp.add_argument("--eeg", action="store_true",
                    help="EEG spectrum: volume-conduction filter exp(-k^2/k0^2) summed over "
                    "the grid's wavenumbers (needs Output: Node: All)")
    sp.add_argument("--k0", type=float, default=10.0, help="filter wavenumber [1/m] "
                    "(default 10)")
    sp.add_argument("--analytic", nargs="?", const="", metavar="MODEL.conf",
                    help="overlay the linear spectrum of this config (no value: the run's "
                    "own config)")
    sp.add_argument("--laplacian", choices=("continuum", "stencil"), default="continuum",
                    help="k^2 in the analytic Wave response (default continuum)")
    sp.add_argument("--fmin", type=float, default=0.25, help="lowest frequency [Hz]")
    sp.add_argument("--fmax", type=float, default=45.0, help="highest frequency [Hz]")
    sp.add_argument("--nperseg", type=int, help="Welch segment length in samples "
                    "(default: 4 s, at most a quarter of the run)")
    sp.add_argument("--prominence", type=float, default=0.1,
                    help="smallest peak prominence printed, decades (default 0.1)")
    sp.add_argument("--out", help="PNG path (default: ./<file stem>-spectrum.png or -eeg.png)")
    sp.add_argument("--csv", help="also write frequency, psd[, analytic] as CSV")
    sp.set_defaults(func=cmd_spectrum)
