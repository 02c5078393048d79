"""ir_datasets as the harness uses it: which cache home, which files a loader needs, one-line errors.

Home: ``$IR_DATASETS_HOME`` as it was when the harness started, else ``{data_dir}/ir_datasets``
if that folder exists, else ir_datasets' default ``~/.ir_datasets``. ir_datasets fixes its cache
paths when it is imported (each dataset module computes ``home_path()/NAME`` at import), so the
harness imports it lazily, sets ``IR_DATASETS_HOME`` just before, and keeps one home per process;
asking for another one later is an error rather than a silent mix of two caches. Never creating
``{data_dir}/ir_datasets`` itself, and checking files before importing, keeps ir_datasets' ~20
empty folders out of a data directory that does not opt in.

Missing files: without ``download`` a loader checks the files it needs (paths from ir_datasets'
own ``etc/downloads.json``; for any ``irds:`` id, from ir_datasets' objects, :mod:`.irds_files`)
before reading and names the first missing one and where to put it; with ``download``
ir_datasets fetches them, and a failure (offline: ``requests.ConnectionError``) becomes the same
one-line :class:`HarnessError`.
"""
from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from harness.datasets.records import Document
from harness.errors import HarnessError

HOME_ENV = "IR_DATASETS_HOME"
DEFAULT_HOME = Path.home() / ".ir_datasets"
DATA_DIR_SUBFOLDER = "ir_datasets"

# Captured at harness import, before the harness sets the variable itself for ir_datasets.
_USER_HOME = os.environ.get(HOME_ENV)
_active_home: Path | None = None


def home_for(data_dir: Path) -> Path:
    """The ir_datasets home the harness uses for ``data_dir`` (see the module docstring)."""
    if _USER_HOME:
        return Path(_USER_HOME).expanduser()
    local = Path(data_dir) / DATA_DIR_SUBFOLDER
    return local if local.is_dir() else DEFAULT_HOME


def ir_datasets_for(data_dir: Path) -> ModuleType:
    """``import ir_datasets`` with its home set for ``data_dir``; one home per process."""
    global _active_home
    home = home_for(data_dir)
    if "ir_datasets" not in sys.modules:
        os.environ[HOME_ENV] = str(home)
        _active_home = home
    active = _active_home or Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)
    if active.resolve() != home.resolve():
        raise HarnessError(
            f"ir_datasets is already in use with home {active} in this process and cannot switch to {home} "
            f"(it fixes its paths at import); start a new process or set {HOME_ENV}"
        )
    import ir_datasets

    return ir_datasets


@lru_cache(maxsize=1)
def _package_dir() -> Path:
    # find_spec locates the package without importing it (importing creates cache folders).
    spec = importlib.util.find_spec("ir_datasets")
    if spec is None or not spec.submodule_search_locations:
        raise HarnessError("ir_datasets is not installed; pip install ir_datasets")
    return Path(list(spec.submodule_search_locations)[0])


@lru_cache(maxsize=2)
def _package_json(name: str) -> dict[str, Any]:
    return json.loads((_package_dir() / "etc" / name).read_text(encoding="utf-8"))


def download_entries(dataset: str) -> dict[str, dict[str, Any]]:
    """ir_datasets' ``etc/downloads.json`` section of a top-level dataset (``mmarco``, ``miracl``...)."""
    return _package_json("downloads.json")[dataset]


def known_ids() -> set[str]:
    """The ids in ir_datasets' ``etc/metadata.json``: all but those made on demand from patterns (clirmatrix's)."""
    return set(_package_json("metadata.json"))


def home_is_pinned() -> bool:
    """True when ``$IR_DATASETS_HOME`` was set before the harness started: every data directory then shares it."""
    return bool(_USER_HOME)


def count(dataset_id: str, kind: str) -> int | None:
    """A count from ir_datasets' ``etc/metadata.json`` (e.g. ``docs`` of ``mmarco/v2/de``), or None."""
    entry = _package_json("metadata.json").get(dataset_id, {}).get(kind, {})
    if "_ref" in entry:
        return count(entry["_ref"], kind)
    return entry.get("count")


class RequiredFile(Protocol):
    """A file a loader needs: a :class:`CacheFile`, or one found in ir_datasets' own objects (:mod:`.irds_files`)."""

    def present(self, home: Path) -> bool: ...

    def describe(self, home: Path) -> str: ...


@dataclass(frozen=True)
class CacheFile:
    """A file an ir_datasets loader reads: a download (key in ``downloads.json``), or a file that
    ir_datasets extracts from that download and caches at ``{home}/{dataset}/{extracted}``."""

    dataset: str
    download: str
    extracted: str | None = None

    def entry(self) -> dict[str, Any]:
        return download_entries(self.dataset)[self.download]

    def download_path(self, home: Path) -> Path:
        """Where ir_datasets keeps the download: its ``cache_path``, else ``downloads/{md5}``."""
        entry = self.entry()
        if "cache_path" in entry:
            return home / self.dataset / entry["cache_path"]
        return home / "downloads" / entry["expected_md5"]

    def present(self, home: Path) -> bool:
        if self.extracted is not None and (home / self.dataset / self.extracted).exists():
            return True
        local = self._local_copy(home)
        return self.download_path(home).exists() or (local is not None and local.exists())

    def _local_copy(self, home: Path) -> Path | None:
        # As ir_datasets does: a large download may also be supplied (e.g. symlinked) as downloads/{md5}.
        entry = self.entry()
        small = int(os.environ.get("IR_DATASETS_SMALL_FILE_SIZE", "5000000"))
        if entry.get("expected_md5") and not entry.get("skip_local") and not entry.get("size_hint", small) < small:
            return home / "downloads" / entry["expected_md5"]
        return None

    def describe(self, home: Path) -> str:
        entry = self.entry()
        name = entry.get("url", self.download).rsplit("/", 1)[-1]
        return f"put {name} ({entry.get('url', 'see ir_datasets docs')}) at {self.download_path(home)}"


def missing_message(what: str, files: Sequence[RequiredFile], home: Path) -> str | None:
    """One line naming the first missing file of ``files`` and where it goes, or None if all are there."""
    missing = [f for f in files if not f.present(home)]
    if not missing:
        return None
    more = f" (+{len(missing) - 1} more missing)" if len(missing) > 1 else ""
    return f"{what}: data not in the ir_datasets cache {home}: {missing[0].describe(home)}{more}"


def require(what: str, files: Sequence[RequiredFile], data_dir: Path) -> None:
    """Raise a one-line :class:`HarnessError` if a file of ``files`` is missing from the cache."""
    message = missing_message(what, files, home_for(data_dir))
    if message:
        raise HarnessError(f"{message}; or load with download=True")


@contextlib.contextmanager
def download_errors(what: str, files: Sequence[RequiredFile], data_dir: Path) -> Iterator[None]:
    """Turn ir_datasets' failure to fetch a missing file (offline: ConnectionError) into one line."""
    try:
        yield
    except (OSError, RuntimeError) as error:  # requests' errors are OSErrors
        message = missing_message(what, files, home_for(data_dir))
        if message is None:
            raise
        raise HarnessError(f"{message} (download failed: {reason(error)})") from None


def reason(error: BaseException) -> str:
    """An exception as a short phrase for a one-line message: its type and the first line of its text."""
    return f"{type(error).__name__}: {str(error).splitlines()[0][:200]}" if str(error) else type(error).__name__


def qrels_of(ds: Any) -> dict[str, dict[str, int]]:
    """An ir_datasets dataset's qrels as ``{qid: {doc_id: grade}}``."""
    qrels: dict[str, dict[str, int]] = {}
    for judgment in ds.qrels_iter():
        qrels.setdefault(judgment.query_id, {})[judgment.doc_id] = int(judgment.relevance)
    return qrels


class Access:
    """Reads one ir_datasets dataset id for a loader: checks files first unless downloading."""

    def __init__(self, what: str, data_dir: Path, download: bool) -> None:
        self.what = what
        self.data_dir = Path(data_dir)
        self.download = download

    @contextlib.contextmanager
    def open(self, dataset_id: str, files: Sequence[RequiredFile]) -> Iterator[Any]:
        """The ir_datasets dataset ``dataset_id``, with its needed ``files`` checked or fetched."""
        if not self.download:
            require(self.what, files, self.data_dir)
        module = ir_datasets_for(self.data_dir)
        with download_errors(self.what, files, self.data_dir):
            yield module.load(dataset_id)

    def iter_documents(self, dataset_id: str, files: Sequence[RequiredFile], lang: str, text: Callable[[Any], str]) -> Iterator[Document]:
        """Every document of ``dataset_id`` as a harness :class:`Document` in ``lang``."""
        with self.open(dataset_id, files) as ds:
            for doc in ds.docs_iter():
                yield Document(doc.doc_id, text(doc), lang)

    def get_documents(
        self, dataset_id: str, files: Sequence[RequiredFile], lang: str, doc_ids: Iterable[str], text: Callable[[Any], str]
    ) -> dict[str, Document]:
        """The documents with these ids, through ir_datasets' docstore (built on first use)."""
        asked = set(doc_ids)
        with self.open(dataset_id, files) as ds:
            found = ds.docs_store().get_many(asked)
        # The docstore cuts ids longer than its index keys ('404' may find '4'): keep only asked ids.
        return {doc_id: Document(doc_id, text(doc), lang) for doc_id, doc in found.items() if doc_id in asked}
