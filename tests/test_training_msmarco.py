"""The MS MARCO training source (through ir_datasets' cache layout): triples, translated pairs, the paper's pointwise sampling."""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import HarnessError
from harness.training.data import load_training_set
from tests.test_datasets_irds import run_probe

PROBE = Path(__file__).parent / "fixtures" / "training" / "msmarco_probe.py"


# --- tiny SQuAD files ----------------------------------------------------------------------------


TRIPLES = [("100", "1", "2"), ("101", "3", "4"), ("102", "5", "6"), ("103", "7", "9"), ("104", "8", "1")]
MMARCO_TRIPLES = [*TRIPLES, ("105", "0", "1")]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def build_irds_cache(data_dir: Path) -> None:
    """MS MARCO passages 0-9 and train queries 100-105; German and Dutch translations, where the
    German queries lack 103 and the Dutch passages lack 9."""
    home = data_dir / "ir_datasets"
    passages = lambda lang, ids: "".join(f"{i}\t{lang} passage {i}\n" for i in ids)  # noqa: E731
    queries = lambda lang, ids: "".join(f"{q}\t{lang} query {q}\n" for q in ids)  # noqa: E731
    triples = lambda rows: "".join("\t".join(row) + "\n" for row in rows)  # noqa: E731
    ms = home / "msmarco-passage"
    write(ms / "irds_version.txt", "v2")  # without it ir_datasets deletes collection.tsv as outdated
    write(ms / "collection.tsv", passages("en", range(10)))
    write(ms / "train/queries.tsv", queries("en", range(100, 106)))
    write(ms / "train/small.triples.qidpid.tsv", triples(TRIPLES))
    write(home / "mmarco/triples.train.ids.small.tsv", triples(MMARCO_TRIPLES))
    write(home / "mmarco/v2/german_collection.tsv", passages("de", range(10)))
    write(home / "mmarco/v2/german.queries.train.tsv", queries("de", [100, 101, 102, 104, 105]))
    write(home / "mmarco/v2/dutch_collection.tsv", passages("nl", range(9)))
    write(home / "mmarco/v2/dutch.queries.train.tsv", queries("nl", range(100, 106)))


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict:
    data_dir = tmp_path_factory.mktemp("data")
    build_irds_cache(data_dir)
    return run_probe(PROBE, data_dir, tmp_path_factory)


def test_msmarco_english_triples(probe: dict) -> None:
    found = probe["en-en"]
    assert found["source"] == "msmarco-train-triples-small/en-en" and found["langs"] == [["en"], ["en"]]
    assert found["examples"] == [[f"en query {q}", f"en passage {p}", [f"en passage {n}"]] for q, p, n in TRIPLES]
    notes = found["notes"]
    assert notes["triples"] == "msmarco-passage/train/triples-small" and notes["triples_read"] == 5
    assert notes["negatives"]["per_example"] == 1 and notes["negatives"]["asked"] == 3  # a triple has one
    assert notes["queries"] == "msmarco-passage/train" and notes["passages"] == "msmarco-passage"
    assert notes["triples_limit"] == 100_000 and notes["dropped"] == {}


def test_msmarco_translated_pair_takes_queries_from_x_and_passages_from_y(probe: dict) -> None:
    found = probe["de-nl"]
    assert found["source"] == "msmarco-train-triples-small/de-nl" and found["langs"] == [["de"], ["nl"]]
    # 103 has no German query, and 103's negative (9) no Dutch passage: one triple lost, counted once.
    kept = [t for t in MMARCO_TRIPLES if t[0] != "103"]
    assert found["examples"] == [[f"de query {q}", f"nl passage {p}", [f"nl passage {n}"]] for q, p, n in kept]
    notes = found["notes"]
    assert notes["triples"] == "mmarco/v2/de/train" and notes["triples_read"] == 6
    assert notes["queries"] == "mmarco/v2/de/train" and notes["passages"] == "mmarco/v2/dt"
    assert notes["dropped"] == {"query_not_in_de": 1}


def test_msmarco_official_sampling_is_pointwise_in_file_order(probe: dict) -> None:
    found = probe["de-nl official"]
    kept = [t for t in MMARCO_TRIPLES if t[0] != "103"]
    # triple i gives its positive when i % 3 == 0, else its negative (an empty positive)
    assert found["examples"] == [
        [f"de query {q}", f"nl passage {p}", []] if i % 3 == 0 else [f"de query {q}", "", [f"nl passage {n}"]] for i, (q, p, n) in enumerate(kept)
    ]
    assert found["notes"]["sampling"]["positives"] == 2 and found["notes"]["sampling"]["negatives"] == 3
    assert found["notes"]["dropped"] == {"query_not_in_de": 1}


def test_msmarco_limit_and_no_negatives(probe: dict) -> None:
    found = probe["en-de limit 2, no negatives"]
    assert found["examples"] == [["en query 100", "de passage 1", []], ["en query 101", "de passage 3", []]]
    assert found["notes"]["triples_read"] == 2 and found["notes"]["triples_limit"] == 2
    assert found["notes"]["negatives"]["per_example"] == 0


def test_msmarco_passages_come_from_docstores(probe: dict) -> None:
    # get_many through ir_datasets' docstore, never a scan of the whole collection into memory.
    assert probe["docstores"] == ["mmarco/v2/dutch_collection.tsv.pklz4", "mmarco/v2/german_collection.tsv.pklz4", "msmarco-passage/collection.tsv.pklz4"]


def test_msmarco_missing_files_are_one_line_errors(probe: dict) -> None:
    home = f"{probe['data_dir']}/ir_datasets"
    error = probe["fr-fr"]["error"]
    assert "\n" not in error and error.startswith("msmarco training data fr-fr: data not in the ir_datasets cache")
    # Every file the pair needs is checked before reading: the first missing one named, the others counted.
    assert f"at {home}/mmarco/v2/french.queries.train.tsv (+1 more missing); or load with download=True" in error
    error = probe["fr-fr download"]["error"]
    assert "\n" not in error and "download failed: ConnectionError" in error


def test_msmarco_arguments_are_checked_before_loading(tmp_path: Path) -> None:
    with pytest.raises(HarnessError, match="msmarco has no training data for sw: msmarco provides ar, de, en"):
        load_training_set("msmarco", tmp_path, doc_lang="sw")
    with pytest.raises(HarnessError, match="negatives must be 0 or more, not -1"):
        load_training_set("msmarco", tmp_path, negatives=-1)
    with pytest.raises(HarnessError, match="limit must be 1 or more, not 0"):
        load_training_set("msmarco", tmp_path, limit=0)


# --- the real files -------------------------------------------------------------------------------

# Measured on the shared data (SQuAD v1.1 dev, XQuAD-R @ 9bc8c7f, the three translations).
