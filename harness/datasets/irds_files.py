"""The files an ir_datasets component reads, found in ir_datasets' own objects, for any dataset id.

The MIRACL and mMARCO loaders name their files by their keys in ``etc/downloads.json``; a loader
for any id cannot, so it asks the component itself: every ``Download`` reachable from a handler
(through its attributes, wrappers such as ``GzipExtract`` or ``TarExtract``, lists, and the
closures of ``Lazy`` values) is a file ir_datasets would fetch, unless a ``Cache`` (or an
extracted folder) in front of it is already there. A download is present when its cache path
exists or, as ir_datasets allows for large files, ``downloads/{md5}`` does. This reads private
attributes of ir_datasets 0.5/0.6 (``Download.mirrors``, ``Download._cache_path``,
``Cache._path``...): if a later version renames them, nothing is found, the check passes, and
ir_datasets' own failure to download becomes the one-line error instead (see ``irds.download_errors``).
"""
from __future__ import annotations

import types
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class NeededFile:
    """A file ir_datasets reads: where it looks (any one path serves), and its URL or ir_datasets'
    instructions for getting it (HC4's documents, for one, are built with the collection's own scripts)."""

    paths: tuple[Path, ...]
    url: str | None
    instructions: str | None = None

    def present(self, home: Path) -> bool:
        return any(path.exists() for path in self.paths)

    def describe(self, home: Path) -> str:
        if not self.paths:
            return f"ir_datasets downloads {self.url} at each use and keeps no copy, so this id cannot be read offline"
        if self.url:
            return f"put {self.url.rsplit('/', 1)[-1].split('?')[0]} ({self.url}) at {self.paths[0]}"
        return f"put {self.paths[0].name} at {self.paths[0]} ({self.instructions or 'see the ir_datasets documentation'})"


def needed_files(handlers: Iterable[Any]) -> list[NeededFile]:
    """The files ``handlers`` (an ir_datasets dataset's ``queries_handler()``...) read that ir_datasets
    would download or ask for, in the order found; files behind a cache that exists are left out."""
    from ir_datasets.util.download import Download, LocalDownload

    found: dict[tuple[Path, ...], NeededFile] = {}
    for item in _reachable(handlers):
        if isinstance(item, Download):
            needed = _from_download(item, LocalDownload)
        elif isinstance(item, LocalDownload):
            needed = NeededFile((Path(item._path),), None, _one_line(item._message or ""))
        else:
            continue
        found.setdefault(needed.paths or (Path(str(needed.url)),), needed)
    return list(found.values())


def docs_files(handler: Any) -> list[NeededFile]:
    """:func:`needed_files` of a docs handler; none once its docstore is built (ir_datasets then reads only that)."""
    store = handler.docs_store() if hasattr(handler, "docs_store") else None
    if store is not None and hasattr(store, "built") and store.built():
        return []
    return needed_files([handler])


def _reachable(roots: Iterable[Any]) -> Iterator[Any]:
    """Depth-first, every ir_datasets object, list item and closure value reachable from ``roots``;
    downloads and satisfied caches are yielded but not entered."""
    from ir_datasets.util.download import Download, LocalDownload

    seen: set[int] = set()
    stack = list(reversed(list(roots)))
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, Path)) or item is None:
            continue
        seen.add(id(item))
        yield item
        if not isinstance(item, (Download, LocalDownload)) and not _cached(item):
            stack.extend(reversed(list(_children(item))))


def _children(item: Any) -> Iterable[Any]:
    if isinstance(item, (list, tuple)):
        return item
    if isinstance(item, dict):
        return item.values()
    if isinstance(item, types.FunctionType):
        # Lazy(lambda: ...) and helpers close over the handlers they read.
        return [cell.cell_contents for cell in item.__closure__ or () if _filled(cell)]
    if type(item).__module__.startswith("ir_datasets") and hasattr(item, "__dict__"):
        return vars(item).values()
    return ()


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 (reading it is the test)
    except ValueError:  # a closure variable not yet assigned
        return False
    return True


def _cached(item: Any) -> bool:
    """True for a cache or extracted folder that is already on disk: what lies behind it is not needed."""
    from ir_datasets.util.fileio import Cache, TarExtractAll, ZipExtractCache

    if isinstance(item, Cache):
        return Path(item._path).exists()
    if isinstance(item, TarExtractAll):
        return Path(item._extract_path).exists()
    if isinstance(item, ZipExtractCache):
        return Path(item.extract_path).exists()
    return False


def _from_download(download: Any, local_class: type) -> NeededFile:
    paths = [Path(download._cache_path)] if download._cache_path else []
    paths += [Path(mirror._path) for mirror in download.mirrors if isinstance(mirror, local_class)]
    urls = [mirror.url for mirror in download.mirrors if isinstance(getattr(mirror, "url", None), str)]
    messages = [mirror._message for mirror in download.mirrors if isinstance(mirror, local_class) and mirror._message]
    return NeededFile(tuple(dict.fromkeys(paths)), urls[0] if urls else None, None if urls or not messages else _one_line(messages[0]))


def _one_line(text: str) -> str:
    return " ".join(text.split())
