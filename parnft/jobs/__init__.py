"""SLURM batch jobs: templates, ``parnft jobs render`` and parameter sweeps.

The templates live in ``parnft/jobs/templates`` (packaged with parnft, so an
installed ``parnft jobs render`` finds them): a header shared by every job and
one body per kind (``single``, ``strong``, ``weak``, ``sweep``).
:func:`render` fills them from :class:`JobOptions`; every job runs
``parnft bench`` under ``srun``/``mpirun`` and so appends one CSV row per run.
:mod:`.sweep` sets values in a ``.conf`` text by key path
(``Propagator.1.gamma``), which a sweep's array tasks use at run time through
``parnft jobs config``. See docs/jobs.md.
"""

from .options import KINDS, LAUNCHERS, JobOptions
from .render import render
from .sweep import find_key, read_table, set_values, sweep_table

__all__ = ["KINDS", "LAUNCHERS", "JobOptions", "render", "find_key", "read_table",
           "set_values", "sweep_table"]
