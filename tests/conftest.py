"""Fixtures shared by the test modules."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real benchmark data: $HARNESS_DATA_DIR, else the repository's sibling ``../shared/data``.

    Tests that use it are marked ``realdata`` and skip, saying where they looked, where it is absent.
    """
    path = Path(os.environ.get("HARNESS_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"real data directory {path} not found (set HARNESS_DATA_DIR to run the realdata tests)")
    return path


@pytest.fixture(scope="session")
def java_runtime():
    """A Java 21+ home for pyserini; tests that need one skip, with the discovery message, where there is none."""
    from harness.errors import HarnessError
    from harness.models.java import find_java

    try:
        return find_java()
    except HarnessError as error:
        pytest.skip(f"BM25 needs Java 21+: {error}")
