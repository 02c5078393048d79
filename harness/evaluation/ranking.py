"""Putting a run's rows in evaluation order, with the pinned tie-breaking, and counting ties.

The pinned order (SPEC 5) is trec_eval's: score descending, then document id descending
(compared as strings, code point by code point, which for UTF-8 is trec_eval's ``strcmp``).
Sorting is vectorised; document ids are only compared inside groups of tied scores.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    """A run's rows in evaluation order: query ``i`` (ids sorted) owns ``order[offsets[i]:offsets[i+1]]``, best first.

    ``codes`` gives each row (in the run's own order) the index of its query in ``query_ids``.
    """

    query_ids: np.ndarray
    offsets: np.ndarray
    order: np.ndarray
    ties: dict[str, object]
    codes: np.ndarray


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
    return Ranking(query_ids, offsets, order, ties, codes)


def factorize_sorted(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, sorted distinct values)``; codes follow string order.

    A hash encoding, then a sort of the distinct values alone: sorting millions of strings
    costs seconds where this costs a hash pass. Values listed in blocks of equal neighbours
    (a run's query ids, one query after another) only encode each block's first value.
    """
    values = np.asarray(values, dtype=object)
    starts = np.r_[0, np.flatnonzero(values[1:] != values[:-1]) + 1] if len(values) else np.zeros(0, dtype=np.int64)
    if len(starts) < len(values) // 2:
        block_codes, uniques = encode(values[starts])
        codes = np.repeat(block_codes, np.diff(np.r_[starts, len(values)]))
    else:
        codes, uniques = encode(values)
    by_value = np.argsort(uniques, kind="stable")
    position = np.empty(len(by_value), dtype=np.int64)
    position[by_value] = np.arange(len(by_value))
    return position[codes], uniques[by_value]


def encode(values) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct values in order of first appearance)`` of strings, by arrow's hash encoding."""
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(as_arrow_strings(values))
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False), encoded.dictionary.to_numpy(zero_copy_only=False)


def first_duplicate(
    query_codes: np.ndarray, doc_codes: np.ndarray, doc_vocabulary: np.ndarray, query_ids: np.ndarray, order: np.ndarray | None = None
) -> tuple[str, str] | None:
    """``(query id, document id)`` of a document listed twice for one query, else ``None``.

    Rows name their query and document by codes (``query_ids[query_codes]``,
    ``doc_vocabulary[doc_codes]``). One integer sort decides; only a run that has a duplicate
    is searched again, query by query in id order and each query's rows in ``order`` (default:
    as given), so the one named is the first that order meets.
    """
    keys = query_codes.astype(np.int64) * max(len(doc_vocabulary), 1) + doc_codes
    keys.sort()
    if not (keys[1:] == keys[:-1]).any():
        return None
    rows = np.arange(len(query_codes)) if order is None else order
    codes, docs = query_codes[rows], doc_codes[rows]
    for code in np.unique(codes).tolist():
        seen: set[int] = set()
        for doc in docs[codes == code].tolist():
            if doc in seen:
                return str(query_ids[code]), str(doc_vocabulary[doc])
            seen.add(doc)
    return None  # not reached: equal keys are one query's equal documents


def as_arrow_strings(values):
    """An arrow string array of ``values`` (an arrow array already, or a numpy array of str)."""
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    return pa.array(np.asarray(values, dtype=object), type=pa.string())


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


def _doc_ids_descending_within_ties(order: np.ndarray, tied: np.ndarray, doc_ids: np.ndarray) -> np.ndarray:
    """Reorder each run of tied rows by document id descending; other rows stay put."""
    in_tie = np.r_[tied, False] | np.r_[False, tied]
    positions = np.flatnonzero(in_tie)
    group = np.cumsum(np.r_[True, ~tied])[positions]
    doc_rank = factorize_sorted(doc_ids[order[positions]])[0]
    order = order.copy()
    order[positions] = order[positions][np.lexsort((-doc_rank, group))]
    return order
