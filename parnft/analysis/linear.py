"""Analytic linear spectra of a neural field model about its steady state.

For small fluctuations about the steady state in the config (``Q`` of every
population), each population's firing responds linearly,
``Q_a = rho_a V_a`` with ``rho_a = dS/dV = Q_a (1 - Q_a/Qmax) / sigma`` for the
sigmoid, and in Fourier space (time dependence ``e^{-i omega t}``, mode ``k``)
every connection ``j: b -> a`` contributes ``V_a += L_j nu_j P_j Q_b`` with

* dendrite ``L_j = 1 / ((1 - i omega/alpha)(1 - i omega/beta))``,
* propagator ``P_j = e^{i omega tau}`` (Map),
  ``e^{i omega tau} / ((1 - i omega/gamma)^2 + k^2 r^2)`` (Wave, WaveLegacy),
  ``e^{i omega tau} / (1 - i omega/gamma)^2`` (Harmonic).

:func:`transfer` solves this linear system for every (k, f) (a small complex
matrix per point) and gives the response of any propagator, population or
dendrite trace to each white-noise stimulus. For the corticothalamic (EIRS)
model it equals the closed form of Robinson et al. (2002) / Abeysuriya et al.
(2014), :func:`eirs_transfer` (tested).

The spectrum comparable with a simulation (:func:`analytic_spectrum`) uses the
same normalisation as :mod:`.spatial`: a White stimulus draws independent
N(mean, sigma^2) values per node and step (``sigma`` from ``StdDev`` or
``sigma^2 = 8 pi^3 ASD^2/(dt dx^2)``), so each spatial mode of the noise has the
one-sided PSD ``2 N sigma^2 dt`` and

``P(f) = (2 sigma^2 dt / N) sum_k F(k) |T(k, f)|^2``

over the grid's discrete wavenumbers, with ``F = exp(-k^2/k0^2)`` for the EEG
spectrum and ``F = 1`` for the node-averaged spectrum. ``k^2`` is the
continuum ``kx^2 + ky^2`` (default) or the eigenvalue of the 5-point stencil
the Wave propagator integrates, ``(4/dx^2)(sin^2(kx dx/2) + sin^2(ky dx/2))``.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ConfigError
from .spatial import wavenumbers


def _fail(spec, what: str, fix: str):
    raise ConfigError(f"{spec.path}: {what}: the linear spectrum cannot describe it; {fix}")


def _scalar(spec, values, what: str) -> float:
    vals = np.atleast_1d(np.asarray(values, dtype=float))
    if vals.size == 0 or np.ptp(vals) != 0.0:
        _fail(spec, f"{what} varies from node to node", "use one value for all nodes")
    return float(vals[0])


def gains(spec) -> dict:
    """Steady-state slopes and gains of a model.

    Returns
    -------
    dict
        ``rho``: {population index: rho_a [V^-1 s^-1]} for neural populations;
        ``G``: {connection index: G_j = rho_post nu_j} (dimensionless).
    """
    rho = {}
    for pop in spec.populations:
        if pop.is_stimulus:
            continue
        fr = pop.firing
        if fr is None or fr.kind != "Response":
            _fail(spec, f"Population {pop.index} has firing {fr.kind if fr else None}",
                  "use a plain Firing: Function: Sigmoid (or Linear)")
        prm = fr.params
        if fr.function == "Sigmoid":
            q, qmax, sig = pop.q_init, float(prm["Qmax"]), float(prm["Sigma"])
            rho[pop.index] = q * (1.0 - q / qmax) / sig
        elif fr.function == "Linear":
            rho[pop.index] = float(prm["a"])
        else:
            _fail(spec, f"Population {pop.index} firing {fr.function}",
                  "use Sigmoid or Linear")
    g = {}
    for con in spec.connections:
        cp = spec.couplings[con.index - 1]
        if cp.kind != "Map":
            _fail(spec, f"Coupling {con.index} is {cp.kind}", "use Map couplings")
        if con.post in rho:
            g[con.index] = rho[con.post] * _scalar(spec, cp.nu, f"Coupling {con.index} nu")
    return {"rho": rho, "G": g}


def _dendrite(spec, j: int, w):
    d = spec.dendrites[j - 1]
    if d.kind not in ("Dendrite", "Integral"):
        _fail(spec, f"Dendrite {j} is {d.kind}", "use a plain Dendrite")
    return 1.0 / ((1.0 - 1j * w / d.alpha) * (1.0 - 1j * w / d.beta))


def _propagator(spec, j: int, w, kidx, laplacian: str):
    """``P_j`` on the (k, omega) grid; ``kidx`` = (m_y, m_x) mode-index arrays."""
    p = spec.propagators[j - 1]
    tau = _scalar(spec, p.tau, f"Propagator {j} Tau")
    delay = np.exp(1j * w * tau)
    if p.kind == "Map":
        return delay * np.ones(kidx[0].shape + (1,))
    if p.kind in ("Harmonic", "HarmonicIntegral"):
        return delay / (1.0 - 1j * w / p.gamma) ** 2 * np.ones(kidx[0].shape + (1,))
    if p.kind not in ("Wave", "WaveLegacy"):
        _fail(spec, f"Propagator {j} is {p.kind}", "use Map, Wave or Harmonic")
    dx = spec.populations[spec.connections[j - 1].pre - 1].length / spec.grid.longside
    k2 = mode_k2(spec.grid.shortside, spec.grid.longside, dx, laplacian)
    if spec.grid.nodes == 1:
        k2 = np.zeros_like(k2)
    k2 = k2[kidx][..., None]
    return delay / ((1.0 - 1j * w / p.gamma) ** 2 + k2 * p.range ** 2)


def mode_k2(ny: int, nx: int, dx: float, laplacian: str = "continuum") -> np.ndarray:
    """``k^2`` [m^-2] of every grid mode, ``(ny, nx)`` in ``numpy.fft`` order.

    ``laplacian="continuum"``: ``kx^2 + ky^2``; ``"stencil"``: the eigenvalue of
    the 5-point Laplacian, ``(4/dx^2)(sin^2(kx dx/2) + sin^2(ky dx/2))``.
    """
    ky, kx = wavenumbers(ny, nx, dx)
    if laplacian == "continuum":
        return ky[:, None] ** 2 + kx[None, :] ** 2
    if laplacian == "stencil":
        return (4.0 / dx ** 2) * (np.sin(ky[:, None] * dx / 2) ** 2
                                  + np.sin(kx[None, :] * dx / 2) ** 2)
    raise ConfigError(f"laplacian {laplacian!r}: use 'continuum' or 'stencil'")


def transfer(spec, f, trace: str = "propagator.1.phi", *, kidx=None,
             laplacian: str = "continuum") -> dict:
    """Linear response of a trace to each stimulus population.

    Parameters
    ----------
    spec : ModelSpec
    f : array_like
        Frequencies [Hz].
    trace : str
        ``propagator.j.phi``, ``pop.a.q`` or ``dendrite.j.v``.
    kidx : tuple of int arrays, optional
        Grid modes ``(m_y, m_x)`` (indices in ``numpy.fft`` order); default all.
    laplacian : {"continuum", "stencil"}

    Returns
    -------
    dict
        {stimulus population index: complex ndarray (modes..., nf)}, the ratio of
        the trace's Fourier amplitude to the stimulus'.
    """
    ny, nx = spec.grid.shape
    if kidx is None:
        kidx = tuple(np.meshgrid(np.arange(ny), np.arange(nx), indexing="ij"))
    w = 2.0 * np.pi * np.asarray(f, dtype=float)[None, ...]
    rho = gains(spec)["rho"]
    neural = sorted(rho)
    stim = [p.index for p in spec.populations if p.is_stimulus]
    pos = {a: i for i, a in enumerate(neural)}
    shape = kidx[0].shape + (w.shape[-1],)
    n = len(neural)
    m = np.zeros(shape + (n, n), dtype=complex)
    b = {s: np.zeros(shape + (n,), dtype=complex) for s in stim}
    h = {}
    for con in spec.connections:
        nu = _scalar(spec, spec.couplings[con.index - 1].nu, f"Coupling {con.index} nu")
        p = _propagator(spec, con.index, w, kidx, laplacian)
        h[con.index] = (_dendrite(spec, con.index, w) * nu, p)
        gain = rho[con.post] * h[con.index][0] * p
        if con.pre in pos:
            m[..., pos[con.post], pos[con.pre]] += gain
        else:
            b[con.pre][..., pos[con.post]] += gain
    a = np.eye(n) - m
    out = {}
    parts = trace.lower().split(".")
    kind, idx = parts[0], int(parts[1])
    for s in stim:
        q = np.linalg.solve(a, b[s][..., None])[..., 0]      # Q of every neural population

        def q_of(pop, q=q, s=s):
            return q[..., pos[pop]] if pop in pos else (1.0 if pop == s else 0.0)

        if kind == "pop":
            out[s] = q_of(idx) * np.ones(shape)
        elif kind == "propagator":
            out[s] = h[idx][1] * q_of(spec.connections[idx - 1].pre)
        elif kind == "dendrite":
            out[s] = h[idx][0] * h[idx][1] * q_of(spec.connections[idx - 1].pre)
        else:
            raise ConfigError(f"trace {trace!r}: the linear spectrum covers propagator.j.phi, "
                              "pop.k.q and dendrite.j.v")
    return out


def noise_sigma(spec, pop: int) -> float | None:
    """Per-node, per-step standard deviation of stimulus population ``pop`` (None if not White)."""
    p = spec.populations[pop - 1]
    st = p.stimulus
    if st is None or st.mode != "White":
        return None
    if "StdDev" in st.params:
        return float(st.params["StdDev"])
    asd = float(st.params["ASD"])
    dt = spec.time.deltat
    if spec.grid.nodes == 1:
        return math.sqrt(2.0 * math.pi * asd * asd / dt)
    dx = p.length / spec.grid.longside
    return math.sqrt(8.0 * math.pi ** 3 * asd * asd / (dt * dx * dx))
