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
    resolved = _resolved_inside(path, root)
    if resolved is None:
        resolved = Path(os.path.realpath(path))
        if not resolved.is_relative_to(_resolved_root(root)):
            raise HarnessError(f"{path}: resolves outside the submission folder {root} (to {resolved})")
    mode = os.stat(resolved).st_mode
    if not stat.S_ISREG(mode):
        raise HarnessError(f"{path}: not a regular file ({_kind(mode)})")
    return resolved


def _resolved_inside(path: Path, root: Path) -> Path | None:
    """``path`` resolved without ``realpath``'s walk from ``/`` (a system call per component of both
    paths, most of the cost of reading a small file): where ``path`` lies lexically below ``root`` and
    none of the components between them is a link (or ``.``, ``..``, empty), it is the resolved root
    joined with them. ``None`` where that does not hold: the caller resolves it in full. (Strings,
    not pathlib: this runs for every file a leaderboard reads.)"""
    path_text, root_text = os.fspath(path), os.fspath(root).rstrip(os.sep)
    if not path_text.startswith(root_text + os.sep):
        return None
    rest = path_text[len(root_text) + 1 :]
    parts = rest.split(os.sep)
    if any(part in ("", ".", "..") for part in parts):
        return None
    step = root_text
    try:
        for part in parts:
            step = step + os.sep + part
            if stat.S_ISLNK(os.lstat(step).st_mode):
                return None
    except OSError:
        return None
    return Path(os.fspath(_resolved_root(root)) + os.sep + rest)


def _resolved_root(root: Path) -> Path:
    """``realpath(root)``, remembered while ``root`` is the same folder (device and inode), and found
    from its parent's where its last component is no link: a reader of many files, each in its own
    folder, resolves each folder with a system call or three rather than a walk from ``/``."""
    root = Path(root)
    folder = os.stat(root)
    key = str(root)
    known = _ROOTS.get(key)
    if known is not None and known[0] == (folder.st_dev, folder.st_ino):
        return known[1]
    parent = root.parent
    if parent != root and root.name not in ("", ".", "..") and not stat.S_ISLNK(os.lstat(root).st_mode):
        resolved = _resolved_root(parent) / root.name
    else:
        resolved = Path(os.path.realpath(root))
    if len(_ROOTS) >= 4096:
        _ROOTS.clear()
    _ROOTS[key] = ((folder.st_dev, folder.st_ino), resolved)
    return resolved


_ROOTS: dict[str, tuple[tuple[int, int], Path]] = {}


def read_confined(path: Path, root: Path, limit: int) -> bytes:
    """The bytes of ``path`` (see :func:`confined_path`), refusing files over ``limit`` bytes."""
    resolved = confined_path(path, root)
    # O_NONBLOCK: should the file be swapped for a FIFO after the check, open() still returns.
    fd = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise HarnessError(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as stream:
            # sized by the file (a read of limit + 1 bytes would first allocate them all), then, should
            # it have grown since, read on to the bound
            expected = min(status.st_size, limit)
            data = stream.read(expected + 1)
            if len(data) > expected:
                data += stream.read(limit + 1 - len(data))
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
