"""The Stuart-Landau field with diffusive coupling: the complex Ginzburg-Landau equation.

Rosetta rung 3 (``stuart_landau``) on the sheet, the nodes coupled through
the Laplacian of their own state (notes ``model-families.md`` 1.10, the
small-kr limit of a diffusive coupling G(phi - z); standard CGLE, Aranson &
Kramer, Rev. Mod. Phys. 74, 99, 2002)::

    dz/dt = (alpha + i omega) z - (gamma + i beta)|z|^2 z + D (1 + i c1) lap z + F

    x' = [Stuart-Landau] + D lap x - D c1 lap y
    y' = [Stuart-Landau] + D lap y + D c1 lap x

The local part is the Stuart-Landau kind's own right-hand side (same
parameters, same order, then D and c1), so with D = 0 a run is bit for bit
a StuartLandau run. Plane waves z = R exp(i (k.x + Omega t)) exist for
D k^2 < alpha, with

    R^2 = (alpha - D k^2) / gamma,    Omega = omega - beta R^2 - c1 D k^2,

where on the grid k^2 is the 5-point stencil's
(4/dx^2)(sin^2(k_x dx/2) + sin^2(k_y dx/2)) (``plane_wave``).

Integration: classical RK4 with the Laplacian of each stage's state
(:mod:`parnft.model.rk4space`), fourth order in dt, second order in dx.
Stability (checked with the config): the eigenvalues of the linearised step
in RK4's region; for c1 = 0 that is Deltat <= 2.785 dx^2 / (8 D).
"""

from __future__ import annotations

import math

from parnft.model.declare import CrossDiffusion, Diffusion, Dynamics, Param
from parnft.model.dynamics.stuart_landau import KIND as _SL
from parnft.model.dynamics.stuart_landau import rate, rhs, timescale

REFERENCE = ("Castaldo et al., Physics Reports 2026 (arXiv 2512.10982) section 3 with Laplacian "
             "coupling (model-families.md 1.10); CGLE: Aranson & Kramer, Rev. Mod. Phys. 74, 99 "
             "(2002)")


def discrete_k2(kx: float, ky: float, dx: float) -> float:
    """The 5-point Laplacian's eigenvalue -k^2 for exp(i(kx x + ky y)): (4/dx^2)(sin^2 + sin^2)."""
    return 4.0 / (dx * dx) * (math.sin(kx * dx / 2) ** 2 + math.sin(ky * dx / 2) ** 2)


def plane_wave(k2: float, alpha: float, omega: float, gamma: float, beta: float, D: float,
               c1: float = 0.0) -> tuple[float, float]:
    """``(R, Omega)`` of the plane wave R exp(i(k.x + Omega t)) at wavenumber^2 ``k2``.

    Raises ValueError when D k^2 >= alpha (no plane wave there).
    """
    r2 = (alpha - D * k2) / gamma
    if not r2 > 0.0:
        raise ValueError(f"no plane wave: D k^2 = {D * k2:g} >= alpha = {alpha:g}")
    return math.sqrt(r2), omega - beta * r2 - c1 * D * k2


KIND = Dynamics(
    name="GinzburgLandau",
    params=_SL.params + (
        Param("D", "m^2/s", 1e-4, 0.0, math.inf, doc="diffusion coefficient of z"),
        Param("c1", "1", 0.0, doc="dispersion: the complex diffusion coefficient is D (1 + i c1)"),
    ),
    state=_SL.state,
    rhs=rhs,
    rate=rate,
    equation="dz/dt = (alpha + i omega) z - (gamma + i beta)|z|^2 z + D (1 + i c1) lap z + F, "
             "z = x + i y; Q = x or y",
    input_unit="s^-2",
    timescale=timescale,
    steps_per_timescale=200.0,
    reference=REFERENCE,
    spatial=(
        Diffusion("x", "D", doc="D lap x"),
        Diffusion("y", "D", doc="D lap y"),
        CrossDiffusion("y", "x", ("D", "c1"), -1.0, doc="- D c1 lap y"),
        CrossDiffusion("x", "y", ("D", "c1"), 1.0, doc="+ D c1 lap x"),
    ),
)
