"""A run's rows with query ids as integer codes and document ids as given: what the evaluator works on.

Query ids are few and are encoded once; document ids are mostly distinct in large runs, where a
hash table over all of them would cost more than everything else (cache misses), so they stay
as they are and are only fingerprinted (:func:`fingerprints`) for the duplicate check, looked
up among the judged documents, and compared as strings where scores tie.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.evaluation.arrow_arrays import numbers, string_buffers, strings, strings_at
from harness.evaluation.run import Run, string_array

# Up to this many values, Python dicts encode strings and arrow is not imported.
SMALL = 65_536
# strings of one length up to this many bytes have distinct fingerprints (see fingerprints)
EXACT_BYTES = 8
# odd 64-bit multipliers (2**64 / golden ratio and two of xxhash's primes): each spreads its input's bits
_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


@dataclass
class CodedRows:
    """Rows of a run: query ``query_ids[query_codes[r]]`` (``query_ids`` sorted), document
    ``doc_ids[r]`` (a numpy array of str or an arrow string array), score ``scores[r]`` and,
    from a file, rank ``ranks[r]``."""

    query_codes: np.ndarray
    query_ids: np.ndarray
    doc_ids: object
    scores: np.ndarray
    ranks: np.ndarray | None = None
    name: str = ""
    _doc_fingerprints: np.ndarray | None = field(default=None, repr=False, compare=False)

    @classmethod
    def from_run(cls, run: Run) -> CodedRows:
        query_codes, query_ids = factorize_sorted(run.query_ids)
        return cls(query_codes, query_ids, np.asarray(run.doc_ids, dtype=object), np.asarray(run.scores, dtype=np.float64), run.ranks, run.name)

    def __len__(self) -> int:
        return len(self.scores)

    def query_id(self, row: int) -> str:
        return str(self.query_ids[self.query_codes[row]])

    def doc_id(self, row: int) -> str:
        return str(self.docs_at(np.array([row]))[0])

    def doc_fingerprints(self) -> np.ndarray:
        """:func:`fingerprints` of the document ids, computed once (the duplicate check and the
        judged documents' lookup both read them)."""
        if self._doc_fingerprints is None:
            self._doc_fingerprints = fingerprints(self.doc_ids)
        return self._doc_fingerprints

    def docs_at(self, rows: np.ndarray) -> np.ndarray:
        """The document ids of ``rows``, as a numpy array of str."""
        if isinstance(self.doc_ids, np.ndarray):
            return self.doc_ids[rows]
        return string_array(strings_at(self.doc_ids, rows))


def fingerprints(values) -> np.ndarray:
    """A 64-bit fingerprint of each string: equal strings, equal fingerprints (unequal ones rarely).

    Python's own (cached) string hash for a numpy array of str; for an arrow string array, a
    mix of each string's first and last eight bytes and its length, read straight from arrow's
    buffers (one gather per row, no hash table). There, two strings of one length of at most
    :data:`EXACT_BYTES` bytes have equal fingerprints only if they are equal (the first eight
    bytes, times an odd number, plus a function of the length).
    """
    if isinstance(values, np.ndarray):
        return np.fromiter(map(hash, values.tolist()), dtype=np.int64, count=len(values)).view(np.uint64)
    offsets, data = string_buffers(values)
    offsets = offsets.astype(np.int64)
    size = int(offsets[-1])
    padded = np.zeros(size + 16, dtype=np.uint8)
    padded[8 : 8 + size] = data[:size]
    words = np.ndarray((size + 9,), dtype=np.uint64, buffer=padded, strides=(1,))  # the 8 bytes from each position
    lengths = np.diff(offsets)
    head = words.take(offsets[:-1] + 8)  # take: a third faster than indexing this strided view
    short = lengths < 8
    shift = lengths[short].astype(np.uint64)
    shift *= np.uint64(8)
    head[short] &= (np.uint64(1) << shift) - np.uint64(1)
    # a wrapping linear mix is enough: equal keys are compared as strings afterwards (in place: fewer
    # fresh pages, which this machine pays for dearly)
    head *= _MULTIPLIERS[0]
    if len(lengths) and lengths.max() > 8:  # the 8 bytes ending each longer string (none in MS MARCO's ids)
        tail = words.take(offsets[1:])
        tail[lengths <= 8] = 0
        tail *= _MULTIPLIERS[1]
        head += tail
    head += lengths.astype(np.uint64) * _MULTIPLIERS[2]
    return head


def factorize_sorted(values) -> tuple[np.ndarray, np.ndarray]:
    """``(codes, sorted distinct values)``; codes follow string order.

    A hash encoding, then a sort of the distinct values alone: sorting millions of strings
    costs seconds where this costs a hash pass. Values listed in blocks of equal neighbours
    (a run's query ids, one query after another) only encode each block's first value.
    """
    if hasattr(values, "dictionary"):
        return _dictionary_factorized(values)
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


def _dictionary_factorized(values) -> tuple[np.ndarray, np.ndarray]:
    """:func:`factorize_sorted` of an arrow dictionary array (as arrow's CSV reader gives query ids):
    its few distinct strings are sorted in Python; entries no row uses are dropped."""
    names = values.dictionary.to_pylist()
    distinct = sorted(set(names))
    position = {name: i for i, name in enumerate(distinct)}
    codes = np.array([position[name] for name in names], dtype=np.int64)[numbers(values.indices)]
    used = np.bincount(codes, minlength=len(distinct)) > 0
    if not used.all():
        codes = (np.cumsum(used) - 1)[codes]
        distinct = [name for name, kept in zip(distinct, used.tolist()) if kept]
    return codes, string_array(distinct)


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
    return numbers(encoded.indices).astype(np.int64), string_array(encoded.dictionary.to_pylist())


def as_arrow_strings(values):
    """An arrow string array of ``values`` (an arrow array already, or a numpy array of str)."""
    return strings(values.tolist()) if isinstance(values, np.ndarray) else values
