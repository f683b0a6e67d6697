"""Malformed per-node maps and the problem each must report (``tests/malformed_cases.py`` style).

:func:`map_cases` writes the map files into a folder and returns
``(id, conf_text, expected_line, expected_substring)`` tuples: reading the
text as a file of that folder must fail with a ConfigError (exit code 2)
whose problems include one on ``expected_line`` containing the substring.
"""

from __future__ import annotations

from tests.heterogeneous import LINES, sheet, write_maps


def map_cases(folder: str) -> list[tuple[str, str, int, str]]:
    """The cases, with their map files written into ``folder``."""
    write_maps(folder)
    return [
        ("map-missing-file", sheet(Theta="map(nothere.h5 /theta)"), LINES["Theta"],
         "nothere.h5 does not exist"),
        ("map-missing-dataset", sheet(Theta="map(maps.h5 /thetas)"), LINES["Theta"],
         "has no dataset '/thetas'"),
        ("map-group-not-dataset", sheet(Theta="map(maps.h5 /group)"), LINES["Theta"],
         "has no dataset '/group'"),
        ("map-no-dataset-named", sheet(Theta="map(maps.h5)"), LINES["Theta"],
         "names no dataset"),
        ("map-wrong-shape", sheet(Theta="map(maps.h5 /short)"), LINES["Theta"],
         "maps.h5:/short has shape (6, 10), but the grid is (ny, nx) = (7, 10)"),
        ("map-wrong-shape-npy", sheet((10, 7), Q="map(q.npy)"), LINES["Q"],
         "q.npy has shape (7, 10), but the grid is (ny, nx) = (10, 7)"),
        ("map-nan", sheet(Theta="map(maps.h5 /nan)"), LINES["Theta"],
         "maps.h5:/nan has 1 non-finite value(s) (first: nan at node 24"),
        ("map-expr-nan", sheet(Sigma="expr(sqrt(0.01 - x))"), LINES["Sigma"],
         "non-finite value(s)"),
        ("map-out-of-range", sheet(Sigma="map(maps.h5 /negative_sigma)"), LINES["Sigma"],
         "Sigma must be > 0 (per-node map maps.h5:/negative_sigma: its minimum -0.0062 at "
         "node 10)"),
        ("map-node-list-range", sheet((2, 2), beta="769 769 -1 769"), LINES["beta"],
         "its minimum -1 at node 3"),
        ("map-unsafe-expr", sheet(Theta="expr(__import__('os').system('true'))"),
         LINES["Theta"], "is not allowed in a map expression"),
        ("map-unknown-name", sheet(Theta="expr(0.01 + z)"), LINES["Theta"],
         "unknown name 'z'"),
        ("map-unbalanced", sheet(Theta="expr(0.01 * (1 + x)"), LINES["Theta"],
         "parentheses do not match"),
        ("map-not-allowed-key", sheet(wave="WaveLegacy", Range="expr(0.08 + 0*x)"),
         LINES["Range"], "'Propagator 1: Range' cannot be a per-node map; fix: give one "
         "number; maps are accepted for"),
        # the largest gamma*Range over the nodes: 3100 * 0.08 at the right half's first
        # node; p = 248 * 1e-4 / 0.025 = 0.992 (Courant: a StabilityError, exit code 2)
        ("map-wave-courant", sheet(Range="expr(0.18 - 0.1 * (x > Lx/2))",
                                   gamma="expr(100 + 3000 * (x > Lx/2))"), LINES["gamma"],
         "Courant condition violated: p = gamma*Range*Deltat/dx = 0.992 > 1/sqrt(2) at node 6 "
         "(x = 5, y = 0)"),
        ("map-earlier-run-node-list", sheet(Q="map(maps.h5 /theta extra)"), LINES["Q"],
         "map() takes a file and a dataset, 3 words given"),
    ]
