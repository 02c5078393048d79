"""Explicit downloads of official data files, verified by sha256 before they are kept."""
from __future__ import annotations

import hashlib
import urllib.request
from pathlib import Path

from harness.atomic import atomic_open
from harness.errors import HarnessError

TIMEOUT_S = 60


def fetch_verified(url: str, target: Path, sha256: str) -> Path:
    """Download ``url`` to ``target`` (atomically) if its sha256 is ``sha256``; a failed or
    mismatching download leaves nothing behind and raises a one-line :class:`HarnessError`."""
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response, atomic_open(target, "wb") as out:
            while chunk := response.read(1 << 20):
                digest.update(chunk)
                out.write(chunk)
            if digest.hexdigest() != sha256:
                # Raising inside atomic_open discards the temporary file: a wrong file is never kept.
                raise HarnessError(f"{url}: sha256 {digest.hexdigest()} differs from the expected {sha256}; not saved")
    except OSError as error:  # urllib's URLError included
        reason = getattr(error, "reason", error)
        raise HarnessError(f"could not download {url} ({reason}); put the file at {target}") from None
    return target
