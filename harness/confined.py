"""Reading untrusted files of a folder: regular files inside it, of bounded size.

A submission folder comes from anyone. Its files may be symlinks out of the folder, onto a
device (``/dev/zero`` never ends) or onto a FIFO (``open`` blocks until a writer comes), so every
file the harness reads from it goes through :func:`read_confined`: resolved inside the folder, a
regular file, opened without blocking, and read to a stated bound.
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from harness.errors import HarnessError

MEGABYTE = 1 << 20


def confined_path(path: Path, root: Path) -> Path:
    """``path`` resolved; a :class:`HarnessError` unless it is a regular file inside ``root``.

    A missing file (or a dangling link) raises :class:`FileNotFoundError`, which callers
    treat as "absent" rather than as malformed.
    """
    resolved = Path(os.path.realpath(path))
    if not resolved.is_relative_to(Path(os.path.realpath(root))):
        raise HarnessError(f"{path}: resolves outside the submission folder {root} (to {resolved})")
    mode = os.stat(resolved).st_mode
    if not stat.S_ISREG(mode):
        raise HarnessError(f"{path}: not a regular file ({_kind(mode)})")
    return resolved


def read_confined(path: Path, root: Path, limit: int) -> bytes:
    """The bytes of ``path`` (see :func:`confined_path`), refusing files over ``limit`` bytes."""
    resolved = confined_path(path, root)
    # O_NONBLOCK: should the file be swapped for a FIFO after the check, open() still returns.
    fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise HarnessError(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            data = stream.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise HarnessError(f"{path}: larger than {limit // MEGABYTE} MiB, the most the harness reads of such a file")
    return data


def decode_utf8(data: bytes, path: Path) -> str:
    """``data`` as UTF-8 text; undecodable bytes are an error naming the line they are on."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise HarnessError(f"{path}:{line}: not UTF-8 text (byte {data[error.start]:#04x})") from None


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a plain file"
