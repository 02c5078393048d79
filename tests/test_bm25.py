"""BM25 through pyserini on tiny in-memory collections (needs Java 21+; skipped without it)."""
from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pytest

from harness.datasets.pairs import PairId
from harness.datasets.records import Document, DocumentCollection, PairTask, Query
from harness.errors import HarnessError
from harness.models import bm25 as bm25_module
from harness.models import get_model

pytestmark = pytest.mark.java

GERMAN = [
    Document("de-1", "Der Eisbär lebt in der Arktis und jagt Robben.", "de"),
    Document("de-2", "Ein Hund spielt im Garten mit einem Ball.", "de"),
    Document("de-3", "Eisbären sind die größten Landraubtiere der Erde.", "de"),
    Document("de-4", "Die Katze schläft auf dem Sofa.", "de"),
]
ENGLISH = [
    Document("en-1", "The polar bear lives in the Arctic and hunts seals.", "en"),
    Document("en-2", "A dog is running in the garden with a ball.", "en"),
    Document("en-3", "Dogs run faster than cats.", "en"),
]


@pytest.fixture(scope="module", autouse=True)
def java_and_cache(java_runtime, tmp_path_factory):
    """Skip without Java 21+; keep every index of this module in one temporary cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def task(collection_id: str, docs: Sequence[Document], queries: Sequence[Query], notes=None) -> PairTask:
    langs = sorted({doc.lang for doc in docs})
    pair = PairId("toy", queries[0].lang, langs[0] if len(langs) == 1 else "xx")
    return PairTask(pair, queries, DocumentCollection.from_documents(collection_id, docs), {}, ("AP",), notes=notes or {})


def ranking(run, qid: str) -> list[str]:
    rows = run.query_ids == qid
    order = np.lexsort((run.doc_ids[rows].astype(str), -run.scores[rows]))
    return run.doc_ids[rows][order].tolist()


def test_english_stemming_matches_inflected_forms():
    run = get_model("bm25").rank(task("toy/en", ENGLISH, [Query("q", "running dogs", "en")]), progress=False)
    assert set(ranking(run, "q")) == {"en-2", "en-3"}
    assert run.metadata["indexes"]["en"]["analyzer"].startswith("io.anserini.analysis.DefaultEnglishAnalyzer(stemmer=porter")


def test_german_analyzer_finds_the_singular_from_the_plural():
    run = get_model("bm25").rank(task("toy/de", GERMAN, [Query("q", "Eisbären", "de")]), progress=False)
    assert set(ranking(run, "q")) == {"de-1", "de-3"}
    assert run.metadata["indexes"]["de"]["analyzer"] == "org.apache.lucene.analysis.de.GermanAnalyzer"


def test_clir_queries_are_analysed_with_the_document_language():
    # English analysis would keep "eisbären" whole and miss "Eisbär"; German analysis finds both.
    run = get_model("bm25").rank(task("toy/de", GERMAN, [Query("q", "Eisbären", "en")]), progress=False)
    assert set(ranking(run, "q")) == {"de-1", "de-3"}


def test_languages_without_an_analyzer_get_the_neutral_fallback():
    docs = [Document("el-1", "Η γάτα και the σκύλος", "el"), Document("el-2", "Ο ήλιος λάμπει", "el")]
    queries = [Query("stop", "THE", "en"), Query("case", "ΓΆΤΑ", "el")]
    run = get_model("bm25").rank(task("toy/el", docs, queries), progress=False)
    # An English stopword survives on both sides, and case folds: the same analyzer indexed and searched.
    assert ranking(run, "stop") == ["el-1"] and ranking(run, "case") == ["el-1"]
    assert run.metadata["indexes"]["el"]["analyzer_fallback"] is True


def test_second_run_reuses_the_index_and_changed_content_rebuilds(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    model = get_model("bm25")
    first = model.rank(task("toy/cache", GERMAN, [Query("q", "Hund", "de")]), progress=False)
    again = model.rank(task("toy/cache", list(GERMAN), [Query("q", "Hund", "de")]), progress=False)
    edited = [*GERMAN[:3], Document("de-4", "Der Hund bellt.", "de")]
    changed = model.rank(task("toy/cache", edited, [Query("q", "Hund", "de")]), progress=False)
    built = [run.metadata["indexes"]["de"]["built"] for run in (first, again, changed)]
    assert built == [True, False, True]
    assert set(ranking(changed, "q")) == {"de-2", "de-4"}
    folder = tmp_path / "indexes" / "lucene" / "toy%2Fcache"
    # The stale index is gone; no build folder is left behind.
    assert [path.name for path in folder.iterdir()] == [f"de-{changed.metadata['indexes']['de']['fingerprint']}"]


def test_an_index_without_its_meta_file_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    model = get_model("bm25")
    first = model.rank(task("toy/half", GERMAN, [Query("q", "Hund", "de")]), progress=False)
    fingerprint = first.metadata["indexes"]["de"]["fingerprint"]
    (tmp_path / "indexes" / "lucene" / "toy%2Fhalf" / f"de-{fingerprint}" / "meta.json").unlink()
    second = model.rank(task("toy/half", GERMAN, [Query("q", "Hund", "de")]), progress=False)
    assert second.metadata["indexes"]["de"]["built"] is True
    assert ranking(second, "q") == ranking(first, "q")


def test_runs_are_deterministic_and_valid_and_respect_depth():
    queries = [Query("a", "Eisbär Robben Arktis", "de"), Query("b", "Hund Ball Garten Katze", "de"), Query("c", "Zebra", "de")]
    model = get_model("bm25")
    full = model.rank(task("toy/de", GERMAN, queries), progress=False)
    twice = model.rank(task("toy/de", GERMAN, queries), progress=False)
    for column in ("query_ids", "doc_ids", "scores"):
        assert np.array_equal(getattr(full, column), getattr(twice, column))
    assert len(full.query_ids) == len(full.doc_ids) == len(full.scores) == full.metadata["hits"]
    assert full.scores.dtype == np.float64 and full.doc_ids.dtype == object and full.query_ids.dtype == object
    assert set(full.doc_ids.tolist()) <= {doc.doc_id for doc in GERMAN}
    assert full.query_set() == {"a", "b"} and full.metadata["queries_without_hits"] == 1
    assert len(ranking(full, "b")) == 2
    top = model.rank(task("toy/de", GERMAN, queries), depth=1, progress=False)
    assert {qid: ranking(top, qid) for qid in ("a", "b")} == {qid: ranking(full, qid)[:1] for qid in ("a", "b")}
    assert len(top) == 2


def test_a_multilingual_pool_merges_per_language_rankings_by_score():
    pool = [*GERMAN, *ENGLISH]
    queries = [Query("q", "Garten Ball garden ball", "de"), Query("bear", "Eisbären polar bears", "de")]
    model = get_model("bm25")
    run = model.rank(task("toy/xx", pool, queries), progress=False)
    assert set(run.metadata["indexes"]) == {"de", "en"}
    assert set(ranking(run, "q")) == {"de-2", "en-2"}
    # Each half is found by its own language's analysis: German plural, English plural.
    assert set(ranking(run, "bear")) == {"de-1", "de-3", "en-1"}
    rows = run.query_ids == "bear"
    assert np.all(np.diff(run.scores[rows]) <= 0), "merged rows come best first"
    german_alone = model.rank(task("toy/de", GERMAN, queries[1:]), progress=False)
    assert dict(zip(ranking(german_alone, "bear"), sorted(german_alone.scores, reverse=True))) == {
        doc: score for doc, score in zip(run.doc_ids[rows], run.scores[rows]) if doc.startswith("de-")
    }, "a pool language scores as in its own collection"
    top = model.rank(task("toy/xx", pool, queries), depth=1, progress=False)
    assert ranking(top, "bear") == ranking(run, "bear")[:1] and len(top) == 2


def test_protocol_parameters_apply_unless_given_explicitly():
    queries = [Query("q", "Eisbär Arktis", "de")]
    notes = {"bm25": {"k1": 0.82, "b": 0.68}}
    default = get_model("bm25").rank(task("toy/de", GERMAN, queries), progress=False)
    protocol = get_model("bm25").rank(task("toy/de", GERMAN, queries, notes), progress=False)
    explicit = get_model("bm25", k1=0.9).rank(task("toy/de", GERMAN, queries, notes), progress=False)
    assert (default.metadata["k1"], default.metadata["b"]) == (0.9, 0.4)
    assert (protocol.metadata["k1"], protocol.metadata["b"], protocol.metadata["k1_b_sources"]["b"]) == (0.82, 0.68, "protocol")
    assert (explicit.metadata["k1"], explicit.metadata["b"]) == (0.9, 0.68)
    assert explicit.metadata["k1_b_sources"] == {"k1": "parameter", "b": "protocol"}
    assert not np.allclose(default.scores, protocol.scores)
    with pytest.raises(HarnessError, match="task.notes"):
        get_model("bm25").rank(task("toy/de", GERMAN, queries, {"bm25": {"k1": "high"}}), progress=False)


def test_whole_collection_depth_is_refused_on_a_large_collection(monkeypatch):
    monkeypatch.setattr(bm25_module, "WHOLE_COLLECTION_LIMIT", 3)
    model = get_model("bm25")
    with pytest.raises(HarnessError, match="pass a depth"):
        model.rank(task("toy/de", GERMAN, [Query("q", "Hund", "de")]), progress=False)
    assert model.rank(task("toy/de", GERMAN, [Query("q", "Hund", "de")]), depth=10, progress=False).metadata["hits"] == 1


def test_describe_pins_versions_and_analyzers():
    described = get_model("bm25").describe()
    json.dumps(described)
    assert described["model"] == "bm25" and described["backbone"] is None and described["training_data"] is None
    assert described["parameters"] == {"k1": None, "b": None}
    assert set(described["versions"]) == {"pyserini", "anserini", "lucene", "java"}
    assert described["analyzers"]["de"] == "org.apache.lucene.analysis.de.GermanAnalyzer"
    assert "el" not in described["analyzers"] and "*" in described["analyzers"]
