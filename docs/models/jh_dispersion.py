"""Make docs/img/fields/jh-dispersion.png: the JH_excitatory dispersion, simulated vs analytic.

Run from the repository root::

    PYTHONPATH=. python docs/models/jh_dispersion.py

Ten cosine modes (wavelengths 20 mm down to 1.25 mm) are seeded together in j on a
20 mm x 0.125 mm strip (320 x 2 nodes, dx = 62.5 um) with the section 2.3 parameters
(the kind's defaults), run by parnft (Deltat = 0.2 ms, 0.3 s); each mode's projection
is fitted by Prony's method (order 2, exact for a linear two-field mode), giving its
frequency and decay. The lines are the analytic relation
(parnft.model.dynamics.jh_excitatory.dispersion) with the continuum k^2 and with the
5-point stencil's k_h^2 = (2/dx)^2 sin^2(k dx/2). tests/validation/test_jh_dispersion.py
checks the 10 mm and 2 mm points.
"""

from __future__ import annotations

import math
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from parnft.config import parse_config  # noqa: E402
from parnft.model.dynamics import lookup  # noqa: E402
from parnft.model.dynamics.jh_excitatory import dispersion  # noqa: E402
from parnft.outputs import MemoryWriter  # noqa: E402
from parnft.solver import Simulation  # noqa: E402

LENGTH, NX, NY, DT, EVERY, TIME = 0.02, 320, 2, 2e-4, 5, 0.3
MODES = (1, 2, 3, 4, 5, 6, 8, 10, 13, 16)
TEXT = f"""JH_excitatory dispersion: seeded cosine modes
Time: {TIME!r} Deltat: {DT!r}
Nodes: {NX * NY}
Longside nodes: {NX}

Connection matrix:
From:  1
To 1:  0

Population 1: JH
 Length: {LENGTH!r}
 Dynamics: JH_excitatory

Output: Node: All Interval: {EVERY * DT!r}
Population: 1.j
"""


def prony(x, h):
    a = np.vstack([x[1:-1], x[:-2]]).T
    c1, c2 = np.linalg.lstsq(a, x[2:], rcond=None)[0]
    rho = math.sqrt(-c2)
    return complex(math.log(rho) / h, math.acos(c1 / (2.0 * rho)) / h)


def simulate():
    sim = Simulation(parse_config(TEXT))
    x = np.arange(NX) * LENGTH / NX
    seed = sum(np.cos(2 * math.pi * m * x / LENGTH) for m in MODES)
    sim.ctx.populations[1].fields["j"][:] = 1e-3 * np.tile(seed, NY)
    w = MemoryWriter(sim.outputs)
    sim.run(w)
    sim.close()
    j = w["pop.1.j"].reshape(-1, NY, NX)
    out = []
    for m in MODES:
        c = np.cos(2 * math.pi * m * x / LENGTH)
        amp = np.concatenate([[1e-3], (j * c).sum(axis=(1, 2)) / (NY * (c * c).sum())])
        out.append(prony(amp, EVERY * DT))
    return np.array(out)


def main(path="docs/img/fields/jh-dispersion.png"):
    p = lookup("JH_excitatory").resolve({})
    dx = LENGTH / NX
    got = simulate()
    k = 2 * math.pi * np.array(MODES) / LENGTH
    kk = np.linspace(2 * math.pi / LENGTH * 0.8, k[-1] * 1.05, 300)
    cont = np.array([dispersion(q * q, p) for q in kk])
    disc = np.array([dispersion((2 / dx) ** 2 * math.sin(q * dx / 2) ** 2, p) for q in kk])
    fig, ax = plt.subplots(1, 3, figsize=(11, 3.2), dpi=90)
    wl = 2 * math.pi / kk * 1e3
    for a, f, lab in ((ax[0], lambda z: z.imag / (2 * math.pi), "frequency [Hz]"),
                      (ax[1], lambda z: z.imag / kk, "phase speed [m/s]"),
                      (ax[2], lambda z: -z.real, "decay rate [1/s]")):
        a.plot(wl, f(cont), "k-", lw=1, label="analytic, continuum k$^2$")
        a.plot(wl, f(disc), "C0--", lw=1, label="analytic, 5-point k$_h^2$")
        a.set_xscale("log")
        a.set_xticks([1.25, 2, 5, 10, 20])
        a.set_xticklabels(["1.25", "2", "5", "10", "20"])
        a.minorticks_off()
        a.set_xlabel("wavelength [mm]")
        a.set_ylabel(lab)
    wk = 2 * math.pi / k * 1e3
    ax[0].plot(wk, got.imag / (2 * math.pi), "C3o", ms=4, label="parnft run (Prony)")
    ax[1].plot(wk, got.imag / k, "C3o", ms=4)
    ax[2].plot(wk, -got.real, "C3o", ms=4)
    ax[0].legend(fontsize=7)
    fig.suptitle("JH_excitatory (constructed from Qin & Sheremet's abstract): linear dispersion",
                 fontsize=10)
    fig.tight_layout()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fig.savefig(path)
    rel = np.abs(got / np.array([dispersion((2 / dx) ** 2 * math.sin(q * dx / 2) ** 2, p)
                                 for q in k]) - 1)
    print(f"wrote {path}; largest relative gap to the 5-point relation {rel.max():.1e}")


if __name__ == "__main__":
    main()
