"""mMARCO's multilingual side drawn as the code-switching paper's create_multilingual.py drew it.

The literals below were computed once with the paper's own loop (``random.seed(0)``, then
``languages[random.randint(0, 5)]`` 8,841,823 + 6,980 times, 3.5 s) and are the reference the
vectorised draw must meet; the shorter checks recompute the loop itself.
"""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from harness.datasets import get_dataset, language_draw
from harness.datasets.language_draw import PASSAGES, SEEN, official_draws, passage_language, python_randbelow, query_languages
from harness.datasets.options import options_by_dataset
from harness.datasets.pairs import PairId
from harness.errors import HarnessError


def paper_loop(count: int, seed: int = 0, n: int = 6) -> list[int]:
    generator = random.Random(seed)
    return [generator.randint(0, n - 1) for _ in range(count)]


def test_the_first_draws_are_the_papers_loop() -> None:
    assert official_draws(50).tolist() == paper_loop(50)
    assert [passage_language("official", str(i)) for i in range(10)] == ["nl", "nl", "en", "it", "ru", "nl", "nl", "it", "nl", "it"]
    assert [SEEN[i] for i in paper_loop(10)] == [passage_language("official", str(i)) for i in range(10)]


@pytest.mark.parametrize("seed, n", [(0, 6), (7, 6), (3, 5), (1, 3)])
def test_vectorised_draws_equal_pythons_randint(seed: int, n: int) -> None:
    assert python_randbelow(seed, n, 200_000).tolist() == paper_loop(200_000, seed, n)


def test_the_last_passages_and_the_queries_continue_the_same_generator() -> None:
    assert [passage_language("official", str(i)) for i in range(PASSAGES - 3, PASSAGES)] == ["nl", "en", "nl"]
    ids = [f"q{i}" for i in range(8)]
    assert list(query_languages("official", ids).values()) == ["de", "ru", "nl", "it", "ar", "de", "de", "nl"]
    counts = Counter(SEEN[i] for i in official_draws(PASSAGES).tolist())
    assert counts == {"ar": 1473946, "de": 1472807, "en": 1474172, "it": 1473397, "nl": 1473534, "ru": 1473967}
    queries = Counter(query_languages("official", [str(i) for i in range(6980)]).values())
    assert queries == {"ar": 1164, "de": 1179, "en": 1192, "it": 1142, "nl": 1150, "ru": 1153}


def test_a_query_takes_the_draw_of_its_position_in_the_file() -> None:
    ids = ["1048585", "2", "524332"]  # the first dev/small queries, in queries.dev.small.tsv order
    assert query_languages("official", ids) == {"1048585": "de", "2": "ru", "524332": "nl"}
    assert query_languages("official", ids[1:]) == {"2": "de", "524332": "ru"}  # the draw follows the order, not the id


def test_the_hash_draw_is_kept_as_an_option() -> None:
    assert passage_language("hash", "7") == language_draw.drawn_language("passage", "7")
    assert query_languages("hash", ["5", "1"]) == {"5": language_draw.drawn_language("query", "5"), "1": language_draw.drawn_language("query", "1")}
    assert language_draw.describe("hash")["method"] == "hash" and "create_multilingual.py" in language_draw.describe("official")["how"]


@pytest.mark.parametrize("doc_id", ["8841823", "-1", "abc", ""])
def test_an_id_outside_the_corpus_has_no_official_language(doc_id: str) -> None:
    with pytest.raises(HarnessError, match="official draw covers ids 0..8841822"):
        passage_language("official", doc_id)


def test_the_draw_is_a_dataset_option_checked_before_any_data_is_read(tmp_path: Path) -> None:
    mmarco = get_dataset("mmarco")
    assert [option.name for option in mmarco.options] == ["language_draw"] and mmarco.options[0].default == "official"
    assert mmarco.describe(tmp_path)["options"][0]["choices"] == ["official", "hash"]
    with pytest.raises(HarnessError, match=r"language_draw='random' of mmarco: expected one of official, hash"):
        mmarco.task(PairId("mmarco", "xx", "en"), tmp_path, options={"language_draw": "random"})
    with pytest.raises(HarnessError, match=r"dataset option 'candidate_text' does not apply to mmarco \(mmarco: language_draw\)"):
        options_by_dataset([mmarco], {"candidate_text": "sentence"})
    assert options_by_dataset([mmarco, get_dataset("miracl")], {"language_draw": "hash"}) == {"mmarco": {"language_draw": "hash"}, "miracl": {}}


def test_official_draws_are_cached_once_per_process() -> None:
    assert np.shares_memory(official_draws(PASSAGES + 10), official_draws(PASSAGES))
