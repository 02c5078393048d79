"""sha256 of files, read in blocks (checkpoints and dictionaries are too large to read at once)."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

BLOCK = 1 << 22


def update_from_file(digest: Any, path: str | Path) -> None:
    """Feed the bytes of ``path`` to ``digest`` (a hashlib object), block by block."""
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)


def file_sha256(path: str | Path) -> str:
    """The hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    update_from_file(digest, path)
    return digest.hexdigest()
