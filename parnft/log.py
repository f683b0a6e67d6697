"""Logging with the rank in every line, and a progress bar for rank 0."""

from __future__ import annotations

import logging
import sys
import time


def setup_logging(rank: int, size: int, quiet: bool = False, verbose: bool = False) -> None:
    """Configure the ``parnft`` logger: rank-prefixed lines on stderr.

    ``quiet``: warnings only; ``verbose``: debug lines too (e.g. every flush).
    """
    logger = logging.getLogger("parnft")
    logger.handlers.clear()
    h = logging.StreamHandler(sys.stderr)
    prefix = f"[rank {rank}/{size}] " if size > 1 else ""
    h.setFormatter(logging.Formatter(f"{prefix}parnft %(levelname)s: %(message)s"))
    logger.addHandler(h)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


class Progress:
    """A one-line progress bar on stderr: steps, simulated time, rate, ETA.

    Draws only when ``enabled`` (rank 0, not ``-q``) and stderr is a terminal,
    at most ``fps`` times a second; prints a final summary line when done.
    """

    def __init__(self, total: int, dt: float, enabled: bool = True, stream=None, fps=4.0):
        self.total = max(1, int(total))
        self.dt = dt
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = enabled and hasattr(self.stream, "isatty") and self.stream.isatty()
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.min_dt = 1.0 / fps

    def line(self, n: int) -> str:
        """The text of the bar after ``n`` steps."""
        el = time.perf_counter() - self.t0
        frac = n / self.total
        rate = n / el if el > 0 else 0.0
        eta = (self.total - n) / rate if rate > 0 else float("inf")
        width = 24
        fill = int(frac * width)
        bar = "#" * fill + "-" * (width - fill)
        return (f"[{bar}] {100 * frac:5.1f}%  step {n}/{self.total}  t = {n * self.dt:.4g} s  "
                f"{rate:,.0f} steps/s  ETA {eta:.0f} s" if eta != float("inf") else
                f"[{bar}] {100 * frac:5.1f}%  step {n}/{self.total}")

    def __call__(self, n: int, total: int | None = None) -> None:
        if not self.tty:
            return
        now = time.perf_counter()
        if now - self.last < self.min_dt and n < self.total:
            return
        self.last = now
        self.stream.write("\r" + self.line(n))
        self.stream.flush()

    def close(self, n: int) -> None:
        """Finish the bar with a summary line."""
        if not self.enabled:
            return
        el = time.perf_counter() - self.t0
        if self.tty:
            self.stream.write("\r" + self.line(n) + "\n")
        self.stream.write(f"parnft: {n} steps ({n * self.dt:.4g} s simulated) in {el:.2f} s "
                          "wall\n")
        self.stream.flush()
