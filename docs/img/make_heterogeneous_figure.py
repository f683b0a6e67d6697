"""Draw docs/img/heterogeneous-spectra.png from three ``parnft spectrum --csv`` files.

Usage (from the repository root, after the runs of docs/heterogeneous.md)::

    .venv/bin/python docs/img/make_heterogeneous_figure.py inside.csv outside.csv \
        uniform.csv [OUT.png]

Both curves are the node-averaged Welch spectra ``parnft spectrum`` computed
(the CSV columns ``frequency_Hz, psd``); this script only draws them on one
set of axes and prints the alpha-band (8-13 Hz) peak of each. Matplotlib's
Agg back end draws on a ``Figure``; pyplot is never used.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def load(path: str) -> tuple[np.ndarray, np.ndarray]:
    """``(frequency [Hz], psd)`` of a ``parnft spectrum --csv`` file."""
    data = np.genfromtxt(path, delimiter=",", names=True)
    return data["frequency_Hz"], data["psd"]


def main(argv: list[str]) -> int:
    inside, outside, uniform = argv[:3]
    out = Path(argv[3]) if len(argv) > 3 else Path(__file__).with_name(
        "heterogeneous-spectra.png")
    fig = Figure(figsize=(6.4, 3.6), dpi=100)
    ax = fig.add_subplot()
    for path, label, colour in ((inside, "inside the patch (nu_ee, nu_ie x 1.05)", "#d62728"),
                                (outside, "outside (r > 0.22 m)", "#1f77b4"),
                                (uniform, "no patch (same nodes as inside)", "#7f7f7f")):
        f, p = load(path)
        keep = (f >= 0.5) & (f <= 45)
        ax.semilogy(f[keep], p[keep], color=colour, label=label)
        alpha = (f >= 8) & (f <= 13)
        k = np.argmax(np.where(alpha, p, -np.inf))
        print(f"{label}: alpha peak {f[k]:.3g} Hz, power {p[k]:.3g}")
    ax.set_xlabel("frequency [Hz]")
    ax.set_ylabel("phi_ee power [s^-2/Hz]")
    ax.set_title("corticothalamic sheet, patch of stronger coupling")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
