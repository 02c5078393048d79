"""Per-query scores of the compared systems on their pairs, and the units of each paired test."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.stats.comparison_result import Column
from harness.submissions import Submission


class SharedScores:
    """Per-query scores of every system on every compared pair: each system's own, and for two
    systems the queries both hold. Rows are the queries any holder of the pair holds, sorted;
    columns are every system (NaN where a system does not hold the query or the pair).
    ``holders`` says which systems hold a pair's measure; ``masks`` who holds which query (None
    where every holder holds every query, the usual case)."""

    def __init__(self, submissions: Sequence[Submission], pairs: Sequence[PairId]) -> None:
        self.names = [s.name for s in submissions]
        self.matrices: dict[tuple[str, str], np.ndarray] = {}
        self.holders: dict[tuple[str, str], tuple[int, ...]] = {}
        self.masks: dict[str, np.ndarray | None] = {}
        self.counts: dict[str, dict[str, Any]] = {}
        self._means: dict[tuple[str, str], np.ndarray] = {}
        for pair in pairs:
            held = [i for i, s in enumerate(submissions) if str(pair) in s.meta["pairs"]]
            tables = {i: submissions[i].per_query_table(pair) for i in held}
            query_sets = {i: set(t.query_ids) for i, t in tables.items()}
            rows = sorted(set.union(*query_sets.values()))
            same = all(len(q) == len(rows) for q in query_sets.values())
            self.counts[str(pair)] = {
                "shared": len(set.intersection(*query_sets.values())),
                "per_system": {self.names[i]: len(q) for i, q in query_sets.items()},
            }
            self.masks[str(pair)] = None if same else self._mask(rows, query_sets)
            position = {q: k for k, q in enumerate(rows)}
            placed = {i: slice(None) if t.query_ids == rows else [position[q] for q in t.query_ids] for i, t in tables.items()}
            for measure in dict.fromkeys(m for t in tables.values() for m in t.measures):
                who = tuple(i for i in held if measure in tables[i].measures)
                matrix = np.full((len(rows), len(self.names)), np.nan)  # NaN: a query this system does not hold
                for i in who:
                    matrix[placed[i], i] = tables[i].values[:, tables[i].measures.index(measure)]
                self.matrices[(str(pair), measure)] = matrix
                self.holders[(str(pair), measure)] = who

    def _mask(self, rows: list[str], query_sets: dict[int, set[str]]) -> np.ndarray:
        """Rows x systems: who holds which query (False throughout for a system without the pair)."""
        mask = np.zeros((len(rows), len(self.names)), dtype=bool)
        for i, queries in query_sets.items():
            mask[:, i] = [q in queries for q in rows]
        return mask

    def has_column(self, column: Column, measure: str) -> bool:
        """Whether any system holds the measure on a pair of the column."""
        return any((p, measure) in self.matrices for p in column.pairs)

    def held_pairs(self, column: Column, measure: str, *systems: int) -> tuple[str, ...]:
        """The pairs of the column on which every one of ``systems`` holds the measure."""
        return tuple(p for p in column.pairs if all(s in self.holders.get((p, measure), ()) for s in systems))

    def units(
        self, column: Column, measure: str, average_test: str, systems: Sequence[int] | None = None, pairs: Sequence[str] | None = None
    ) -> np.ndarray | None:
        """The units of ``systems`` (default: all) side by side (units x systems) on ``pairs`` (default:
        the column's), where every holder holds the same queries of those pairs (else None): column
        ``a`` minus column ``b`` is :meth:`differences` of a and b."""
        pairs = column.pairs if pairs is None else pairs
        chosen = list(range(len(self.names))) if systems is None else list(systems)
        if any(self.masks[p] is not None for p in pairs):
            return None
        if column.is_average and average_test == "pair-means":
            return np.stack([self._column_means(p, measure)[chosen] for p in pairs])
        return np.concatenate([self.matrices[(p, measure)][:, chosen] for p in pairs])

    def own_value(self, column: Column, measure: str, index: int) -> float:
        """The system's own mean on a pair; on an average column, the macro average of its own means
        over the column's pairs it holds (NaN where it holds none)."""
        means = [self._own(p, measure, index).mean() for p in self.held_pairs(column, measure, index)]
        return float(np.mean(means)) if means else float("nan")

    def differences(self, column: Column, measure: str, a: int, b: int, average_test: str, pairs: Sequence[str] | None = None) -> np.ndarray:
        """The units of the test of systems ``a`` and ``b`` on ``pairs`` (default: the column's):
        per-query differences on the queries both hold, or per pair the difference of their means
        over those queries (``pair-means``)."""
        pairs = column.pairs if pairs is None else pairs
        if column.is_average and average_test == "pair-means":
            means = np.stack([self._shared_means(p, measure, a, b) for p in pairs])
            return means[:, 0] - means[:, 1]
        return np.concatenate([part[:, 0] - part[:, 1] for part in (self._shared(p, measure, a, b) for p in pairs)])

    def _shared_means(self, pair: str, measure: str, a: int, b: int) -> np.ndarray:
        """The means of ``a`` and ``b`` over the queries both hold (where all hold the same queries,
        from the matrix's column means: the same bits whichever systems are compared)."""
        if self.masks[pair] is None:
            return self._column_means(pair, measure)[[a, b]]
        return self._shared(pair, measure, a, b).mean(axis=0)

    def _column_means(self, pair: str, measure: str) -> np.ndarray:
        key = (pair, measure)
        if key not in self._means:
            self._means[key] = self.matrices[key].mean(axis=0)
        return self._means[key]

    def _own(self, pair: str, measure: str, index: int) -> np.ndarray:
        mask = self.masks[pair]
        column = self.matrices[(pair, measure)][:, index]
        return column if mask is None else column[mask[:, index]]

    def _shared(self, pair: str, measure: str, a: int, b: int) -> np.ndarray:
        """Queries both hold x (a, b)."""
        matrix, mask = self.matrices[(pair, measure)], self.masks[pair]
        if mask is None:
            return matrix[:, [a, b]]
        both = mask[:, a] & mask[:, b]
        if not both.any():
            sizes = ", ".join(f"{name} {count}" for name, count in self.counts[pair]["per_system"].items())
            raise HarnessError(
                f"{pair}: {self.names[a]} and {self.names[b]} share no query (queries per system: {sizes}); they cannot be compared"
            )
        return matrix[np.ix_(both, [a, b])]
