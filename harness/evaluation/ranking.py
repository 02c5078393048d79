"""Putting a run's rows in evaluation order, with the pinned tie-breaking, and counting ties.

The pinned order (SPEC 5) is trec_eval's: score descending, then document id descending
(compared as strings, code point by code point, which for UTF-8 is trec_eval's ``strcmp``).
Sorting is vectorised; document ids are only compared inside groups of tied scores.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError
from harness.evaluation.arrow_arrays import short_string_words
from harness.evaluation.coded_rows import CodedRows, factorize_sorted
from harness.evaluation.run import Run

TIE_BREAKS = ("trec_eval", "rank")
TIE_ORDERS = {
    "trec_eval": "score descending, then document id descending (trec_eval)",
    "rank": "the run file's rank ascending, then score descending, then document id descending",
}
TIES_DEFINITION = "tied_neighbours: pairs of adjacent rows of one query, sorted by score, with equal scores"


@dataclass(frozen=True)
class Ranking:
    """Rows in evaluation order: query ``i`` (of the rows' sorted ``query_ids``) owns ``order[offsets[i]:offsets[i+1]]``, best first."""

    offsets: np.ndarray
    order: np.ndarray
    ties: dict[str, object]


def rank_run(run: Run, tie_break: str = "trec_eval") -> Ranking:
    """Order ``run`` per query: the pinned order, or the file's ranks with ``tie_break="rank"``."""
    return rank_rows(CodedRows.from_run(run), tie_break)


def rank_rows(rows: CodedRows, tie_break: str = "trec_eval") -> Ranking:
    """Order coded rows per query: the pinned order, or the file's ranks with ``tie_break="rank"``."""
    if tie_break not in TIE_BREAKS:
        raise HarnessError(f"unknown tie_break {tie_break!r}; choose one of {', '.join(TIE_BREAKS)}")
    if tie_break == "rank" and rows.ranks is None:
        raise HarnessError(f"run {rows.name!r} has no ranks (it was not read from a run file): use tie_break='trec_eval'")
    scores = rows.scores
    if not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise HarnessError(f"run {rows.name!r}: query {rows.query_id(bad)!r} document {rows.doc_id(bad)!r} has score {scores[bad]}")
    codes = rows.query_codes
    order = _by_query_then_score(codes, scores)
    sorted_codes = codes[order]
    sorted_scores = scores[order]
    tied = (sorted_codes[1:] == sorted_codes[:-1]) & (sorted_scores[1:] == sorted_scores[:-1])
    if tied.any():
        order = _doc_ids_descending_within_ties(order, tied, rows)
    if tie_break == "rank":
        order = order[np.lexsort((np.asarray(rows.ranks)[order], sorted_codes))]
    offsets = offsets_from_lengths(np.bincount(codes, minlength=len(rows.query_ids)))
    ties = {
        "tied_neighbours": int(tied.sum()),
        "queries_with_ties": _distinct_sorted(sorted_codes[1:][tied]),
        "tied_rows": int(np.count_nonzero(np.r_[tied, False] | np.r_[False, tied])),
        "definition": TIES_DEFINITION,
    }
    return Ranking(offsets, order, ties)


def _distinct_sorted(values: np.ndarray) -> int:
    """How many distinct values a sorted array holds (``np.unique`` would import ``numpy.ma``: 10 ms of start-up)."""
    return int(np.count_nonzero(values[1:] != values[:-1])) + 1 if len(values) else 0


def first_duplicate(rows: CodedRows, order: np.ndarray | None = None, offsets: np.ndarray | None = None) -> tuple[str, str] | None:
    """``(query id, document id)`` of a document listed twice for one query, else ``None``.

    A sort of 64-bit keys (query and document fingerprint) decides; equal keys are checked
    as strings, as a fingerprint may collide. Given ``offsets`` (``order`` lists the rows query
    by query, as a :class:`Ranking` does), each query's keys are sorted on their own. Only a run
    that has a duplicate is searched again, query by query in id order and each query's rows in
    ``order`` (default: as given), so the one named is the first that order meets.
    """
    if len(rows) < 2:
        return None
    keys = rows.doc_fingerprints() ^ (rows.query_codes.astype(np.uint64) * np.uint64(0x27D4EB2F165667C5))
    if not (_equal_keys_within(keys[order], offsets) if offsets is not None else _equal_keys(keys)):
        return None
    by_key = np.argsort(keys, kind="stable")
    sorted_keys = keys[by_key]
    shared = np.r_[sorted_keys[1:] == sorted_keys[:-1], False] | np.r_[False, sorted_keys[1:] == sorted_keys[:-1]]
    suspects = by_key[shared]  # rows whose key another row has: equal strings, or a collision
    pairs = list(zip(rows.query_codes[suspects].tolist(), rows.docs_at(suspects).tolist()))
    queries = sorted({code for (code, _), count in Counter(pairs).items() if count > 1})
    if not queries:
        return None
    rows_in_order = np.arange(len(rows)) if order is None else order
    codes = rows.query_codes[rows_in_order]
    for code in queries:
        seen: set[str] = set()
        for doc in rows.docs_at(rows_in_order[codes == code]).tolist():
            if doc in seen:
                return str(rows.query_ids[code]), doc
            seen.add(doc)
    return None  # not reached: equal strings of one query are a duplicate


def _equal_keys(keys: np.ndarray) -> bool:
    """Whether two of ``keys`` are equal: one sort of the values (several times faster than an argsort)."""
    ordered = np.sort(keys)
    return bool((ordered[1:] == ordered[:-1]).any())


def _equal_keys_within(keys: np.ndarray, offsets: np.ndarray) -> bool:
    """Whether two keys of one group (``keys[offsets[i]:offsets[i + 1]]``) are equal.

    The groups are sorted as the rows of a table, padded at the end with the largest key:
    many short sorts run in cache, 15x faster than one sort of a million keys.
    """
    lengths = np.diff(offsets)
    width = int(lengths.max()) if len(lengths) else 0
    if width < 2:
        return False
    if width * len(lengths) > 2 * len(keys):  # a few long groups: padding would cost more than it saves
        if not _equal_keys(keys):
            return False
        groups = np.repeat(np.arange(len(lengths)), lengths)
        by_group = np.lexsort((keys, groups))
        same = (keys[by_group][1:] == keys[by_group][:-1]) & (groups[by_group][1:] == groups[by_group][:-1])
        return bool(same.any())
    if (lengths == width).all():
        table = keys.reshape(len(lengths), width).copy()
    else:
        table = np.full((len(lengths), width), np.iinfo(np.uint64).max, dtype=np.uint64)
        table[np.repeat(np.arange(len(lengths)), lengths), np.arange(len(keys)) - np.repeat(offsets[:-1], lengths)] = keys
    table.sort(axis=1)
    equal = table[:, 1:] == table[:, :-1]
    # a key equal to the padding may sort among it: only neighbours inside a group count
    return bool((equal & (np.arange(width - 1) < (lengths - 1)[:, None])).any())


def take_queries(offsets: np.ndarray, rows: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and offsets of the given groups, in the given order; group ``-1`` is an empty query."""
    present = groups >= 0
    lengths = np.zeros(len(groups), dtype=np.int64)
    starts = np.zeros(len(groups), dtype=np.int64)
    lengths[present] = np.diff(offsets)[groups[present]]
    starts[present] = offsets[:-1][groups[present]]
    new_offsets = offsets_from_lengths(lengths)
    positions = np.arange(new_offsets[-1], dtype=np.int64) + np.repeat(starts - new_offsets[:-1], lengths)
    return rows[positions], new_offsets


def offsets_from_lengths(lengths: np.ndarray) -> np.ndarray:
    """Start of each group and the end of the last: ``[0, l0, l0 + l1, ...]``."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _by_query_then_score(codes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Row order by query code, then score descending (the order of tied rows is left to the tie pass)."""
    starts = _query_blocks(codes)
    if starts is None:
        return np.lexsort((-scores, codes))
    if not ((codes[1:] == codes[:-1]) & (scores[1:] > scores[:-1])).any():
        return _move_blocks(codes, starts)
    lengths = np.diff(np.r_[starts, len(codes)])
    if len(lengths) and (lengths == lengths[0]).all():  # one query after another, all as long (a score matrix's rows)
        within = np.argsort(-scores.reshape(len(starts), int(lengths[0])), axis=1) + starts[:, None]
        return within[np.argsort(codes[starts])].ravel()
    return np.lexsort((-scores, codes))


def _query_blocks(codes: np.ndarray) -> np.ndarray | None:
    """Where each query's block starts, if every query's rows are contiguous (as run files list them)."""
    if not len(codes):
        return np.zeros(0, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
    return starts if len(starts) == codes.max() + 1 else None


def _move_blocks(codes: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Row order putting contiguous query blocks in code order: linear, where a sort of millions of rows takes seconds."""
    block_offsets = np.r_[starts, len(codes)].astype(np.int64)
    return take_queries(block_offsets, np.arange(len(codes), dtype=np.int64), np.argsort(codes[starts]))[0]


def _doc_ids_descending_within_ties(order: np.ndarray, tied: np.ndarray, rows: CodedRows) -> np.ndarray:
    """Reorder each run of tied rows by document id descending; other rows stay put."""
    in_tie = np.r_[tied, False] | np.r_[False, tied]
    positions = np.flatnonzero(in_tie)
    group = np.cumsum(np.r_[True, ~tied])[positions]
    short = None if isinstance(rows.doc_ids, np.ndarray) else short_string_words(rows.doc_ids, order[positions])
    if short is None:
        doc_rank = factorize_sorted(rows.docs_at(order[positions]))[0]
        by_doc = np.lexsort((-doc_rank, group))
    else:  # ids of up to 8 bytes (MS MARCO's) compared as integers, not as Python strings
        words, lengths = short
        by_doc = np.lexsort((-lengths, ~words, group))
    order = order.copy()
    order[positions] = order[positions][by_doc]
    return order
