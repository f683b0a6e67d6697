"""Benchmark variants of a config: shorter Time, larger grid at the same spacing.

A benchmark wants the same model on a different grid (weak scaling, large-grid
studies) or for a shorter time. The variant is made by editing the config's own
lines (found through the spec's source-line records) and parsing the result
again, so every check (Courant number, output nodes, Start <= Time) runs on the
variant with the usual file/line messages.

The grid is resized at constant cell spacing: each population's ``Length`` is
scaled with the number of nodes along the long side, so the Courant numbers and
the physics per cell stay those of the original model.
"""

from __future__ import annotations

import re

from ..errors import ConfigError


def parse_grid(text: str) -> tuple[int, int]:
    """``"512x256"`` (nx by ny, long side first) -> ``(512, 256)``.

    Raises
    ------
    ConfigError
        If ``text`` is not two positive integers joined by ``x``.
    """
    m = re.fullmatch(r"\s*(\d+)\s*[xX]\s*(\d+)\s*", text or "")
    if not m or int(m.group(1)) < 1 or int(m.group(2)) < 1:
        raise ConfigError(f"--grid {text!r}: expected NXxNY with positive integers, "
                          "e.g. 512x512 (x = long side)")
    nx, ny = int(m.group(1)), int(m.group(2))
    if ny > nx:
        raise ConfigError(f"--grid {text!r}: NX ({nx}) is the long side and must be >= NY "
                          f"({ny}); write {ny}x{nx}")
    return nx, ny


def _set_key(line: str, key: str, value: str) -> str:
    """Replace ``key: <word>`` in ``line`` by ``key: value`` (append when missing)."""
    pat = re.compile(rf"({re.escape(key)}\s*:\s*)(\S+)")
    if pat.search(line):
        return pat.sub(lambda m: m.group(1) + value, line, count=1)
    return f"{line.rstrip()} {key}: {value}"


def _fmt(x: float) -> str:
    return repr(float(x))


def variant_text(spec, time: float | None = None, grid: tuple[int, int] | None = None, *,
                 interval: float | None = None, scale_length: bool = True,
                 all_nodes: bool = False) -> str:
    """The config text of ``spec`` with ``Time`` and/or the grid replaced.

    Parameters
    ----------
    spec : ModelSpec
        The original, validated model.
    time : float, optional
        New simulated time [s]. An ``Output: Start`` beyond it is moved to 0.
    grid : (nx, ny), optional
        New grid, long side first; every ``Length`` scales by ``nx / longside``
        unless ``scale_length`` is False (then the spacing changes instead).
    interval : float, optional
        New output ``Interval`` [s] (e.g. every step, for comparisons).
    all_nodes : bool
        Output every node (``Node: All``) instead of the config's node list.

    Returns
    -------
    str
        Config text for :func:`parnft.config.parse_config`.
    """
    lines = spec.text.split("\n")

    def edit(loc, key, value, near=None):
        """Set ``key`` on its line (or append it to the line of ``near``)."""
        line_no = loc.get(key) if loc is not None else None
        if line_no is None and near is not None:
            line_no = loc.get(near)
        if line_no is None:
            raise ConfigError(f"{spec.path}: cannot find the line of {key!r} to change it "
                              "for the benchmark variant")
        lines[line_no - 1] = _set_key(lines[line_no - 1], key, value)

    if time is not None:
        if time <= 0:
            raise ConfigError(f"--time {time}: must be > 0 s")
        edit(spec.time.loc, "Time", _fmt(time))
        out = spec.output
        if out is not None and out.start > time:
            edit(out.loc, "Start", "0")
    if interval is not None:
        edit(spec.output.loc, "Interval", _fmt(interval), near="Node")
    if all_nodes:
        no = spec.output.loc.get("Node")
        lines[no - 1] = re.sub(r"(Node\s*:\s*)(.*?)(?=\s+(Start|Interval)\s*:|\s*$)",
                               lambda m: m.group(1) + "All", lines[no - 1], count=1)
    if grid is not None:
        nx, ny = grid
        g = spec.grid
        nodes_line = g.loc.get("Nodes")
        line = lines[nodes_line - 1]
        line = _set_key(line, "Nodes", str(nx * ny))
        line = _set_key(line, "Longside nodes", str(nx))
        lines[nodes_line - 1] = line
        scale = nx / g.longside
        for p in spec.populations:
            if scale_length and "Length" in p.loc:
                edit(p.loc, "Length", _fmt(p.length * scale))
    return "\n".join(lines)


def bench_spec(path: str, time: float | None = None, grid: tuple[int, int] | None = None):
    """Read ``path`` and return its (possibly resized) validated spec."""
    from ..config import parse_config, read_config

    spec = read_config(path)
    if time is None and grid is None:
        return spec
    return parse_config(variant_text(spec, time, grid), path=spec.path)
