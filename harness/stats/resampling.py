"""Seeded resampling plans shared by every test on the same number of queries.

A plan depends only on ``(seed, n, B)``: the p-value of "A vs B" is the same whatever else is in
the table, and one matrix product scores every comparison and measure of a pair at once. Rows are
drawn in blocks from ``SeedSequence([seed, n, stream, block])``, the block size a fixed function
of ``n`` (:func:`block_rows`), so a plan never depends on memory or on which plans came before. Plans that fit in
:data:`CACHE_ENTRIES` are kept (a table of 121 pairs of 1,190 queries draws one plan, not 121).
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

BLOCK_ENTRIES = 2**22  # at most 32 MiB of int64 draws per block
MAX_BLOCK_ROWS = 1024
SIGN_STREAM = 0
BOOTSTRAP_STREAM = 1
CACHE_ENTRIES = 2**24  # 128 MiB of float64 per cached plan


def sign_flip_blocks(seed: int, n: int, count: int) -> Iterator[np.ndarray]:
    """``count`` random sign patterns over ``n`` queries, as float64 row blocks of +1/-1."""
    if n * count <= CACHE_ENTRIES:
        yield _cached(SIGN_STREAM, seed, n, count)
        return
    for block, size in _blocks(n, count):
        yield (_sign_bits(seed, n, block, size) * np.int8(2) - np.int8(1)).astype(np.float64)


def bootstrap_count_blocks(seed: int, n: int, count: int) -> Iterator[np.ndarray]:
    """``count`` bootstrap resamples of ``n`` queries, as float64 row blocks: how often each query is drawn."""
    if n * count <= CACHE_ENTRIES:
        yield _cached(BOOTSTRAP_STREAM, seed, n, count)
        return
    for block, size in _blocks(n, count):
        yield _draw_counts(seed, n, block, size).astype(np.float64)


def all_sign_patterns(n: int) -> np.ndarray:
    """Every one of the ``2**n`` sign patterns as a ``2**n x n`` matrix of +1/-1 (for exact tests)."""
    codes = np.arange(2**n, dtype=np.int64)[:, None]
    bits = (codes >> np.arange(n, dtype=np.int64)) & 1
    return bits.astype(np.float64) * 2.0 - 1.0


@lru_cache(maxsize=4)
def _cached(stream: int, seed: int, n: int, count: int) -> np.ndarray:
    draw = _sign_bits if stream == SIGN_STREAM else _draw_counts
    parts = [draw(seed, n, block, size) for block, size in _blocks(n, count)]
    matrix = np.concatenate(parts).astype(np.float64) if parts else np.empty((0, n))
    if stream == SIGN_STREAM:
        matrix = matrix * 2.0 - 1.0
    matrix.flags.writeable = False
    return matrix


def block_rows(n: int) -> int:
    """Rows per block of a plan over ``n`` queries: 1,024, fewer for very long query lists."""
    return max(1, min(MAX_BLOCK_ROWS, BLOCK_ENTRIES // max(n, 1)))


def _blocks(n: int, count: int) -> Iterator[tuple[int, int]]:
    rows = block_rows(n)
    for block, start in enumerate(range(0, count, rows)):
        yield block, min(rows, count - start)


def _generator(seed: int, n: int, stream: int, block: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, n, stream, block]))


def _sign_bits(seed: int, n: int, block: int, size: int) -> np.ndarray:
    return _generator(seed, n, SIGN_STREAM, block).integers(0, 2, size=(size, n), dtype=np.int8)


def _draw_counts(seed: int, n: int, block: int, size: int) -> np.ndarray:
    draws = _generator(seed, n, BOOTSTRAP_STREAM, block).integers(0, n, size=(size, n))
    flat = (draws + np.arange(size)[:, None] * n).ravel()
    return np.bincount(flat, minlength=size * n).reshape(size, n).astype(np.int32)
