"""A dense ranker's scores as a matrix, evaluated without being turned into run rows.

Row ``i`` holds query ``query_ids[i]``'s scores of every candidate (``doc_ids``), or, with
``columns``, of its own candidates ``doc_ids[columns[i]]`` (a top-k). The measures need only
the ranks of judged documents, and in the pinned order (score descending, then document id
descending) a document's rank is one plus the number of candidates scored higher plus the
number tied with it under a greater id: a sort of each row's values (SIMD, no indices) and a
binary search per judged document give them. The rows themselves are laid out only when a
run file is written or a measure outside the kernels asks (:meth:`ScoreMatrix.to_run`).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from harness.errors import HarnessError
from harness.evaluation.compat import ranking_scores
from harness.evaluation.judged_rows import JudgedQueries, JudgedRanking, evaluated_queries
from harness.evaluation.ranking import TIES_DEFINITION, offsets_from_lengths
from harness.evaluation.run import Run, string_array


@dataclass
class ScoreMatrix:
    """Scores of queries x candidates (or of each query's own top-k candidates, ``columns``)."""

    query_ids: np.ndarray
    doc_ids: np.ndarray
    scores: np.ndarray
    columns: np.ndarray | None = None
    name: str = ""
    metadata: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.query_ids = string_array(list(self.query_ids))
        self.doc_ids = string_array(list(self.doc_ids))
        width = len(self.doc_ids) if self.columns is None else self.columns.shape[1]
        if self.scores.shape != (len(self.query_ids), width) or (self.columns is not None and self.columns.shape != self.scores.shape):
            raise HarnessError(f"score matrix {self.name!r}: scores {self.scores.shape} do not match {len(self.query_ids)} queries x {width} candidates")
        for kind, ids in (("query", self.query_ids), ("document", self.doc_ids)):
            if len(set(ids.tolist())) != len(ids):
                raise HarnessError(f"score matrix {self.name!r}: a {kind} id is listed twice")
        if self.columns is not None and self.columns.shape[1] > 1:
            ordered = np.sort(self.columns, axis=1)
            repeated = np.flatnonzero((ordered[:, 1:] == ordered[:, :-1]).any(axis=1))
            if len(repeated):
                raise HarnessError(f"run {self.name!r}: query {self.query_ids[repeated[0]]!r} lists a document twice")

    def __len__(self) -> int:
        return int(self.scores.size)

    def to_run(self) -> Run:
        """The rows of a run file, each query's in the pinned order (queries in id order)."""
        rows = np.argsort(self.query_ids.astype(str), kind="stable")
        best_first = self._order(self.scores, rows)
        scores = np.take_along_axis(self.scores[rows], best_first, axis=1).astype(np.float64).ravel()
        query_ids = np.repeat(self.query_ids[rows], self.scores.shape[1])
        return Run(query_ids, self._documents(best_first, rows), scores, None, self.name, dict(self.metadata))

    def to_dict(self) -> dict[str, dict[str, float]]:
        """As ``{query_id: {doc_id: score}}``, like :meth:`Run.to_dict`."""
        return self.to_run().to_dict()

    def judged_ranking(self, judged: Mapping[str, Mapping[str, int]], tie_break: str, compat: str, missing_as_zero: bool) -> JudgedRanking:
        """The judged documents' ranks per evaluated query (what :func:`evaluate` needs)."""
        if tie_break != "trec_eval":
            raise HarnessError(f"run {self.name!r} has no ranks (it was not read from a run file): use tie_break='trec_eval'")
        # float32 scores are what every mode ranks by already: no float64 copy of the matrix
        scores = self.scores if self.scores.dtype == np.float32 else ranking_scores(self.scores.astype(np.float64).ravel(), compat, self.name).reshape(self.scores.shape)
        self._check_finite(scores)
        ascending = np.sort(scores, axis=1)
        query_ids, missing, unjudged = evaluated_queries(sorted(self.query_ids.tolist()), judged, missing_as_zero)
        queries = JudgedQueries(query_ids, judged)
        entry_query, entry_rank, entry_grade = self._judged_ranks(queries, query_ids, scores, ascending)
        keep = np.lexsort((entry_rank, entry_query))
        judgments = queries.ranked(entry_query[keep], entry_rank[keep], entry_grade[keep])
        row_of = {qid: i for i, qid in enumerate(self.query_ids.tolist())}
        rows = np.array([row_of.get(qid, -1) for qid in query_ids], dtype=np.int64)
        return JudgedRanking(query_ids, judgments, _ties(ascending), unjudged, missing, lambda: self._ranked(scores, rows))

    def _judged_ranks(self, queries: JudgedQueries, query_ids: list[str], scores: np.ndarray, ascending: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(query index, rank, grade)`` of every judged document the matrix ranks."""
        width = max(len(queries.documents), 1)
        entry_query, entry_code = np.divmod(queries.keys, width)
        doc_codes = queries.document_codes(self.doc_ids)
        doc_of_code = np.full(width, -1, dtype=np.int64)
        doc_of_code[doc_codes[doc_codes >= 0]] = np.flatnonzero(doc_codes >= 0)
        entry_doc = doc_of_code[entry_code]
        row_of = {qid: i for i, qid in enumerate(self.query_ids.tolist())}
        query_row = np.array([row_of.get(qid, -1) for qid in query_ids], dtype=np.int64)
        entry_row = query_row[entry_query] if len(entry_query) else np.zeros(0, dtype=np.int64)
        entry_column = np.full(len(entry_query), -1, dtype=np.int64)
        present = (entry_doc >= 0) & (entry_row >= 0)
        if self.columns is None:
            entry_column[present] = entry_doc[present]
        else:
            for i in np.flatnonzero(present).tolist():
                hit = np.flatnonzero(self.columns[entry_row[i]] == entry_doc[i])
                entry_column[i] = hit[0] if len(hit) else -1
        found = np.flatnonzero(entry_column >= 0)
        ranks = np.empty(len(found), dtype=np.int64)
        values = scores[entry_row[found], entry_column[found]]
        bounds = offsets_from_lengths(np.bincount(entry_row[found], minlength=len(scores))) if len(found) else np.zeros(len(scores) + 1, dtype=np.int64)
        by_row = np.argsort(entry_row[found], kind="stable")
        for row in np.flatnonzero(np.diff(bounds)).tolist():
            members = by_row[bounds[row] : bounds[row + 1]]
            row_values = values[members]
            above = ascending.shape[1] - np.searchsorted(ascending[row], row_values, side="right")
            tied = np.searchsorted(ascending[row], row_values, side="right") - np.searchsorted(ascending[row], row_values, side="left")
            ranks[members] = above + 1
            for k in np.flatnonzero(tied > 1).tolist():
                ranks[members[k]] += self._tied_above(row, entry_column[found[members[k]]], scores)
        return entry_query[found], ranks, queries.grades[found]

    def _tied_above(self, row: int, column: int, scores: np.ndarray) -> int:
        """Candidates of ``row`` tied with ``column``'s score whose document id is greater (they rank first)."""
        tied = np.flatnonzero(scores[row] == scores[row, column])
        doc = self._doc(row, column)
        return sum(self._doc(row, other) > doc for other in tied.tolist())

    def _doc(self, row: int, column: int) -> str:
        return self.doc_ids[column if self.columns is None else self.columns[row, column]]

    def _order(self, scores: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per row (of ``rows``), the candidate positions best first: score descending, then document id descending."""
        ids = self.doc_ids.astype(str)
        if self.columns is None:
            by_id = np.argsort(ids, kind="stable")[::-1]
            return by_id[np.argsort(-scores[rows][:, by_id], axis=1, kind="stable")]
        orders = [np.lexsort((ids[self.columns[row]], scores[row]))[::-1] for row in rows.tolist()]
        return np.array(orders, dtype=np.int64).reshape(len(rows), self.scores.shape[1])

    def _ranked(self, scores: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every given row's ranked document ids (a row of ``-1`` is an empty ranking), with offsets."""
        present = rows[rows >= 0]
        lengths = np.where(rows >= 0, self.scores.shape[1], 0)
        return self._documents(self._order(scores, present), present), offsets_from_lengths(lengths)

    def _documents(self, best_first: np.ndarray, rows: np.ndarray) -> np.ndarray:
        columns = best_first if self.columns is None else np.take_along_axis(self.columns[rows], best_first, axis=1)
        return self.doc_ids[columns].ravel()

    def _check_finite(self, scores: np.ndarray) -> None:
        if np.isfinite(scores).all():
            return
        bad = np.argwhere(~np.isfinite(scores))
        if len(bad):
            row, column = bad[0].tolist()
            raise HarnessError(f"run {self.name!r}: query {self.query_ids[row]!r} document {self._doc(row, column)!r} has score {scores[row, column]}")


def _ties(ascending: np.ndarray) -> dict[str, object]:
    """The tie counts of :func:`~harness.evaluation.ranking.rank_run`, from each row's sorted values."""
    tied = ascending[:, 1:] == ascending[:, :-1]
    in_tie = np.zeros(ascending.shape, dtype=bool)
    in_tie[:, 1:] |= tied
    in_tie[:, :-1] |= tied
    return {
        "tied_neighbours": int(tied.sum()),
        "queries_with_ties": int(tied.any(axis=1).sum()),
        "tied_rows": int(in_tie.sum()),
        "definition": TIES_DEFINITION,
    }
