"""Seeded resampling plans shared by every test on the same number of queries.

A plan depends only on ``(seed, n, B)``: the p-value of "A vs B" is the same whatever else is in
the table, and one matrix product scores every comparison and measure of a pair at once. Rows are
drawn in blocks from ``SeedSequence([seed, n, stream, block])``, the block size a fixed function
of ``n`` (:func:`block_rows`), so a plan never depends on memory or on which plans came before.
Plans of up to :data:`CACHE_ENTRIES` entries are cached (a table of 121 pairs of 1,190 queries
draws one plan, not 121).
"""
from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

BLOCK_ENTRIES = 2**22  # at most 32 MiB of int64 draws per block
MAX_BLOCK_ROWS = 1024
SIGN_STREAM = 0
BOOTSTRAP_STREAM = 1
# Small plans are kept ready to multiply (float64, read-only); larger ones in compact integer form
# (1-2 bytes an entry), widened one block at a time. A 1,190-query plan of 10,000 rows is small
# (95 MiB), so a table of 121 pairs draws it once; one of 20,000 rows is kept compact (24-48 MiB).
FLOAT_CACHE_ENTRIES = 2**24
CACHE_ENTRIES = 2**27


def sign_flip_blocks(seed: int, n: int, count: int) -> Iterator[np.ndarray]:
    """``count`` random sign patterns over ``n`` queries, as float64 row blocks of +1/-1."""
    return _float_blocks(SIGN_STREAM, seed, n, count)


def bootstrap_count_blocks(seed: int, n: int, count: int) -> Iterator[np.ndarray]:
    """``count`` bootstrap resamples of ``n`` queries, as float64 row blocks: how often each query is drawn."""
    return _float_blocks(BOOTSTRAP_STREAM, seed, n, count)


def clear_plans() -> None:
    """Forget the cached plans (they are redrawn, bit for bit, when needed again)."""
    _ready_plan.cache_clear()
    _compact_plan.cache_clear()


def _float_blocks(stream: int, seed: int, n: int, count: int) -> Iterator[np.ndarray]:
    if n * count <= FLOAT_CACHE_ENTRIES:
        yield from _ready_plan(stream, seed, n, count)
        return
    compact = _compact_plan(stream, seed, n, count) if n * count <= CACHE_ENTRIES else _drawn(stream, seed, n, count)
    for block in compact:
        yield _widen(stream, block)


@lru_cache(maxsize=4)  # a sign and a bootstrap plan for the pairs' n, and for one setting mean's: none redrawn
def _ready_plan(stream: int, seed: int, n: int, count: int) -> tuple[np.ndarray, ...]:
    plan = np.concatenate([_widen(stream, block) for block in _drawn(stream, seed, n, count)])
    plan.flags.writeable = False
    return (plan,)


@lru_cache(maxsize=2)
def _compact_plan(stream: int, seed: int, n: int, count: int) -> tuple[np.ndarray, ...]:
    return tuple(_drawn(stream, seed, n, count))


def _drawn(stream: int, seed: int, n: int, count: int) -> Iterator[np.ndarray]:
    return (_draw(stream, seed, n, block, size) for block, size in _blocks(n, count))


def _widen(stream: int, block: np.ndarray) -> np.ndarray:
    wide = block.astype(np.float64)
    return wide * 2.0 - 1.0 if stream == SIGN_STREAM else wide


def _draw(stream: int, seed: int, n: int, block: int, size: int) -> np.ndarray:
    generator = np.random.default_rng(np.random.SeedSequence([seed, n, stream, block]))
    if stream == SIGN_STREAM:
        return generator.integers(0, 2, size=(size, n), dtype=np.int8)
    draws = generator.integers(0, n, size=(size, n))
    flat = (draws + np.arange(size)[:, None] * n).ravel()
    counts = np.bincount(flat, minlength=size * n).reshape(size, n)
    return counts.astype(np.uint16 if n < 2**16 else np.int32)


def all_sign_patterns(n: int) -> np.ndarray:
    """Every one of the ``2**n`` sign patterns as a ``2**n x n`` matrix of +1/-1 (for exact tests)."""
    codes = np.arange(2**n, dtype=np.int64)[:, None]
    bits = (codes >> np.arange(n, dtype=np.int64)) & 1
    return bits.astype(np.float64) * 2.0 - 1.0


def block_rows(n: int) -> int:
    """Rows per block of a plan over ``n`` queries: 1,024, fewer for very long query lists."""
    return max(1, min(MAX_BLOCK_ROWS, BLOCK_ENTRIES // max(n, 1)))


def _blocks(n: int, count: int) -> Iterator[tuple[int, int]]:
    rows = block_rows(n)
    for block, start in enumerate(range(0, count, rows)):
        yield block, min(rows, count - start)
