"""Issue #12 items 3 and 6 at one rank: safe output paths, one-line I/O errors.

F7 (``-o m.conf`` replaced the config), F15 (``-o out.txt`` wrote HDF5
silently), F13 (tracebacks for unwritable paths, folders, locked files), F3
(the lock that keeps a second writer out; at 4 ranks in
test_reliability_mpi.py).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import h5py
import pytest

from parnft.cli import main
from tests.reliability_tools import model

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def conf(tmp_path):
    return model(tmp_path / "m.conf", 0.01)


def _one_line(err: str, needle: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in err, err
    return lines[0]


def test_output_over_the_config_is_refused(conf, capsys):
    before = open(conf).read()
    assert main(["run", "-q", conf, "-o", conf, "--format", "hdf5"]) == 2
    err = capsys.readouterr().err
    assert "would overwrite" in err and conf in err
    assert open(conf).read() == before


def test_output_over_the_config_through_another_name_is_refused(conf, tmp_path, capsys):
    link = tmp_path / "alias.h5"
    os.symlink(conf, link)
    assert main(["run", "-q", conf, "-o", str(link)]) == 2
    assert "would overwrite" in capsys.readouterr().err
    assert open(conf).read().startswith("Reliability test model")


def test_unknown_extension_is_refused_with_the_formats(conf, tmp_path, capsys):
    out = tmp_path / "out.txt"
    assert main(["run", "-q", conf, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'.txt'" in err and all(e in err for e in (".h5", ".nc", ".output", "--format"))
    assert not any(p.name.startswith("out.txt") for p in tmp_path.iterdir())


def test_unknown_extension_with_format_is_written(conf, tmp_path):
    out = tmp_path / "out.txt"
    assert main(["run", "-q", conf, "-o", str(out), "--format", "hdf5"]) == 0
    with h5py.File(out, "r") as f:
        assert f.attrs["complete"]


def test_folder_as_output_is_one_line_exit_4(conf, tmp_path, capsys):
    (tmp_path / "d.h5").mkdir()
    assert main(["run", "-q", conf, "-o", str(tmp_path / "d.h5")]) == 4
    _one_line(capsys.readouterr().err, "is a folder")


def test_unwritable_folder_is_one_line_exit_4(conf, tmp_path, capsys):
    (tmp_path / "file").write_text("not a folder")
    out = tmp_path / "file" / "sub" / "out.h5"
    assert main(["run", "-q", conf, "-o", str(out)]) == 4
    line = _one_line(capsys.readouterr().err, str(out))
    assert "cannot create the folder" in line


def test_lock_held_by_a_live_run_is_one_line_exit_4(conf, tmp_path, capsys):
    out = tmp_path / "out.h5"
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "since": "now"}
    (tmp_path / "out.h5.lock").write_text(json.dumps(holder))
    assert main(["run", "-q", conf, "-o", str(out)]) == 4
    line = _one_line(capsys.readouterr().err, "locked")
    assert f"pid {os.getpid()}" in line and "out.h5.lock" in line
    assert not out.exists() and not (tmp_path / "out.h5.partial").exists()
    assert (tmp_path / "out.h5.lock").exists()  # someone else's lock is left alone


def test_stale_lock_of_a_dead_run_is_taken_over(conf, tmp_path, capsys):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    holder = {"pid": int(dead.stdout), "host": socket.gethostname(), "since": "then"}
    out = tmp_path / "out.h5"
    (tmp_path / "out.h5.lock").write_text(json.dumps(holder))
    (tmp_path / "out.h5.partial").write_bytes(b"left by a killed run")
    assert main(["run", "-q", conf, "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert "stale lock" in err
    with h5py.File(out, "r") as f:
        assert f.attrs["complete"] and f.attrs["samples_written"] == 50
    assert not (tmp_path / "out.h5.lock").exists()
    assert not (tmp_path / "out.h5.partial").exists()


def test_completed_run_replaces_an_older_output(conf, tmp_path):
    out = tmp_path / "out.h5"
    out.write_bytes(b"an older output")
    assert main(["run", "-q", conf, "-o", str(out)]) == 0
    with h5py.File(out, "r") as f:
        assert f.attrs["complete"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.conf", "out.h5"]


def test_write_failure_during_the_run_is_one_line_exit_4(tmp_path, monkeypatch, capsys):
    """A full disk mid-run (simulated: the 3rd buffer's write fails with ENOSPC)."""
    import errno

    import parnft.io.hdf5 as h5w

    real = h5w.HDF5Writer.write
    calls = []

    def write(self, tsteps, blocks):
        calls.append(len(tsteps))
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, tsteps, blocks)

    monkeypatch.setattr(h5w.HDF5Writer, "write", write)
    monkeypatch.setenv("PARNFT_BUFFER_BYTES", str(10 * 8 * 128))  # 10 samples per buffer
    out = tmp_path / "out.h5"
    assert main(["run", "-q", model(tmp_path / "m.conf", 0.01), "-o", str(out)]) == 4
    line = _one_line(capsys.readouterr().err, "No space left on device")
    assert f"{out}.partial: writing failed at step 60" in line
    with h5py.File(f"{out}.partial", "r") as f:
        assert not f.attrs["complete"] and f.attrs["samples_written"] == 20
        assert f.attrs["stop_reason"] == "OSError at step 60"
    assert not out.exists() and not (tmp_path / "out.h5.lock").exists()
