"""Temporal power spectra (Welch's method, in numpy) and peak finding.

Estimator (:func:`welch`): the series is cut into segments of ``nperseg``
samples overlapping by ``noverlap`` (default half a segment); each segment has
its mean removed, is multiplied by a periodic Hann window ``w`` and Fourier
transformed; the periodograms ``|X(f)|^2 / (fs * sum(w^2))`` are averaged
over segments. The one-sided spectrum doubles every frequency except 0 and
Nyquist, so that ``sum(psd) * df`` equals the variance of the series (to the
estimator's accuracy: exactly for the average periodogram, Parseval). Units:
the field's units squared per Hz (``s^-2/Hz`` for a ``phi`` or ``Q`` in
``s^-1``). Frequency resolution ``df = fs / nperseg``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError

DEFAULT_SEGMENT = 4.0   # s: 0.25 Hz resolution, as NFTsim's Fig 10 range starts at 0.25 Hz


def hann(n: int) -> np.ndarray:
    """Periodic Hann window of ``n`` points (the DFT-even form used for spectra)."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def segment_plan(nt: int, fs: float, nperseg: int | None = None,
                 noverlap: int | None = None) -> tuple[int, int, np.ndarray]:
    """Segment length, overlap and segment start indices for a series of ``nt`` samples.

    Parameters
    ----------
    nt : int
        Number of samples.
    fs : float
        Sampling rate [Hz].
    nperseg : int, optional
        Samples per segment. Default: ``DEFAULT_SEGMENT`` seconds, but no more
        than ``nt // 4`` (so at least 7 half-overlapping segments), and ``nt``
        for very short series.
    noverlap : int, optional
        Overlap in samples; default ``nperseg // 2``.

    Returns
    -------
    nperseg, noverlap : int
    starts : ndarray of int
    """
    if nperseg is None:
        nperseg = int(round(DEFAULT_SEGMENT * fs))
        nperseg = min(nperseg, max(nt // 4, min(nt, 16)))
    nperseg = int(nperseg)
    if nperseg < 2 or nperseg > nt:
        raise ConfigError(f"segment length {nperseg} samples: must be between 2 and the "
                          f"series length {nt}; choose a shorter segment")
    if noverlap is None:
        noverlap = nperseg // 2
    noverlap = int(noverlap)
    if not 0 <= noverlap < nperseg:
        raise ConfigError(f"overlap {noverlap}: must be >= 0 and < the segment length "
                          f"{nperseg}")
    step = nperseg - noverlap
    starts = np.arange(0, nt - nperseg + 1, step)
    return nperseg, noverlap, starts


def welch(x, fs: float, nperseg: int | None = None, noverlap: int | None = None):
    """One-sided power spectral density of real series along axis 0.

    Parameters
    ----------
    x : array_like, shape (nt, ...)
        Real samples, time first; any further axes are independent series.
    fs : float
        Sampling rate [Hz].
    nperseg, noverlap : int, optional
        See :func:`segment_plan`.

    Returns
    -------
    f : ndarray, shape (nperseg // 2 + 1,)
        Frequencies [Hz], ``k * fs / nperseg``.
    psd : ndarray, shape (nf, ...)
        Power spectral density [units^2 / Hz], one-sided.
    info : dict
        ``window``, ``nperseg``, ``noverlap``, ``nsegments``, ``fs``, ``df``.
    """
    x = np.asarray(x, dtype=float)
    nt = x.shape[0]
    nperseg, noverlap, starts = segment_plan(nt, fs, nperseg, noverlap)
    w = hann(nperseg)
    wshape = (nperseg,) + (1,) * (x.ndim - 1)
    acc = None
    for s in starts:
        seg = x[s:s + nperseg]
        seg = (seg - seg.mean(axis=0)) * w.reshape(wshape)
        p = np.abs(np.fft.rfft(seg, axis=0)) ** 2
        acc = p if acc is None else acc + p
    psd = acc / (len(starts) * fs * np.sum(w * w))
    psd[1:] *= 2.0
    if nperseg % 2 == 0:
        psd[-1] /= 2.0
    f = np.fft.rfftfreq(nperseg, 1.0 / fs)
    info = dict(window="hann (periodic)", nperseg=nperseg, noverlap=noverlap,
                nsegments=len(starts), fs=fs, df=fs / nperseg, detrend="segment mean")
    return f, psd, info


def power_spectrum(da, nperseg: int | None = None, noverlap: int | None = None):
    """Welch PSD of every node of a trace, and its average over the nodes.

    Parameters
    ----------
    da : xarray.DataArray
        ``(time, y, x)`` or ``(time, node)`` (from :func:`parnft.analysis.field`)
        or ``(time,)``.
    nperseg, noverlap : int, optional
        Welch segment length and overlap in samples (see :func:`segment_plan`).

    Returns
    -------
    xarray.Dataset
        ``psd`` (frequency, node dims...) and ``psd_mean`` (frequency): the
        average of the nodes' spectra, in ``units^2/Hz``; ``frequency`` in Hz.
        The attributes state the window, segment length, overlap, number of
        segments and resolution.
    """
    import xarray as xr

    fs = 1.0 / float(da.attrs.get("dt") or np.median(np.diff(da["time"].values)))
    f, psd, info = welch(np.asarray(da.values), fs, nperseg, noverlap)
    units = f"({da.attrs.get('units', '1')})^2/Hz"
    if da.attrs.get("units") == "s^-1":
        units = "s^-2/Hz"
    other = [d for d in da.dims if d != "time"]
    coords = {"frequency": ("frequency", f, {"units": "Hz"})}
    for d in other:
        coords[d] = da[d]
    out = xr.Dataset({"psd": (("frequency", *other), psd, {"units": units})}, coords=coords)
    out["psd_mean"] = ("frequency", psd.reshape(len(f), -1).mean(axis=1), {"units": units})
    out.attrs.update(info, trace=da.attrs.get("trace", da.name or ""), units=units)
    return out


def band(f, fmin: float | None, fmax: float | None) -> np.ndarray:
    """Boolean mask of ``fmin <= f <= fmax`` (open ends when None)."""
    f = np.asarray(f)
    m = np.ones(f.shape, dtype=bool)
    if fmin is not None:
        m &= f >= fmin
    if fmax is not None:
        m &= f <= fmax
    return m


def find_peaks(f, psd, fmin: float | None = None, fmax: float | None = None,
               prominence: float = 0.05) -> list[tuple[float, float, float]]:
    """Local maxima of ``log10(psd)`` in a band, by prominence.

    A sample is a peak when it is higher than both neighbours; its prominence
    is its height in log10 power above the higher of the two lowest points
    between it and the nearest higher sample on either side (or the band's
    ends), as for topographic prominence.

    Parameters
    ----------
    f, psd : array_like
        Frequencies [Hz] and power (any units).
    fmin, fmax : float, optional
        Band searched.
    prominence : float
        Smallest prominence kept, in decades of power.

    Returns
    -------
    list of (frequency, power, prominence)
        Sorted by frequency.
    """
    m = band(f, fmin, fmax)
    fb = np.asarray(f)[m]
    lp = np.log10(np.maximum(np.asarray(psd)[m], np.finfo(float).tiny))
    out = []
    for i in range(1, len(lp) - 1):
        if not (lp[i] > lp[i - 1] and lp[i] >= lp[i + 1]):
            continue
        left = lp[:i][::-1]
        hi = np.nonzero(left > lp[i])[0]
        lmin = left[:hi[0]].min() if len(hi) else left.min()
        right = lp[i + 1:]
        hi = np.nonzero(right > lp[i])[0]
        rmin = right[:hi[0]].min() if len(hi) else right.min()
        prom = lp[i] - max(lmin, rmin)
        if prom >= prominence:
            out.append((float(fb[i]), float(10 ** lp[i]), float(prom)))
    return out


def band_peak(f, psd, fmin: float, fmax: float) -> float:
    """Frequency of the largest ``psd`` value in ``[fmin, fmax]``."""
    m = band(f, fmin, fmax)
    if not m.any():
        raise ConfigError(f"no frequency between {fmin} and {fmax} Hz")
    return float(np.asarray(f)[m][np.argmax(np.asarray(psd)[m])])


def log_rms(p1, p2) -> float:
    """RMS difference of ``log10(p1)`` and ``log10(p2)`` (decades of power)."""
    d = np.log10(np.asarray(p1)) - np.log10(np.asarray(p2))
    return float(np.sqrt(np.mean(d * d)))
