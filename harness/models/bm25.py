"""BM25 through pyserini's Lucene (Anserini), with the document language's analyzer.

Decisions, each also recorded in ``describe()`` or the run's metadata:

- k1/b: explicit parameters win; else the dataset protocol's values where the task declares them
  as ``task.notes["bm25"] = {"k1": ..., "b": ...}`` (mMARCO's protocol: 0.82/0.68); else 0.9/0.4,
  Anserini's defaults. Only the pair's run metadata can say which source applied.
- CLIR: the query is analysed with the documents' analyzer (it is matched against their terms).
- MLIR pools: one index per document language, each searched with the query analysed by that
  language's analyzer, hits merged by raw BM25 score. Every document is thus analysed as in its
  monolingual index, and each language keeps its own collection statistics (what per-language
  fields of one mixed index would give); one mixed index would need a single analyzer for all
  languages. Raw scores are not normalised across languages: that lexical preference for the
  query's own language is part of what MLIR's language-bias measures are meant to show.
- ``depth=None`` returns every document that matches at least one query term (the rest has no
  BM25 score and is absent from the run), refused beyond ``WHOLE_COLLECTION_LIMIT`` documents.
  Ties at a depth cut-off keep Anserini's order (document id ascending), also when merging.
- Re-ranking protocols (``task.candidates``, e.g. mMARCO's English BM25 top-1000): BM25 still
  ranks the whole collection of the pair; the candidates are ignored (the run metadata says so).
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.models.analyzers import analyzer_table
from harness.models.java import runtime_versions
from harness.models.lucene_index import INDEX_FORMAT, LuceneIndex, language_indexes
from harness.models.registry import ModelSpec, Param, Ranker
from harness.progress import progress_counter

if TYPE_CHECKING:
    import numpy as np

    from harness.datasets.records import PairTask, Query
    from harness.evaluation.run import Run

DEFAULT_K1 = 0.9
DEFAULT_B = 0.4
PROTOCOL_NOTE = "bm25"
SEARCH_THREADS = 2
QUERY_CHUNK = 128  # queries per batch search: the granularity of the progress bar
# Lucene pre-allocates a queue of ``depth`` entries per query and Anserini reads every hit's
# stored id: on a large corpus (mMARCO: 8.8M passages) a whole-collection ranking is no option.
WHOLE_COLLECTION_LIMIT = 100_000

Hits = dict[str, tuple[list[str], list[float]]]


class BM25(Ranker):
    """Lucene BM25 with per-language analyzers; indexes cached per collection and language."""

    name = "bm25"

    def __init__(self, k1: float | None = None, b: float | None = None) -> None:
        _check_k1_b(k1, b, "bm25")
        super().__init__(k1=k1, b=b)

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described.update(
            {
                "k1_b": "parameters, else task.notes['bm25'] (the dataset protocol's), else the defaults",
                "defaults": {"k1": DEFAULT_K1, "b": DEFAULT_B},
                "analyzers": analyzer_table(),
                "query_analysis": "document language's analyzer",
                "multilingual_pool": "one index per document language, merged by raw BM25 score",
                "depth_none": "every document matching a query term",
                "candidates": "ignored (ranks the whole collection)",
                "index_format": INDEX_FORMAT,
                "versions": runtime_versions(),
            }
        )
        return described

    def rank(self, task: PairTask, *, depth: int | None = None, progress: bool = True) -> Run:
        """BM25 over the task's whole collection; ``depth`` hits per query, or all matching ones."""
        from harness.evaluation.run import Run

        if depth is not None and depth < 1:
            raise HarnessError(f"bm25: depth must be at least 1, not {depth}")
        _check_unique_ids(task)
        k1, b, sources = self._k1_b(task)
        started = time.perf_counter()
        indexes = language_indexes(task.documents, progress=progress)
        documents = sum(index.documents for index in indexes.values())
        if depth is None and documents > WHOLE_COLLECTION_LIMIT:
            raise HarnessError(
                f"{task.pair}: ranking all {documents:,} documents per query is too large for BM25 here; "
                f"pass a depth (e.g. 1000)"
            )
        indexed = time.perf_counter()
        hits, timings = _search(indexes, task.queries, k1, b, depth, progress, str(task.pair))
        merged = time.perf_counter()
        ranking = _merge(hits, task.queries, depth) if len(hits) > 1 else next(iter(hits.values()), {})
        qids, dids, scores = _columns(ranking, task.queries)
        run = Run(qids, dids, scores, name=self.name)
        timings.update(index_s=indexed - started, merge_and_columns_s=time.perf_counter() - merged)
        run.metadata = {
            "model": self.name,
            "k1": k1,
            "b": b,
            "k1_b_sources": sources,
            "depth": depth,
            "documents": documents,
            "hits": len(run),
            "queries_without_hits": sum(1 for query in task.queries if not ranking.get(query.query_id, ([], []))[0]),
            "indexes": {lang: index.summary() for lang, index in indexes.items()},
            "candidates_ignored": task.candidates is not None,
            "timings_s": {key: round(value, 3) for key, value in timings.items()},
        }
        return run

    def _k1_b(self, task: PairTask) -> tuple[float, float, dict[str, str]]:
        """Each of k1 and b from the parameters, else the task's protocol, else the default."""
        protocol = task.notes.get(PROTOCOL_NOTE) or {}
        if not isinstance(protocol, Mapping):
            raise HarnessError(f"{task.pair}: task.notes[{PROTOCOL_NOTE!r}] must map k1/b to numbers, not {protocol!r}")
        _check_k1_b(protocol.get("k1"), protocol.get("b"), f"{task.pair}: task.notes[{PROTOCOL_NOTE!r}]")
        values: dict[str, float] = {}
        sources: dict[str, str] = {}
        for key, default in (("k1", DEFAULT_K1), ("b", DEFAULT_B)):
            for source, value in (("parameter", self.params[key]), ("protocol", protocol.get(key)), ("default", default)):
                if value is not None:
                    values[key], sources[key] = float(value), source
                    break
        return values["k1"], values["b"], sources


def _check_k1_b(k1: object, b: object, where: str) -> None:
    for key, value, upper in (("k1", k1, float("inf")), ("b", b, 1.0)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= upper:
            raise HarnessError(f"{where}: {key}={value!r} is out of range (k1 >= 0, 0 <= b <= 1)")


def _check_unique_ids(task: PairTask) -> None:
    ids = [query.query_id for query in task.queries]
    if len(set(ids)) != len(ids):
        raise HarnessError(f"{task.pair}: query ids are not unique; BM25 keys its results by query id")


def _search(
    indexes: Mapping[str, LuceneIndex],
    queries: Sequence[Query],
    k1: float,
    b: float,
    depth: int | None,
    progress: bool,
    label: str,
) -> tuple[dict[str, Hits], dict[str, float]]:
    """Per language: query id -> (doc ids, scores) in Anserini's order (score, then id ascending)."""
    from pyserini.pyclass import JArrayList, autoclass

    searcher_class = autoclass("io.anserini.search.SimpleSearcher")
    searchers = {}
    for lang, index in indexes.items():
        searcher = searcher_class(str(index.path))
        # The index's own analyzer, also for the query: the CLIR rule and the fallback in one step.
        searcher.set_analyzer(index.analysis.java_analyzer())
        searcher.set_bm25(float(k1), float(b))
        searchers[lang] = searcher
    hits: dict[str, Hits] = {lang: {} for lang in indexes}
    timings = {"search_s": 0.0, "convert_s": 0.0}
    bar = progress_counter(len(queries), progress, f"{label}: bm25", unit="query")
    try:
        for start in range(0, len(queries), QUERY_CHUNK):
            chunk = queries[start : start + QUERY_CHUNK]
            texts, qids = JArrayList(), JArrayList()
            for query in chunk:
                texts.add(query.text)
                qids.add(query.query_id)
            for lang, searcher in searchers.items():
                began = time.perf_counter()
                results = searcher.batch_search(texts, qids, depth or indexes[lang].documents, SEARCH_THREADS)
                converted = time.perf_counter()
                found = hits[lang]
                for query in chunk:
                    # pyjnius wraps each ScoredDoc (about 7 µs a hit, of the order of the search
                    # itself); no Anserini call returns plain arrays, and its run writer rounds scores.
                    scored = results.get(query.query_id) or ()
                    found[query.query_id] = ([hit.docid for hit in scored], [hit.score for hit in scored])
                timings["search_s"] += converted - began
                timings["convert_s"] += time.perf_counter() - converted
            bar.update(len(chunk))
    finally:
        bar.close()
        for searcher in searchers.values():
            searcher.close()
    return hits, timings


def _merge(per_language: Mapping[str, Hits], queries: Sequence[Query], depth: int | None) -> Hits:
    """One ranking per query over all languages' hits: score descending, then id ascending."""
    merged: Hits = {}
    for query in queries:
        pairs = [
            (score, doc_id)
            for docs, scores in (hits[query.query_id] for hits in per_language.values())
            for doc_id, score in zip(docs, scores)
        ]
        pairs.sort(key=lambda pair: (-pair[0], pair[1]))
        if depth is not None:
            del pairs[depth:]
        merged[query.query_id] = ([doc_id for _, doc_id in pairs], [score for score, _ in pairs])
    return merged


def _columns(ranking: Hits, queries: Sequence[Query]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Run's columns, in query order."""
    import numpy as np

    order = [query.query_id for query in queries if query.query_id in ranking]
    counts = [len(ranking[qid][0]) for qid in order]
    qid_column = np.repeat(np.array(order, dtype=object), counts)
    doc_column = np.empty(sum(counts), dtype=object)
    doc_column[:] = [doc_id for qid in order for doc_id in ranking[qid][0]]
    scores = np.fromiter((score for qid in order for score in ranking[qid][1]), dtype=np.float64, count=sum(counts))
    return qid_column, doc_column, scores


MODEL = ModelSpec(
    name="bm25",
    description="Lucene BM25 (pyserini/Anserini) with the document language's analyzer; no training",
    params=(
        Param("k1", "float", None, f"term saturation; default: the dataset protocol's, else {DEFAULT_K1}"),
        Param("b", "float", None, f"length normalisation; default: the dataset protocol's, else {DEFAULT_B}"),
    ),
    factory=BM25,
    extra="bm25",
)
