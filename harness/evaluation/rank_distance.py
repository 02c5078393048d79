"""Rank distance, the language-bias measure for multilingual pools (SPEC 3; LAReQA).

For one query: the highest rank minus the lowest rank among its relevant candidates (the
answer sentence in every language). It needs every relevant candidate's rank, however deep:
a relevant candidate the run did not retrieve is placed after all retrieved documents, among
the pool's other unretrieved documents, which tie at "no score" and so follow the pinned tie
order (document id descending). A query with fewer than two relevant candidates scores 0
(there is no spread to measure); lower is better.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from harness.errors import HarnessError
from harness.evaluation.kernels import RankedJudgments

RELEVANT_GRADE = 1
DEFINITION = (
    "per query: highest minus lowest rank among documents with grade >= 1; unretrieved relevant documents "
    "ranked after all retrieved ones, among the pool's unretrieved documents by document id descending; "
    "0 for queries with fewer than two relevant documents; mean over queries; lower is better"
)


def rank_distance(
    judged: RankedJudgments,
    query_ids: Sequence[str],
    qrels: Mapping[str, Mapping[str, int]],
    pool: Iterable[str] | None,
    ranked_documents: Callable[[], tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Per-query rank distance for the queries of ``judged`` (named by ``query_ids``, in order).

    ``ranked_documents()`` gives every query's ranked document ids and their offsets; it is
    asked for only when a relevant document was not retrieved.
    """
    relevant = judged.grades >= RELEVANT_GRADE
    lowest = np.full(judged.num_queries, np.inf)
    highest = np.full(judged.num_queries, -np.inf)
    np.minimum.at(lowest, judged.row_query[relevant], judged.rank[relevant])
    np.maximum.at(highest, judged.row_query[relevant], judged.rank[relevant])
    wanted = judged.num_relevant(RELEVANT_GRADE)
    unretrieved_queries = np.flatnonzero(judged.per_query_sum(relevant) < wanted)
    if len(unretrieved_queries):
        if pool is None:
            i = unretrieved_queries[0]
            raise HarnessError(
                f"RankDistance: query {query_ids[i]!r} has relevant documents the run did not retrieve; "
                "their ranks need the collection's document ids (pass pool=...)"
            )
        ranks = _UnretrievedRanks(pool)
        ranked_doc_ids, offsets = ranked_documents()
        for i in unretrieved_queries.tolist():
            retrieved = ranked_doc_ids[offsets[i] : offsets[i + 1]].tolist()
            missing = {doc for doc, grade in qrels[query_ids[i]].items() if grade >= RELEVANT_GRADE}.difference(retrieved)
            deep = ranks.of(query_ids[i], missing, retrieved)
            lowest[i] = min(lowest[i], min(deep))
            highest[i] = max(highest[i], max(deep))
    return np.where(wanted >= 2, highest - lowest, 0.0)


class _UnretrievedRanks:
    """Ranks of unretrieved documents, from the pool sorted once (only when some query needs it)."""

    def __init__(self, pool: Iterable[str]) -> None:
        self.members = set(pool)
        self.ascending = sorted(self.members)

    def of(self, query_id: str, docs: Iterable[str], retrieved: list[str]) -> list[int]:
        """Rank of each unretrieved ``doc``: after the retrieved ones, then by document id descending."""
        retrieved_in_pool = sorted(doc for doc in retrieved if doc in self.members)
        ranks = []
        for doc in docs:
            if doc not in self.members:
                raise HarnessError(f"RankDistance: relevant document {doc!r} of query {query_id!r} is not in the pool")
            pool_above = len(self.ascending) - bisect.bisect_right(self.ascending, doc)
            retrieved_above = len(retrieved_in_pool) - bisect.bisect_right(retrieved_in_pool, doc)
            ranks.append(len(retrieved) + 1 + pool_above - retrieved_above)
        return ranks
