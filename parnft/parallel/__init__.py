"""MPI decomposition of the periodic grid: tiles, halo exchange, collective errors.

Nothing here touches ``MPI.COMM_WORLD``: every entry point takes a communicator
(ARCHITECTURE.md, rule 3).
"""

from .comm import agree_on_error, all_ok, bcast_result
from .halo import HaloExchange
from .tiling import DIRECTIONS, Tiling, block_range, choose_dims, parse_procs

__all__ = [
    "DIRECTIONS",
    "HaloExchange",
    "Tiling",
    "agree_on_error",
    "all_ok",
    "bcast_result",
    "block_range",
    "choose_dims",
    "parse_procs",
]
