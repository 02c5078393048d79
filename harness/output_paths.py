"""Output paths checked before any expensive work: a file where a folder is expected, or the reverse,
is one line at once rather than a traceback after minutes of ranking."""
from __future__ import annotations

import os
from pathlib import Path

from harness.errors import HarnessError


def check_output_file(path: str | os.PathLike[str], option: str = "output") -> Path:
    """``path`` can be written as a file: not a folder, and its nearest existing ancestor a writable folder."""
    target = Path(path)
    if str(path) == "" or target.is_dir():
        raise HarnessError(f"{option} {str(path)!r}: is a folder (or empty); expected a file name")
    _check_ancestor(target.parent, option, path)
    return target


def check_output_dir(path: str | os.PathLike[str], option: str = "--out") -> Path:
    """``path`` can hold files: a folder, or absent with a writable folder as nearest existing ancestor."""
    target = Path(path)
    if str(path) == "":
        raise HarnessError(f"{option}: empty path; expected a folder")
    if target.exists() and not target.is_dir():
        raise HarnessError(f"{option} {path}: exists and is not a folder")
    _check_ancestor(target if target.exists() else target.parent, option, path)
    return target


def _check_ancestor(folder: Path, option: str, path: object) -> None:
    existing = folder
    while not existing.exists() and existing != existing.parent:
        if existing.is_symlink():
            raise HarnessError(f"{option} {path}: {existing} is a link to nothing")
        existing = existing.parent
    if not existing.is_dir():
        raise HarnessError(f"{option} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise HarnessError(f"{option} {path}: cannot write in {existing}")
