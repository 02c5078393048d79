"""An exclusive lock on a folder, held while a writer reads, merges and rewrites its records.

``flock`` on ``FOLDER/.lock``: released by the kernel when the process ends however it ends, so a
killed writer never leaves the folder locked. Waiting is bounded and says who holds the lock.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from pathlib import Path

from harness.errors import HarnessError

LOCK_FILE = ".lock"


@contextlib.contextmanager
def folder_lock(folder: Path, timeout_s: float = 600.0) -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` (created if needed) for the ``with`` block."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o666)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise HarnessError(f"{folder}: locked by another harness process for over {timeout_s:.0f} s; try again later") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
