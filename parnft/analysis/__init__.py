"""Analysis of parnft and NFTsim outputs: power spectra, EEG, the analytic linear spectrum.

Works on ``parnft.open_dataset`` Datasets and on files of every format parnft
reads or writes (HDF5 from any rank count, netCDF, NFTsim ``.output``)::

    from parnft import analysis as pa
    ds = pa.load("run.h5")
    phi = pa.field(ds, "propagator.1.phi")          # (time, y, x), x/y in metres
    pa.power_spectrum(phi)                           # Welch PSD per node + average
    pa.spatial_spectrum(phi)                         # S(f, ky, kx)
    pa.eeg_spectrum(phi, k0=10)                      # volume-conducted EEG PSD
    pa.analytic_spectrum(pa.model_spec(ds), f)       # linear theory, same units

Conventions and formulas: ``docs/analysis.md``.
"""

from __future__ import annotations

from .analytic import (
    analytic_spectrum,
    eirs_k2,
    eirs_parameters,
    eirs_transfer,
    steady_state_residual,
)
from .data import field, load, model_spec
from .linear import gains, mode_k2, noise_sigma, transfer
from .report import spectrum_report
from .spatial import eeg_filter, eeg_spectrum, mode_spectrum, spatial_spectrum, wavenumbers
from .spectra import band_peak, find_peaks, log_rms, power_spectrum, welch

__all__ = [
    "analytic_spectrum", "band_peak", "eeg_filter", "eeg_spectrum", "eirs_k2",
    "eirs_parameters", "eirs_transfer", "field", "find_peaks", "gains", "load", "log_rms",
    "mode_k2", "mode_spectrum", "model_spec", "noise_sigma", "power_spectrum",
    "spatial_spectrum", "spectrum_report", "steady_state_residual", "transfer", "wavenumbers",
    "welch",
]
