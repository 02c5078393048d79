"""The buffer-level readers of arrow string arrays agree with Python on every string (slices included)."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from harness.evaluation.arrow_arrays import blank_strings, decimal_integers, empty_strings, short_string_words, strings, strings_at

DECIMALS = st.from_regex(r"\A[+-]?[0-9]{1,20}\Z")
TEXTS = st.text(alphabet=st.sampled_from(["a", " ", "\t", "é", "7"]), max_size=4)


def _sliced(values: list[str], start: int):
    start = min(start, len(values))
    return strings(["x", *values])[1 + start :], values[start:]


@given(st.lists(DECIMALS, max_size=30), st.integers(0, 3))
def test_decimal_integers_are_pythons_int(values: list[str], start: int) -> None:
    array, kept = _sliced(values, start)
    found = decimal_integers(array)
    if any(len(value) > 18 for value in kept):
        assert found is None
    else:
        assert found.dtype == np.int64 and found.tolist() == [int(value) for value in kept]


@given(st.lists(TEXTS, max_size=30), st.integers(0, 3))
def test_empty_and_blank_strings(values: list[str], start: int) -> None:
    array, kept = _sliced(values, start)
    assert empty_strings(array) == any(value == "" for value in kept)
    assert blank_strings(array) == any(value.strip(" \t") == "" for value in kept)


@given(st.lists(TEXTS, min_size=1, max_size=30), st.data())
def test_strings_at_are_the_strings(values: list[str], data) -> None:
    array, kept = _sliced(values, data.draw(st.integers(0, len(values) - 1)))
    rows = data.draw(st.lists(st.integers(0, len(kept) - 1), max_size=10)) if kept else []
    assert strings_at(array, np.array(rows, dtype=np.int64)) == [kept[row] for row in rows]


SHORT = st.text(alphabet=st.sampled_from(["a", "b", "\x00", "é", "ÿ", "7", "€"]), max_size=8)


@given(st.lists(SHORT, max_size=30), st.integers(0, 3), st.data())
def test_short_string_words_order_as_the_strings_do(values: list[str], start: int, data) -> None:
    array, kept = _sliced(values, start)
    rows = np.array(data.draw(st.lists(st.integers(0, len(kept) - 1), max_size=12)) if kept else [], dtype=np.int64)
    found = short_string_words(array, rows)
    picked = [kept[row] for row in rows.tolist()]
    if any(len(value.encode()) > 8 for value in picked):
        assert found is None
        return
    words, lengths = found
    assert lengths.tolist() == [len(value.encode()) for value in picked]
    by_words = np.lexsort((lengths, words)).tolist()
    assert [picked[i] for i in by_words] == sorted(picked)  # Python compares str by code point, as UTF-8 bytes sort
    keys = list(zip(words.tolist(), lengths.tolist()))
    assert all((keys[i] == keys[j]) == (picked[i] == picked[j]) for i in range(len(picked)) for j in range(len(picked)))
