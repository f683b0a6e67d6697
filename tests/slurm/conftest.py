"""The ``slurm`` fixture: a private single-node SLURM cluster for the session.

Outside CI a machine without SLURM/munge (or not root, which ``slurmd`` needs)
skips these tests with the reason; under CI (``CI=true``) that is a failure,
as for the NFTsim reference files (tests/refdata.py): setup.sh installs the
packages, so their absence means a broken set-up.
"""

from __future__ import annotations

import os

import pytest

from tests.refdata import missing as _unavailable

from .cluster import LocalSlurm, missing_binaries


@pytest.fixture(scope="session")
def slurm():
    """A started :class:`~tests.slurm.cluster.LocalSlurm`; stopped after the session."""
    missing = missing_binaries()
    if missing:
        _unavailable(f"SLURM test cluster: missing {', '.join(missing)} "
                     "(./setup.sh installs slurmctld, slurmd, slurm-client and munge)")
    if os.geteuid() != 0:
        _unavailable("SLURM test cluster: slurmd must run as root (SlurmdUser=root)")
    cluster = LocalSlurm(cpus=max(4, os.cpu_count() or 1))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        left = cluster.running()
        assert not left, f"SLURM test cluster: still running after stop: {left}"
