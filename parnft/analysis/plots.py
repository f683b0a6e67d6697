"""Spectrum pictures (matplotlib, Agg): log power against frequency, analytic curve overlaid."""

from __future__ import annotations

import numpy as np


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def plot_spectrum(out: str, f, psd, *, label: str = "simulated", analytic=None,
                  f_analytic=None, peaks=(), fmin: float | None = None,
                  fmax: float | None = None, title: str = "", units: str = "s^-2/Hz",
                  note: str = "", dpi: int = 110) -> str:
    """Draw a spectrum (log power) and save it.

    Parameters
    ----------
    out : str
        Image path (``.png`` or ``.svg``).
    f, psd : array_like
        Simulated spectrum.
    label : str
        Legend text of the simulated curve.
    analytic : array_like, optional
        Analytic PSD on ``f_analytic`` (default ``f``), drawn as a dashed line.
    peaks : sequence of (frequency, power, ...)
        Marked with a triangle and their frequency.
    fmin, fmax : float, optional
        Frequency range drawn.
    title, units, note : str
        Title, y-axis units, and a text line in the lower left (e.g. the RMS).
    dpi : int

    Returns
    -------
    str
        ``out``.
    """
    plt = _pyplot()
    f = np.asarray(f)
    psd = np.asarray(psd)
    m = np.ones(f.shape, bool)
    if fmin is not None:
        m &= f >= fmin
    if fmax is not None:
        m &= f <= fmax
    m &= f > 0
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    ax.semilogy(f[m], psd[m], color="tab:blue", lw=1.2, label=label)
    if analytic is not None:
        fa = np.asarray(f if f_analytic is None else f_analytic)
        ma = (fa > 0) & (fa >= (fmin or 0)) & (fa <= (fmax or np.inf))
        ax.semilogy(fa[ma], np.asarray(analytic)[ma], color="k", ls="--", lw=1.2,
                    label="analytic (linear)")
    for pk in peaks:
        ax.plot([pk[0]], [pk[1]], marker="v", color="tab:red", ms=6)
        ax.annotate(f"{pk[0]:.2f} Hz", (pk[0], pk[1]), textcoords="offset points",
                    xytext=(0, 8), ha="center", fontsize=8, color="tab:red")
    ax.set_xlabel("frequency [Hz]")
    ax.set_ylabel(f"power [{units}]")
    if title:
        ax.set_title(title, fontsize=10)
    if note:
        ax.text(0.02, 0.03, note, transform=ax.transAxes, fontsize=8, va="bottom")
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out


def plot_kf(out: str, spatial, *, ky: float = 0.0, fmax: float | None = 45.0,
            title: str = "", dpi: int = 110) -> str:
    """Wavenumber-frequency picture: ``log10 S(kx, f)`` at one ``ky`` (default 0).

    Parameters
    ----------
    out : str
        Image path.
    spatial : xarray.DataArray
        From :func:`parnft.analysis.spatial_spectrum` (``frequency, ky, kx``).
    ky : float
        The row drawn [rad/m] (nearest grid value).
    fmax : float, optional
        Highest frequency drawn [Hz].
    title : str
    dpi : int

    Returns
    -------
    str
        ``out``.
    """
    plt = _pyplot()
    sl = spatial.sel(ky=ky, method="nearest")
    if fmax is not None:
        sl = sl.sel(frequency=slice(None, fmax))
    z = np.log10(np.maximum(sl.values, np.finfo(float).tiny))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    mesh = ax.pcolormesh(sl.kx.values, sl.frequency.values, z, shading="nearest",
                         cmap="viridis", vmin=np.percentile(z, 2), vmax=z.max())
    fig.colorbar(mesh, ax=ax, label=f"log10 S [{spatial.attrs.get('units', '')} per mode]")
    ax.set_xlabel("kx [rad/m]")
    ax.set_ylabel("frequency [Hz]")
    ax.set_title(title or f"wavenumber-frequency spectrum, ky = {float(sl.ky):.3g} rad/m",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=dpi)
    plt.close(fig)
    return out
