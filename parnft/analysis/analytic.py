"""Analytic spectra comparable with simulated ones, and the closed-form EIRS response.

:func:`analytic_spectrum` turns the linear response of :mod:`.linear` into a
PSD with the normalisation of :mod:`.spatial` (see the notes there), summed
over the grid's discrete wavenumbers, with the volume-conduction filter for
the EEG spectrum. :func:`eirs_parameters` and :func:`eirs_transfer` give the
corticothalamic model's response in the closed form of Robinson et al. (2002)
(Abeysuriya et al. 2014, eq. 9-11):

``phi_e / phi_n = G_esn L^2 e^{i omega t0/2} / ((1 - G_srs L^2)(1 - G_ei L))
/ (k^2 r_e^2 + q^2 r_e^2)``

``q^2 r_e^2 = (1 - i omega/gamma_e)^2 - (G_ee L + (G_ese L^2 + G_esre L^3)
e^{i omega t0} / (1 - G_srs L^2)) / (1 - G_ei L)``

with ``L = 1/((1 - i omega/alpha)(1 - i omega/beta))`` and products of gains
such as ``G_esre = G_es G_sr G_re``.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConfigError
from .linear import gains, mode_k2, noise_sigma, transfer
from .spatial import eeg_filter, wavenumbers

#: EIRS connection pattern in NFTsim's population order (e, i, r, s, n):
#: connection index -> (post, pre)
EIRS_PATTERN = {1: (1, 1), 2: (1, 2), 3: (1, 4), 4: (2, 1), 5: (2, 2), 6: (2, 4),
                7: (3, 1), 8: (3, 4), 9: (4, 1), 10: (4, 3), 11: (4, 5)}


def analytic_spectrum(spec, f, trace: str = "propagator.1.phi", *, eeg: bool = True,
                      k0: float = 10.0, laplacian: str = "continuum"):
    """Linear-theory PSD of a trace, comparable with :func:`~.spatial.eeg_spectrum`.

    Parameters
    ----------
    spec : ModelSpec
        The model (its ``Q`` values are taken as the steady state).
    f : array_like
        Frequencies [Hz] (> 0).
    trace : str
        Default ``propagator.1.phi``.
    eeg : bool
        True: EEG spectrum, ``F(k) = exp(-k^2/k0^2)``; False: node-averaged
        PSD (``F = 1``), comparable with ``power_spectrum(...)["psd_mean"]``.
    k0 : float
        Volume-conduction wavenumber [m^-1].
    laplacian : {"continuum", "stencil"}
        ``k^2`` of the Wave propagators (:func:`~.linear.mode_k2`).

    Returns
    -------
    xarray.DataArray
        ``(frequency,)`` PSD in ``s^-2/Hz`` for phi/Q traces.
    """
    import xarray as xr

    f = np.asarray(f, dtype=float)
    ny, nx = spec.grid.shape
    n = ny * nx
    from .data import spacing

    dx = spacing(spec, trace)
    ky, kx = wavenumbers(ny, nx, dx)
    weight = eeg_filter(ky, kx, k0) if eeg else np.ones((ny, nx))
    keep = weight > 1e-12 * weight.max()          # modes the filter leaves
    kidx = np.nonzero(keep)
    t = transfer(spec, f, trace, kidx=kidx, laplacian=laplacian)
    dt = spec.time.deltat
    p = np.zeros(f.shape)
    used = []
    for s, ts in t.items():
        sigma = noise_sigma(spec, s)
        if sigma is None:
            continue
        used.append(s)
        p += (2.0 * sigma * sigma * dt / n) * np.einsum("m,mf->f", weight[keep],
                                                         np.abs(ts) ** 2)
    if not used:
        raise ConfigError(f"{spec.path}: no White stimulus drives the model, so its linear "
                          "spectrum is zero; add a Stimulus: White population")
    return xr.DataArray(p, dims=("frequency",),
                        coords={"frequency": ("frequency", f, {"units": "Hz"})},
                        attrs={"units": "s^-2/Hz", "trace": trace, "eeg": int(eeg), "k0": k0,
                               "laplacian": laplacian, "noise_populations": str(used),
                               "modes": int(keep.sum())}, name="analytic_psd")


def eirs_parameters(spec) -> dict:
    """Corticothalamic parameters of a model laid out as NFTsim's EIRS examples.

    Populations 1-5 are e, i, r, s and the noise n; connections 1-11 as in
    ``configs/eirs-corticothalamic.conf``.

    Returns
    -------
    dict
        ``G_ee, G_ei, G_es, G_re, G_rs, G_se, G_sr, G_sn`` (rho_post * nu),
        ``alpha, beta`` [s^-1], ``gamma_e`` [s^-1], ``r_e`` [m], ``t0`` [s]
        (twice the s->e delay) and ``rho`` (per population).

    Raises
    ------
    ConfigError
        When the connections do not follow the EIRS pattern.
    """
    pattern = {c.index: (c.post, c.pre) for c in spec.connections}
    if pattern != EIRS_PATTERN:
        raise ConfigError(f"{spec.path}: not laid out as NFTsim's EIRS model (populations "
                          "e, i, r, s, noise; 11 connections as in "
                          "configs/eirs-corticothalamic.conf); use analytic_spectrum instead")
    g = gains(spec)
    gg = g["G"]
    names = {1: "ee", 2: "ei", 3: "es", 7: "re", 8: "rs", 9: "se", 10: "sr", 11: "sn"}
    out = {f"G_{v}": gg[k] for k, v in names.items()}
    d = spec.dendrites[0]
    p1 = spec.propagators[0]
    out.update(alpha=d.alpha, beta=d.beta, gamma_e=p1.gamma, r_e=p1.range,
               t0=2.0 * float(spec.propagators[2].tau[0]), rho=g["rho"])
    return out


def eirs_transfer(k2, f, p: dict):
    """Closed-form EIRS response ``phi_e / phi_n`` (module notes).

    Parameters
    ----------
    k2 : array_like
        ``k^2`` [m^-2], broadcast against ``f``.
    f : array_like
        Frequencies [Hz].
    p : dict
        From :func:`eirs_parameters`.

    Returns
    -------
    complex ndarray
    """
    w = 2.0 * np.pi * np.asarray(f, dtype=float)
    lw = 1.0 / ((1.0 - 1j * w / p["alpha"]) * (1.0 - 1j * w / p["beta"]))
    g_srs = p["G_sr"] * p["G_rs"]
    g_ese = p["G_es"] * p["G_se"]
    g_esre = p["G_es"] * p["G_sr"] * p["G_re"]
    g_esn = p["G_es"] * p["G_sn"]
    thal = 1.0 - g_srs * lw ** 2
    cort = 1.0 - p["G_ei"] * lw
    q2r2 = (1.0 - 1j * w / p["gamma_e"]) ** 2 - (
        p["G_ee"] * lw + (g_ese * lw ** 2 + g_esre * lw ** 3) * np.exp(1j * w * p["t0"]) / thal
    ) / cort
    num = g_esn * lw ** 2 * np.exp(1j * w * p["t0"] / 2.0) / (thal * cort)
    return num / (np.asarray(k2) * p["r_e"] ** 2 + q2r2)


def eirs_k2(spec, laplacian: str = "continuum") -> np.ndarray:
    """``k^2`` of every mode of the EIRS model's cortical grid (``numpy.fft`` order)."""
    dx = spec.populations[0].length / spec.grid.longside
    return mode_k2(spec.grid.shortside, spec.grid.longside, dx, laplacian)


def steady_state_residual(spec) -> float:
    """Largest relative mismatch ``|S(V_a) - Q_a| / Q_a`` of the config's ``Q`` values.

    ``V_a = sum_j nu_j Q_pre(j)`` (the uniform steady state, stimuli at their
    ``Mean``); a linear spectrum is only meaningful when this is small.
    """
    q = {p.index: (p.q_init if not p.is_stimulus
                   else float(p.stimulus.params.get("Mean", 0.0))) for p in spec.populations}
    worst = 0.0
    for pop in spec.populations:
        if pop.is_stimulus or pop.firing is None or pop.firing.function != "Sigmoid":
            continue
        v = sum(float(np.mean(spec.couplings[c.index - 1].nu)) * q[c.pre]
                for c in spec.incoming(pop.index))
        prm = pop.firing.params
        s = float(prm["Qmax"]) / (1.0 + np.exp(-(v - float(prm["Theta"]))
                                               / float(prm["Sigma"])))
        worst = max(worst, abs(s - pop.q_init) / max(abs(pop.q_init), 1e-300))
    return worst
