"""Ghost-frame copies of the halo exchange: pack, unpack, local wrap, permutation.

Pure copies (no arithmetic), so any order gives the same bits. A field is a
ghosted array ``f`` of shape ``(levels, ly + 2, lx + 2)``, interior
``[1:-1, 1:-1]``; level ``cur[0]`` is exchanged. Sides are numbered as in
:data:`parnft.parallel.tiling.DIRECTIONS`: 0 N (y - 1), 1 S, 2 W (x - 1), 3 E,
4 NW, 5 NE, 6 SW, 7 SE. The strip of side ``d`` that is *sent* is the row or
column of interior cells next to side ``d``; the strip that is *received* is
the ghost row or column on side ``d``, filled from the neighbour on side ``d``:

====  ==================  ==================  ======
side  sent (interior)     ghost               length
====  ==================  ==================  ======
N     ``f[c, 1, 1:-1]``   ``f[c, 0, 1:-1]``   lx
S     ``f[c, -2, 1:-1]``  ``f[c, -1, 1:-1]``  lx
W     ``f[c, 1:-1, 1]``   ``f[c, 1:-1, 0]``   ly
E     ``f[c, 1:-1, -2]``  ``f[c, 1:-1, -1]``  ly
NW    ``f[c, 1, 1]``      ``f[c, 0, 0]``      1
NE    ``f[c, 1, -2]``     ``f[c, 0, -1]``     1
SW    ``f[c, -2, 1]``     ``f[c, -1, 0]``     1
SE    ``f[c, -2, -2]``    ``f[c, -1, -1]``    1
====  ==================  ==================  ======

A message buffer is flat float64; a ``plan`` row ``(side, offset, length)``
says that field ``k``'s strip of that side sits at ``buf[offset + k * length :
offset + (k + 1) * length]`` (one message per side holds every field, field
after field). No stability bound: nothing is computed.
"""

from __future__ import annotations

from . import inline, kernel


@inline
def _sent(side, ly, lx):
    """``(y, x, dy, dx)`` of the first cell of the sent strip of ``side`` and its step."""
    if side == 0:
        return 1, 1, 0, 1
    if side == 1:
        return ly, 1, 0, 1
    if side == 2:
        return 1, 1, 1, 0
    if side == 3:
        return 1, lx, 1, 0
    if side == 4:
        return 1, 1, 0, 0
    if side == 5:
        return 1, lx, 0, 0
    if side == 6:
        return ly, 1, 0, 0
    return ly, lx, 0, 0


@inline
def _ghost(side, ly, lx):
    """``(y, x, dy, dx)`` of the first cell of the ghost strip of ``side`` and its step."""
    if side == 0:
        return 0, 1, 0, 1
    if side == 1:
        return ly + 1, 1, 0, 1
    if side == 2:
        return 1, 0, 1, 0
    if side == 3:
        return 1, lx + 1, 1, 0
    if side == 4:
        return 0, 0, 0, 0
    if side == 5:
        return 0, lx + 1, 0, 0
    if side == 6:
        return ly + 1, 0, 0, 0
    return ly + 1, lx + 1, 0, 0


@kernel
def pack_field(buf, plan, k, f, cur):
    """Copy field ``k``'s sent strips (level ``cur[0]`` of ``f``) into ``buf`` per ``plan``.

    ``buf[offset + k * length + i] = f[c, y + i * dy, x + i * dx]`` for each plan
    row, with ``(y, x, dy, dx)`` the sent strip of its side (module table).
    """
    c = cur[0]
    ly = f.shape[1] - 2
    lx = f.shape[2] - 2
    for r in range(plan.shape[0]):
        side = plan[r, 0]
        n = plan[r, 2]
        o = plan[r, 1] + k * n
        y, x, dy, dx = _sent(side, ly, lx)
        for i in range(n):
            buf[o + i] = f[c, y + i * dy, x + i * dx]


@kernel
def unpack_field(buf, plan, k, f, cur):
    """Copy field ``k``'s received strips from ``buf`` into the ghosts of level ``cur[0]``.

    ``f[c, y + i * dy, x + i * dx] = buf[offset + k * length + i]`` for each
    plan row, with ``(y, x, dy, dx)`` the ghost strip of its side.
    """
    c = cur[0]
    ly = f.shape[1] - 2
    lx = f.shape[2] - 2
    for r in range(plan.shape[0]):
        side = plan[r, 0]
        n = plan[r, 2]
        o = plan[r, 1] + k * n
        y, x, dy, dx = _ghost(side, ly, lx)
        for i in range(n):
            f[c, y + i * dy, x + i * dx] = buf[o + i]


@kernel
def wrap_field(f, cur, sides):
    """Periodic wrap of the tile onto itself on each side of ``sides`` (level ``cur[0]``).

    The ghost strip of side ``d`` gets the sent strip of the opposite side
    (N <-> S, W <-> E, NW <-> SE, NE <-> SW): what the neighbour on side ``d``
    would send when that neighbour is this tile itself.
    """
    c = cur[0]
    ly = f.shape[1] - 2
    lx = f.shape[2] - 2
    for r in range(sides.shape[0]):
        side = sides[r]
        opp = side ^ 1 if side < 4 else 11 - side
        n = lx if side < 2 else (ly if side < 4 else 1)
        gy, gx, dy, dx = _ghost(side, ly, lx)
        sy, sx, _, _ = _sent(opp, ly, lx)
        for i in range(n):
            f[c, gy + i * dy, gx + i * dx] = f[c, sy + i * dy, sx + i * dx]


@kernel
def permute(src, perm, out):
    """``out[i] = src[perm[i]]``: rank-ordered gathered tiles into global node order."""
    for i in range(perm.shape[0]):
        out[i] = src[perm[i]]
