"""A movie of a field: GIF (pillow, always there) or MP4 (needs ffmpeg).

Each frame is one sample of a whole-grid trace with its spatial mean
removed, on one symmetric colour scale for the whole movie (so waves fade
as they really do), titled with its time.
"""

from __future__ import annotations

import os
import shutil

import numpy as np

from ..errors import ConfigError
from .data import Trace, load_trace, time_indices
from .figures import Picture, make_parent, new_figure, unit_label

#: More frames than this is almost always a mistake (memory, minutes of drawing).
MAX_FRAMES = 2000


def ffmpeg_available() -> bool:
    """Whether matplotlib can find an ``ffmpeg`` program for MP4 output."""
    from matplotlib import animation

    return bool(animation.FFMpegWriter.isAvailable()) and bool(
        shutil.which(_ffmpeg_path()) or os.path.exists(_ffmpeg_path()))


def _ffmpeg_path() -> str:
    import matplotlib

    return str(matplotlib.rcParams.get("animation.ffmpeg_path", "ffmpeg"))


def movie_frames(tr: Trace, every: int = 1, start: float | None = None,
                 stop: float | None = None) -> list[int]:
    """Sample indices of the frames: every ``every``-th sample in ``[start, stop]``.

    Parameters
    ----------
    tr : Trace
        The trace (its times).
    every : int
        Take one sample in ``every`` (>= 1).
    start, stop : float, optional
        First and last time [s] (nearest samples; ConfigError outside the record).

    Returns
    -------
    list of int
    """
    if int(every) < 1:
        raise ConfigError(f"--every {every}: must be a whole number >= 1; fix: e.g. --every 2")
    i0 = 0 if start is None else time_indices([float(start)], tr.time, tr.source)[0]
    i1 = tr.time.size - 1 if stop is None else time_indices([float(stop)], tr.time,
                                                             tr.source)[0]
    if i1 < i0:
        raise ConfigError(f"--start {start} is after --stop {stop}; fix: swap them")
    idx = list(range(i0, i1 + 1, int(every)))
    if len(idx) > MAX_FRAMES:
        need = -(-(i1 - i0 + 1) // MAX_FRAMES)
        raise ConfigError(f"{tr.source}: {len(idx)} frames is more than {MAX_FRAMES}; fix: "
                          f"--every {need} (or more), or a shorter --start/--stop window")
    return idx


def write_movie(src, trace: str | None = None, *, out: str | None = None, fps: float = 10,
                every: int = 1, start: float | None = None, stop: float | None = None,
                dpi: int = 80, vmax: float | None = None) -> Picture:
    """Write a movie of a whole-grid trace, spatial mean removed.

    Parameters
    ----------
    src : str, path-like, xarray.Dataset or Trace
        The run; the trace must cover the whole grid (``Output: Node: All``).
    trace : str, optional
        Trace name; default: the first whole-grid trace.
    out : str, optional
        ``.gif`` (pillow) or ``.mp4`` (ffmpeg); default ``<run>.gif``. An MP4
        without ffmpeg installed is a ConfigError that suggests the GIF.
    fps : float
        Frames per second of the movie.
    every : int
        Use every ``every``-th sample as a frame.
    start, stop : float, optional
        Time window [s].
    dpi : int
        Resolution of the frames.
    vmax : float, optional
        Colour scale +-vmax (stronger values saturate); default: the largest
        deviation from the mean in the whole movie.

    Returns
    -------
    Picture
        ``frames`` is the number of frames written; ``data["frames"]`` the
        ``(nframes, ny, nx)`` fields drawn, ``times`` their times.
    """
    tr = src if isinstance(src, Trace) else load_trace(src, trace, prefer_grid=True)
    if out is None:
        stem = os.path.splitext(tr.source)[0] if not tr.source.startswith("<") else "run"
        out = stem + ".gif"
    ext = os.path.splitext(out)[1].lower()
    if ext not in (".gif", ".mp4"):
        raise ConfigError(f"--out {out}: a movie is .gif or .mp4; fix: end the name in .gif "
                          "(always available) or .mp4 (needs ffmpeg)")
    if ext == ".mp4" and not ffmpeg_available():
        raise ConfigError(f"--out {out}: MP4 needs the ffmpeg program, which is not "
                          "installed; fix: write a GIF instead (--out "
                          f"{os.path.splitext(out)[0]}.gif) or install ffmpeg")
    if float(fps) <= 0:
        raise ConfigError(f"--fps {fps}: must be > 0; fix: e.g. --fps 10")
    grid = tr.grid()
    idx = movie_frames(tr, every, start, stop)
    frames = np.stack([grid[i] - grid[i].mean() for i in idx])
    if vmax is not None and not float(vmax) > 0:
        raise ConfigError(f"--vmax {vmax}: must be > 0; fix: e.g. --vmax 1e-5")
    lim = float(vmax) if vmax is not None else (float(np.abs(frames).max()) or 1.0)
    from matplotlib import animation

    ny, nx = tr.shape
    fig, ax = new_figure(figsize=(5.2, 0.9 + 4.2 * ny / nx))
    extent, xlabel, ylabel = tr.extent()  # metres: the sheet's true aspect ratio
    im = ax.imshow(frames[0], origin="lower", cmap="RdBu_r", vmin=-lim, vmax=lim,
                   interpolation="nearest", extent=extent)
    fig.colorbar(im, ax=ax, shrink=0.8, label=f"{tr.name} - mean{unit_label(tr.units)}")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    title = ax.set_title("")
    times = tr.time[idx]

    def draw(k):
        im.set_data(frames[k])
        title.set_text(f"{tr.name}   t = {times[k]:.6g} s")
        return im, title

    fig.tight_layout()
    make_parent(out)
    if ext == ".gif":
        _save_gif(fig, ax, im, title, frames, draw, out, fps, dpi)
    else:
        writer = animation.FFMpegWriter(fps=fps, codec="libx264", extra_args=[
            "-pix_fmt", "yuv420p", "-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2"])
        with writer.saving(fig, out, dpi):
            for k in range(len(idx)):
                draw(k)
                writer.grab_frame()
    return Picture(out, "movie", times, {"frames": frames}, frames=len(idx))


def _save_gif(fig, ax, im, title, frames, draw, out: str, fps: float, dpi: int) -> None:
    """Write the frames as a GIF with pillow, drawing the axes and colour bar only once.

    The figure without the image and title is rendered once; each frame
    restores that background and draws the image, the axes frame and the
    title over it (matplotlib's blitting); pillow then maps every frame to one
    128-colour palette. Every frame has its own title, so pillow merges none of them.
    """
    from PIL import Image

    fig.set_dpi(dpi)
    im.set_visible(False)
    title.set_visible(False)
    canvas = fig.canvas
    canvas.draw()
    background = canvas.copy_from_bbox(fig.bbox)
    im.set_visible(True)
    title.set_visible(True)
    images = []
    for k in range(len(frames)):
        draw(k)
        canvas.restore_region(background)
        ax.draw_artist(im)
        for spine in ax.spines.values():
            ax.draw_artist(spine)
        fig.draw_artist(title)
        images.append(Image.frombuffer("RGBA", canvas.get_width_height(),
                                       canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
                      .convert("RGB"))
    # one palette for the whole movie (from up to 8 frames), no dithering: pillow can
    # then store only what changes between frames, and the file stays small
    pick = images[:: max(1, len(images) // 8)][:8]
    w, h = pick[0].size
    montage = Image.new("RGB", (w, h * len(pick)))
    for k, frame in enumerate(pick):
        montage.paste(frame, (0, k * h))
    palette = montage.quantize(colors=128, method=Image.Quantize.MEDIANCUT)
    images = [f.quantize(palette=palette, dither=Image.Dither.NONE) for f in images]
    images[0].save(out, save_all=True, append_images=images[1:], loop=0,
                   duration=max(int(round(1000.0 / fps)), 10), disposal=1)
