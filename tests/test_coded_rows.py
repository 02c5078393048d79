"""Fingerprints of document ids and the duplicate check built on them, against brute force."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.evaluation.coded_rows import EXACT_BYTES, CodedRows, factorize_sorted, fingerprints
from harness.evaluation.ranking import _equal_keys_within, first_duplicate, rank_rows

IDS = st.text(st.characters(codec="utf-8", exclude_characters=" \t\n\r"), min_size=1, max_size=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(IDS, min_size=1, max_size=30), st.integers(0, 5))
def test_equal_strings_have_equal_fingerprints_wherever_they_sit(values, cut):
    whole = pa.array(values, type=pa.string())
    found = fingerprints(whole)
    for i, j in zip(range(len(values)), range(len(values))):
        assert (found[i] == found[j]) or values[i] != values[j]
    by_value = {}
    for value, print_ in zip(values, found.tolist()):
        assert by_value.setdefault(value, print_) == print_
    sliced = whole.slice(min(cut, len(values) - 1))
    assert fingerprints(sliced).tolist() == found[min(cut, len(values) - 1) :].tolist()
    # arrow and Python fingerprints differ, but both are functions of the string
    python = fingerprints(np.array(values, dtype=object))
    assert all(python[i] == python[j] for i in range(len(values)) for j in range(len(values)) if values[i] == values[j])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["q1", "q2", "q3"]), IDS), min_size=1, max_size=25), st.booleans())
def test_duplicates_are_found_exactly(pairs, as_arrow):
    query_codes, query_ids = factorize_sorted(np.array([q for q, _ in pairs], dtype=object))
    docs = [d for _, d in pairs]
    doc_ids = pa.array(docs, type=pa.string()) if as_arrow else np.array(docs, dtype=object)
    rows = CodedRows(query_codes, query_ids, doc_ids, np.arange(len(pairs), dtype=np.float64) % 3)
    found = first_duplicate(rows)
    ranking = rank_rows(rows)  # query by query: each query's keys sorted on their own
    assert (first_duplicate(rows, ranking.order, ranking.offsets) is None) == (found is None)
    expected = None
    for qid in sorted({q for q, _ in pairs}):
        seen = set()
        for q, d in pairs:
            if q == qid and d in seen and expected is None:
                expected = (qid, d)
            if q == qid:
                seen.add(d)
        if expected:
            break
    assert found == expected


TOP = 2**64 - 1  # the padding of the per-query table: a real key may equal it


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from([0, 1, 2, TOP - 1, TOP]), max_size=6), min_size=1, max_size=8))
def test_equal_keys_are_found_within_groups_only(groups):
    keys = np.array([key for group in groups for key in group], dtype=np.uint64)
    offsets = np.r_[0, np.cumsum([len(group) for group in groups])]
    expected = any(len(set(group)) < len(group) for group in groups)
    assert _equal_keys_within(keys, offsets) == expected


def test_a_fingerprint_collision_is_not_a_duplicate(monkeypatch):
    import harness.evaluation.coded_rows as coded_rows

    monkeypatch.setattr(coded_rows, "fingerprints", lambda values: np.zeros(len(values), dtype=np.uint64))
    rows = CodedRows(np.zeros(3, dtype=np.int64), np.array(["q"], dtype=object), np.array(["a", "b", "c"], dtype=object), np.zeros(3))
    assert first_duplicate(rows) is None
    rows = CodedRows(np.zeros(3, dtype=np.int64), np.array(["q"], dtype=object), np.array(["a", "b", "a"], dtype=object), np.zeros(3))
    assert first_duplicate(rows) == ("q", "a")


def test_judged_documents_of_an_arrow_array_are_found_through_colliding_fingerprints(monkeypatch):
    import harness.evaluation.judged_rows as judged_rows
    from harness.evaluation.arrow_arrays import string_buffers, strings
    from harness.evaluation.judged_rows import JudgedQueries

    docs = strings(["x", "b", "a", "zz", "a", "document-ten", "document-two", "document-ten"])[1:]  # a slice: offsets do not start at 0
    queries = JudgedQueries(["q"], {"q": {"document-ten": 1, "document-six": 2, "a": 1, "c": 0, "zz": 2}})
    code = queries.documents
    expected = [-1, code["a"], code["zz"], code["a"], code["document-ten"], -1, code["document-ten"]]
    assert queries.document_codes(docs).tolist() == expected
    real = judged_rows.fingerprints

    def colliding(values):  # every string longer than EXACT_BYTES collides with every other, and with "a"
        found = real(values)
        found[np.diff(string_buffers(values)[0]) > EXACT_BYTES] = real(strings(["a"]))[0]
        return found

    monkeypatch.setattr(judged_rows, "fingerprints", colliding)
    assert queries.document_codes(docs).tolist() == expected


SHORT_TEXTS = st.text(alphabet=st.sampled_from(["a", "b", "\x00", "é", "7", " "]), max_size=8).filter(lambda text: len(text.encode()) <= EXACT_BYTES)


@settings(max_examples=500, deadline=None)
@given(SHORT_TEXTS, SHORT_TEXTS)
def test_short_strings_of_one_length_share_a_fingerprint_only_when_equal(first, second):
    from harness.evaluation.arrow_arrays import strings

    found = fingerprints(strings([first, second]))
    if len(first.encode()) == len(second.encode()):
        assert (found[0] == found[1]) == (first == second)
    elif first == second[: len(first)] or second == first[: len(second)]:
        assert found[0] != found[1]  # a prefix differs by its length alone (zero bytes included)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["q1", "q2"]), SHORT_TEXTS, st.sampled_from([0.5, 1.0])), min_size=1, max_size=25), st.lists(IDS, max_size=2))
def test_tied_documents_order_alike_from_arrow_and_from_python(rows, long_ids):
    # an arrow array's ids of up to 8 bytes are ordered as integers, a numpy array's as Python strings: the same order
    # (with a longer id among them, arrow's are compared as strings too)
    rows = rows + [("q1", doc, 0.5) for doc in long_ids]
    from harness.evaluation.arrow_arrays import strings

    query_codes, query_ids = factorize_sorted(np.array([q for q, _, _ in rows], dtype=object))
    docs = [d for _, d, _ in rows]
    scores = np.array([s for _, _, s in rows])
    python = rank_rows(CodedRows(query_codes, query_ids, np.array(docs, dtype=object), scores))
    arrow = rank_rows(CodedRows(query_codes, query_ids, strings(docs), scores))
    assert arrow.order.tolist() == python.order.tolist() and arrow.ties == python.ties
