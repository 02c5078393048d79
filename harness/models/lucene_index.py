"""Lucene indexes of a document collection, one per document language, cached on disk.

An index lives at ``<cache>/indexes/lucene/<collection id, %-quoted>/<lang>-<fingerprint>/``
(``index/`` plus ``meta.json``). The fingerprint hashes every document's id and text with the
analysis and the Anserini version, so changed data or a changed analyzer builds a new index
(and removes the stale one). A build happens in a hidden temporary folder that is renamed into
place only after Lucene holds exactly the documents written, so a half-built index is never used.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.models.analyzers import Analysis, analysis_for
from harness.models.java import runtime_versions, start_jvm
from harness.paths import cache_dir
from harness.progress import progress as progress_bar
from harness.progress import progress_note

if TYPE_CHECKING:
    from harness.datasets.records import Document, DocumentCollection

# Bump when what goes into an index changes (fields, options), so old caches are rebuilt.
INDEX_FORMAT = 1
INDEX_THREADS = 2
SHARD_DOCUMENTS = 1_000_000  # JSONL files per build: the indexer runs one thread per file


@dataclass(frozen=True)
class LuceneIndex:
    """One language's index: where it is, how it analyses, how many documents it holds, and
    whether this call built it (``build_s`` then says how long that took)."""

    path: Path
    language: str
    analysis: Analysis
    documents: int
    fingerprint: str
    built: bool
    build_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        """What a run records: the index's place relative to the cache directory, since results
        are shared and must not name a machine's folders."""
        return {
            "path": self.path.relative_to(cache_dir()).as_posix(),
            "analyzer": self.analysis.analyzer,
            "analyzer_fallback": self.analysis.fallback,
            "documents": self.documents,
            "fingerprint": self.fingerprint,
            "built": self.built,
            "build_s": round(self.build_s, 3),
        }


def language_indexes(collection: DocumentCollection, *, progress: bool = False) -> dict[str, LuceneIndex]:
    """An index per document language of ``collection`` (building those not cached yet), under
    ``cache_dir()/indexes/lucene``. Reads the collection once to fingerprint it, and once more
    only if something must be built."""
    start_jvm()
    folder = cache_dir() / "indexes" / "lucene" / urllib.parse.quote(collection.collection_id, safe="")
    anserini = runtime_versions()["anserini"]
    analyses: dict[str, Analysis] = {}
    hashers: dict[str, Any] = {}
    counts: dict[str, int] = {}
    for doc in _documents(collection, progress, "fingerprinting"):
        hasher = hashers.get(doc.lang)
        if hasher is None:
            analyses[doc.lang] = analysis_for(doc.lang)
            header = json.dumps([INDEX_FORMAT, anserini, doc.lang, analyses[doc.lang].index_options])
            hasher = hashers[doc.lang] = hashlib.blake2b(header.encode(), digest_size=16)
            counts[doc.lang] = 0
        hasher.update(f"{len(doc.doc_id)}:{doc.doc_id}{len(doc.text)}:{doc.text}".encode())
        counts[doc.lang] += _indexable(doc)
    indexes: dict[str, LuceneIndex] = {}
    missing: dict[str, Path] = {}
    # A language without any text has nothing to match: it gets no index, hence no hits.
    for lang in (lang for lang in hashers if counts[lang]):
        fingerprint = hashers[lang].hexdigest()
        final = folder / f"{lang}-{fingerprint}"
        if (final / "meta.json").is_file():
            indexes[lang] = LuceneIndex(final / "index", lang, analyses[lang], counts[lang], fingerprint, built=False)
        else:
            missing[lang] = final
    if missing:
        indexes.update(_build(collection, missing, analyses, counts, progress))
    return dict(sorted(indexes.items()))


def _build(
    collection: DocumentCollection,
    targets: dict[str, Path],
    analyses: dict[str, Analysis],
    counts: dict[str, int],
    progress: bool,
) -> dict[str, LuceneIndex]:
    work: dict[str, Path] = {}
    built: dict[str, LuceneIndex] = {}
    with contextlib.ExitStack() as cleanup:
        for lang, final in targets.items():
            final.parent.mkdir(parents=True, exist_ok=True)
            work[lang] = Path(tempfile.mkdtemp(prefix=f".build-{final.name}-", dir=final.parent))
            cleanup.callback(shutil.rmtree, work[lang], ignore_errors=True)
        _write_inputs(collection, work, progress)
        for lang, final in targets.items():
            started = time.perf_counter()
            progress_note(f"{collection.collection_id}: indexing {counts[lang]:,} {lang} documents ({analyses[lang].analyzer})", progress)
            _run_indexer(work[lang] / "input", work[lang] / "index", analyses[lang], counts[lang], collection.collection_id)
            shutil.rmtree(work[lang] / "input")
            fingerprint = final.name.rpartition("-")[2]
            meta = {
                "collection_id": collection.collection_id,
                "language": lang,
                "analyzer": analyses[lang].analyzer,
                "index_options": list(analyses[lang].index_options),
                "documents": counts[lang],
                "fingerprint": fingerprint,
                "index_format": INDEX_FORMAT,
                "versions": runtime_versions(),
            }
            (work[lang] / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
            _publish(work[lang], final)
            seconds = time.perf_counter() - started
            built[lang] = LuceneIndex(final / "index", lang, analyses[lang], counts[lang], fingerprint, True, seconds)
    return built


def _write_inputs(collection: DocumentCollection, work: dict[str, Path], progress: bool) -> None:
    """Anserini's JsonCollection input: ``{"id", "contents"}`` lines, sharded so that the
    indexer's threads have files to share; empty texts are left out (Lucene would skip them)."""
    with contextlib.ExitStack() as files:
        outputs: dict[str, IO[str]] = {}
        written: dict[str, int] = {}
        for doc in _documents(collection, progress, "writing index input"):
            if doc.lang not in work or not _indexable(doc):
                continue
            count = written.get(doc.lang, 0)
            if count % SHARD_DOCUMENTS == 0:
                if doc.lang in outputs:
                    outputs[doc.lang].close()
                path = work[doc.lang] / "input" / f"docs-{count // SHARD_DOCUMENTS:04d}.jsonl"
                path.parent.mkdir(exist_ok=True)
                outputs[doc.lang] = files.enter_context(path.open("w", encoding="utf-8"))
            outputs[doc.lang].write(json.dumps({"id": doc.doc_id, "contents": doc.text}, ensure_ascii=False) + "\n")
            written[doc.lang] = count + 1


def _run_indexer(source: Path, target: Path, analysis: Analysis, expected: int, collection_id: str) -> None:
    """Anserini's IndexCollection in this process (its JVM heap is already bounded), then a check
    that the index holds every document: the indexer reports most failures only in its log, and
    bad arguments only on stdout."""
    from pyserini.pyclass import autoclass

    runtime = autoclass("java.lang.Runtime").getRuntime()
    # Anserini's default indexing buffer is 4 GB; a quarter of the heap leaves room for searching.
    buffer_mb = max(64, int(runtime.maxMemory() // (4 * 2**20)))
    shards = len(list(source.glob("*.jsonl")))
    args = [
        "-collection", "JsonCollection",
        "-generator", "DefaultLuceneDocumentGenerator",
        "-input", str(source),
        "-index", str(target),
        "-threads", str(max(1, min(INDEX_THREADS, shards))),
        "-memoryBuffer", str(buffer_mb),
        "-quiet",
        *analysis.index_options,
    ]  # fmt: skip
    autoclass("io.anserini.index.IndexCollection").main(args)
    indexed = _count_documents(target)
    if indexed != expected:
        raise HarnessError(
            f"{collection_id}: indexing {analysis.language} documents into {target} gave {indexed} of {expected} documents "
            f"(see Anserini's messages above)"
        )


def _count_documents(index: Path) -> int:
    from pyserini.pyclass import autoclass

    if not any(index.glob("segments_*")):
        return 0
    directory = autoclass("org.apache.lucene.store.FSDirectory").open(autoclass("java.nio.file.Paths").get(str(index)))
    reader = autoclass("org.apache.lucene.index.DirectoryReader").open(directory)
    try:
        return int(reader.numDocs())
    finally:
        reader.close()
        directory.close()


def _publish(work: Path, final: Path) -> None:
    """Rename the finished build into place and remove the language's stale indexes. Losing a race
    with another process building the same index is fine: its index is the same one. A folder
    without ``meta.json`` was never published by a build: it is replaced."""
    if final.is_dir() and not (final / "meta.json").is_file():
        shutil.rmtree(final)
    try:
        os.rename(work, final)
    except OSError:
        if not (final / "meta.json").is_file():
            raise
        return
    language = final.name.rpartition("-")[0]
    for stale in final.parent.glob(f"{language}-*"):
        if stale != final and stale.name.rpartition("-")[0] == language and stale.is_dir():
            shutil.rmtree(stale, ignore_errors=True)


def _documents(collection: DocumentCollection, progress: bool, what: str) -> Iterable[Document]:
    return progress_bar(collection, progress, f"{collection.collection_id}: {what}", unit="doc", total=len(collection))


def _indexable(doc: Document) -> bool:
    return bool(doc.text.strip())
