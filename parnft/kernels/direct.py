"""Direct dendrite: no synaptic filter, the potential is the drive, V = P = nu phi.

Pointwise copy; no stability bound.
"""

from __future__ import annotations

from numba import uint64

from . import kernel


@kernel
def direct_copy(v, drive, n):
    """V = P at every node (P: the coupling's drive of this step)."""
    for i in range(v.shape[0]):
        v[i] = drive[i]


@kernel
def direct_copy_nodes(i0, i1, v, drive, n):
    """:func:`direct_copy` on nodes ``i0 <= i < i1``."""
    for i in range(uint64(i0), uint64(i1)):
        v[i] = drive[i]
