"""What every picture shares: the result record, matplotlib set-up, output paths."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np

from ..errors import ConfigError

#: Still-picture formats by file extension (matplotlib's Agg and SVG back ends).
STILL_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


@dataclass
class Picture:
    """A picture written to disk and the numbers drawn in it.

    Attributes
    ----------
    path : str
        The file written.
    kind : str
        ``"timeseries"``, ``"snapshot"`` or ``"movie"``.
    times : numpy.ndarray
        Sample times drawn [s]: the snapshot or movie frame times, or the
        time axis of a time series.
    data : dict
        What was drawn: label -> array. Time series: ``"node 45"``,
        ``"node 45 N"``, ... -> ``(nt,)``; snapshots: ``"t=0.042"`` -> ``(ny, nx)``
        (spatial mean removed); movies: ``"frames"`` -> ``(nframes, ny, nx)``.
    lines : int
        Number of curves drawn (time series).
    frames : int
        Number of frames written (movies).
    panels : list of tuple
        Pixel box ``(x0, y0, x1, y1)`` of each snapshot image in the written
        raster (origin top left, as when the PNG is read back), for checking
        the picture's content.
    """

    path: str
    kind: str
    times: np.ndarray
    data: dict = field(default_factory=dict)
    lines: int = 0
    frames: int = 0
    panels: list = field(default_factory=list)


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg back end."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def still_path(out: str | None, source: str, suffix: str) -> str:
    """The output path of a still picture; ConfigError for an unknown extension.

    Parameters
    ----------
    out : str or None
        Requested path; None gives ``<source stem><suffix>.png``.
    source : str
        The run file (for the default name and messages).
    suffix : str
        Added to the default name, e.g. ``"-snapshot"``.
    """
    if out is None:
        stem = os.path.splitext(source)[0] if source and not source.startswith("<") else "run"
        return stem + suffix + ".png"
    ext = os.path.splitext(out)[1].lower()
    if ext not in STILL_FORMATS:
        raise ConfigError(f"--out {out}: unknown picture format {ext or '(none)'!r}; fix: "
                          f"end the name with one of {', '.join(STILL_FORMATS)}")
    return out


def make_parent(path: str) -> None:
    """Create the folder that will hold ``path``."""
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)


def save(fig, path: str, dpi: int = 100) -> None:
    """Write ``fig`` to ``path`` (format from the extension) and close it."""
    plt = pyplot()
    make_parent(path)
    fmt = STILL_FORMATS.get(os.path.splitext(path)[1].lower(), "png")
    fig.savefig(path, dpi=dpi, format=fmt)
    plt.close(fig)


def image_boxes(fig, axes, dpi: int = 100) -> list[tuple[int, int, int, int]]:
    """Pixel boxes ``(x0, y0, x1, y1)`` of ``axes`` in the raster of ``fig`` at ``dpi``.

    Rows count from the top of the picture, as in an image read back from
    the PNG. Call after the layout is final (``tight_layout``) and before
    closing the figure.
    """
    fig.set_dpi(dpi)
    fig.canvas.draw()
    height = fig.get_size_inches()[1] * dpi
    out = []
    for ax in axes:
        b = ax.get_window_extent()
        out.append((int(round(b.x0)), int(round(height - b.y1)),
                    int(round(b.x1)), int(round(height - b.y0))))
    return out


def unit_label(units: str) -> str:
    """`` [units]`` for an axis label, empty when there are no units."""
    return f" [{units}]" if units and units != "1" else ""
