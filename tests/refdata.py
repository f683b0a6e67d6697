"""The one place tests find NFTsim's reference material.

``PARNFT_SHARED`` points at the shared folder (default: ``../shared`` beside the
repository root). Outside CI a missing file skips the test with that reason;
under CI (``CI=true``) it is a failure, so a broken checkout cannot pass.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """The shared folder: ``$PARNFT_SHARED`` or ``<repo>/../shared``."""
    return Path(os.environ.get("PARNFT_SHARED", REPO.parent / "shared")).resolve()


def under_ci() -> bool:
    """True when running under CI (``CI=true``): missing prerequisites fail, not skip."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing(msg: str) -> None:
    """Skip with ``msg`` outside CI; fail with it under CI."""
    if under_ci():
        pytest.fail(msg)
    pytest.skip(msg)


def nftsim_ref(*parts: str) -> Path:
    """Path of a file under ``shared/nftsim-ref``; skip (or fail under CI) if missing."""
    path = shared_dir().joinpath("nftsim-ref", *parts)
    if not path.exists():
        msg = f"NFTsim reference file missing: {path} (set PARNFT_SHARED)"
        missing(msg)
    return path


def nftsim_configs(subdir: str) -> list[str]:
    """Names (relative to ``nftsim-ref``) of all ``.conf`` files under ``<subdir>``.

    For use in ``pytest.mark.parametrize`` at collection time: when the folder
    is missing it returns one placeholder name, so the test itself calls
    :func:`nftsim_ref` and skips (or fails under CI) with the reason.
    """
    root = shared_dir() / "nftsim-ref"
    found = sorted(str(p.relative_to(root)) for p in (root / subdir).rglob("*.conf"))
    return found or [f"{subdir}/<missing>.conf"]
