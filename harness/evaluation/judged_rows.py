"""Attaching grades to ranked rows: one hash pass over the documents, then only the hits.

Every kernel measure depends on a ranking only through the ranks of its judged documents, so
the rows whose document the qrels do not list are dropped here, after their ranks are known.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from harness.evaluation.arrow_arrays import string_lengths, strings, strings_at
from harness.evaluation.coded_rows import EXACT_BYTES, fingerprints
from harness.evaluation.kernels import RankedJudgments
from harness.evaluation.ranking import offsets_from_lengths


@dataclass
class JudgedRanking:
    """What the measures need of a ranking: the evaluated queries and their judged rows.

    ``query_ids`` are the evaluated queries, sorted (judged ones, and with ``missing_as_zero``
    those absent from the run, as empty rankings). ``ranked_documents()`` lays out every
    evaluated query's ranked document ids, best first, with offsets: only the ir-measures
    providers and RankDistance's unretrieved documents ask for it.
    """

    query_ids: list[str]
    judgments: RankedJudgments
    ties: dict[str, object]
    unjudged_run_queries: list[str]
    missing_run_queries: list[str]
    ranked_documents: Callable[[], tuple[np.ndarray, np.ndarray]]


def evaluated_queries(run_query_ids: Sequence[str], judged: Mapping[str, object], missing_as_zero: bool) -> tuple[list[str], list[str], list[str]]:
    """``(evaluated, missing, unjudged)`` query ids, each sorted, from the run's sorted distinct query ids."""
    in_run = set(run_query_ids)
    missing = sorted(qid for qid in judged if qid not in in_run)
    evaluated = sorted(judged) if missing_as_zero else sorted(qid for qid in judged if qid in in_run)
    return evaluated, missing, [qid for qid in run_query_ids if qid not in judged]


class JudgedQueries:
    """The judgments of the evaluated queries (``query_ids``, in order) as integer keys.

    Query ``i``'s judgment of document ``d`` is key ``i * len(documents) + code(d)``;
    ``keys`` is sorted and ``grades`` follows it.
    """

    def __init__(self, query_ids: Sequence[str], judged: Mapping[str, Mapping[str, int]]) -> None:
        per_query = [judged.get(qid, {}) for qid in query_ids]
        lengths = np.array([len(docs) for docs in per_query], dtype=np.int64)
        total = int(lengths.sum())
        listed = list(itertools.chain.from_iterable(per_query))
        # codes in order of first mention, each document once (dict.fromkeys: no Python loop)
        self.documents: dict[str, int] = dict(zip(dict.fromkeys(listed), itertools.count()))
        doc_codes = np.fromiter(map(self.documents.__getitem__, listed), dtype=np.int64, count=total)
        grades = np.fromiter(itertools.chain.from_iterable(docs.values() for docs in per_query), dtype=np.int64, count=total)
        query_of = np.repeat(np.arange(len(per_query), dtype=np.int64), lengths)
        keys = query_of * max(len(self.documents), 1) + doc_codes
        by_key = np.argsort(keys, kind="stable")
        self.keys, self.grades = keys[by_key], grades[by_key]
        self.qrel_offsets = offsets_from_lengths(lengths)
        self.qrel_grades = grades[np.lexsort((-grades, query_of))]  # each query's grades, highest first

    def document_codes(self, doc_ids, doc_fingerprints: np.ndarray | None = None) -> np.ndarray:
        """Each document's code among the judged documents, -1 where no query judges it.

        An arrow array's documents are first matched by :func:`fingerprints` (``doc_fingerprints``
        where known): a table of their top 16 bits, then a search among the judged ones, leave a
        few candidates (a collision only adds one). A candidate as long as the judged document it
        matched, of at most :data:`EXACT_BYTES` bytes, is that document; the strings of the others decide.
        """
        if isinstance(doc_ids, np.ndarray):
            return np.fromiter(map(self.documents.get, doc_ids.tolist(), itertools.repeat(-1)), dtype=np.int64, count=len(doc_ids))
        found = fingerprints(doc_ids) if doc_fingerprints is None else doc_fingerprints
        codes = np.full(len(found), -1, dtype=np.int64)
        if not self.documents:
            return codes
        documents = strings(list(self.documents))
        judged = fingerprints(documents)
        by_fingerprint = np.argsort(judged, kind="stable")
        judged = judged[by_fingerprint]
        table = np.zeros(1 << 16, dtype=bool)
        table[judged >> np.uint64(48)] = True
        maybe = np.flatnonzero(table[found >> np.uint64(48)])
        position = np.minimum(np.searchsorted(judged, found[maybe]), len(judged) - 1)
        hit = judged[position] == found[maybe]
        candidates, matched = maybe[hit], by_fingerprint[position[hit]]
        length = string_lengths(doc_ids)[candidates]
        exact = (length == string_lengths(documents)[matched]) & (length <= EXACT_BYTES)
        codes[candidates[exact]] = matched[exact]
        rest = candidates[~exact]
        codes[rest] = np.fromiter(map(self.documents.get, strings_at(doc_ids, rest), itertools.repeat(-1)), dtype=np.int64, count=len(rest))
        return codes

    def grades_of(self, query_index: np.ndarray, doc_codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(found, grades)``: which (query, judged document) pairs the qrels hold, and their grades."""
        keys = query_index.astype(np.int64) * max(len(self.documents), 1) + doc_codes
        if not len(self.keys):
            return np.zeros(len(keys), dtype=bool), np.zeros(0, dtype=np.int64)
        position = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        found = self.keys[position] == keys
        return found, self.grades[position[found]]

    def ranked(self, row_query: np.ndarray, rank: np.ndarray, grades: np.ndarray) -> RankedJudgments:
        """The kernels' view of the judged rows (given in rank order within each query)."""
        num_queries = len(self.qrel_offsets) - 1
        offsets = offsets_from_lengths(np.bincount(row_query, minlength=num_queries))
        # trec_eval: a negative grade is in the pool but unjudged
        return RankedJudgments(offsets, grades, rank, self.qrel_offsets, self.qrel_grades, grades >= 0)


def judge_ordered_rows(
    judged: JudgedQueries, doc_ids, order: np.ndarray, offsets: np.ndarray, doc_fingerprints: np.ndarray | None = None
) -> RankedJudgments:
    """Judged rows of rankings laid out query after query: query ``i`` owns documents
    ``doc_ids[order[offsets[i]:offsets[i+1]]]``, best first."""
    codes = judged.document_codes(doc_ids, doc_fingerprints)[order]
    rows = np.flatnonzero(codes >= 0)
    row_query = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))[rows]
    found, grades = judged.grades_of(row_query, codes[rows])
    rows, row_query = rows[found], row_query[found]
    return judged.ranked(row_query, rows - offsets[row_query] + 1, grades)
