"""``harness export``: a pair's topics, qrels and documents for other tools, with the harness's ids;
pyserini indexing and searching the export reproduces ``harness eval --model bm25``; ir_datasets
(and PyTerrier, where installed) load the same pair as ``harness/DATASET/Q-D``."""
from __future__ import annotations

import contextlib
import gzip
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import api
from harness.cli import main
from harness.datasets.base import Dataset
from harness.datasets.lareqa import LareqaDataset
from harness.datasets.pairs import PairId
from harness.datasets.records import Document, DocumentCollection, PairTask, Query
from harness.errors import HarnessError
from harness.pair_export import export_pair
from tests.test_datasets_lareqa import paragraph, write_language

REPO = Path(__file__).resolve().parents[1]
# Three languages, one of them (el) without an Anserini analyzer; a newline in a sentence and a tab in a question.
TOY = {
    "de": (["Paris ist die Hauptstadt von Frankreich.", "Der Louvre in Paris hat viele\nMuseen und Gemälde."],
           [("q1", "Hauptstadt\tvon Frankreich?", 0, "Paris"), ("q2", "Was hat der Louvre?", 1, "Museen")]),
    "el": (["Το Παρίσι είναι η πρωτεύουσα της Γαλλίας.", "Το Λούβρο (Louvre) έχει πολλά ΜΟΥΣΕΙΑ και πίνακες."],
           [("q1", "Πρωτεύουσα της Γαλλίας;", 0, "Παρίσι"), ("q2", "Τι έχει το Λούβρο;", 1, "ΜΟΥΣΕΙΑ")]),
    "en": (["Paris is the capital of France.", "The Louvre in Paris has many museums\nand paintings."],
           [("q1", "Capital of France?", 0, "Paris"), ("q2", "What does the Louvre have?", 1, "museums")]),
}
FILES = ["README.md", "docs.tsv", "jsonl/de/docs.jsonl", "jsonl/el/docs.jsonl", "jsonl/en/docs.jsonl", "manifest.json", "qrels.txt",
         "topics.trec", "topics.tsv"]
# Runs as its own process: pyserini's indexer (the manifest's commands, as `python -m` runs them) and
# pyserini's LuceneSearcher set as the manifest says, writing full-precision scores, for each export folder.
# The manifest's paths are relative to the export folder; the one JVM of this process resolves relative
# paths against the folder it started in, so they are made absolute here.
PYSERINI_SIDE = r'''
import json, runpy, sys
from pathlib import Path
folders = [Path(p).resolve() for p in sys.argv[1:]]
for folder in folders:
    for step in json.loads((folder / "manifest.json").read_text())["bm25_pyserini"]["languages"].values():
        assert step["index_command"][:3] == ["python", "-m", "pyserini.index.lucene"], step["index_command"]
        argv = list(step["index_command"][2:])
        for flag in ("--input", "--index"):
            argv[argv.index(flag) + 1] = str(folder / argv[argv.index(flag) + 1])
        sys.argv = argv
        runpy.run_module("pyserini.index.lucene", run_name="__main__", alter_sys=True)
from pyserini.pyclass import autoclass
from pyserini.search.lucene import LuceneSearcher
for folder in folders:
    recipe = json.loads((folder / "manifest.json").read_text())["bm25_pyserini"]
    topics = [line.rstrip("\n").split("\t") for line in open(folder / "topics.tsv", encoding="utf-8")]
    with open(folder / "run.trec", "w") as out:
        for lang, step in recipe["languages"].items():
            settings = step["searcher"]
            searcher = LuceneSearcher(str(folder / settings["index"]))
            if settings["set_language"]:
                searcher.set_language(settings["set_language"])
            if settings["set_analyzer"]:
                searcher.set_analyzer(autoclass("io.anserini.analysis.DefaultEnglishAnalyzer").fromArguments("none", True, None))
            searcher.set_bm25(recipe["k1"], recipe["b"])
            hits = searcher.batch_search([text for _, text in topics], [qid for qid, _ in topics], k=settings["k"], threads=2)
            for qid, _ in topics:
                for rank, hit in enumerate(hits.get(qid, []), start=1):
                    out.write(f"{qid} Q0 {hit.docid} {rank} {hit.score!r} pyserini-{lang}\n")
'''


@contextlib.contextmanager
def toy_export_dataset() -> Iterator[str]:
    """A three-language LAReQA dataset ``toy-export`` in the dataset registry for the duration of the block."""
    from harness.datasets.registry import _REGISTRY

    _REGISTRY.add("toy-export", LareqaDataset(
        id="toy-export", title="Toy export", description="three-language LAReQA toy", languages=tuple(TOY), folder="toy-export",
        url_template="http://127.0.0.1:9/{lang}.json", sha256=dict.fromkeys(TOY, "0" * 64),
    ))
    try:
        yield "toy-export"
    finally:
        del _REGISTRY._entries["toy-export"]


@pytest.fixture(scope="module")
def toy_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("toy-data")
    for lang, (sentences, questions) in TOY.items():
        write_language(root / "lareqa" / "toy-export", lang, [paragraph(sentences, questions)])
    with toy_export_dataset():
        yield root


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_every_file_holds_the_pair_with_the_harness_ids_and_languages(toy_data: Path, tmp_path: Path) -> None:
    exported = export_pair("toy-export/de-xx", tmp_path / "out", data_dir=toy_data)
    out = exported.root
    assert [str(p) for p in exported.files] == FILES
    assert lines(out / "topics.tsv") == ["q1\tHauptstadt von Frankreich?", "q2\tWas hat der Louvre?"]  # the tab flattened
    trec = re.findall(r"<top>\n\n<num> Number: (\S+)\n<title> (.*)\n\n<desc> Description:\n\n<narr> Narrative:\n\n</top>\n", (out / "topics.trec").read_text())
    assert trec == [("q1", "Hauptstadt von Frankreich?"), ("q2", "Was hat der Louvre?")]
    # every language's answer sentence is relevant in the multilingual pool
    assert lines(out / "qrels.txt") == [f"{q} 0 {lang}-0-0-{s} 1" for q, s in (("q1", 0), ("q2", 1)) for lang in ("de", "el", "en")]
    tsv = [line.split("\t") for line in lines(out / "docs.tsv")]
    assert [(doc_id, lang) for doc_id, _, lang in tsv] == [(f"{lang}-0-0-{s}", lang) for lang in TOY for s in (0, 1)]
    assert tsv[1][1] == "Der Louvre in Paris hat viele Museen und Gemälde."  # newline flattened in the TSV
    for lang, (sentences, _) in TOY.items():
        jsonl = [json.loads(line) for line in lines(out / "jsonl" / lang / "docs.jsonl")]
        assert jsonl == [{"id": f"{lang}-0-0-{s}", "contents": text, "lang": lang} for s, text in enumerate(sentences)]  # exact texts
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == exported.manifest
    assert (manifest["format"], manifest["pair"], manifest["setting"], manifest["query_language"], manifest["document_language"]) == (
        "harness-export", "toy-export/de-xx", "mlir", "de", "xx")
    assert manifest["document_languages"] == ["de", "el", "en"] and manifest["harness_version"]
    assert manifest["counts"] == {
        "queries": 2, "qrels": 6, "relevant": 6, "documents": 6, "documents_by_language": {"de": 2, "el": 2, "en": 2},
        "empty_documents": 0, "texts_flattened_in_tsv_and_trec": {"queries": 1, "documents": 2},
    }
    assert manifest["dataset_options"] == {"candidate_text": "sentence"}
    assert manifest["evaluation"]["measures"] == ["AP", "R@1", "R@10", "RankDistance"]
    readme = (out / "README.md").read_text()
    assert "toy-export/de-xx" in readme and "the `lang` field of the JSONL, the third column of `docs.tsv`" in readme


@pytest.mark.java
def test_the_manifest_names_pyserini_commands_with_each_languages_analysis(toy_data: Path, tmp_path: Path, java_runtime) -> None:
    recipe = export_pair("toy-export/de-xx", tmp_path / "out", data_dir=toy_data).manifest["bm25_pyserini"]
    assert (recipe["k1"], recipe["b"], recipe["depth"]) == (0.9, 0.4, None)
    steps = recipe["languages"]
    assert steps["de"]["index_command"][-2:] == ["--language", "de"] and steps["de"]["searcher"]["set_language"] == "de"
    # Greek has no Anserini analyzer: indexed language-neutrally, which pyserini's --language cannot select at search time
    assert steps["el"]["index_command"][-5:] == ["--language", "el", "--stemmer", "none", "--keepStopwords"]
    assert steps["el"]["search_command_analysis_matches"] is False and steps["el"]["searcher"]["set_analyzer"]
    assert steps["en"]["searcher"] == {"index": "indexes/en", "set_language": None, "set_analyzer": None, "k": 2}
    assert [steps[lang]["search_command"][steps[lang]["search_command"].index("--output") + 1] for lang in TOY] == [
        "run.de.trec", "run.el.trec", "run.en.trec"]
    assert recipe["merge_command"] == "cat run.*.trec > run.trec"


def test_the_same_data_gives_the_same_bytes_and_force_replaces_only_an_export(toy_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = {p: (out / p).read_bytes() for p in export_pair("toy-export/de-en", out, data_dir=toy_data).files}
    with pytest.raises(HarnessError, match="holds an earlier export; give --force"):
        export_pair("toy-export/de-en", out, data_dir=toy_data)
    again = export_pair("toy-export/de-en", out, data_dir=toy_data, force=True)
    assert {p: (out / p).read_bytes() for p in again.files} == first
    export_pair("toy-export/en-de", out, data_dir=toy_data, force=True)
    assert lines(out / "qrels.txt") == ["q1 0 de-0-0-0 1", "q2 0 de-0-0-1 1"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(HarnessError, match="holds other files; give a new or empty folder"):
        export_pair("toy-export/de-en", other, data_dir=toy_data, force=True)
    assert [p.name for p in other.iterdir()] == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert export_pair("toy-export/de-de", empty, data_dir=toy_data).manifest["counts"]["documents"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary folders left"


def test_an_export_that_fails_leaves_nothing_and_keeps_the_earlier_one(toy_data: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "out"
    with pytest.raises(HarnessError, match="missing .*lareqa/toy-export/de.json"):
        export_pair("toy-export/de-en", out, data_dir=tmp_path)
    export_pair("toy-export/de-en", out, data_dir=toy_data)
    before = (out / "manifest.json").read_bytes()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("harness.pair_export._write_documents", interrupted)
    with pytest.raises(KeyboardInterrupt):
        export_pair("toy-export/en-de", out, data_dir=toy_data, force=True)
    assert (out / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "the half-written export is removed"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["toy-export"], "toy-export: names 12 pairs; export takes one pair ID/Q-D"),
        (["toy-export/de-qq"], "unknown document language 'qq'"),
        (["toy-export/de-en", "--dataset-option", "candidate_text=paragraph"], "expected one of sentence, sentence+context"),
        (["toy-export/de-en", "--dataset-option", "language_draw=hash"], "dataset option 'language_draw' does not apply"),
        (["toy-export/de-en", "--data-dir", "no-such-dir"], "--data-dir no-such-dir: no such folder"),
    ],
)
def test_cli_mistakes_are_one_line_exit_2_and_write_nothing(argv, message, toy_data: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    given = argv if "--data-dir" in argv else [*argv, "--data-dir", str(toy_data)]
    assert main(["export", *given, "--out", "out", "--quiet"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("harness: error: ") and message in err and "\n" not in err
    assert not list(tmp_path.iterdir())


def test_cli_export_takes_dataset_options_and_prints_where_it_wrote(toy_data: Path, tmp_path: Path, capsys) -> None:
    argv = ["export", "toy-export/de-en", "--out", str(tmp_path / "out"), "--data-dir", str(toy_data), "--quiet",
            "--dataset-option", "candidate_text=sentence+context"]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(f"wrote {tmp_path / 'out'}: toy-export/de-en, 2 topics, 2 qrels, 2 documents (en 2)")
    first = json.loads(lines(tmp_path / "out" / "jsonl" / "en" / "docs.jsonl")[0])
    assert first["contents"] == "Paris is the capital of France.Paris is the capital of France. The Louvre in Paris has many museumsand paintings."
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["dataset_options"] == {"candidate_text": "sentence+context"}
    assert api.export_pair is export_pair


class RerankToy(Dataset):
    """A one-pair dataset whose protocol re-ranks a first stage to depth 1000 with its own k1/b, as mMARCO's does."""

    id, title, description = "rerank-toy", "Re-rank toy", "first-stage candidates, protocol BM25 parameters"
    languages, settings, query_sides, doc_sides = ("de", "en"), ("clir",), ("de",), ("en",)

    def standard_pairs(self) -> list[PairId]:
        return [PairId(self.id, "de", "en")]

    def default_measures(self, setting: str) -> tuple[str, ...]:
        return ("RR@10",)

    def expected_location(self, data_dir: Path) -> str:
        return "nowhere"

    def load(self, pair: PairId, data_dir: Path, *, download: bool = False) -> PairTask:
        docs = [Document("p1", "Paris is big.", "en"), Document("p2", "Berlin is big.", "en")]
        return PairTask(pair, [Query("7", "Paris?", "de")], DocumentCollection.from_documents("rerank-toy/en", docs), {"7": {"p1": 1, "p2": 0}},
                        ("RR@10",), candidates={"7": ["p2", "p1"]}, notes={"bm25": {"k1": 0.82, "b": 0.68}}, depth=1000)


def test_a_first_stage_and_the_protocols_bm25_parameters_are_exported(tmp_path: Path) -> None:
    from harness.datasets.registry import _REGISTRY

    _REGISTRY.add("rerank-toy", RerankToy())
    try:
        manifest = export_pair("rerank-toy/de-en", tmp_path / "out", data_dir=tmp_path).manifest
    finally:
        del _REGISTRY._entries["rerank-toy"]
    assert lines(tmp_path / "out" / "candidates.tsv") == ["7\tp2\t1", "7\tp1\t2"]
    assert lines(tmp_path / "out" / "qrels.txt") == ["7 0 p1 1", "7 0 p2 0"]  # judged non-relevant documents kept
    assert manifest["counts"]["candidates"] == 2 and (manifest["counts"]["qrels"], manifest["counts"]["relevant"]) == (2, 1)
    assert "candidates.tsv" in manifest["files"] and manifest["evaluation"]["depth"] == 1000
    recipe = manifest["bm25_pyserini"]
    assert (recipe["k1"], recipe["b"], recipe["k1_b_from"]) == (0.82, 0.68, "the dataset's protocol")
    if "languages" in recipe:  # where pyserini and Java are there to name the analyzers
        assert recipe["languages"]["en"]["search_command"][-8:] == ["--k1", "0.82", "--b", "0.68", "--hits", "1000", "--language", "en"]


IRDS_SIDE = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import harness
from tests.test_export import toy_export_dataset
with toy_export_dataset():
    ids = harness.register_with_ir_datasets(data_dir=sys.argv[2])
    harness.register_with_ir_datasets(data_dir=sys.argv[2])  # idempotent
    import ir_datasets
    dataset = ir_datasets.load("harness/toy-export/de-xx")
    found = {
        "registered": "harness/toy-export/de-xx" in ids and "harness/xquad-r/de-en" in ids,
        "langs": [dataset.docs_lang(), dataset.queries_lang(), ir_datasets.load("harness/toy-export/de-en").docs_lang()],
        "docs": [list(doc) for doc in dataset.docs_iter()], "count": dataset.docs_count(),
        "queries": [list(query) for query in dataset.queries_iter()], "qrels": [list(qrel) for qrel in dataset.qrels_iter()],
        "lookup": list(dataset.docs_store().get("el-0-0-1")),
    }
    if sys.argv[3] == "pyterrier":
        import pyterrier as pt
        terrier = pt.get_dataset("irds:harness/toy-export/de-xx")
        found["pyterrier"] = {"topics": terrier.get_topics()[["qid", "query"]].values.tolist(),
                              "qrels": terrier.get_qrels()[["qid", "docno", "label"]].values.tolist(),
                              "corpus": [[doc["docno"], doc["lang"]] for doc in terrier.get_corpus_iter(verbose=False)]}
print(json.dumps(found))
'''


def test_ir_datasets_loads_the_exported_pair_under_the_harness_namespace(toy_data: Path, tmp_path: Path) -> None:
    """In a fresh process (ir_datasets' registry and cache home are per process), with its own cache home."""
    out = export_pair("toy-export/de-xx", tmp_path / "out", data_dir=toy_data).root
    terrier = "pyterrier" if importlib.util.find_spec("pyterrier") else "no"
    env = {**os.environ, "IR_DATASETS_HOME": str(tmp_path / "irds-home")}
    done = subprocess.run([sys.executable, "-c", IRDS_SIDE, str(REPO), str(toy_data), terrier], check=False, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["registered"] and found["langs"] == [None, "de", "en"]
    assert found["docs"] == [[d["id"], d["contents"], d["lang"]] for lang in TOY for d in map(json.loads, lines(out / "jsonl" / lang / "docs.jsonl"))]
    assert found["count"] == 6 and found["lookup"] == ["el-0-0-1", TOY["el"][0][1], "el"]
    assert [[q, text.replace("\t", " ")] for q, text in found["queries"]] == [line.split("\t") for line in lines(out / "topics.tsv")]
    assert [" ".join(map(str, [q, it, d, rel])) for q, d, rel, it in found["qrels"]] == lines(out / "qrels.txt")
    if terrier == "no":
        pytest.skip("python-terrier is not installed: pt.get_dataset('irds:harness/...') not tried (ir_datasets part passed)")
    assert found["pyterrier"]["topics"] == found["queries"]
    assert [f"{q} 0 {d} {label}" for q, d, label in found["pyterrier"]["qrels"]] == lines(out / "qrels.txt")
    assert found["pyterrier"]["corpus"] == [[doc, lang] for doc, _, lang in found["docs"]]


@pytest.mark.realdata
def test_xquad_r_exports_hold_every_question_and_candidate(real_data_dir: Path, tmp_path: Path) -> None:
    from harness.datasets import get_dataset

    for langs, documents, qrels in (("de-en", {"en": 1180}, 1190), ("de-xx", None, 13_090)):
        manifest = export_pair(f"xquad-r/{langs}", tmp_path / langs, data_dir=real_data_dir).manifest
        sizes = get_dataset("xquad-r").sizes
        expected = documents or sizes["candidates"]
        assert manifest["counts"]["queries"] == 1190 and manifest["counts"]["qrels"] == manifest["counts"]["relevant"] == qrels
        assert manifest["counts"]["documents_by_language"] == expected and manifest["counts"]["documents"] == sum(expected.values())
    task = get_dataset("xquad-r").task(PairId("xquad-r", "de", "en"), real_data_dir)
    assert [line.split("\t")[0] for line in lines(tmp_path / "de-en" / "topics.tsv")] == [q.query_id for q in task.queries]
    assert [json.loads(line)["contents"] for line in lines(tmp_path / "de-en" / "jsonl" / "en" / "docs.jsonl")] == [d.text for d in task.documents]
    assert sum(1 for _ in lines(tmp_path / "de-xx" / "docs.tsv")) == 13_014


@pytest.fixture(scope="module")
def pyserini_runs(toy_data: Path, java_runtime, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Exports indexed and searched by pyserini alone, in one process (its searcher's import takes ~15 s):
    the toy pool always, XQuAD-R de-en where the real data is."""
    pytest.importorskip("pyserini", reason="pyserini is not installed (pip install '.[bm25]')")
    root = tmp_path_factory.mktemp("exports")
    folders = {"toy": export_pair("toy-export/de-xx", root / "toy", data_dir=toy_data).root}
    real = Path(os.environ.get("HARNESS_DATA_DIR") or REPO.parent / "shared" / "data")
    if real.is_dir():
        folders["real"] = export_pair("xquad-r/de-en", root / "real", data_dir=real).root
    env = {**os.environ, "JAVA_HOME": str(java_runtime.home), "OPENAI_API_KEY": os.environ.get("OPENAI_API_KEY", "placeholder")}
    done = subprocess.run([sys.executable, "-c", PYSERINI_SIDE, *map(str, folders.values())], check=False, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return {name: folder / "run.trec" for name, folder in folders.items()}


def run_rows(path: Path) -> dict[tuple[str, str], float]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return {(q, d): float(score) for q, _, d, _, score, _ in (line.split() for line in handle)}


@pytest.mark.java
def test_pyserini_on_the_export_of_a_multilingual_pool_gives_harness_bm25s_run(pyserini_runs, toy_data: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    harness_side = api.evaluate("bm25", "toy-export/de-xx", data_dir=toy_data, submissions_dir=tmp_path / "subs", progress=False)
    stored = tmp_path / "subs" / "bm25" / "pairs" / "toy-export" / "de-xx" / "run.trec.gz"
    assert run_rows(pyserini_runs["toy"]) == run_rows(stored)  # same hits, same float32 scores, in all three languages
    # "Louvre" finds the Greek sentence only if the query is analysed as the Greek index was (neutrally, not stemmed to "louvr")
    assert {d for _, d in run_rows(stored)} >= {"de-0-0-0", "el-0-0-1", "en-0-0-1"}
    again = api.evaluate_run(str(pyserini_runs["toy"]), dataset="toy-export/de-xx", data_dir=toy_data)
    assert again.records[0].measures == harness_side.records[0].measures


@pytest.mark.java
@pytest.mark.realdata
def test_pyserini_on_the_xquad_r_de_en_export_scores_as_harness_bm25(pyserini_runs, real_data_dir: Path, tmp_path: Path, monkeypatch, capsys) -> None:
    if "real" not in pyserini_runs:
        pytest.skip("the real data directory was not found when the exports were made")
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    common = ["--dataset", "xquad-r/de-en", "--data-dir", str(real_data_dir), "--format", "json"]
    assert main(["eval", "--run", str(pyserini_runs["real"]), *common]) == 0
    theirs = json.loads(capsys.readouterr().out)["pairs"]["xquad-r/de-en"]["measures"]
    assert main(["eval", "--model", "bm25", *common, "--submissions", str(tmp_path / "subs"), "--quiet"]) == 0
    ours = json.loads(capsys.readouterr().out)["pairs"]["xquad-r/de-en"]["measures"]
    assert theirs == ours  # exactly: the same hits with the same scores
    assert ours["AP"] == pytest.approx(0.3178, abs=5e-5) and ours["R@1"] == pytest.approx(0.2529, abs=5e-5)
    stored = tmp_path / "subs" / "bm25" / "pairs" / "xquad-r" / "de-en" / "run.trec.gz"
    assert run_rows(pyserini_runs["real"]) == run_rows(stored)
