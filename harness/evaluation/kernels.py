"""Vectorised numpy versions of the common measures, with trec_eval's exact definitions.

ir-measures hands runs to pytrec_eval as dicts of dicts; building those for millions of rows
costs more than the measures themselves. These kernels compute AP, RR, nDCG, P, R, Success
and IPrec straight from the ranked columns, as trec_eval 10.0 defines them (tests check them
against trec_eval's own test outputs, and against pytrec_eval to 1e-12); IPrec's cut-off
follows the compatibility mode (see :mod:`harness.evaluation.compat`); with
``judged_only=True`` they run on the judged rows alone (trec_eval ``-J``). Every other
measure, or these with unusual parameters, goes to ir-measures.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, partial
from typing import TYPE_CHECKING

import numpy as np

from harness.evaluation.compat import DEFAULT_COMPAT, relevant_needed
from harness.evaluation.ranking import offsets_from_lengths

if TYPE_CHECKING:
    import ir_measures


@dataclass
class RankedJudgments:
    """Each evaluated query's judged rows at their ranks, and its judged grades.

    Only rows whose document the qrels list are kept: an unjudged row adds nothing to any of
    these measures but its rank, which the kept rows carry. Query ``i`` owns rows
    ``offsets[i]:offsets[i+1]`` (in rank order; a query missing from the run has none) and
    judgments ``qrel_offsets[i]:qrel_offsets[i+1]`` of ``qrel_grades`` (sorted descending).
    ``rank`` is each row's 1-based rank in the whole ranking; ``judged`` marks the rows judged
    with a grade >= 0 (trec_eval takes a negative grade for "in the pool, but unjudged").
    """

    offsets: np.ndarray
    grades: np.ndarray
    rank: np.ndarray
    qrel_offsets: np.ndarray
    qrel_grades: np.ndarray
    judged: np.ndarray

    def judged_only(self) -> RankedJudgments:
        """The same queries with their unjudged rows removed and the rest ranked again (trec_eval ``-J``)."""
        offsets = offsets_from_lengths(np.bincount(self.row_query[self.judged], minlength=self.num_queries))
        rank = np.arange(1, int(offsets[-1]) + 1, dtype=np.int64) - np.repeat(offsets[:-1], np.diff(offsets))
        keep = self.judged
        return RankedJudgments(offsets, self.grades[keep], rank, self.qrel_offsets, self.qrel_grades, self.judged[keep])

    @property
    def num_queries(self) -> int:
        return len(self.offsets) - 1

    @cached_property
    def row_query(self) -> np.ndarray:
        return np.repeat(np.arange(self.num_queries), np.diff(self.offsets))

    @cached_property
    def qrel_query(self) -> np.ndarray:
        return np.repeat(np.arange(self.num_queries), np.diff(self.qrel_offsets))

    def num_relevant(self, level: int) -> np.ndarray:
        """Per query, how many judged documents have grade >= ``level`` (trec_eval's ``num_rel``)."""
        return np.bincount(self.qrel_query[self.qrel_grades >= level], minlength=self.num_queries)

    def per_query_sum(self, rows: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sum ``weights`` (or count) over the selected rows, per query; summed in rank order like trec_eval."""
        return np.bincount(self.row_query[rows], weights=weights, minlength=self.num_queries).astype(np.float64)

    def first_rank(self, relevant: np.ndarray) -> np.ndarray:
        """Per query, the rank of its first relevant row (``inf`` where none)."""
        first = np.full(self.num_queries, np.inf)
        queries, index = np.unique(self.row_query[relevant], return_index=True)
        first[queries] = self.rank[relevant][index]
        return first


# A measure is ir-measures' object or the harness's stand-in for a common one; a parameter not
# given is a sentinel that is neither a number nor a mapping (each side has its own).
Kernel = Callable[[RankedJudgments, "ir_measures.Measure"], np.ndarray]


def kernel_for(measure: ir_measures.Measure, compat: str = DEFAULT_COMPAT) -> Kernel | None:
    """The numpy kernel computing ``measure`` in compatibility mode ``compat``, or ``None`` where ir-measures must."""
    kernel = _KERNELS.get(measure.NAME)
    if kernel is None:
        return None
    if measure.NAME in ("P", "R", "Success") and not isinstance(measure["cutoff"], int):
        return None
    if measure.NAME == "nDCG" and (isinstance(measure["gains"], dict) or measure["dcg"] != "log2"):
        return None
    if kernel is interpolated_precision:
        kernel = partial(interpolated_precision, compat=compat)
    return _on_judged_rows(kernel) if measure["judged_only"] else kernel


def _on_judged_rows(kernel: Kernel) -> Kernel:
    return lambda judged, measure: kernel(judged.judged_only(), measure)


def _cutoff(measure: ir_measures.Measure) -> float:
    cutoff = measure["cutoff"]
    return cutoff if isinstance(cutoff, int) else np.inf


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """trec_eval's convention: 0 where the denominator is 0 (e.g. a query with no relevant document)."""
    return np.divide(numerator, denominator, out=np.zeros(len(numerator)), where=denominator > 0)


def average_precision(judged: RankedJudgments, measure: ir_measures.Measure) -> np.ndarray:
    """trec_eval ``map`` (``map_cut_k``): precision at each relevant rank (within k), summed, over num_rel."""
    relevant = (judged.grades >= measure["rel"]) & (judged.rank <= _cutoff(measure))
    found = np.cumsum(relevant)
    found_before = np.r_[0, found][judged.offsets[:-1]]
    found = found - found_before[judged.row_query]
    precision = found[relevant] / judged.rank[relevant]
    return _ratio(judged.per_query_sum(relevant, precision), judged.num_relevant(measure["rel"]))


def reciprocal_rank(judged: RankedJudgments, measure: ir_measures.Measure) -> np.ndarray:
    """trec_eval ``recip_rank``; with a cutoff, 0 when the first relevant document is deeper."""
    first = judged.first_rank(judged.grades >= measure["rel"])
    return np.where(first <= _cutoff(measure), 1.0 / first, 0.0)


def success(judged: RankedJudgments, measure: ir_measures.Measure) -> np.ndarray:
    """trec_eval ``success_k``: 1 if a relevant document is in the top k."""
    return (judged.first_rank(judged.grades >= measure["rel"]) <= measure["cutoff"]).astype(np.float64)


def precision(judged: RankedJudgments, measure: ir_measures.Measure) -> np.ndarray:
    """trec_eval ``P_k``: relevant documents in the top k over k (missing ranks count as non-relevant)."""
    relevant = (judged.grades >= measure["rel"]) & (judged.rank <= measure["cutoff"])
    return judged.per_query_sum(relevant) / measure["cutoff"]


def recall(judged: RankedJudgments, measure: ir_measures.Measure) -> np.ndarray:
    """trec_eval ``recall_k``: relevant documents in the top k over num_rel."""
    relevant = (judged.grades >= measure["rel"]) & (judged.rank <= measure["cutoff"])
    return _ratio(judged.per_query_sum(relevant), judged.num_relevant(measure["rel"]))


def interpolated_precision(judged: RankedJudgments, measure: ir_measures.Measure, compat: str = DEFAULT_COMPAT) -> np.ndarray:
    """trec_eval ``iprec_at_recall_r``: the best precision at or below the rank reaching recall r.

    The recall level becomes a count of relevant documents: ``lround(r * num_rel)`` in trec_eval
    10.0, ``(long)(r * num_rel + 0.9)`` in 9.0.8 and pytrec_eval, which is why ir-measures
    differs from trec_eval 10.0 here. Precision only peaks at relevant ranks, so the maximum
    runs over those. A ranking left empty by ``judged_only`` scores 0, where trec_eval divides
    0 by 0 and prints nan.
    """
    relevant = judged.grades >= measure["rel"]
    rel_query, rel_rank = judged.row_query[relevant], judged.rank[relevant]
    bounds = np.searchsorted(rel_query, np.arange(judged.num_queries + 1))
    needed = relevant_needed(measure["recall"], judged.num_relevant(measure["rel"]), compat)
    values = np.zeros(judged.num_queries)
    for q in np.flatnonzero(np.diff(bounds)).tolist():
        ranks = rel_rank[bounds[q] : bounds[q + 1]]
        if needed[q] <= len(ranks):
            precision_at_relevant = np.arange(1, len(ranks) + 1) / ranks
            values[q] = precision_at_relevant[max(needed[q], 1) - 1 :].max()
    return values


def ndcg(judged: RankedJudgments, measure: ir_measures.Measure) -> np.ndarray:
    """trec_eval ``ndcg`` (``ndcg_cut_k``): gain = grade where positive, discount log2(rank + 1)."""
    cutoff = _cutoff(measure)
    gaining = (judged.grades > 0) & (judged.rank <= cutoff)
    dcg = judged.per_query_sum(gaining, judged.grades[gaining] / np.log2(judged.rank[gaining] + 1))
    ideal_rank = np.arange(1, len(judged.qrel_grades) + 1) - judged.qrel_offsets[:-1][judged.qrel_query]
    ideal = (judged.qrel_grades > 0) & (ideal_rank <= cutoff)
    idcg = np.bincount(
        judged.qrel_query[ideal], weights=judged.qrel_grades[ideal] / np.log2(ideal_rank[ideal] + 1), minlength=judged.num_queries
    )
    return _ratio(dcg, idcg)


_KERNELS: dict[str, Kernel] = {
    "AP": average_precision,
    "RR": reciprocal_rank,
    "nDCG": ndcg,
    "P": precision,
    "R": recall,
    "Success": success,
    "IPrec": interpolated_precision,
}
