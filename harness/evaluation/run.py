"""A run held column-wise (query ids, document ids, scores, file ranks): millions of lines stay cheap."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Run:
    """A ranking for many queries, one row per (query, document).

    ``ranks`` keeps the rank column of a TREC file (``None`` for runs made in memory); it only
    matters for the explicit rank-order tie-breaking. Row order carries no meaning.
    """

    query_ids: np.ndarray
    doc_ids: np.ndarray
    scores: np.ndarray
    ranks: np.ndarray | None = None
    name: str = ""
    metadata: dict[str, object] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Mapping[str, float]], name: str = "") -> Run:
        """From ``{query_id: {doc_id: score}}``."""
        return cls.from_rankings(((qid, docs.keys(), docs.values()) for qid, docs in mapping.items()), name)

    @classmethod
    def from_rankings(cls, rankings: Iterable[tuple[str, Iterable[str], Iterable[float]]], name: str = "") -> Run:
        """From ``(query_id, doc_ids, scores)`` triples, one per query."""
        qids: list[str] = []
        dids: list[str] = []
        scores: list[float] = []
        for qid, docs, values in rankings:
            docs = list(docs)
            qids.extend([qid] * len(docs))
            dids.extend(docs)
            scores.extend(values)
        return cls(string_array(qids), string_array(dids), np.asarray(scores, dtype=np.float64), None, name)

    def to_dict(self) -> dict[str, dict[str, float]]:
        """As ``{query_id: {doc_id: score}}``."""
        out: dict[str, dict[str, float]] = {}
        for qid, did, score in zip(self.query_ids.tolist(), self.doc_ids.tolist(), self.scores.tolist()):
            out.setdefault(qid, {})[did] = score
        return out

    def query_set(self) -> set[str]:
        return set(self.query_ids.tolist())


def string_array(values: Sequence[str]) -> np.ndarray:
    """An object array of strings (numpy would otherwise make a fixed-width unicode array)."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
