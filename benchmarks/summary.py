"""The tables of docs/performance.md, computed from a ``parnft bench`` CSV.

Usage::

    .venv/bin/python benchmarks/summary.py [benchmarks/results/bench.csv]

Prints Markdown: parnft against NFTsim (rows labelled ``nftsim-benchmarks``),
bandwidth (``large-grid``) and the scaling series (``strong``, ``weak``,
``weak-overlap``, ``weak-blocking``). Series are run with the rank counts interleaved
(1, 2, 4, 1, 2, 4, ...: ``parnft.bench.series.run_series``), so the k-th run
at P ranks is paired with the k-th 1-rank run taken minutes apart at most;
the efficiency is given from the best runs and as the median over those
pairs, which a drift of the shared machine's speed does not bias.
"""

from __future__ import annotations

import csv
import statistics
import sys
from collections import defaultdict
from pathlib import Path

#: NFTsim's node-steps per second, as-shipped native build on this machine kind
#: (shared/nftsim-ref/STUDY.md section 6).
NFTSIM = {"eirs-default": 2.55e6, "eirs-nodes-1024": 2.51e6, "ei-default": 4.88e6,
          "ei-nodes-4096": 4.93e6}


def rows(path: str) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _f(r: dict, key: str) -> float:
    return float(r[key])


def nftsim_table(data: list[dict]) -> str:
    out = ["| config | nodes x steps | runs | parnft best [s] | median [s] | node-steps/s (best) "
           "| NFTsim node-steps/s | ratio best | ratio median |", "|---" * 9 + "|"]
    groups = defaultdict(list)
    for r in data:
        if r["label"] == "nftsim-benchmarks":
            groups[Path(r["config"]).stem].append(r)
    for name, grp in groups.items():
        walls = [_f(r, "wall_s") for r in grp]
        nodes, steps = int(grp[0]["nodes"]), int(grp[0]["steps"])
        best, med = min(walls), statistics.median(walls)
        ref = NFTSIM.get(name, float("nan"))
        rate = nodes * steps / best
        out.append(f"| {name} | {nodes} x {steps} | {len(walls)} | {best:.3f} | {med:.3f} | "
                   f"{rate:.3g} | {ref:.3g} | **{rate / ref:.1f}x** | "
                   f"{nodes * steps / med / ref:.1f}x |")
    return "\n".join(out)


def bandwidth_table(data: list[dict]) -> str:
    out = ["| model, grid | bytes/node-step | node-steps/s (best) | % of STREAM triad |",
           "|---|---|---|---|"]
    groups = defaultdict(list)
    for r in data:
        if r["label"] == "large-grid":
            groups[(Path(r["config"]).stem, int(r["nodes"]))].append(r)
    for (name, nodes), grp in groups.items():
        best = max(grp, key=lambda r: _f(r, "node_steps_per_s"))
        side = int(round(nodes ** 0.5))
        out.append(f"| {name}, {side} x {side} | {_f(best, 'bytes_per_node_step'):.0f} | "
                   f"{_f(best, 'node_steps_per_s'):.3g} | "
                   f"{100 * _f(best, 'bandwidth_fraction'):.0f} % |")
    return "\n".join(out)


def scaling_table(data: list[dict], label: str) -> str:
    sel = [r for r in data if r["label"] == label]
    if not sel:
        return ""
    kind = sel[0]["series"]
    by_ranks = defaultdict(list)
    for r in sel:  # CSV order: the interleaved order the runs were made in
        by_ranks[int(r["ranks"])].append(r)
    one = by_ranks[1]
    out = [f"**{label}** ({Path(sel[0]['config']).stem}, halo {sel[0]['halo']}, "
           f"{sel[0]['steps']} steps, {len(one)} interleaved repeats)", "",
           "| ranks | process grid | wall best [s] | median [s] | compute / halo (best run) [s] "
           "| speed-up (best) | efficiency (best) | efficiency (median of pairs) |",
           "|---" * 8 + "|"]
    t1 = min(_f(r, "wall_s") for r in one)
    for p, grp in sorted(by_ranks.items()):
        walls = [_f(r, "wall_s") for r in grp]
        best = min(grp, key=lambda r: _f(r, "wall_s"))
        work = p if kind == "weak" else 1  # weak: P times the work in the same time is ideal
        speed = work * t1 / min(walls)
        pairs = [work * _f(a, "wall_s") / _f(b, "wall_s") / p
                 for a, b in zip(one, grp, strict=False)]
        flag = " (oversubscribed)" if grp[0]["oversubscribed"] == "true" else ""
        out.append(f"| {p}{flag} | {grp[0]['procs']} | {min(walls):.2f} | "
                   f"{statistics.median(walls):.2f} | {_f(best, 'compute_s'):.2f} / "
                   f"{_f(best, 'halo_s'):.2f} | {speed:.2f} | {speed / p:.2f} | "
                   f"{statistics.median(pairs):.2f} |")
    return "\n".join(out)


def main(argv: list[str]) -> int:
    path = argv[0] if argv else "benchmarks/results/bench.csv"
    data = rows(path)
    print(nftsim_table(data), end="\n\n")
    print(bandwidth_table(data), end="\n\n")
    for label in ("strong", "weak", "weak-overlap", "weak-blocking"):
        table = scaling_table(data, label)
        if table:
            print(table, end="\n\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
