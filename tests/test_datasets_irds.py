"""mMARCO and MIRACL through the real ir_datasets code, on a tiny cache laid out as ir_datasets expects.

ir_datasets fixes its cache home at import, so the loads run once in a fresh process
(tests/fixtures/datasets/irds_probe.py) and the tests below check what it reported.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from harness.datasets import get_dataset, irds
from harness.datasets.irds import CacheFile
from harness.datasets.language_draw import SEEN, drawn_language
from harness.datasets.pairs import PairId
from harness.errors import HarnessError

PROBE = Path(__file__).parent / "fixtures" / "datasets" / "irds_probe.py"
REPO = Path(__file__).resolve().parents[1]

# ir_datasets' names of the mMARCO v2 languages the fixture holds (Dutch is "dt"/"dutch").
MMARCO_FILES = {"de": "german", "it": "italian", "nl": "dutch", "ru": "russian", "ar": "arabic"}
QRELS = "100 0 2 1\n101 0 7 1\n102 0 9 1\n102 0 5 1\n103 0 1 0\n"
RUN = {"100": range(5), "101": range(3, 8), "102": range(5, 10), "103": [0, 1], "555": [1]}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_jsonl_gz(path: Path, docs: list[tuple[str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for docid, title, text in docs:
            out.write(json.dumps({"docid": docid, "title": title, "text": text}) + "\n")


def build_cache(data_dir: Path) -> None:
    """Ten passages and four dev/small queries per language; MIRACL de (32 shards), yo (1), ar (4 of 5)."""
    home = data_dir / "ir_datasets"
    passages = lambda lang: "".join(f"{i}\t{lang} passage {i}\n" for i in range(10))  # noqa: E731
    queries = lambda lang, ids: "".join(f"{q}\t{lang} query {q}\n" for q in ids)  # noqa: E731
    ms = home / "msmarco-passage"
    write(ms / "irds_version.txt", "v2")  # without it ir_datasets deletes collection.tsv as outdated
    write(ms / "collection.tsv", passages("en"))
    write(ms / "dev/small/queries.tsv", queries("en", [100, 101, 102, 103]))
    write(ms / "dev/small/qrels", QRELS)
    write(ms / "dev/ms.run", "".join(f"{q}\t{p}\n" for q, pids in RUN.items() for p in pids))
    write(home / "mmarco/qrels.dev.small.tsv", QRELS)
    for lang, name in MMARCO_FILES.items():
        write(home / f"mmarco/v2/{name}_collection.tsv", passages(lang))
        write(home / f"mmarco/v2/{name}.queries.dev.tsv", queries(lang, [100, 101, 102, 103, 999]))

    miracl = home / "miracl/v1.0"
    write(miracl / "de/dev/topics.tsv", "q1\tde frage 1\nq2\tde frage 2\nq3\tde frage 3\n")
    write(miracl / "de/dev/qrels.tsv", "q1\tQ0\td2#0\t1\nq1\tQ0\td31#0\t0\nq2\tQ0\td31#0\t1\nq3\tQ0\td2#0\t0\n")
    for shard in range(32):
        docs = {0: [("d0#0", "T0", "null"), ("d2#0", "T2", "zwei")], 31: [("d31#0", "T31", "einunddreissig")]}
        write_jsonl_gz(miracl / f"de/docs/docs-{shard}.jsonl.gz", docs.get(shard, []))
    write_jsonl_gz(miracl / "yo/docs/docs-1.jsonl.gz", [("y1#0", "Ti", "ọ̀rọ̀")])
    for shard in range(4):
        write_jsonl_gz(miracl / f"ar/docs/docs-{shard}.jsonl.gz", [])
    anserini = data_dir / "miracl"
    write(anserini / "topics.miracl-v1.0-de-dev.tsv", "q1\tnot used: the cache has de\n")
    write(anserini / "qrels.miracl-v1.0-de-dev.tsv", "q1 Q0 d0#0 1\n")
    write(anserini / "topics.miracl-v1.0-yo-dev.tsv", "y1\tyo ibeere\n")
    write(anserini / "qrels.miracl-v1.0-yo-dev.tsv", "y1 Q0 y1#0 1\n")
    write(anserini / "topics.miracl-v1.0-ar-dev.tsv", "a1\tar 1\na2\tar 2\n")
    write(anserini / "qrels.miracl-v1.0-ar-dev.tsv", "a1 Q0 x 1\na2 Q0 y 1\n")


def run_probe(script: Path, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Run ``script DATA_DIR`` in a fresh process (ir_datasets fixes its home at import) and return
    the JSON of its last output line, plus ``data_dir``."""
    env = {k: v for k, v in os.environ.items() if k != irds.HOME_ENV}
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
        IR_DATASETS_SKIP_DISK_FREE="true",  # the msmarco docstore asks for 14 GB free
        IR_DATASETS_DL_TRIES="1",
        HOME=str(tmp_path_factory.mktemp("home")),
    )
    done = subprocess.run([sys.executable, str(script), str(data_dir)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["data_dir"] = str(data_dir)
    return result


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data_dir = tmp_path_factory.mktemp("data")
    build_cache(data_dir)
    return run_probe(PROBE, data_dir, tmp_path_factory)


def test_cache_paths_come_from_ir_datasets_downloads_json(tmp_path: Path) -> None:
    assert CacheFile("mmarco", "v2/dt/docs").download_path(tmp_path) == tmp_path / "mmarco/v2/dutch_collection.tsv"
    assert CacheFile("mmarco", "v2/de/queries/dev").download_path(tmp_path) == tmp_path / "mmarco/v2/german.queries.dev.tsv"
    assert CacheFile("mmarco", "dev/qrels-small").download_path(tmp_path) == tmp_path / "mmarco/qrels.dev.small.tsv"
    assert CacheFile("miracl", "v1.0/de/corpus/31").download_path(tmp_path) == tmp_path / "miracl/v1.0/de/docs/docs-31.jsonl.gz"
    # downloads.json stores yo's only shard as docs-1, which is why paths are never guessed.
    assert CacheFile("miracl", "v1.0/yo/corpus/0").download_path(tmp_path) == tmp_path / "miracl/v1.0/yo/docs/docs-1.jsonl.gz"
    run = CacheFile("msmarco-passage", "dev/scoreddocs", "dev/ms.run")
    assert run.download_path(tmp_path) == tmp_path / "downloads/8c140662bdf123a98fbfe3bb174c5831"
    write(tmp_path / "msmarco-passage/dev/ms.run", "")
    assert run.present(tmp_path)


def test_home_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(irds, "_USER_HOME", None)
    assert irds.home_for(tmp_path) == irds.DEFAULT_HOME
    (tmp_path / "ir_datasets").mkdir()
    assert irds.home_for(tmp_path) == tmp_path / "ir_datasets"
    monkeypatch.setattr(irds, "_USER_HOME", str(tmp_path / "elsewhere"))
    assert irds.home_for(tmp_path) == tmp_path / "elsewhere"


def test_missing_data_is_one_line_and_touches_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(irds, "_USER_HOME", None)
    home = tmp_path / "ir_datasets"
    home.mkdir()
    with pytest.raises(HarnessError) as error:
        get_dataset("mmarco").load(PairId("mmarco", "de", "en"), tmp_path)
    message = str(error.value)
    assert "\n" not in message
    assert f"at {home}/mmarco/v2/german.queries.dev.tsv" in message and "download=True" in message
    with pytest.raises(HarnessError, match=r"miracl/sw-sw: no topics/qrels: .*topics\.miracl-v1\.0-sw-dev\.tsv"):
        get_dataset("miracl").load(PairId("miracl", "sw", "sw"), tmp_path)
    assert list(home.iterdir()) == []  # checked before importing ir_datasets: no folders created


def test_language_draw_is_uniform_and_order_free() -> None:
    counts = Counter(drawn_language("passage", str(i)) for i in range(60000))
    assert set(counts) == set(SEEN)
    assert all(abs(n - 10000) < 500 for n in counts.values())
    assert drawn_language("query", "1") == drawn_language("query", "1")
    assert [drawn_language("passage", str(i)) for i in range(50)] != [drawn_language("query", str(i)) for i in range(50)]


def test_home_is_the_data_dirs_ir_datasets_folder(probe: dict) -> None:
    assert probe["home"] == str(Path(probe["data_dir"]) / "ir_datasets")


def test_mmarco_clir_pair(probe: dict) -> None:
    task = probe["mmarco de-en"]
    assert task["queries"] == [["100", "de", "de query 100"], ["101", "de", "de query 101"], ["102", "de", "de query 102"]]
    assert task["qrels"] == {"100": {"2": 1}, "101": {"7": 1}, "102": {"9": 1, "5": 1}}
    assert task["notes"]["queries"] == 3 and task["notes"]["queries_without_relevant"] == 1
    assert task["measures"] == ["RR@10"]
    # The English BM25 top-1000 of each evaluated query, in the run's order.
    assert task["candidates"] == {q: [str(p) for p in RUN[q]] for q in ("100", "101", "102")}
    assert task["collection_id"] == "mmarco/v2/en"
    assert task["size"] == 8841823  # ir_datasets' count of the real corpus, not the fixture's
    assert task["documents"][3] == ["3", "en", "en passage 3"]
    assert task["fetched"] == {"7": ["en", "en passage 7"], "3": ["en", "en passage 3"]}


def test_mmarco_dutch_is_ir_datasets_dt(probe: dict) -> None:
    task = probe["mmarco nl-nl"]
    assert task["queries"][0] == ["100", "nl", "nl query 100"]
    assert task["collection_id"] == "mmarco/v2/nl"
    assert task["documents"][1] == ["1", "nl", "nl passage 1"]
    assert task["candidates"]["101"] == ["3", "4", "5", "6", "7"]


def test_mmarco_mlir_languages_are_the_papers_draw(probe: dict) -> None:
    task = probe["mmarco xx-xx"]
    # random.seed(0); randint(0, 5) over passages 0..8,841,822, then over the dev/small queries 100..103 in file order
    official = ["nl", "nl", "en", "it", "ru", "nl", "nl", "it", "nl", "it"]
    assert task["documents"] == [[str(i), lang, f"{lang} passage {i}"] for i, lang in enumerate(official)]
    assert task["queries"] == [["100", "de", "de query 100"], ["101", "ru", "ru query 101"], ["102", "nl", "nl query 102"]]
    assert task["fetched"] == {d: [lang, text] for d, lang, text in task["documents"]}
    assert task["collection_id"] == "mmarco/v2/xx-official" and task["collection_languages"] == list(SEEN)
    assert task["notes"]["language_draw"]["method"] == "official" and task["notes"]["dataset_options"] == {"language_draw": "official"}
    assert task["notes"]["query_languages"] == {"de": 1, "nl": 1, "ru": 1}


def test_mmarco_mlir_hash_draw_is_per_id(probe: dict) -> None:
    task = probe["mmarco xx-xx hash"]
    for qid, lang, text in task["queries"]:
        assert lang == drawn_language("query", qid) and text == f"{lang} query {qid}"
    for doc_id, lang, text in task["documents"]:
        assert lang == drawn_language("passage", doc_id) and text == f"{lang} passage {doc_id}"
    assert task["fetched"] == {d: [lang, text] for d, lang, text in task["documents"]}
    assert task["collection_id"] == "mmarco/v2/xx-hash" and task["notes"]["language_draw"]["seed"] == 0
    assert task["notes"]["dataset_options"] == {"language_draw": "hash"}
    assert len({lang for _, lang, _ in task["documents"]}) > 1


def test_miracl_from_the_ir_datasets_cache(probe: dict) -> None:
    task = probe["miracl de-de"]
    assert task["queries"] == [["q1", "de", "de frage 1"], ["q2", "de", "de frage 2"]]
    assert task["qrels"] == {"q1": {"d2#0": 1, "d31#0": 0}, "q2": {"d31#0": 1}}
    assert task["notes"]["topics_from"] == "ir_datasets cache"
    assert task["measures"] == ["nDCG@10", "R@100"]
    assert [d[0] for d in task["documents"]] == ["d0#0", "d2#0", "d31#0"]
    assert task["fetched"]["d31#0"] == ["de", "T31 einunddreissig"]
    assert task["collection_id"] == "miracl/de"


def test_miracl_falls_back_to_anserini_topics(probe: dict) -> None:
    task = probe["miracl yo-yo"]
    assert task["queries"] == [["y1", "yo", "yo ibeere"]]
    assert task["notes"]["topics_from"] == "topics.miracl-v1.0-yo-dev.tsv, qrels.miracl-v1.0-yo-dev.tsv"
    assert task["documents"] == [["y1#0", "yo", "Ti ọ̀rọ̀"]]


def test_miracl_missing_shard_shows_only_when_documents_are_read(probe: dict) -> None:
    task = probe["miracl ar-ar"]
    assert task["queries"] == 2
    error = task["documents_error"]
    assert error and "\n" not in error
    assert f"{probe['data_dir']}/ir_datasets/miracl/v1.0/ar/docs/docs-4.jsonl.gz" in error


def test_offline_download_failure_is_one_line(probe: dict) -> None:
    error = probe["mmarco fr-fr download"]["error"]
    assert "\n" not in error
    assert f"at {probe['data_dir']}/ir_datasets/mmarco/v2/french.queries.dev.tsv" in error
    assert "download failed: ConnectionError" in error
