"""Output sampling kernel."""

from __future__ import annotations

from . import kernel


@kernel
def record(buf, row, src, idx):
    """Copy ``src[idx[m]]`` into ``buf[row, m]`` for every selected local node m."""
    for m in range(idx.shape[0]):
        buf[row, m] = src[idx[m]]
