"""One call from a run file to a spectrum, its peaks, the analytic curve and the picture.

Used by ``parnft spectrum``; equally usable from Python::

    from parnft.analysis import spectrum_report
    r = spectrum_report("run.h5", eeg=True, analytic="", out="eeg.png")
    r["peaks"], r["rms"]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .data import field, load, model_spec
from .spatial import eeg_spectrum
from .spectra import band, find_peaks, log_rms, power_spectrum


def spectrum_report(source, trace: str | None = None, *, eeg: bool = False, k0: float = 10.0,
                    analytic: str | None = None, fmin: float | None = 0.25,
                    fmax: float | None = 45.0, nperseg: int | None = None,
                    laplacian: str = "continuum", prominence: float = 0.1,
                    out: str | None = None, csv: str | None = None) -> dict:
    """Spectrum of one trace of a run, with peaks, optional analytic curve, PNG and CSV.

    Parameters
    ----------
    source : str or xarray.Dataset
        parnft ``.h5``/``.nc`` or NFTsim ``.output`` file (or an opened Dataset).
    trace : str, optional
        Trace name; default the first ``*.phi``.
    eeg : bool
        EEG spectrum (volume-conduction filter, whole-grid outputs only) instead
        of the node-averaged PSD.
    k0 : float
        Filter wavenumber [m^-1].
    analytic : str, optional
        A ``.conf`` file whose linear spectrum is overlaid; ``""`` uses the
        run's own config text; None: no analytic curve.
    fmin, fmax : float, optional
        Band for peaks, RMS and the picture [Hz].
    nperseg : int, optional
        Welch segment length in samples (default 4 s, at most a quarter of the run).
    laplacian : {"continuum", "stencil"}
        ``k^2`` in the analytic Wave response.
    prominence : float
        Smallest peak prominence printed, in decades.
    out, csv : str, optional
        Picture and table paths.

    Returns
    -------
    dict
        ``frequency``, ``psd``, ``analytic`` (or None), ``peaks`` (list of
        (f, power, prominence)), ``analytic_peaks``, ``rms`` (log10, in the band,
        or None), ``info`` (Welch settings), ``trace``, ``units``.
    """
    ds = load(source)
    da = field(ds, trace)
    key = da.attrs["trace"]
    if eeg:
        spec_da = eeg_spectrum(da, k0=k0, nperseg=nperseg)
        psd = spec_da.values
        info = dict(spec_da.attrs)
    else:
        res = power_spectrum(da, nperseg=nperseg)
        psd = res["psd_mean"].values
        info = dict(res.attrs)
    f = np.asarray(spec_da.frequency.values if eeg else res.frequency.values)
    m = band(f, fmin, fmax) & (f > 0)
    result = dict(frequency=f, psd=psd, analytic=None, analytic_peaks=[], rms=None,
                  info=info, trace=key, units=info.get("units", ""))
    result["peaks"] = find_peaks(f[m], psd[m], prominence=prominence)
    if analytic is not None:
        from ..config import read_config
        from .analytic import analytic_spectrum

        spec = model_spec(ds) if analytic == "" else read_config(analytic)
        if spec.grid.shape != _grid_of(ds, spec):
            raise ConfigError(f"--analytic {analytic}: its grid {spec.grid.shape} differs from "
                              f"the run's {_grid_of(ds, spec)}; use the run's own config")
        a = np.full(f.shape, np.nan)
        a[m] = analytic_spectrum(spec, f[m], key, eeg=eeg, k0=k0, laplacian=laplacian).values
        result["analytic"] = a
        result["analytic_peaks"] = find_peaks(f[m], a[m], prominence=prominence)
        result["rms"] = log_rms(psd[m], a[m])
    if out:
        from .plots import plot_spectrum

        what = f"EEG (k0 = {k0:g} m^-1)" if eeg else "node-averaged PSD"
        note = (f"Welch: Hann, {info['nperseg']} samples ({info['df']:.3g} Hz), "
                f"{info['nsegments']} segments, 50% overlap")
        if result["rms"] is not None:
            note += f"; RMS log10 diff {result['rms']:.3f}"
        plot_spectrum(out, f, psd, analytic=result["analytic"], peaks=result["peaks"],
                      fmin=fmin, fmax=fmax, title=f"{Path(str(source)).name}: {key}, {what}"
                      if not hasattr(source, "data_vars") else f"{key}, {what}",
                      units=result["units"], note=note)
    if csv:
        cols = [f, psd] + ([result["analytic"]] if result["analytic"] is not None else [])
        header = "frequency_Hz,psd" + (",analytic_psd" if result["analytic"] is not None
                                       else "")
        np.savetxt(csv, np.column_stack(cols), delimiter=",", header=header, comments="")
    return result


def _grid_of(ds, spec) -> tuple[int, int]:
    if "longside" in ds.attrs and "shortside" in ds.attrs:
        return (int(ds.attrs["shortside"]), int(ds.attrs["longside"]))
    own = model_spec(ds)
    return own.grid.shape
