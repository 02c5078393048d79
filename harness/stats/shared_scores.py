"""Per-query scores of the compared systems on their shared pairs, and the units of each paired test."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.stats.comparison_result import Column
from harness.submissions import Submission


class SharedScores:
    """Per-query scores of every system on every shared pair: each system's own, and for two
    systems the queries both hold. Rows are the queries any system holds, sorted; ``masks`` says
    who holds which (None where every system holds every query, the usual case)."""

    def __init__(self, submissions: Sequence[Submission], pairs: Sequence[PairId]) -> None:
        self.names = [s.name for s in submissions]
        self.matrices: dict[tuple[str, str], np.ndarray] = {}
        self.masks: dict[str, np.ndarray | None] = {}
        self.counts: dict[str, dict[str, Any]] = {}
        self._means: dict[tuple[str, str], np.ndarray] = {}
        for pair in pairs:
            tables = [s.per_query_table(pair) for s in submissions]
            query_sets = [set(t.query_ids) for t in tables]
            rows = sorted(set.union(*query_sets))
            same = all(len(q) == len(rows) for q in query_sets)
            self.counts[str(pair)] = {"shared": len(set.intersection(*query_sets)), "per_system": {n: len(q) for n, q in zip(self.names, query_sets)}}
            self.masks[str(pair)] = None if same else np.array([[q in held for held in query_sets] for q in rows], dtype=bool)
            position = {q: i for i, q in enumerate(rows)}
            placed = [slice(None) if t.query_ids == rows else [position[q] for q in t.query_ids] for t in tables]
            for measure in set.intersection(*(set(t.measures) for t in tables)):
                matrix = np.full((len(rows), len(tables)), np.nan)  # NaN: a query this system does not hold
                for j, (table, where) in enumerate(zip(tables, placed)):
                    matrix[where, j] = table.values[:, table.measures.index(measure)]
                self.matrices[(str(pair), measure)] = matrix

    def has_column(self, column: Column, measure: str) -> bool:
        return all((p, measure) in self.matrices for p in column.pairs)

    def units(self, column: Column, measure: str, average_test: str) -> np.ndarray | None:
        """The units of every system side by side (units x systems), where all hold the same queries of
        the column's pairs (else None): column ``a`` minus column ``b`` is :meth:`differences` of a and b."""
        if any(self.masks[p] is not None for p in column.pairs):
            return None
        if column.is_average and average_test == "pair-means":
            return np.stack([self._column_means(p, measure) for p in column.pairs])
        return np.concatenate([self.matrices[(p, measure)] for p in column.pairs])

    def own_value(self, column: Column, measure: str, index: int) -> float:
        """The system's own mean on a pair; on an average column, the macro average of its own pair means."""
        means = [self._own(p, measure, index).mean() for p in column.pairs]
        return float(np.mean(means)) if column.is_average else float(means[0])

    def differences(self, column: Column, measure: str, a: int, b: int, average_test: str) -> np.ndarray:
        """The units of the test of systems ``a`` and ``b``: per-query differences on the queries both
        hold, or per pair the difference of their means over those queries (``pair-means``)."""
        if column.is_average and average_test == "pair-means":
            means = np.stack([self._shared_means(p, measure, a, b) for p in column.pairs])
            return means[:, 0] - means[:, 1]
        parts = [self._shared(p, measure, a, b) for p in column.pairs]
        return np.concatenate([part[:, 0] - part[:, 1] for part in parts]) if column.is_average else parts[0][:, 0] - parts[0][:, 1]

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
