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
    none of the components between them is a link (or ``..``), it is the resolved root joined with
    them. ``None`` where that does not hold: the caller resolves it in full."""
    try:
        parts = Path(path).relative_to(root).parts
    except ValueError:
        return None
    if not parts or ".." in parts:
        return None
    step = str(root)
    for part in parts[:-1]:
        step = os.path.join(step, part)
        try:
            if stat.S_ISLNK(os.lstat(step).st_mode):
                return None
        except OSError:
            return None
    try:
        if stat.S_ISLNK(os.lstat(path).st_mode):
            return None
    except OSError:
        return None
    return _resolved_root(root).joinpath(*parts)


def _resolved_root(root: Path) -> Path:
    """``realpath(root)``, remembered while ``root`` is the same folder (device and inode): the folders
    of one submission are read file after file."""
    folder = os.stat(root)
    key = (str(root), folder.st_dev, folder.st_ino)
    if key not in _ROOTS:
        if len(_ROOTS) >= 256:
            _ROOTS.clear()
        _ROOTS[key] = Path(os.path.realpath(root))
    return _ROOTS[key]


_ROOTS: dict[tuple[str, int, int], Path] = {}


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
