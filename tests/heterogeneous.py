"""Small models with per-node maps, shared by the unit, validation and MPI tests.

:func:`sheet` writes an NFTsim-style model (a neural population with a
sigmoid, fed by itself through a Wave and by white noise through a delayed
Map) with any value replaced by a map; :data:`UNIFORM` holds the scalar
values, so ``sheet(**UNIFORM)`` is today's uniform model.
"""

from __future__ import annotations

import os

import h5py
import numpy as np

#: The scalar values of :func:`sheet` (keys are its placeholders).
UNIFORM = {"Q": "8.87", "Theta": "0.01292", "Sigma": "0.0038", "Qmax": "340",
           "alpha": "83", "beta": "769", "V": "Steady", "phi": "Steady", "nu": "1e-4",
           "Tau": "2e-4", "Range": "0.08", "gamma": "100", "wave": "Wave"}

_SHEET = """\
parnft map test sheet: {ny} x {nx}, white noise into a sigmoid population
Time: {time} Deltat: 1e-4
Nodes: {nodes}
Longside nodes: {nx}

Connection matrix:
From: 1 2
To 1: 1 2
To 2: 0 0

Population 1: Excitatory
 Length: {length}
 Q: {Q}
 Firing: Function: Sigmoid Theta: {Theta} Sigma: {Sigma} Qmax: {Qmax}
  Dendrite 1: V: {V} alpha: {alpha} beta: {beta}
  Dendrite 2: alpha: 83 beta: 769

Population 2: Noise
 Length: {length}
 Stimulus: White - Mean: 1 StdDev: 0.5 Ranseed: 5

Propagator 1: {wave} - phi: {phi} Tau: 0 Range: {Range} gamma: {gamma}
Propagator 2: Map - Tau: {Tau}

Coupling 1: Map - nu: {nu}
Coupling 2: Map - nu: 2e-4

Output: Node: All Start: 0 Interval: 3e-4
Population: 1
Dendrite: 1
Propagator: 1
Coupling: 1
"""

#: Line of each placeholder in :data:`_SHEET` (1-based), for the error tests.
LINES = {"Q": 13, "Theta": 14, "Sigma": 14, "Qmax": 14, "V": 15, "alpha": 15, "beta": 15,
         "phi": 22, "Range": 22, "gamma": 22, "Tau": 23, "nu": 25}


def sheet(shape=(7, 10), time: float = 3e-3, length: float = 0.25, **values) -> str:
    """The model text on a ``(ny, nx)`` grid, ``values`` replacing :data:`UNIFORM` entries."""
    ny, nx = shape
    fill = dict(UNIFORM, **values)
    return _SHEET.format(ny=ny, nx=nx, nodes=ny * nx, time=time, length=length, **fill)


def gradient(shape, lo: float, hi: float) -> np.ndarray:
    """A ``(ny, nx)`` float64 map rising linearly along x from ``lo`` to ``hi``,
    with a small ripple along y (so a transposed or shifted read is caught)."""
    ny, nx = shape
    x = np.linspace(lo, hi, nx)
    y = 1.0 + 0.01 * np.arange(ny)[:, None] / max(ny - 1, 1)
    return np.ascontiguousarray(x[None, :] * y)


def write_maps(folder: str, shape=(7, 10)) -> dict[str, str]:
    """Write the map files the tests name into ``folder``; returns name -> path.

    ``maps.h5`` holds ``/theta`` (a gradient), ``/uniform_theta`` (0.01292
    everywhere), ``/short`` (a wrong shape), ``/nan`` (one NaN) and
    ``/negative_sigma``; ``q.npy`` a gradient of Q; ``flat.npy`` the Theta
    gradient in node order.
    """
    ny, nx = shape
    theta = gradient(shape, 0.010, 0.016)
    paths = {"h5": os.path.join(folder, "maps.h5"), "npy": os.path.join(folder, "q.npy"),
             "flat": os.path.join(folder, "flat.npy")}
    with h5py.File(paths["h5"], "w") as f:
        f["theta"] = theta
        f["uniform_theta"] = np.full(shape, 0.01292)
        f["short"] = np.zeros((ny - 1, nx))
        bad = theta.copy()
        bad[2, 3] = np.nan
        f["nan"] = bad
        f["negative_sigma"] = np.full(shape, 0.0038) - (np.arange(nx) >= nx - 1) * 0.01
        f.create_group("group")
    np.save(paths["npy"], gradient(shape, 5.0, 12.0))
    np.save(paths["flat"], theta.ravel())
    return paths
