"""``parnft.codegen.compile_lock``: one process compiles a new loop, the others wait for it."""

from __future__ import annotations

import fcntl

import pytest

from parnft import codegen


def _fake():
    """Stands in for a generated loop (its module names the lock file)."""


_fake.__module__ = "parnft_loop_test0000"


def _locked_elsewhere(path) -> bool:
    """True when another open file description cannot take the lock now."""
    with open(path, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def test_lock_is_held_during_the_first_call_and_released_after(tmp_path, monkeypatch):
    monkeypatch.setenv("PARNFT_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("PARNFT_COMPILE_LOCK", raising=False)
    path = codegen.cache_dir() / "parnft_loop_test0000.lock"
    with codegen.compile_lock(_fake):
        assert _locked_elsewhere(path)  # a second process (rank) would wait here
    assert not _locked_elsewhere(path)
    with pytest.raises(RuntimeError), codegen.compile_lock(_fake):
        raise RuntimeError("a failed compile")
    assert not _locked_elsewhere(path)  # released on errors too


def test_lock_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("PARNFT_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("PARNFT_COMPILE_LOCK", "0")
    with codegen.compile_lock(_fake):
        assert not (codegen.cache_dir() / "parnft_loop_test0000.lock").exists()
