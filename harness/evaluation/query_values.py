"""One measure's per-query values as a read-only mapping over arrays: query id -> value.

An evaluation of a million queries would otherwise hold a dict of a million boxed floats per
measure (about 64 MB each); here the values stay one float64 array, the query ids one list
shared by every measure, and the id -> position index is built only when a value is looked up
by id (once, for all the measures of an evaluation).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np


class QueryIndex:
    """Sorted query ids and, on first use, their positions."""

    def __init__(self, query_ids: Sequence[str]) -> None:
        self.query_ids = query_ids
        self._positions: dict[str, int] | None = None

    def position(self, query_id: str) -> int:
        """Where ``query_id`` is in :attr:`query_ids`; ``KeyError`` where it is not."""
        if self._positions is None:
            self._positions = {qid: position for position, qid in enumerate(self.query_ids)}
        return self._positions[query_id]


class QueryValues(Mapping[str, float]):
    """query id -> value of one measure, equal to (and ``dict()`` of it is) the plain dict."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: QueryIndex, values: np.ndarray) -> None:
        self._index, self._values = index, values

    def __getitem__(self, query_id: str) -> float:
        return float(self._values[self._index.position(query_id)])

    def __iter__(self) -> Iterator[str]:
        return iter(self._index.query_ids)

    def __len__(self) -> int:
        return len(self._index.query_ids)

    def items(self):  # zip is C speed; the Mapping default looks every id up
        return zip(self._index.query_ids, self._values.tolist())

    def values(self):
        return self._values.tolist()

    def __repr__(self) -> str:
        return f"QueryValues({len(self)} queries)"

    def __deepcopy__(self, memo: dict) -> dict[str, float]:
        return dict(self.items())  # a copy is a plain dict: JSON writes it


def per_query_values(query_ids: Sequence[str], values: Mapping[str, np.ndarray]) -> dict[str, QueryValues]:
    """measure -> :class:`QueryValues` for ``query_ids`` (sorted), sharing one index."""
    index = QueryIndex(query_ids)
    return {name: QueryValues(index, found) for name, found in values.items()}
