"""Putting a run's rows in evaluation order, with the pinned tie-breaking, and counting ties.

The pinned order (SPEC 5) is trec_eval's: score descending, then document id descending
(compared as strings, code point by code point, which for UTF-8 is trec_eval's ``strcmp``).
Sorting is vectorised; document ids are only compared inside groups of tied scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.errors import HarnessError
from harness.evaluation.run import Run

TIE_BREAKS = ("trec_eval", "rank")
TIE_ORDERS = {
    "trec_eval": "score descending, then document id descending (trec_eval)",
    "rank": "the run file's rank ascending, then score descending, then document id descending",
}
TIES_DEFINITION = "tied_neighbours: pairs of adjacent rows of one query, sorted by score, with equal scores"


@dataclass(frozen=True)
class Ranking:
    """A run's rows in evaluation order: query ``i`` (ids sorted) owns ``order[offsets[i]:offsets[i+1]]``, best first."""

    query_ids: np.ndarray
    offsets: np.ndarray
    order: np.ndarray
    ties: dict[str, object]


def rank_run(run: Run, tie_break: str = "trec_eval") -> Ranking:
    """Order ``run`` per query: the pinned order, or the file's ranks with ``tie_break="rank"``."""
    if tie_break not in TIE_BREAKS:
        raise HarnessError(f"unknown tie_break {tie_break!r}; choose one of {', '.join(TIE_BREAKS)}")
    if tie_break == "rank" and run.ranks is None:
        raise HarnessError(f"run {run.name!r} has no ranks (it was not read from a run file): use tie_break='trec_eval'")
    scores = np.asarray(run.scores, dtype=np.float64)
    if not np.isfinite(scores).all():
        bad = int(np.flatnonzero(~np.isfinite(scores))[0])
        raise HarnessError(f"run {run.name!r}: query {run.query_ids[bad]!r} document {run.doc_ids[bad]!r} has score {scores[bad]}")
    codes, query_ids = factorize_sorted(run.query_ids)
    order = _by_query_then_score(codes, scores)
    sorted_codes = codes[order]
    sorted_scores = scores[order]
    tied = (sorted_codes[1:] == sorted_codes[:-1]) & (sorted_scores[1:] == sorted_scores[:-1])
    if tied.any():
        order = _doc_ids_descending_within_ties(order, tied, np.asarray(run.doc_ids, dtype=object))
    if tie_break == "rank":
        order = order[np.lexsort((np.asarray(run.ranks)[order], sorted_codes))]
    offsets = offsets_from_lengths(np.bincount(codes, minlength=len(query_ids)))
    ties = {
        "tied_neighbours": int(tied.sum()),
        "queries_with_ties": int(len(np.unique(sorted_codes[1:][tied]))),
        "tied_rows": int(np.count_nonzero(np.r_[tied, False] | np.r_[False, tied])),
        "definition": TIES_DEFINITION,
    }
    return Ranking(query_ids, offsets, order, ties)


def group_rows(query_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sorted unique query ids, row order, offsets)`` with each query's rows contiguous, file order kept."""
    codes, uniques = factorize_sorted(query_ids)
    starts = _query_blocks(codes)
    order = np.argsort(codes, kind="stable") if starts is None else _move_blocks(codes, starts)
    return uniques, order, offsets_from_lengths(np.bincount(codes, minlength=len(uniques)))


def factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, sorted distinct values)``; codes follow string order.

    pandas' own ``sort=True`` costs about three times more on millions of rows; sorting only
    the distinct values and remapping the codes does not.
    """
    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    by_value = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
    position = np.empty(len(by_value), dtype=np.int64)
    position[by_value] = np.arange(len(by_value))
    return position[codes], np.asarray(uniques, dtype=object)[by_value]


def first_duplicate(doc_ids: np.ndarray, offsets: np.ndarray) -> tuple[int, str] | None:
    """``(query index, document id)`` of a document listed twice within one query's rows, else ``None``."""
    for i in range(len(offsets) - 1):
        docs = doc_ids[offsets[i] : offsets[i + 1]].tolist()
        if len(set(docs)) != len(docs):
            seen: set[str] = set()
            for doc in docs:
                if doc in seen:
                    return i, doc
                seen.add(doc)
    return None


def take_queries(offsets: np.ndarray, rows: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and offsets of the given groups, in the given order; group ``-1`` is an empty query."""
    lengths = np.where(groups >= 0, np.diff(offsets)[groups], 0)
    starts = np.where(groups >= 0, offsets[:-1][groups], 0)
    new_offsets = offsets_from_lengths(lengths)
    positions = np.arange(new_offsets[-1], dtype=np.int64) + np.repeat(starts - new_offsets[:-1], lengths)
    return rows[positions], new_offsets


def offsets_from_lengths(lengths: np.ndarray) -> np.ndarray:
    """Start of each group and the end of the last: ``[0, l0, l0 + l1, ...]``."""
    offsets = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    return offsets


def _by_query_then_score(codes: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Row order by query code, then score descending (ties in row order)."""
    starts = _query_blocks(codes)
    if starts is not None and not ((codes[1:] == codes[:-1]) & (scores[1:] > scores[:-1])).any():
        return _move_blocks(codes, starts)
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


def _doc_ids_descending_within_ties(order: np.ndarray, tied: np.ndarray, doc_ids: np.ndarray) -> np.ndarray:
    """Reorder each run of tied rows by document id descending; other rows stay put."""
    in_tie = np.r_[tied, False] | np.r_[False, tied]
    positions = np.flatnonzero(in_tie)
    group = np.cumsum(np.r_[True, ~tied])[positions]
    doc_rank = factorize_sorted(doc_ids[order[positions]])[0]
    order = order.copy()
    order[positions] = order[positions][np.lexsort((-doc_rank, group))]
    return order
