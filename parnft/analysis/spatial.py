"""Wavenumber-frequency spectra over the grid and the EEG (volume-conducted) spectrum.

Conventions. The grid has ``ny x nx`` nodes ``dx`` metres apart on a torus;
its discrete wavenumbers are ``kx = 2 pi m / (nx dx)``, ``ky = 2 pi n / (ny dx)``
(rad/m; ``m``, ``n`` from ``numpy.fft.fftfreq``). A field ``phi(t, y, x)``
is Fourier transformed in space, ``phi_k(t) = sum_xy phi e^{-i k.r}``, and in
time with ``e^{+i 2 pi f t}`` (Welch segments as in :mod:`.spectra`), so a
travelling wave ``cos(k0.r - 2 pi f0 t)`` peaks at ``(k0, +f0)``: the sign of
``k`` at positive ``f`` is the direction of travel.

The spectrum is normalised per mode and per node:

``S(k, f) = P_k(f) / N^2``  [units^2/Hz]

where ``P_k`` is the one-sided PSD of ``phi_k`` (positive frequencies carry
``(k, f)`` and ``(-k, -f)``) and ``N = nx ny``. Then ``sum_k S(k, f)`` is the
node-averaged PSD and ``S(0, f)`` is the PSD of the spatial mean.

The EEG spectrum applies the scalp's volume-conduction low-pass
``F(k) = exp(-k^2 / k0^2)`` (``k0 = 10 m^-1`` by default) and sums over the
grid's wavenumbers, as NFTsim's ``+nf`` ``spatial_spectrum`` does:

``P_EEG(f) = sum_k F(k) S(k, f)``

so that ``k0 -> 0`` gives the spectrum of the spatial mean and
``k0 -> inf`` the node-averaged spectrum.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .spectra import hann, segment_plan


def wavenumbers(ny: int, nx: int, dx: float) -> tuple[np.ndarray, np.ndarray]:
    """Discrete wavenumbers ``(ky, kx)`` [rad/m] of an ``ny x nx`` torus of spacing ``dx``.

    Returns
    -------
    ky : ndarray, shape (ny,)
    kx : ndarray, shape (nx,)
        In ``numpy.fft`` order (0, positive, negative).
    """
    return (2.0 * np.pi * np.fft.fftfreq(ny, dx), 2.0 * np.pi * np.fft.fftfreq(nx, dx))


def eeg_filter(ky, kx, k0: float = 10.0) -> np.ndarray:
    """Volume-conduction filter ``exp(-(kx^2 + ky^2) / k0^2)`` on the ``(ky, kx)`` grid."""
    if not k0 > 0:
        raise ConfigError(f"--k0 {k0}: the filter's wavenumber must be > 0 (m^-1)")
    k2 = np.asarray(ky)[:, None] ** 2 + np.asarray(kx)[None, :] ** 2
    return np.exp(-k2 / (k0 * k0))


def _grid_field(da):
    if da.dims != ("time", "y", "x"):
        raise ConfigError(f"trace {da.attrs.get('trace', da.name)!r} has dims {da.dims}: a "
                          "spatial or EEG spectrum needs the whole grid (Output: Node: All)")
    if "dx" not in da.attrs:
        raise ConfigError("the grid spacing is unknown (no config text in the file)")
    return np.asarray(da.values, dtype=float), float(da.attrs["dx"])


def _two_sided(x, fs: float, nperseg: int | None, noverlap: int | None, keep=None):
    """Segment-averaged ``|phi_k(f)|^2 / (fs sum w^2 N^2)`` over all f, for modes ``keep``.

    The spatial transform is done one segment at a time, so memory is one
    segment of the field, not the whole run; ``keep`` (a boolean ``(ny, nx)``
    mask) limits the accumulated modes.
    """
    nt, ny, nx = x.shape
    nperseg, noverlap, starts = segment_plan(nt, fs, nperseg, noverlap)
    w = hann(nperseg)
    wk = w[:, None, None] if keep is None else w[:, None]
    acc = None
    for s in starts:
        seg = np.fft.fft2(x[s:s + nperseg], axes=(1, 2))
        if keep is not None:
            seg = seg[:, keep]
        seg = (seg - seg.mean(axis=0)) * wk
        # e^{+i 2 pi f t}: ifft times n
        p = np.abs(np.fft.ifft(seg, axis=0) * nperseg) ** 2
        acc = p if acc is None else acc + p
    p2 = acc / (len(starts) * fs * float(np.sum(w * w)) * (nx * ny) ** 2)
    info = dict(window="hann (periodic)", nperseg=nperseg, noverlap=noverlap,
                nsegments=len(starts), fs=fs, df=fs / nperseg, detrend="segment mean")
    return p2, info


def mode_spectrum(x, fs: float, nperseg: int | None = None, noverlap: int | None = None):
    """``S(k, f)`` of a real field ``x (nt, ny, nx)``, in ``numpy.fft`` order of k.

    Parameters
    ----------
    x : ndarray, shape (nt, ny, nx)
    fs : float
        Sampling rate [Hz].
    nperseg, noverlap : int, optional
        Welch segments, as in :func:`parnft.analysis.spectra.welch`.

    Returns
    -------
    f : ndarray (nf,)
        Non-negative frequencies [Hz].
    s : ndarray (nf, ny, nx)
        ``P_k(f) / N^2``, one-sided as described in the module notes.
    info : dict
        Window, segment length, overlap, segment count, ``df``.
    """
    nt, ny, nx = x.shape
    p2, info = _two_sided(x, fs, nperseg, noverlap)
    nperseg = info["nperseg"]
    nf = nperseg // 2 + 1
    f = np.arange(nf) * fs / nperseg
    # fold: S1(k, f) = S2(k, f) + S2(-k, -f) for 0 < f < Nyquist
    iy = (-np.arange(ny)) % ny
    ix = (-np.arange(nx)) % nx
    s1 = p2[:nf].copy()
    top = nf - 1 if nperseg % 2 == 0 else nf
    s1[1:top] += p2[(-np.arange(1, top)) % nperseg][:, iy][:, :, ix]
    return f, s1, info


def spatial_spectrum(da, nperseg: int | None = None, noverlap: int | None = None):
    """Wavenumber-frequency spectrum of a whole-grid trace.

    Parameters
    ----------
    da : xarray.DataArray
        ``(time, y, x)`` with ``attrs["dx"]`` (from :func:`parnft.analysis.field`).
    nperseg, noverlap : int, optional
        Welch segments in samples.

    Returns
    -------
    xarray.DataArray
        ``(frequency, ky, kx)``: ``S(k, f)`` [units^2/Hz per mode], ``kx``, ``ky``
        in rad/m, sorted ascending (zero in the middle); sums over ``(ky, kx)``
        to the node-averaged PSD.
    """
    import xarray as xr

    x, dx = _grid_field(da)
    fs = 1.0 / float(da.attrs["dt"])
    f, s, info = mode_spectrum(x, fs, nperseg, noverlap)
    ky, kx = wavenumbers(x.shape[1], x.shape[2], dx)
    s = np.fft.fftshift(s, axes=(1, 2))
    units = "s^-2/Hz" if da.attrs.get("units") == "s^-1" else f"({da.attrs.get('units')})^2/Hz"
    out = xr.DataArray(s, dims=("frequency", "ky", "kx"),
                       coords={"frequency": ("frequency", f, {"units": "Hz"}),
                               "ky": ("ky", np.fft.fftshift(ky), {"units": "rad/m"}),
                               "kx": ("kx", np.fft.fftshift(kx), {"units": "rad/m"})},
                       attrs=dict(info, units=units, normalisation="P_k(f)/N^2 per mode",
                                  trace=da.attrs.get("trace", "")))
    out.name = "spatial_psd"
    return out


def eeg_spectrum(da, k0: float = 10.0, nperseg: int | None = None,
                 noverlap: int | None = None):
    """EEG spectrum: the field's spectrum low-passed by volume conduction, summed over k.

    Parameters
    ----------
    da : xarray.DataArray
        Whole-grid trace ``(time, y, x)`` with ``attrs["dx"]``.
    k0 : float
        Filter wavenumber [m^-1] of ``exp(-k^2/k0^2)``; default 10.
    nperseg, noverlap : int, optional
        Welch segments in samples.

    Returns
    -------
    xarray.DataArray
        ``(frequency,)`` PSD [units^2/Hz] (module notes give the normalisation).
    """
    import xarray as xr

    x, dx = _grid_field(da)
    fs = 1.0 / float(da.attrs["dt"])
    ky, kx = wavenumbers(x.shape[1], x.shape[2], dx)
    weight = eeg_filter(ky, kx, k0)
    keep = weight > 1e-16 * weight.max()         # the modes the filter leaves
    p2, info = _two_sided(x, fs, nperseg, noverlap, keep)
    n = info["nperseg"]
    nf = n // 2 + 1
    f = np.arange(nf) * fs / n
    # F(k) = F(-k): summed over k, (k, f) and (-k, -f) fold onto (k, f) and (k, -f)
    pk = p2 @ weight[keep]
    p = pk[:nf].copy()
    top = nf - 1 if n % 2 == 0 else nf
    p[1:top] += pk[(-np.arange(1, top)) % n]
    units = "s^-2/Hz" if da.attrs.get("units") == "s^-1" else f"({da.attrs.get('units')})^2/Hz"
    out = xr.DataArray(p, dims=("frequency",),
                       coords={"frequency": ("frequency", f, {"units": "Hz"})},
                       attrs=dict(info, units=units, k0=k0, trace=da.attrs.get("trace", ""),
                                  filter="exp(-k^2/k0^2)"))
    out.name = "eeg_psd"
    return out
