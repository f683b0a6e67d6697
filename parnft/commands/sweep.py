"""``parnft sweep model.conf --set KEY=v1,v2,... --ranks-per-member R``: an ensemble in one job.

The job's ranks are split into groups of R; each group runs members (the
base config with one row of values set by key path) one after another, side
by side with the other groups (docs/commands/sweep.md). Writes
``OUT/member-NNNN.h5`` (and the member's ``.conf``) per member and
``OUT/index.h5``; rank 0 prints the index path.

Exit code: 0 when every member succeeded; 3 when at least one member failed
(the index records each member's error and the exit code its own ``parnft
run`` would give); 2 when the command itself is wrong (bad base config, key
path, table or rank count), before anything runs.
"""

from __future__ import annotations

import sys

from . import parse_procs_option, world
from .run import add_run_options

ORDER = 15
#: Exit code when some members failed (the others ran and are in the index).
MEMBERS_FAILED = 3


def cmd_sweep(args) -> int:
    """Run the ensemble on ``COMM_WORLD``; 0 if all members succeeded, else 3."""
    from ..ensemble import member_table, run_ensemble
    from ..log import setup_logging

    comm = world()
    setup_logging(comm.Get_rank(), comm.Get_size(), args.quiet)
    keys, rows = member_table(args.set, args.table)
    index, results = run_ensemble(args.config, keys, rows, comm,
                                  ranks_per_member=args.ranks_per_member,
                                  outdir=args.output, procs=parse_procs_option(args.procs),
                                  rng=args.rng, halo=args.halo)
    failed = [r for r in results if r.status != "ok"]
    if comm.Get_rank() == 0:
        if failed:
            print(f"parnft sweep: {len(failed)} of {len(results)} members failed "
                  f"(see {index}):", file=sys.stderr)
            for r in failed:
                first = r.error.splitlines()[0] if r.error else r.status
                print(f"  member {r.member} (exit {r.exit_code}): {first}", file=sys.stderr)
        if not args.quiet or failed:
            print(index)
    return MEMBERS_FAILED if failed else 0


def register(sub) -> None:
    """Add the ``sweep`` subcommand."""
    s = sub.add_parser("sweep", help="run an ensemble of parameter sets in one MPI job",
                       description=__doc__.split("\n\n", 1)[1])
    s.add_argument("config", help="base NFTsim .conf file")
    s.add_argument("--set", action="append", default=[], metavar="KEY=v1,v2,...",
                   help="values of a key path, e.g. Coupling.2.nu=1e-3,2e-3 (repeatable: "
                   "every combination, the last key varying fastest)")
    s.add_argument("--table", metavar="FILE", help="parameter table: a header line of key "
                   "paths, then one row of values per member (tab-, comma- or "
                   "space-separated)")
    s.add_argument("-R", "--ranks-per-member", type=int, default=1, metavar="R",
                   help="ranks per member (default 1); must divide the job's rank count")
    s.add_argument("-o", "--output", metavar="DIR",
                   help="output folder (default: <config>-sweep beside the config)")
    add_run_options(s)
    s.add_argument("-q", "--quiet", action="store_true", help="no progress or info output")
    s.set_defaults(func=cmd_sweep)
