"""The loaders on the real shared data: counts, alignment and checksums as published."""
from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

import pytest

from harness.datasets import get_dataset
from harness.datasets.lareqa import LareqaDataset
from harness.datasets.pairs import PairId

pytestmark = pytest.mark.realdata

MIRACL_DEV_QUERIES = {
    "ar": 2896, "bn": 411, "en": 799, "es": 648, "fa": 632, "fi": 1271, "fr": 343, "hi": 350, "id": 960,
    "ja": 860, "ko": 213, "ru": 1252, "sw": 482, "te": 828, "th": 733, "zh": 393, "de": 305, "yo": 119,
}


def lareqa(dataset_id: str) -> LareqaDataset:
    dataset = get_dataset(dataset_id)
    assert isinstance(dataset, LareqaDataset)
    return dataset


@pytest.mark.parametrize("dataset_id", ["xquad-r", "mlqa-r"])
def test_files_match_declared_checksums(real_data_dir: Path, dataset_id: str) -> None:
    dataset = lareqa(dataset_id)
    for lang in dataset.languages:
        digest = hashlib.sha256(dataset.path(lang, real_data_dir).read_bytes()).hexdigest()
        assert digest == dataset.sha256[lang], lang


@pytest.mark.parametrize("dataset_id", ["xquad-r", "mlqa-r"])
def test_declared_sizes_and_one_answer_sentence_per_language(real_data_dir: Path, dataset_id: str) -> None:
    dataset = lareqa(dataset_id)
    sizes = dataset.sizes
    for lang in dataset.languages:
        task = dataset.load(PairId(dataset_id, lang, lang), real_data_dir)
        assert len(task.documents) == sizes["candidates"][lang], lang
        assert len(task.queries) == sizes["questions"][lang], lang
        assert all(len(relevant) == 1 for relevant in task.qrels.values())
        assert "edge_cases" not in task.notes


def test_xquad_r_pool_and_full_parallelism(real_data_dir: Path) -> None:
    task = get_dataset("xquad-r").load(PairId("xquad-r", "de", "xx"), real_data_dir)
    ids = [doc.doc_id for doc in task.documents]
    assert len(ids) == len(set(ids)) == 13014
    assert len(task.queries) == 1190
    assert {len(relevant) for relevant in task.qrels.values()} == {11}
    for relevant in task.qrels.values():
        assert sorted(doc_id.split("-")[0] for doc_id in relevant) == sorted(get_dataset("xquad-r").languages)
    clir = get_dataset("xquad-r").load(PairId("xquad-r", "th", "tr"), real_data_dir)
    assert len(clir.queries) == 1190 and clir.notes["shared_question_ids"] == 1190


def test_mlqa_r_pool_and_partial_alignment(real_data_dir: Path) -> None:
    dataset = get_dataset("mlqa-r")
    pool = dataset.load(PairId("mlqa-r", "en", "xx"), real_data_dir)
    assert len(pool.documents) == 20534
    assert len(pool.queries) == 1148
    assert Counter(len(relevant) for relevant in pool.qrels.values()) == {4: 820, 3: 263, 2: 65}
    for pair, shared in {"de-ar": 207, "ar-de": 207, "es-zh": 161, "hi-vi": 177, "en-de": 512, "ar-en": 517}.items():
        task = dataset.load(dataset.pair(pair), real_data_dir)
        assert len(task.queries) == task.notes["shared_question_ids"] == shared, pair
    assert dataset.load(dataset.pair("de-xx"), real_data_dir).notes["relevant_per_query"] == [2, 4]


@pytest.mark.parametrize("pair", ["xquad-r/de-de", "xquad-r/el-en", "xquad-r/ar-xx", "mlqa-r/de-ar", "mlqa-r/en-xx", "mlqa-r/vi-vi"])
def test_queries_and_qrels_without_the_candidates_equal_the_loaded_task(real_data_dir: Path, pair: str) -> None:
    pair_id = PairId.parse(pair)
    dataset = lareqa(pair_id.dataset)
    queries, qrels = dataset.queries_and_qrels(pair_id, real_data_dir)
    task = dataset.load(pair_id, real_data_dir)
    assert list(queries) == list(task.queries) and qrels == task.qrels and len(queries) > 100


def test_miracl_topics_and_qrels_from_the_anserini_files(real_data_dir: Path) -> None:
    dataset = get_dataset("miracl")
    counts = {}
    for lang in dataset.languages:
        task = dataset.load(PairId("miracl", lang, lang), real_data_dir)
        counts[lang] = len(task.queries)
        assert set(task.qrels) == {q.query_id for q in task.queries}
    assert counts == MIRACL_DEV_QUERIES
    de = dataset.load(PairId("miracl", "de", "de"), real_data_dir)
    assert sum(len(judged) for judged in de.qrels.values()) == 3144
    assert sum(grade >= 1 for judged in de.qrels.values() for grade in judged.values()) == 811
