"""Shared test fixtures.

The real data lives beside the repository in ``../shared/data`` (never copied
into the repo).  Point ``ERREICHBARKEIT_SHARED_DATA`` elsewhere to use another
location; tests that need it skip with a clear reason where it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Folder of the real data (``$ERREICHBARKEIT_SHARED_DATA`` or ``../shared/data``)."""
    env = os.environ.get("ERREICHBARKEIT_SHARED_DATA")
    return Path(env) if env else REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real-data folder; skips the test where it is absent."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(
            f"real data not found at {path} (set ERREICHBARKEIT_SHARED_DATA to the "
            "shared/data folder to run this test)"
        )
    return path


def need_shared(relpath: str) -> Path:
    """Return a file below the shared data folder or skip the calling test."""
    path = shared_data_dir() / relpath
    if not path.exists():
        pytest.skip(f"real data file {relpath} not found below {shared_data_dir()}")
    return path
