"""A pulse on a small sheet with a Boundary line: shared by the rank sweep and checkpoints."""

from __future__ import annotations


def boundary_text(boundary: str, nx: int, ny: int, steps: int = 80) -> str:
    """A pulse from a stimulus population into a neural sheet through a Wave."""
    dt = 2.5e-4
    node = 2 * nx + 3  # 1-based: row 2, column 3
    return f"""rank sweep: Boundary {boundary} on {nx} x {ny}
Time: {steps * dt!r} Deltat: {dt!r}
Nodes: {nx * ny} Longside nodes: {nx}
Boundary: {boundary}

Connection matrix:
From:  1  2
To 1:  0  0
To 2:  1  1

Population 1: stimulus
 Length: 0.5
 Stimulus: PulseRect - Onset: 0 Node: {node} Amplitude: 5 Width: 2e-3

Population 2: sheet
 Length: 0.5
 Q: 1
 Firing: Function: Sigmoid Theta: 0.01292 Sigma: 0.0038 Qmax: 340
  Dendrite 1: alpha: 83 beta: 769
  Dendrite 2: alpha: 83 beta: 769

Propagator 1: Wave - Tau: 0 Range: 0.5 gamma: 20
Propagator 2: Map - Tau: 0

Coupling 1: Map - nu: 1e-3
Coupling 2: Map - nu: 1e-4

Output: Node: All Start: 0 Interval: {5 * dt!r}
Propagator: 1.phi
Population: 2.Q
"""
