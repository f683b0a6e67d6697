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


# -- leave(): the end of a command's process without the interpreter's teardown --

_LEAVE = """
import atexit, os, sys
from parnft.launch import leave, singleton_defaults
singleton_defaults()
from mpi4py import MPI
MPI.COMM_WORLD.Barrier()
mode = sys.argv[1]
if mode == "open-h5":
    import h5py
    f = h5py.File(sys.argv[2], "w")
    f["x"] = [1.0, 2.0, 3.0]  # left open on purpose: only the normal exit closes it
class Torn:
    def __del__(self):  # runs in the interpreter's teardown, not after os._exit
        os.write(2, b"teardown\\n")
keep = Torn()
atexit.register(lambda: os.write(2, b"atexit\\n"))
sys.stdout.write("unflushed")  # no newline, no flush: leave() must flush it
leave(int(sys.argv[3]))
"""


def _leave(tmp_path, mode: str, code: int, **env):
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith(("OMPI_COMM", "PMIX_", "PMI_", "SLURM_"))} | env
    return subprocess.run([sys.executable, "-c", _LEAVE, mode, str(tmp_path / "f.h5"),
                           str(code)], env=environ, capture_output=True, text=True,
                          timeout=60)


def test_leave_skips_the_teardown_but_runs_atexit_flushes_and_keeps_the_code(tmp_path):
    out = _leave(tmp_path, "plain", 3)
    assert out.returncode == 3, out.stderr
    assert out.stdout == "unflushed"
    assert "atexit" in out.stderr and "teardown" not in out.stderr


@pytest.mark.parametrize("mode, env", [("open-h5", {}), ("plain", {"PARNFT_FAST_EXIT": "0"})])
def test_leave_falls_back_to_the_normal_exit(tmp_path, mode, env):
    """An open HDF5 file (its library closes it at exit) or the switch: normal exit."""
    out = _leave(tmp_path, mode, 5, **env)
    assert out.returncode == 5, out.stderr
    assert out.stdout == "unflushed"
    assert "atexit" in out.stderr and "teardown" in out.stderr
    if mode == "open-h5":
        import h5py

        with h5py.File(tmp_path / "f.h5", "r") as f:
            assert list(f["x"][:]) == [1.0, 2.0, 3.0]


def test_the_command_still_exits_2_on_a_config_error(tmp_path):
    """``python -m parnft`` ends through leave(): a config error still exits 2."""
    bad = tmp_path / "bad.conf"
    bad.write_text("Time: 1 Deltat: 0.1\nNodes: 0\n")
    out = subprocess.run([sys.executable, "-m", "parnft", "validate", str(bad)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2, out.stderr
    assert "bad.conf" in out.stderr


def test_an_eirs_run_imports_only_the_core_kinds(tmp_path):
    """Start-up: the catalogue's MORE modules load on demand, and then every kind is known."""
    from parnft.bench.startup import one_step_text
    from parnft.config import read_config
    from tests.refdata import nftsim_ref

    conf = tmp_path / "eirs-1step.conf"
    conf.write_text(one_step_text(read_config(str(nftsim_ref("benchmarks",
                                                             "eirs-default.conf")))))
    code = ("import sys\n"
            "from parnft.api import run\n"
            "from parnft.model.catalog import MORE, kinds, lookup\n"
            f"run({str(conf)!r}, {str(tmp_path / 'o.h5')!r})\n"
            "print(sum(f'parnft.model.{m}' in sys.modules for m in MORE))\n"
            "lookup('firing', 'Bursting')\n"
            "print(all(f'parnft.model.{m}' in sys.modules for m in MORE))\n"
            "print('PAS' in kinds('stimulus'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "True", "True"]


def test_kernel_disk_caches_are_made_at_first_use_and_still_load(tmp_path):
    """kernels._LazyCache: no cache object at import; a later process loads from disk."""
    code = ("import numpy as np\n"
            "from parnft.kernels.rng import node_keys\n"
            "print('before', node_keys._cache._real is None)\n"
            "out = np.empty(3, dtype=np.uint64)\n"
            "node_keys(1, 2, np.arange(3), out)\n"
            "print('after', node_keys._cache._real is not None, int(out[2]))\n")
    env = dict(os.environ, NUMBA_DEBUG_CACHE="1")
    runs = [subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, timeout=120) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    first, second = (r.stdout.splitlines() for r in runs)
    assert "before True" in second and "before True" in first
    mine = [[ln for ln in out if ln.startswith("after")] for out in (first, second)]
    assert mine[0] == mine[1] and mine[1][0].startswith("after True ")  # same keys
    assert any(ln.startswith("[cache] data loaded") and "node_keys" in ln for ln in second)
    assert not any(ln.startswith("[cache] data saved") for ln in second)
