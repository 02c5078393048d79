"""Any ir_datasets id as ``--dataset irds:ID``: ids and pairs, profiles, and the real ir_datasets
code on a tiny cache in its exact layout (NeuCLIR 2022 topics, qrels and Chinese documents; HC4
Persian qrels without their topics).

The tests that touch ir_datasets run their steps in a fresh process (ir_datasets fixes its cache
home at import): tests/fixtures/datasets/irds_any_steps.py.
"""
from __future__ import annotations

import gzip
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import ir_measures
import pytest

from harness.datasets import get_dataset, irds_any, resolve_pairs
from harness.datasets.irds_any import Facts
from harness.datasets.irds_profiles import profile_for
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.submissions import _SAFE_PAIR

STEPS = Path(__file__).parent / "fixtures" / "datasets" / "irds_any_steps.py"
REPO = Path(__file__).resolve().parents[1]

NEUCLIR = "irds:neuclir/1/zh/trec-2022"
# Topic 1 is judged with a relevant document, 2 only with a non-relevant one, 3 only in Persian.
TOPICS = {
    "1": {"eng": "Olympics bribery", "zho": "奥运 贿赂", "fas": "رشوه المپیک"},
    "2": {"eng": "smart farming", "zho": "智能 农业", "fas": "کشاورزی هوشمند"},
    "3": {"eng": "Caspian sturgeon", "zho": "里海 鲟鱼", "fas": "ماهی خاویار"},
}
QRELS = "1 zho z1 3\n1 zho z3 0\n2 zho z2 0\n3 fas f1 1\n"  # ir_datasets' 2022-qrels.all: iteration = language
ZH_DOCS = [("z1", "奥运", "Olympics bribery scandal 奥运会贿赂丑闻"), ("z2", "农业", "smart farming 智能农业"), ("z3", "天气", "weather 天气预报")]
RUN = "1 Q0 z3 1 2.5 r\n1 Q0 z1 2 2.0 r\n2 Q0 z2 1 1.0 r\n"


def topic_line(qid: str, titles: dict[str, str]) -> str:
    """A line of NeuCLIR's topics.jsonl: the English original, then a human and a machine translation per language."""
    entries = [
        {"lang": lang, "source": source, "topic_title": title, "topic_description": f"{title}?", "topic_narrative": f"about {title}"}
        for lang, title in titles.items()
        for source in (("original",) if lang == "eng" else ("human translation", "machine translation"))
    ]
    return json.dumps({"topic_id": qid, "topics": entries, "languages_with_qrels": ["fas"] if qid == "3" else ["zho"]})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def build_cache(data_dir: Path) -> Path:
    """NeuCLIR 2022 (zh documents only) and HC4 Persian test qrels at the paths ir_datasets' downloads.json gives."""
    home = data_dir / "ir_datasets"
    write(home / "neuclir/trec-2022/topics.jsonl", "".join(topic_line(q, t) + "\n" for q, t in TOPICS.items()))
    write(home / "neuclir/trec-2022/qrels", QRELS)
    docs = home / "neuclir/1/zho/docs.jsonl.gz"
    docs.parent.mkdir(parents=True)
    with gzip.open(docs, "wt", encoding="utf-8") as out:
        for doc_id, title, text in ZH_DOCS:
            out.write(json.dumps({"id": doc_id, "title": title, "text": text, "url": "u", "time": "t", "cc_file": "c"}) + "\n")
    write(home / "hc4/fas/test.qrels.v1-0.txt", "101 0 h1 1\n")
    write(data_dir / "run.trec", RUN)
    return home


def run_steps(steps: list[dict], tmp_path_factory: pytest.TempPathFactory, *extra: str, home: Path | None = None) -> list[dict]:
    """Run ``steps`` in a fresh process; ``home`` pins ``$IR_DATASETS_HOME``, else none is set."""
    env = {k: v for k, v in os.environ.items() if k not in ("IR_DATASETS_HOME", "HARNESS_DATA_DIR")}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        IR_DATASETS_DL_TRIES="1",
        HOME=str(tmp_path_factory.mktemp("home")),
        HARNESS_CACHE_DIR=str(tmp_path_factory.mktemp("cache")),
        **({"IR_DATASETS_HOME": str(home)} if home else {}),
    )
    done = subprocess.run(
        [sys.executable, str(STEPS), json.dumps(steps), *extra], capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path_factory.mktemp("cwd")
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def reference(qrels: dict, run: dict, measures: list[str]) -> dict[str, float]:
    """ir-measures (pytrec_eval) on the queries with a relevant judgment, the ones trec_eval evaluates."""
    judged = {qid: docs for qid, docs in qrels.items() if any(grade >= 1 for grade in docs.values())}
    return {str(m): v for m, v in ir_measures.calc_aggregate([ir_measures.parse_measure(m) for m in measures], judged, run).items()}


@pytest.fixture(scope="module")
def fixture_dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    data_dir = tmp_path_factory.mktemp("data")
    return data_dir, build_cache(data_dir)


@pytest.fixture(scope="module")
def steps(fixture_dirs: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The steps, with no $IR_DATASETS_HOME: resolution asks a subprocess, loading uses DATA/ir_datasets."""
    data_dir, _ = fixture_dirs
    run, data, subs = str(data_dir / "run.trec"), ["--data-dir", str(data_dir)], str(data_dir / "submissions")
    named = {
        "eval": {"cli": ["eval", "--run", run, "--dataset", NEUCLIR, *data, "--format", "json"]},
        "eval stored form": {"cli": ["eval", "--run", run, "--dataset", "irds/neuclir/1/zh/trec-2022", *data, "--format", "json"]},
        "wrong language": {"cli": ["eval", "--run", run, "--dataset", f"{NEUCLIR}/de-zh", *data]},
        "hc4 without topics": {"cli": ["eval", "--run", run, "--dataset", "irds:hc4/fa/test", *data]},
        "zh documents": {"documents": NEUCLIR, "data_dir": str(data_dir)},
        "fa documents": {"documents": "irds:neuclir/1/fa/trec-2022", "data_dir": str(data_dir)},
        "store": {"cli": ["eval", "--run", run, "--dataset", NEUCLIR, *data, "--name", "ext", "--submissions", subs]},
        "validate": {"cli": ["validate", str(Path(subs) / "ext"), *data]},
        "store again": {"cli": ["eval", "--run", run, "--dataset", NEUCLIR, *data, "--name", "ext2", "--submissions", subs]},
        "leaderboard": {"cli": ["leaderboard", "--submissions", subs, "--out", str(data_dir / "site"), *data, "--quiet"]},
    }
    return dict(zip(named, run_steps(list(named.values()), tmp_path_factory)))


def test_irds_spec_forms() -> None:
    dataset, langs = irds_any.split(NEUCLIR)
    assert (dataset.id, dataset.ir_id, langs) == ("irds/neuclir/1/zh/trec-2022", "neuclir/1/zh/trec-2022", None)
    assert irds_any.split(f"{NEUCLIR}/EN-zh") == (dataset, "EN-zh")
    assert irds_any.split("irds/neuclir/1/zh/trec-2022/en-zh") == (dataset, "en-zh")  # the stored form
    assert get_dataset("irds/neuclir/1/zh/trec-2022") is dataset is get_dataset(NEUCLIR)
    # A last segment shaped Q-D is the id's own where ir_datasets lists the whole string.
    assert irds_any.split("irds:wikiclir/en-simple")[0].ir_id == "wikiclir/en-simple"
    with pytest.raises(HarnessError, match="name an ir_datasets id"):
        resolve_pairs("irds:")


def test_plain_collection_id_points_to_irds() -> None:
    with pytest.raises(HarnessError, match=r"unknown dataset 'msmarco-passage/dev'.*write irds:msmarco-passage/dev/small$"):
        resolve_pairs("msmarco-passage/dev/small")


def test_pair_from_the_languages_ir_datasets_states(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(irds_any, "stated", lambda ir_id: Facts(True, True, True, "en", "de"))
    pair = PairId("irds/some/collection", "en", "de")
    assert resolve_pairs("irds:some/collection") == [pair]
    assert resolve_pairs("irds:some/collection", pairs="fr-de") == [PairId("irds/some/collection", "fr", "de")]
    assert resolve_pairs("irds:some/collection", setting="clir") == [pair]
    with pytest.raises(HarnessError, match="is a moir pair"):
        resolve_pairs("irds:some/collection", setting="moir")
    assert _SAFE_PAIR.match(str(pair))  # pair ids become submission folders
    assert get_dataset("irds:some/collection").default_measures("clir") == ("AP", "nDCG@10", "R@100")


def test_unstated_languages_and_missing_entities(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(irds_any, "stated", lambda ir_id: Facts(True, True, True, None, "fa"))
    assert resolve_pairs("irds:hc4/fa/test") == [PairId("irds/hc4/fa/test", "en", "fa")]  # the profile's English topics
    with pytest.raises(HarnessError, match=r"does not state its query language; name the pair, e.g. irds:other/x/en-fa$"):
        resolve_pairs("irds:other/x")
    assert resolve_pairs("irds:other/x/ja-fa") == [PairId("irds/other/x", "ja", "fa")]
    with pytest.raises(HarnessError, match="bad query language 'japan'"):
        resolve_pairs("irds:other/x", pairs="japan-fa")
    monkeypatch.setattr(irds_any, "stated", lambda ir_id: Facts(False, False, True, None, "zh"))
    with pytest.raises(HarnessError, match=r"irds:neuclir/1/zh: ir_datasets has no queries and no qrels for it"):
        resolve_pairs("irds:neuclir/1/zh")


@pytest.mark.parametrize(
    ("ir_id", "measures", "query_lang", "doc_lang"),
    [
        ("neuclir/1/zh/trec-2022", ("nDCG@20", "R@1000"), "en", None),
        ("neuclir/1/multi/trec-2023", ("nDCG@20", "R@1000"), "en", "xx"),
        ("hc4/ru/test", ("nDCG@20", "R@1000"), "en", None),
        ("miracl/sw/dev", ("nDCG@10", "R@100"), None, None),
        ("msmarco-passage/dev/small", ("RR@10",), None, None),
        ("neuclirx/a", ("AP", "nDCG@10", "R@100"), None, None),  # a prefix matches whole segments only
        ("beir/scifact/test", ("AP", "nDCG@10", "R@100"), None, None),
    ],
)
def test_profiles(ir_id: str, measures: tuple[str, ...], query_lang: str | None, doc_lang: str | None) -> None:
    profile = profile_for(ir_id)
    assert (profile.measures, profile.query_lang, profile.doc_lang) == (measures, query_lang, doc_lang)


def test_the_stored_form_of_an_irds_id_names_the_same_pair(steps: dict[str, dict]) -> None:
    done = steps["eval stored form"]
    assert done["rc"] == 0, done["stderr"]
    stored, named = (json.loads(steps[step]["stdout"])["pairs"] for step in ("eval stored form", "eval"))
    for record in (*stored.values(), *named.values()):
        del record["timings"]
    assert stored == named


def test_eval_run_on_irds_id_matches_ir_measures(steps: dict[str, dict]) -> None:
    done = steps["eval"]
    assert done["rc"] == 0, done["stderr"]
    record = json.loads(done["stdout"])["pairs"]["irds/neuclir/1/zh/trec-2022/en-zh"]
    qrels = {"1": {"z1": 3, "z3": 0}, "2": {"z2": 0}}
    run = {"1": {"z3": 2.5, "z1": 2.0}, "2": {"z2": 1.0}}
    expected = reference(qrels, run, ["nDCG@20", "R@1000"])
    assert record["measures"].keys() == expected.keys()
    for measure, value in expected.items():
        assert record["measures"][measure] == pytest.approx(value, abs=1e-9)
    assert record["measures"]["nDCG@20"] == pytest.approx(3 / math.log2(3) / 3, abs=1e-12)
    assert record["num_queries"] == 1 and record["setting"] == "clir"
    notes = record["notes"]
    # ir_datasets keeps the topics judged in Chinese (1, 2); topic 2 has no relevant document.
    assert (notes["queries"], notes["judged_queries"], notes["queries_without_relevant"]) == (2, 1, 1)
    assert notes["languages_from"] == {"query": "harness profile (ir_datasets leaves it unstated)", "document": "ir_datasets"}
    assert notes["ir_datasets_id"] == "neuclir/1/zh/trec-2022"
    # No corpus docstore yet, but the documents are there: every run document was found.
    assert notes["documents_in_collection"] == 1.0


def test_named_pair_must_agree_with_ir_datasets(steps: dict[str, dict]) -> None:
    done = steps["wrong language"]
    assert done["rc"] == 2
    assert done["stderr"] == (
        "harness: error: irds/neuclir/1/zh/trec-2022/de-zh: the query language of neuclir/1/zh/trec-2022 is en, not de; "
        "use irds:neuclir/1/zh/trec-2022/en-zh\n"
    )


def test_missing_topics_name_the_file_and_where_it_goes(steps: dict[str, dict], fixture_dirs: tuple[Path, Path]) -> None:
    done, home = steps["hc4 without topics"], fixture_dirs[1]
    assert done["rc"] == 2 and done["stderr"].count("\n") == 1
    url = "https://raw.githubusercontent.com/hltcoe/HC4/main/resources/hc4/test.topics.v1-0.jsonl"
    assert f"put test.topics.v1-0.jsonl ({url}) at {home}/hc4/test.topics.v1-0.jsonl" in done["stderr"]


def test_documents_from_the_cache_and_missing_corpus(steps: dict[str, dict], fixture_dirs: tuple[Path, Path]) -> None:
    home = fixture_dirs[1]
    assert steps["zh documents"] == {"document": ["z1", "zh", "奥运 Olympics bribery scandal 奥运会贿赂丑闻"], "collection_id": "irds/neuclir/1/zh"}
    error = steps["fa documents"]["error"]
    url = "https://huggingface.co/datasets/neuclir/neuclir1/resolve/main/data/fas-00000-of-00001.jsonl.gz?download=true"
    assert error.startswith("irds/neuclir/1/fa/trec-2022/en-fa: data not in the ir_datasets cache")
    assert f"put fas-00000-of-00001.jsonl.gz ({url}) at {home}/neuclir/1/fas/docs.jsonl.gz" in error and "\n" not in error


def test_stored_run_and_validation(steps: dict[str, dict], fixture_dirs: tuple[Path, Path]) -> None:
    assert steps["store"]["rc"] == 0, steps["store"]["stderr"]
    root = fixture_dirs[0] / "submissions" / "ext"
    meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
    assert list(meta["pairs"]) == ["irds/neuclir/1/zh/trec-2022/en-zh"]
    assert (root / "pairs/irds/neuclir/1/zh/trec-2022/en-zh/per-query.tsv").exists()
    assert steps["validate"]["rc"] == 0, steps["validate"]["stdout"] + steps["validate"]["stderr"]


def test_leaderboard_counts_the_judged_queries(steps: dict[str, dict], fixture_dirs: tuple[Path, Path]) -> None:
    """The pair's task holds both topics (a run may rank the unjudged one), but a stored pair holds
    the one judged query: the leaderboard must see it whole, not "1 of 2 queries"."""
    done = steps["leaderboard"]
    assert done["rc"] == 0, done["stderr"]
    assert "partial" not in done["stdout"] + done["stderr"]
    assert (fixture_dirs[0] / "site" / "dataset-irds~neuclir~1~zh~trec-2022.html").exists()


@pytest.mark.java
def test_bm25_ranks_an_irds_collection(fixture_dirs: tuple[Path, Path], java_runtime, tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir, home = fixture_dirs
    subs = data_dir / "bm25-submissions"
    args = ["eval", "--model", "bm25", "--dataset", NEUCLIR, "--submissions", str(subs), "--format", "json", "--quiet"]
    # $IR_DATASETS_HOME pins the home here: the languages are read in the process itself.
    (done,) = run_steps([{"cli": args}], tmp_path_factory, home=home)
    assert done["rc"] == 0, done["stderr"]
    record = json.loads(done["stdout"])["pairs"]["irds/neuclir/1/zh/trec-2022/en-zh"]
    assert record["measures"] == {"nDCG@20": 1.0, "R@1000": 1.0}
    with gzip.open(subs / "bm25/pairs/irds/neuclir/1/zh/trec-2022/en-zh/run.trec.gz", "rt") as run:
        top = {}
        for line in run:
            qid, _, doc_id, rank, *_ = line.split()
            if rank == "1":
                top[qid] = doc_id
    assert top == {"1": "z1", "2": "z2"}  # English query words in Chinese documents, through the zh analyzer
