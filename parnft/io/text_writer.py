"""NFTsim text output (``.output``) of a parnft run, gathered to rank 0."""

from __future__ import annotations

import numpy as np

from .nftsim_text import OutputTextWriter


class NftsimTextWriter:
    """Write samples in NFTsim's ``.output`` format, readable by NFTsim's tools.

    Columns follow the Output block (trace order, then node list order); the
    time column is relative to Output Start, as NFTsim prints it. Under MPI
    every rank calls :meth:`write`; rank 0 gathers and writes.
    """

    def __init__(self, path: str, sim, comm):
        self.sim = sim
        self.comm = comm
        self.rank = comm.Get_rank()
        plan = sim.outputs
        self.plan = plan
        lists = comm.allgather([t.nodes for t in plan.traces])
        sel = [int(n) for n in sim.spec.output.nodes] or list(range(1, sim.spec.grid.nodes + 1))
        self._order = []  # per trace, per rank: target column of each of its nodes
        self._ncols = []
        names, nodes = [], []
        for k, t in enumerate(plan.traces):
            cols = sel[:1] if t.scalar else sel
            names += [t.name] * len(cols)
            nodes += cols
            pos = {nd: i for i, nd in enumerate(cols)}
            self._order.append([[pos[int(nd)] for nd in ls[k]] for ls in lists])
            self._ncols.append(len(cols))
        self.f = None
        if self.rank == 0:
            self.f = open(path, "w")  # noqa: SIM115 - closed in close()
            self.w = OutputTextWriter(self.f, sim.spec.text, names, nodes)

    def write(self, tsteps, blocks) -> None:
        """Gather one buffer of samples to rank 0 and append the rows."""
        parts = self.comm.gather(blocks, root=0)
        if self.rank != 0:
            return
        cols = []
        for k in range(len(self.plan.traces)):
            out = np.empty((len(tsteps), self._ncols[k]))
            for rank, order in enumerate(self._order[k]):
                if order:
                    out[:, order] = parts[rank][k]
            cols.append(out)
        data = np.hstack(cols) if cols else np.zeros((len(tsteps), 0))
        t = (tsteps - self.plan.skip) * self.sim.spec.time.deltat
        self.w.write_rows(t, data)
        self.f.flush()  # whole rows reach the file after every buffer

    def close(self, stats=None, complete: bool = True, stop_reason: str | None = None) -> None:
        """Close the file (rank 0); the text format has no place for ``complete``."""
        if self.f is not None:
            self.f.close()
            self.f = None
