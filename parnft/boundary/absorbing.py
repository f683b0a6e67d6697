"""``absorbing``: first-order Engquist-Majda condition in Mur's discretisation.

Derivation for the Wave propagator's actual scheme (:mod:`parnft.kernels.wave`)
-------------------------------------------------------------------------------
The propagator solves ``(1/g^2 d_t^2 + 2/g d_t + 1 - r^2 lap) phi = Q``. With
``psi = phi - Q`` (Q locally constant near the edge, as the steady state is)
and ``u = psi e^{g t}`` this is the undamped wave ``u_tt = c^2 lap u``,
``c = g r``: the form the kernel discretises (its ``em = e^{-g dt}`` factors
are that substitution). A wave leaving through the W face (towards ``-x``)
satisfies Engquist and Majda's first-order one-way equation ``u_t = c u_x``.
Mur (1981) centres both derivatives at the face and at ``t^{n+1/2}``:

    (u0^{n+1} - u0^n + u1^{n+1} - u1^n) / (2 dt)
        = c (u1^{n+1} - u0^{n+1} + u1^n - u0^n) / (2 dx),

(0: ghost, 1: edge node), which solves to

    u0^{n+1} = u1^n + k (u1^{n+1} - u0^n),   k = (p - 1) / (p + 1),

with the Courant number ``p = c dt / dx = g r dt / dx`` of the scheme.
Going back to ``psi = u e^{-g t}`` (multiply by ``e^{-g t_{n+1}}``):

    psi0^{n+1} = em psi1^n + k (psi1^{n+1} - em psi0^n),   em = e^{-g dt},

and ``phi0 = psi0 + Q1`` with Q continued by zero gradient. A uniform steady
state ``phi = Q`` gives ``psi = 0``: it is kept exactly. The other sides are
the same with their own normal. Stable for ``p <= 1`` (Mur), which the Wave's
own bound ``p <= 1/sqrt(2)`` implies.

With per-node ``Range`` or ``gamma`` maps (``docs/heterogeneous.md``) the ghost
cell has no medium of its own: ``k`` and ``em`` are those of its mirror, the
edge node (``p`` = that node's ``g r dt / dx``), i.e. the one-way equation of
the medium the wave leaves from. The edge node's Courant bound (checked at
every node) again implies Mur's.

Why not a sponge layer: a sponge needs extra nodes (tens of cells) with a
graded damping, i.e. a per-node ``gamma`` (a map) inside the interior kernel and a
sheet larger than the model's; its reflection depends on the layer's width
and profile. Mur's condition is one ghost cell, leaves the interior kernel
and the sheet untouched, and is exact for waves meeting the edge head on; it
reflects ``((1 - cos a) / (1 + cos a))^2`` of the energy of a plane wave at
incidence ``a`` (so 0 % at 0 degrees, 3 % at 45 degrees).
``tests/validation/test_boundaries.py`` measures a pulse
(``docs/boundaries.md`` states the figure).

Other ghosted fields (no wave speed) get the zero-gradient outflow fill.
"""

from __future__ import annotations

from ..kernels import kernel
from ..kernels.nodal import at, nodal_exp
from .base import BoundaryKind, ghost_mirror, side_length
from .neumann import neumann_fill


def mur_constants(dt: float, dx: float, range_, gamma) -> tuple:
    """``(k, em)`` of the Mur fill: ``k = (p - 1) / (p + 1)``, ``p = gamma range dt / dx``.

    ``range_`` and ``gamma`` are numbers or per-node tile arrays; so is each
    result (element for element the scalar formula's bits, libm ``exp``).
    """
    p = gamma * range_ * dt / dx
    return (p - 1.0) / (p + 1.0), nodal_exp(-dt * gamma)


@kernel
def mur_wave_fill(phi, qw, cur, sides, k, em, n):
    """Mur's absorbing fill of phi's ghost strips on ``sides`` (one ghost cell).

    ``phi0^{n+1} = Q1^{n+1} + em (phi1^n - Q1^n) + k ((phi1^{n+1} - Q1^{n+1})
    - em (phi0^n - Q1^n))`` with 0 the ghost, 1 its mirror (the edge node),
    level ``n + 1 = cur[0]`` and ``n = 1 - cur[0]`` (whose ghosts hold the
    previous fill). Reads no ghost of level ``cur[0]``, so it is idempotent.
    Stable for ``p <= 1``.

    Parameters
    ----------
    phi, qw : ndarray (2, ly + 2, lx + 2)
        The propagator's two levels of phi and Q.
    cur : int64 ndarray (1,)
        The level just computed.
    sides : int64 ndarray
        Side codes (0 N, 1 S, 2 W, 3 E) on the global edge.
    k, em : float or ndarray (ly lx,)
        From :func:`mur_constants`: numbers, or per-node values of the tile,
        read at the mirror node (flat index ``(my - 1) lx + mx - 1``).
    """
    c = cur[0]
    o = 1 - c
    ly = phi.shape[1] - 2
    lx = phi.shape[2] - 2
    for r in range(sides.shape[0]):
        s = sides[r]
        for j in range(side_length(s, ly, lx)):
            gy, gx, my, mx = ghost_mirror(s, 0, j, ly, lx, 1)
            q1 = qw[c, my, mx]
            q1o = qw[o, my, mx]
            new1 = phi[c, my, mx] - q1
            old1 = phi[o, my, mx] - q1o
            old0 = phi[o, gy, gx] - q1o
            i = (my - 1) * lx + (mx - 1)
            kk, e = at(k, i), at(em, i)
            phi[c, gy, gx] = q1 + (e * old1 + kk * (new1 - e * old0))


KIND = BoundaryKind(
    name="absorbing",
    summary="outgoing waves leave the sheet (first-order Engquist-Majda, Mur's scheme); "
            "other fields: zero gradient",
    field_fill=neumann_fill,
    wave_fill=mur_wave_fill,
    prime=neumann_fill,
    ghost_history=True,
    not_spreading="Mur's condition is built for a Wave's outgoing front (its speed gamma "
                  "r); a population's spreading state has no such speed",
)
