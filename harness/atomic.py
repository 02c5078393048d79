"""Write-then-rename, so an interrupted run never leaves a half-written result behind."""
from __future__ import annotations

import contextlib
import gzip
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` only on success.

    A ``.gz`` suffix writes gzip (with a fixed mtime, so identical content gives identical bytes).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    binary = "b" in mode
    # mkstemp makes 0600 files; results are meant to be shared, so follow the umask like open() does
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp_name, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb") as raw:
            if target.suffix == ".gz":
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
                    stream = gz if binary else _text(gz, encoding)
                    yield stream
                    if not binary:
                        stream.flush()
                        stream.detach()
            else:
                stream = raw if binary else _text(raw, encoding)
                yield stream
                if not binary:
                    stream.flush()
                    stream.detach()
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def _text(raw: IO[bytes], encoding: str | None) -> IO[str]:
    import io

    return io.TextIOWrapper(raw, encoding=encoding or "utf-8", newline="\n")


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_open(path, "w") as out:
        out.write(text)
