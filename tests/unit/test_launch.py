"""parnft.launch: fast MPI start-up defaults for a singleton, nothing under a launcher."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from parnft.launch import LAUNCHER_VARIABLES, SINGLETON_MCA, launched, singleton_defaults


def test_singleton_gets_the_defaults():
    env = {"PATH": "/bin"}
    added = singleton_defaults(env)
    assert added == SINGLETON_MCA
    assert env == {"PATH": "/bin", **SINGLETON_MCA}


@pytest.mark.parametrize("var", LAUNCHER_VARIABLES)
def test_nothing_changes_under_a_launcher(var):
    env = {var: "0"}
    assert launched(env)
    assert singleton_defaults(env) == {} and env == {var: "0"}


def test_the_users_settings_and_the_switch_win():
    env = {"OMPI_MCA_pml": "ucx"}
    assert singleton_defaults(env) == {"OMPI_MCA_ess_singleton_isolated": "1"}
    assert env["OMPI_MCA_pml"] == "ucx"
    env = {"PARNFT_MPI_DEFAULTS": "0"}
    assert singleton_defaults(env) == {} and env == {"PARNFT_MPI_DEFAULTS": "0"}


def test_a_singleton_with_the_defaults_initialises_mpi():
    """The settings must leave a working MPI: one rank, a collective returns."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OMPI_COMM", "PMIX_", "PMI_", "SLURM_"))}
    code = ("from parnft.launch import singleton_defaults\n"
            "singleton_defaults()\n"
            "from mpi4py import MPI\n"
            "c = MPI.COMM_WORLD\n"
            "print(c.Get_size(), c.allreduce(41) + 1)\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "42"]
