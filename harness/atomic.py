"""Write-then-rename, so an interrupted run never leaves a half-written result behind.

Temporary files are named ``.NAME.PID.RANDOM.tmp`` beside their target: the process id tells a
write in progress from the leftover of an interrupted one (:func:`stale_temporaries`).
"""
from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` only on success.

    A ``.gz`` suffix writes gzip (with a fixed mtime, so identical content gives identical bytes).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=target.parent)
    binary = "b" in mode
    # mkstemp makes 0600 files; results are meant to be shared, so follow the umask like open() does
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_name, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb") as raw:
            # fixed mtime and no name in the header: identical content gives identical bytes
            sink = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") if target.suffix == ".gz" else contextlib.nullcontext(raw)
            with sink as stream:
                if binary:
                    yield stream
                else:
                    text = io.TextIOWrapper(stream, encoding=encoding or "utf-8", newline="\n")
                    yield text
                    text.flush()
                    text.detach()  # leave closing the binary stream to its own context
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as out:
        out.write(text)


def stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files under ``folder`` whose writing process is gone (or that predate pid-named
    temporaries): leftovers of an interrupted write, never part of a result."""
    stale = []
    for path in sorted(folder.rglob(".*.tmp")):
        match = _TEMPORARY.match(path.name)
        if match is None or not _alive(int(match.group(1))):
            stale.append(path)
    return stale


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's live process
    return True
