"""Draw the pictures of docs/parallel.md from parnft's own decomposition code.

Usage (from the repository root; no MPI launcher needed)::

    .venv/bin/python docs/img/make_parallel_figures.py [OUTDIR]

Writes ``parallel-tiles.png``, ``parallel-halo.png`` and ``parallel-hdf5.png``
into OUTDIR (default: this folder). The split is computed by
:func:`parnft.parallel.tiling.choose_dims` and
:func:`parnft.parallel.tiling.block_range`, the functions :class:`Tiling` uses,
so the pictures show the code's real decomposition (a 17 x 10 grid on 6 ranks).
Matplotlib's Agg back end draws on ``Figure`` objects; pyplot is never used.
"""

from __future__ import annotations

import sys
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, Polygon, Rectangle

from parnft.parallel.tiling import DIRECTIONS, block_range, choose_dims

NX, NY, NRANKS = 17, 10, 6  # Longside nodes, Shortside, ranks
DPI = 100
COLOURS = ["#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
           "#b3de69", "#fccde5"]


def decomposition(nranks: int, ny: int, nx: int):
    """Process grid ``(py, px)`` and every rank's ``(cy, cx, y0, y1, x0, x1)``.

    Mirrors :meth:`parnft.parallel.tiling.Tiling.tile_bounds`: rank
    ``r = cy * px + cx`` owns rows ``block_range(ny, py, cy)`` and columns
    ``block_range(nx, px, cx)``.
    """
    py, px = choose_dims(nranks, (ny, nx))
    tiles = []
    for r in range(nranks):
        cy, cx = divmod(r, px)
        tiles.append((cy, cx) + block_range(ny, py, cy) + block_range(nx, px, cx))
    return (py, px), tiles


def grid_axes(ax, ny: int, nx: int, pad: float = 0.0) -> None:
    """Array orientation: x to the right, y downwards (row 0 on top), square cells."""
    ax.set_xlim(-pad, nx + pad)
    ax.set_ylim(ny + pad, -pad)
    ax.set_aspect("equal")


def figure_tiles(path: Path) -> None:
    """(a) The 17 x 10 torus split over 6 ranks, with 1-based node numbers."""
    (py, px), tiles = decomposition(NRANKS, NY, NX)
    fig = Figure(figsize=(8.6, 5.6), dpi=DPI)
    ax = fig.add_subplot()
    grid_axes(ax, NY, NX)
    for r, (cy, cx, y0, y1, x0, x1) in enumerate(tiles):
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, facecolor=COLOURS[r],
                               edgecolor="black", linewidth=2.2, zorder=1))
        ax.text((x0 + x1) / 2, (y0 + y1) / 2,
                f"rank {r}\ncoords (cy, cx) = ({cy}, {cx})\n"
                f"rows {y0}:{y1}, cols {x0}:{x1}\nshape (ly, lx) = ({y1 - y0}, {x1 - x0})",
                ha="center", va="center", fontsize=8.5, zorder=3,
                bbox=dict(boxstyle="round,pad=0.3", facecolor="white", alpha=0.85,
                          edgecolor="none"))
    for y in range(NY):
        for x in range(NX):
            ax.add_patch(Rectangle((x, y), 1, 1, fill=False, edgecolor="0.55",
                                   linewidth=0.4, zorder=2))
            ax.text(x + 0.5, y + 0.82, str(y * NX + x + 1), ha="center", va="baseline",
                    fontsize=5.5, color="0.3", zorder=2)
    ax.set_xticks([i + 0.5 for i in range(NX)], [str(i) for i in range(NX)], fontsize=7)
    ax.set_yticks([i + 0.5 for i in range(NY)], [str(i) for i in range(NY)], fontsize=7)
    ax.set_xlabel("x (column, 0 .. Longside - 1)")
    ax.set_ylabel("y (row, 0 .. Shortside - 1)")
    ax.set_title(f"{NX} x {NY} nodes on {NRANKS} ranks: choose_dims -> (py, px) = "
                 f"({py}, {px}), i.e. --procs {px}x{py}\n"
                 "small numbers: NFTsim node = y * Longside + x + 1; the grid is a torus "
                 "(x and y wrap)", fontsize=9.5)
    fig.tight_layout()
    fig.savefig(path)


def figure_halo(path: Path, rank: int = 4) -> None:
    """(b) One tile's ghost frame, the strips it sends and where its ghosts come from."""
    (py, px), tiles = decomposition(NRANKS, NY, NX)
    cy, cx, y0, y1, x0, x1 = tiles[rank]
    ly, lx = y1 - y0, x1 - x0
    nb = {d: ((cy + dy) % py) * px + (cx + dx) % px for d, (dy, dx) in DIRECTIONS.items()}
    fig = Figure(figsize=(9.0, 6.6), dpi=DPI)
    ax = fig.add_subplot()
    # ghosted array index (i, j), 0 .. ly+1 / lx+1, drawn with j to the right, i downwards
    grid_axes(ax, ly + 2, lx + 2, pad=3.4)
    ax.axis("off")
    side = {"N": (0, range(1, lx + 1)), "S": (ly + 1, range(1, lx + 1)),
            "W": (range(1, ly + 1), 0), "E": (range(1, ly + 1), lx + 1),
            "NW": (0, 0), "NE": (0, lx + 1), "SW": (ly + 1, 0), "SE": (ly + 1, lx + 1)}
    dcol = {"N": "#1f77b4", "S": "#d62728", "W": "#2ca02c", "E": "#9467bd",
            "NW": "#8c564b", "NE": "#e377c2", "SW": "#7f7f7f", "SE": "#bcbd22"}

    def cells(spec):
        i, j = spec
        ii = i if isinstance(i, range) else [i]
        jj = j if isinstance(j, range) else [j]
        return [(a, b) for a in ii for b in jj]

    # interior, with the sent border strips outlined in their direction's colour
    for i in range(1, ly + 1):
        for j in range(1, lx + 1):
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor="#f4f4f4", edgecolor="0.6",
                                   linewidth=0.5))
    for d, spec in side.items():
        for i, j in cells(spec):
            ax.add_patch(Rectangle((j, i), 1, 1, facecolor=dcol[d], alpha=0.35,
                                   edgecolor="0.3", linewidth=0.6, hatch="//"))
    send = {"N": (1, 1, lx, 1), "S": (ly, 1, lx, 1), "W": (1, 1, 1, ly), "E": (1, lx, 1, ly),
            "NW": (1, 1, 1, 1), "NE": (1, lx, 1, 1), "SW": (ly, 1, 1, 1), "SE": (ly, lx, 1, 1)}
    for d, (i, j, w, h) in send.items():
        inset = 0.08 if len(d) == 1 else 0.2
        ax.add_patch(Rectangle((j + inset, i + inset), w - 2 * inset, h - 2 * inset,
                               fill=False, edgecolor=dcol[d], linewidth=2.0,
                               linestyle="--"))
    ax.add_patch(Rectangle((1, 1), lx, ly, fill=False, edgecolor="black", linewidth=2.2))
    ax.add_patch(Rectangle((0, 0), lx + 2, ly + 2, fill=False, edgecolor="black",
                           linewidth=1.0))
    ax.text(1 + lx / 2, 1 + ly / 2,
            f"rank {rank} interior [1:-1, 1:-1]\n{ly} x {lx} owned nodes\n"
            f"(global rows {y0}:{y1}, cols {x0}:{x1})",
            ha="center", va="center", fontsize=9,
            bbox=dict(boxstyle="round,pad=0.3", facecolor="white", alpha=0.9))
    # neighbour labels and arrows: outgoing strip (dashed) -> neighbour -> ghost (hatched)
    cxm, cym = 1 + lx / 2, 1 + ly / 2
    where = {"N": (cxm, -2.2), "S": (cxm, ly + 4.2), "W": (-2.4, cym), "E": (lx + 4.4, cym),
             "NW": (-2.2, -2.0), "NE": (lx + 4.2, -2.0), "SW": (-2.2, ly + 4.0),
             "SE": (lx + 4.2, ly + 4.0)}
    n_d = {"N": lx, "S": lx, "W": ly, "E": ly}
    for d, (tx, ty) in where.items():
        n = n_d.get(d, 1)
        msg = f"{n} cell{'s' if n > 1 else ''} per field"
        ax.text(tx, ty, f"{d}: rank {nb[d]}\n{msg}", ha="center", va="center", fontsize=8.5,
                color=dcol[d], fontweight="bold",
                bbox=dict(boxstyle="round,pad=0.25", facecolor="white", edgecolor=dcol[d]))
        (gi, gj) = cells(side[d])[len(cells(side[d])) // 2]
        ax.add_artist(FancyArrowPatch((tx, ty), (gj + 0.5, gi + 0.5), arrowstyle="-|>",
                                      mutation_scale=12, color=dcol[d], linewidth=1.3,
                                      shrinkA=16, shrinkB=2, connectionstyle="arc3,rad=0.18"))
        i, j, w, h = send[d]
        ax.add_artist(FancyArrowPatch((j + w / 2, i + h / 2), (tx, ty), arrowstyle="-|>",
                                      mutation_scale=12, color=dcol[d], linewidth=1.1,
                                      linestyle="--", shrinkA=2, shrinkB=16,
                                      connectionstyle="arc3,rad=0.18"))
    ax.set_title(
        f"Rank {rank} (coords ({cy}, {cx})) of the {NX} x {NY} grid on (py, px) = ({py}, {px}): "
        f"field arrays are ({ly}+2) x ({lx}+2)\n"
        "dashed: border strip sent to the neighbour on that side; hatched: ghost filled "
        "from it (solid arrow).\n"
        "One message per neighbour carries all fields; corners only with WaveLegacy. "
        f"py = {py}: N and S are both rank {nb['N']} (told apart by tags).",
        fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def figure_hdf5(path: Path, k: int = 4, buffers_written: int = 3) -> None:
    """(c) A (time, y, x) dataset: each rank's hyperslab, growing K samples at a time."""
    (py, px), tiles = decomposition(NRANKS, NY, NX)
    fig = Figure(figsize=(9.4, 5.6), dpi=DPI)
    ax = fig.add_subplot()
    ax.set_aspect("equal")
    ax.axis("off")
    # oblique projection: x right, y down, time into the page (up and right)
    sx, sy = 0.55, 0.42

    def p(t, y, x):
        return (x + sx * t, -y + sy * t)

    nt_w = k * buffers_written
    nt_all = k * (buffers_written + 1)

    def face_front(t, y0, y1, x0, x1):
        return [p(t, y0, x0), p(t, y0, x1), p(t, y1, x1), p(t, y1, x0)]

    def face_top(t0, t1, y, x0, x1):
        return [p(t0, y, x0), p(t0, y, x1), p(t1, y, x1), p(t1, y, x0)]

    def face_side(t0, t1, x, y0, y1):
        return [p(t0, y0, x), p(t1, y0, x), p(t1, y1, x), p(t0, y1, x)]

    # the next buffer, not yet written (the dataset is resized when it is flushed)
    for poly in (face_top(nt_w, nt_all, 0, 0, NX), face_side(nt_w, nt_all, NX, 0, NY)):
        ax.add_patch(Polygon(poly, closed=True, fill=False, edgecolor="0.5",
                             linestyle=":", linewidth=1.2))
    ax.add_patch(Polygon(face_front(nt_all, 0, NY, 0, NX), closed=True, fill=False,
                         edgecolor="0.5", linestyle=":", linewidth=1.2))
    # written samples: top faces of the top row of tiles, side faces of the right column
    for r, (cy, cx, y0, y1, x0, x1) in enumerate(tiles):
        for b in range(buffers_written):
            t0, t1 = b * k, (b + 1) * k
            if cy == 0:
                ax.add_patch(Polygon(face_top(t0, t1, 0, x0, x1), closed=True,
                                     facecolor=COLOURS[r], edgecolor="black", linewidth=0.8))
            if cx == px - 1:
                ax.add_patch(Polygon(face_side(t0, t1, NX, y0, y1), closed=True,
                                     facecolor=COLOURS[r], edgecolor="black", linewidth=0.8))
    # front face (time 0) with each rank's hyperslab
    for r, (_, _, y0, y1, x0, x1) in enumerate(tiles):
        ax.add_patch(Polygon(face_front(0, y0, y1, x0, x1), closed=True,
                             facecolor=COLOURS[r], edgecolor="black", linewidth=1.4))
        cxp, cyp = p(0, (y0 + y1) / 2, (x0 + x1) / 2)
        ax.text(cxp, cyp, f"rank {r}\n[r0:r1, {y0}:{y1}, {x0}:{x1}]", ha="center",
                va="center", fontsize=8)
    # buffer labels along the top
    for b in range(buffers_written + 1):
        t0, t1 = b * k, (b + 1) * k
        xl, yl = p((t0 + t1) / 2, 0, 0)
        what = (f"buffer {b + 1}: rows {t0}:{t1}" if b < buffers_written
                else "next buffer:\nresize, then write")
        ax.text(xl - 0.4, yl + 0.35, what, ha="right", va="bottom", fontsize=8,
                rotation=0, color="black" if b < buffers_written else "0.4")
    # axes arrows
    ax.add_artist(FancyArrowPatch(p(0, NY + 0.6, 0), p(0, NY + 0.6, 3), arrowstyle="-|>",
                                  mutation_scale=12))
    ax.text(*p(0, NY + 0.6, 3.2), "x", va="center", fontsize=9)
    ax.add_artist(FancyArrowPatch(p(0, 0, -0.6), p(0, 3, -0.6), arrowstyle="-|>",
                                  mutation_scale=12))
    ax.text(*p(0, 3.3, -0.6), "y", ha="center", va="top", fontsize=9)
    ax.add_artist(FancyArrowPatch(p(0, NY + 0.6, NX), p(nt_all, NY + 0.6, NX),
                                  arrowstyle="-|>", mutation_scale=12))
    ax.text(*p(nt_all, NY + 0.9, NX), " time (grows)", va="top", fontsize=9)
    ly = max(y1 - y0 for _, _, y0, y1, _, _ in tiles)
    lx = max(x1 - x0 for _, _, _, _, x0, x1 in tiles)
    ax.text(*p(0, NY + 1.9, 0),
            f"dataset '<trace>' (time, y, x), maxshape (None, {NY}, {NX}); chunks "
            f"(chunk_t, {ly}, {lx}) = the largest tile.\n"
            f"Each flush of K samples: every rank resizes to samples_written + K, then "
            "writes its own hyperslab\nin one collective write (driver 'mpio'); "
            "rank 0 writes /time.",
            ha="left", va="top", fontsize=8.5)
    xs = [p(t, y, x)[0] for t in (0, nt_all) for y in (0, NY) for x in (0, NX)]
    ys = [p(t, y, x)[1] for t in (0, nt_all) for y in (0, NY) for x in (0, NX)]
    ax.set_xlim(min(xs) - 9.5, max(xs) + 3.5)
    ax.set_ylim(min(ys) - 4.6, max(ys) + 1.2)
    ax.set_title(f"HDF5 output of a Node: All trace, {NX} x {NY} grid on {NRANKS} ranks "
                 f"(K = {k} samples per buffer here)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)


def main(argv=None) -> None:
    """Write the three PNGs into the folder given (default: this file's folder)."""
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    figure_tiles(out / "parallel-tiles.png")
    figure_halo(out / "parallel-halo.png")
    figure_hdf5(out / "parallel-hdf5.png")


if __name__ == "__main__":
    main()
