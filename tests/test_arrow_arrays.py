"""The buffer-level readers of arrow string arrays agree with Python on every string (slices included)."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from harness.evaluation.arrow_arrays import blank_strings, decimal_integers, empty_strings, strings, strings_at

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
