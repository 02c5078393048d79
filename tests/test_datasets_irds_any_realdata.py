"""``harness eval --dataset irds:ID`` on the real NeuCLIR 2024 BM25 runs and the real HC4 qrels.

Both are laid out in a temporary ``$IR_DATASETS_HOME``, linked from the shared data:

- NeuCLIR 2024: ir_datasets 0.6.3 has no NeuCLIR 2024 ids, so ``neuclir/1/{fa,ru,zh}/trec-2024``
  are registered in the steps' process as an extension would (fixtures/datasets/neuclir24_extension.py),
  from ir_datasets' own parts; the real BM25 runs are then evaluated through ``harness eval --run``
  and checked against ir-measures (pytrec_eval) on the same run and qrels.
- HC4 (``hc4/{fa,ru,zh}/{dev,test}``, ir_datasets' own ids): the qrels are linked at the exact paths
  of ir_datasets' ``downloads.json`` after checking their md5 against it. The HC4 topic files are not
  in the shared data: without them the error names the file and where it goes; then the test writes
  them in HC4's JSONL schema from anserini's copies of the same topics (ids, English titles and
  descriptions, the human translations standing in for the machine ones too, which only the
  ``mt_*`` fields read), and evaluates a synthetic run on the real qrels. HC4's documents are
  built with the collection's own scripts; their absence is the error asked of BM25.
"""
from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import ir_measures
import pytest

from harness.datasets.irds import CacheFile, download_entries, known_ids
from tests.test_datasets_irds_any import reference, run_steps

pytestmark = pytest.mark.realdata

NEUCLIR_LANGS = ("fa", "ru", "zh")
HC4 = {"fa": "fas", "ru": "rus", "zh": "zho"}
SPLITS = ("dev", "test")
# Topics with a relevant judgment in the shared NeuCLIR 2024 qrels (each run ranks all 76 topics).
NEUCLIR_JUDGED = {"fa": 60, "ru": 62, "zh": 62}
# ir_datasets' etc/metadata.json: queries of hc4/{lang}/{split}.
HC4_QUERIES = {("fa", "dev"): 10, ("fa", "test"): 50, ("ru", "dev"): 4, ("ru", "test"): 50, ("zh", "dev"): 10, ("zh", "test"): 50}


def link(target: Path, source: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source)


def hc4_topics(folder: Path, split: str) -> str:
    """HC4's ``{split}.topics.v1-0.jsonl`` rebuilt from anserini's TSV copies (see the module docstring).

    ``languages_with_qrels`` comes from the qrels themselves: anserini's Chinese test topics list 110
    and 215, which nothing judges, where the Chinese qrels judge 109 and 141 (Persian has both); a
    translation missing from the TSVs is stood in for by the English title, which is all the harness reads."""
    def read(name: str) -> dict[str, str]:
        with open(folder / name, encoding="utf-8", newline="") as handle:
            return {row[0]: row[1] for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}

    english = {lang: (read(f"topics.hc4-v1.0-{lang}.en.{split}.title.tsv"), read(f"topics.hc4-v1.0-{lang}.en.{split}.desc.tsv")) for lang in HC4}
    translated = {lang: read(f"topics.hc4-v1.0-{lang}.{split}.title.tsv") for lang in HC4}
    judged = {lang: {line.split()[0] for line in open(folder / f"qrels.hc4-v1.0-{lang}.{split}.txt", encoding="utf-8")} for lang in HC4}
    lines = []
    for qid in sorted({qid for title, _ in english.values() for qid in title}, key=int):
        title, desc = next((t[qid], d[qid]) for t, d in english.values() if qid in t)
        entries = [{"lang": "eng", "source": "original", "topic_title": title, "topic_description": desc}]
        for lang, lang3 in HC4.items():
            text = translated[lang].get(qid, title)
            for source in ("human translation", "machine translation"):
                entries.append({"lang": lang3, "source": source, "topic_title": text, "topic_description": text})
        lines.append({
            "topic_id": qid, "topics": entries, "languages_with_qrels": [HC4[lang] for lang in HC4 if qid in judged[lang]],
            "narratives": dict.fromkeys(HC4.values(), ""), "report": {"text": "", "url": "", "date": ""},
        })
    return "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines)


def synthetic_run(qrels: dict[str, dict[str, int]]) -> dict[str, dict[str, float]]:
    """Each topic's judged documents in an order fixed by a hash, plus one unjudged document."""
    run = {}
    for qid, docs in qrels.items():
        ranked = sorted([*docs, f"unjudged-{qid}"], key=lambda d: hashlib.md5(f"{qid}/{d}".encode()).hexdigest())
        run[qid] = {doc: float(len(ranked) - i) for i, doc in enumerate(ranked)}
    return run


def write_run(path: Path, run: dict[str, dict[str, float]]) -> Path:
    path.write_text("".join(f"{q} Q0 {d} 0 {s} synthetic\n" for q, docs in run.items() for d, s in docs.items()), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def home(real_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("ir_datasets_home")
    neuclir = real_data_dir / "runs" / "neuclir24-bm25"
    link(home / "neuclir/trec-2024/topics.en.jsonl", neuclir / "topics.en.jsonl")
    for lang in NEUCLIR_LANGS:
        link(home / f"neuclir/trec-2024/qrels.{lang}.txt", neuclir / f"qrels.{lang}.txt")
    for lang in HC4:
        for split in SPLITS:
            source = real_data_dir / "clir-topics-qrels" / f"qrels.hc4-v1.0-{lang}.{split}.txt"
            key = f"{lang}/{split}/qrels"
            assert hashlib.md5(source.read_bytes()).hexdigest() == download_entries("hc4")[key]["expected_md5"]
            link(CacheFile("hc4", key).download_path(home), source)
    return home


@pytest.fixture(scope="module")
def neuclir24(real_data_dir: Path, home: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    if "neuclir/1/zh/trec-2024" in known_ids():
        pytest.skip("this ir_datasets has its own NeuCLIR 2024 ids: lay out its files instead of registering them")
    runs = real_data_dir / "runs" / "neuclir24-bm25"
    steps = [
        {"cli": ["eval", "--run", str(runs / f"bm25-translate.{lang}.trec"), "--dataset", f"irds:neuclir/1/{lang}/trec-2024", "--format", "json"]}
        for lang in NEUCLIR_LANGS
    ]
    return run_steps(steps, tmp_path_factory, "--neuclir24", str(home), home=home)


@pytest.fixture(scope="module")
def hc4(real_data_dir: Path, home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A run evaluated before the HC4 topics are there; then, with them, the runs and BM25."""
    folder, work = real_data_dir / "clir-topics-qrels", tmp_path_factory.mktemp("hc4")
    any_run = str(real_data_dir / "runs" / "neuclir24-bm25" / "bm25-translate.fa.trec")
    (without_topics,) = run_steps([{"cli": ["eval", "--run", any_run, "--dataset", "irds:hc4/fa/test"]}], tmp_path_factory, home=home)
    for split in SPLITS:
        (home / "hc4" / f"{split}.topics.v1-0.jsonl").write_text(hc4_topics(folder, split), encoding="utf-8")
    runs, steps = {}, []
    for lang in HC4:
        for split in SPLITS:
            qrels = ir_measures.read_trec_qrels(str(folder / f"qrels.hc4-v1.0-{lang}.{split}.txt"))
            judged: dict[str, dict[str, int]] = {}
            for qrel in qrels:
                judged.setdefault(qrel.query_id, {})[qrel.doc_id] = qrel.relevance
            runs[lang, split] = (judged, synthetic_run(judged))
            path = write_run(work / f"{lang}.{split}.trec", runs[lang, split][1])
            steps.append({"cli": ["eval", "--run", str(path), "--dataset", f"irds:hc4/{lang}/{split}", "--format", "json"]})
    steps.append({"cli": ["eval", "--model", "bm25", "--dataset", "irds:hc4/fa/test", "--submissions", str(work / "subs"), "--quiet"]})
    return {"runs": runs, "results": run_steps(steps, tmp_path_factory, home=home), "without_topics": without_topics}


@pytest.mark.parametrize("index", range(len(NEUCLIR_LANGS)))
def test_neuclir24_bm25_runs_match_ir_measures(neuclir24: list[dict], real_data_dir: Path, index: int) -> None:
    lang, done = NEUCLIR_LANGS[index], neuclir24[index]
    assert done["rc"] == 0, done["stderr"]
    record = json.loads(done["stdout"])["pairs"][f"irds/neuclir/1/{lang}/trec-2024/en-{lang}"]
    runs = real_data_dir / "runs" / "neuclir24-bm25"
    qrels = {}
    for qrel in ir_measures.read_trec_qrels(str(runs / f"qrels.{lang}.txt")):
        qrels.setdefault(qrel.query_id, {})[qrel.doc_id] = qrel.relevance
    run = {}
    for hit in ir_measures.read_trec_run(str(runs / f"bm25-translate.{lang}.trec")):
        run.setdefault(hit.query_id, {})[hit.doc_id] = hit.score
    expected = reference(qrels, run, ["nDCG@20", "R@1000"])
    assert set(record["measures"]) == set(expected)  # NeuCLIR's measures by default
    for measure, value in expected.items():
        assert abs(record["measures"][measure] - value) <= 1e-9, (measure, record["measures"][measure], value)
    assert record["num_queries"] == NEUCLIR_JUDGED[lang] and record["unjudged_run_queries"] == 76 - NEUCLIR_JUDGED[lang]
    notes = record["notes"]
    assert (notes["queries"], notes["judged_queries"]) == (76, NEUCLIR_JUDGED[lang])
    assert notes["languages_from"] == {"query": "ir_datasets", "document": "ir_datasets"}
    assert notes["documents_in_collection"] == "not checked (collection not readable here)"


def test_hc4_without_topics_names_the_file(hc4: dict, home: Path) -> None:
    done = hc4["without_topics"]
    assert done["rc"] == 2 and done["stderr"].count("\n") == 1
    url = "https://raw.githubusercontent.com/hltcoe/HC4/main/resources/hc4/test.topics.v1-0.jsonl"
    assert f"put test.topics.v1-0.jsonl ({url}) at {home}/hc4/test.topics.v1-0.jsonl" in done["stderr"]


@pytest.mark.parametrize("index", range(len(HC4) * len(SPLITS)))
def test_hc4_real_qrels_through_ir_datasets(hc4: dict, index: int) -> None:
    lang, split = [(lang, split) for lang in HC4 for split in SPLITS][index]
    done = hc4["results"][index]
    assert done["rc"] == 0, done["stderr"]
    record = json.loads(done["stdout"])["pairs"][f"irds/hc4/{lang}/{split}/en-{lang}"]
    judged, run = hc4["runs"][lang, split]
    expected = reference(judged, run, ["nDCG@20", "R@1000"])
    assert set(record["measures"]) == set(expected)
    for measure, value in expected.items():
        assert abs(record["measures"][measure] - value) <= 1e-9, (measure, record["measures"][measure], value)
    with_relevant = sum(any(grade >= 1 for grade in docs.values()) for docs in judged.values())
    assert record["num_queries"] == with_relevant
    assert record["notes"]["queries"] == HC4_QUERIES[lang, split]  # ir_datasets' own count of these topics
    assert record["notes"]["languages_from"] == {"query": "harness profile (ir_datasets leaves it unstated)", "document": "ir_datasets"}


def test_bm25_without_hc4_documents_names_the_file(hc4: dict, home: Path, java_runtime) -> None:
    done = hc4["results"][-1]
    assert done["rc"] == 2 and done["stderr"].count("\n") == 1, done["stderr"]
    assert f"put hc4_docs.jsonl at {home}/hc4/fas/hc4_docs.jsonl (To use this dataset" in done["stderr"]
