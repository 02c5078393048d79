"""Where the harness finds data and keeps its caches; every location can be overridden."""
from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "HARNESS_DATA_DIR"
CACHE_DIR_ENV = "HARNESS_CACHE_DIR"


def data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The data directory: the explicit argument, else $HARNESS_DATA_DIR, else ./data."""
    if explicit is not None:
        return Path(explicit).expanduser()
    return Path(os.environ.get(DATA_DIR_ENV, "data")).expanduser()


def cache_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The cache directory (indexes, downloads): argument, else $HARNESS_CACHE_DIR, else ~/.cache/harness."""
    if explicit is not None:
        return Path(explicit).expanduser()
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "harness"
    return Path(os.environ.get(CACHE_DIR_ENV, default)).expanduser()


def checked_data_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """:func:`data_dir`, refusing an explicit directory that is not there: a typo in ``--data-dir``
    would otherwise pass for "no data here" and skip every check that needs the data."""
    from harness.errors import HarnessError

    resolved = data_dir(explicit)
    if explicit is not None and not resolved.is_dir():
        raise HarnessError(f"--data-dir {explicit}: {'not a folder' if resolved.exists() else 'no such folder'}")
    return resolved
