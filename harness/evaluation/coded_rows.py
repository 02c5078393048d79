"""A run's rows with their query and document ids as integer codes: what the evaluator works on.

Strings are hashed once, by arrow, into codes; everything after (ordering, duplicate checks,
joining the qrels) compares integers, and ids are looked up again only to name one in an error
or to compare documents tied on score.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.evaluation.run import Run, string_array

# Up to this many values, Python dicts encode strings and arrow is not imported.
SMALL = 65_536


@dataclass
class CodedRows:
    """Rows of a run: query ``query_ids[query_codes[r]]`` (``query_ids`` sorted), document
    ``doc_vocabulary[doc_codes[r]]``, score ``scores[r]`` and, from a file, rank ``ranks[r]``."""

    query_codes: np.ndarray
    query_ids: np.ndarray
    doc_codes: np.ndarray
    doc_vocabulary: np.ndarray
    scores: np.ndarray
    ranks: np.ndarray | None = None
    name: str = ""

    @classmethod
    def from_run(cls, run: Run) -> "CodedRows":
        query_codes, query_ids = factorize_sorted(run.query_ids)
        doc_codes, doc_vocabulary = encode(run.doc_ids)
        return cls(query_codes, query_ids, doc_codes, doc_vocabulary, np.asarray(run.scores, dtype=np.float64), run.ranks, run.name)

    def __len__(self) -> int:
        return len(self.scores)

    def query_id(self, row: int) -> str:
        return str(self.query_ids[self.query_codes[row]])

    def doc_id(self, row: int) -> str:
        return str(self.doc_vocabulary[self.doc_codes[row]])


def factorize_sorted(values) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, sorted distinct values)``; codes follow string order.

    A hash encoding, then a sort of the distinct values alone: sorting millions of strings
    costs seconds where this costs a hash pass. Values listed in blocks of equal neighbours
    (a run's query ids, one query after another) only encode each block's first value.
    """
    starts = None
    if isinstance(values, np.ndarray):
        values = np.asarray(values, dtype=object)
        starts = np.r_[0, np.flatnonzero(values[1:] != values[:-1]) + 1] if len(values) else np.zeros(0, dtype=np.int64)
    if starts is not None and len(starts) < len(values) // 2:
        block_codes, uniques = encode(values[starts])
        codes = np.repeat(block_codes, np.diff(np.r_[starts, len(values)]))
    else:
        codes, uniques = encode(values)
    by_value = np.argsort(uniques, kind="stable")
    position = np.empty(len(by_value), dtype=np.int64)
    position[by_value] = np.arange(len(by_value))
    return position[codes], uniques[by_value]


def encode(values) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, distinct values in order of first appearance)`` of strings.

    Arrow's hash encoding for many values; a Python dict for few, where it is faster than
    arrow's start-up (whose conversions to numpy import pandas).
    """
    if isinstance(values, np.ndarray) and len(values) <= SMALL:
        index: dict[str, int] = {}
        codes = np.fromiter((index.setdefault(value, len(index)) for value in values.tolist()), dtype=np.int64, count=len(values))
        return codes, string_array(list(index))
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(as_arrow_strings(values))
    return encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False), encoded.dictionary.to_numpy(zero_copy_only=False)


def as_arrow_strings(values):
    """An arrow string array of ``values`` (an arrow array already, or a numpy array of str)."""
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values
    return pa.array(np.asarray(values, dtype=object), type=pa.string())
