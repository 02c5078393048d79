"""Percentile intervals from partial sorts: the bits of ``numpy.quantile`` at a fraction of its cost.

A percentile interval needs two quantiles of each comparison's B resampled means, and each
quantile (numpy's default ``linear`` method) two neighbouring order statistics. ``np.quantile``
partitions around all of them at once, which numpy does with a slow multi-pivot selection. Here
one single-pivot partition per quantile, at the neighbour nearer the lane's end, leaves the
other neighbour as the extreme of the short side (250 values of 10,000 at 2.5%), found by a
cheap reduction. Lanes are split between threads (numpy's partition releases the GIL). Dividing
by ``count`` preserves order, so the order statistics are taken on the resampled sums and divided
afterwards. The index and interpolation arithmetic is numpy's own, operation for operation, so
the result is ``np.quantile(lanes / count, quantiles, axis=1)`` bit for bit; a lane holding a NaN
or an infinity is left to ``np.quantile`` itself.
"""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from harness.stats.threaded import in_threads

MIN_THREAD_VALUES = 1 << 20  # below a million values a second thread costs more than it saves
MIN_CUT_SIZE = 2_000  # from this many resamples, tails are read below a sampled cut
SAMPLE_STRIDE = 16  # a sample of every 16th value sets the cut


def linear_quantiles(lanes: np.ndarray, count: int, quantiles: Sequence[float]) -> np.ndarray:
    """``np.quantile(lanes / count, quantiles, axis=1)`` (len(quantiles) x rows), the same bits.

    ``lanes`` (rows x resamples, float64, C-contiguous) is partially sorted in place.
    """
    q = np.asanyarray(quantiles, dtype=np.float64)
    finite = np.isfinite(lanes).all(axis=1)
    if not finite.all():
        out = np.empty((q.size, lanes.shape[0]))
        out[:, ~finite] = np.quantile(lanes[~finite] / count, q, axis=1)
        out[:, finite] = linear_quantiles(np.ascontiguousarray(lanes[finite]), count, quantiles)
        return out
    previous, following, gamma = linear_neighbours(q, lanes.shape[1])
    low = np.empty((q.size, lanes.shape[0]))
    high = np.empty_like(low)
    threads = min(os.cpu_count() or 1, max(1, lanes.size // MIN_THREAD_VALUES), lanes.shape[0])
    if threads > 1:
        in_threads(lambda part: _order_statistics(lanes[part], previous, following, low[:, part], high[:, part]), lanes.shape[0], threads)
    else:
        _order_statistics(lanes, previous, following, low, high)
    return lerp(low / count, high / count, gamma)


def linear_neighbours(q: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """numpy's ``_get_indexes`` and ``_get_gamma`` for method="linear", unchanged (indices taken mod ``size``)."""
    virtual = (size - 1) * q
    previous = np.floor(virtual)
    following = previous + 1
    above = virtual >= size - 1
    previous[above] = -1
    following[above] = -1
    below = virtual < 0
    previous[below] = 0
    following[below] = 0
    previous = previous.astype(np.intp)
    following = following.astype(np.intp)
    gamma = np.asanyarray(virtual - previous, dtype=virtual.dtype)[:, None]
    return previous % size, following % size, gamma


def tail_side(first: int, second: int, size: int) -> int:
    """1 where order statistics ``first`` <= ``second`` of ``size`` values lie in the low quarter,
    -1 where in the high one (they are then read on the negated values), else 0."""
    if second < size // 4:
        return 1
    if first >= size - size // 4:
        return -1
    return 0


def cut_position(needed: int, samples: int) -> int:
    """Where, in a sample of every :data:`SAMPLE_STRIDE`-th value, to cut so that about twice
    ``needed`` values lie at or below the cut."""
    return min(samples - 1, (2 * needed + 64) // SAMPLE_STRIDE)


def lower_order_statistics(table: np.ndarray, first: int, second: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's order statistics ``first`` <= ``second`` (near its start), ``table`` partially sorted
    in place: one partition at the second; the first is the largest of the ``second`` smallest."""
    table.partition(second, axis=1)
    return (table[:, second] if first == second else table[:, :second].max(axis=1)), table[:, second]


def _order_statistics(lanes: np.ndarray, previous: np.ndarray, following: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """``low[i]``, ``high[i]`` = each lane's order statistics ``previous[i]`` and ``following[i]``."""
    size = lanes.shape[1]
    for i, (first, second) in enumerate(zip(previous.tolist(), following.tolist())):
        side = tail_side(first, second, size) if size >= MIN_CUT_SIZE else 0
        if side > 0:
            low[i], high[i] = _order_statistics_below_a_cut(lanes, first, second, 1.0)
        elif side < 0:  # the same on the negated lanes
            negated_first, negated_second = _order_statistics_below_a_cut(lanes, size - 1 - second, size - 1 - first, -1.0)
            low[i], high[i] = -negated_second, -negated_first
        elif second == first or second <= size - second:  # near the start
            low[i], high[i] = lower_order_statistics(lanes, first, second)
        else:  # near the end: the second is the smallest of those above the first
            lanes.partition(first, axis=1)
            low[i] = lanes[:, first]
            high[i] = lanes[:, first + 1 :].min(axis=1)


def _order_statistics_below_a_cut(lanes: np.ndarray, first: int, second: int, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Order statistics ``first`` <= ``second`` of each lane of ``sign * lanes``, both near its start.

    A sample of every :data:`SAMPLE_STRIDE`-th value sets a cut that about twice ``second + 1``
    values lie at or below; where they are at least ``second + 1`` (and at most half the lane),
    the order statistics are those of these few values alone, gathered into a small table and
    partially sorted there: one comparison pass over the lane instead of a selection. A lane
    whose cut falls short is partitioned whole.
    """
    rows, size = lanes.shape
    needed = second + 1
    sample = sign * lanes[:, ::SAMPLE_STRIDE]
    position = cut_position(needed, sample.shape[1])
    cut = np.partition(sample, position, axis=1)[:, position, None]
    inside = lanes <= cut if sign > 0 else lanes >= -cut
    counts = inside.sum(axis=1)
    taken = (counts >= needed) & (counts <= size // 2)
    out = np.empty((2, rows))
    if not taken.all():
        whole = sign * lanes[~taken]
        whole.partition((first, second), axis=1)
        out[:, ~taken] = whole[:, [first, second]].T
        inside[~taken] = False
        counts[~taken] = 0
    if taken.any():
        values = lanes[inside]  # row by row: each lane's values below the cut, in lane order
        starts = np.zeros(rows, dtype=np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
        table_row = np.repeat(np.arange(rows), counts)
        table = np.full((rows, int(counts.max())), np.inf)  # lanes are finite: the padding sorts last
        table[table_row, np.arange(len(values)) - starts[table_row]] = values if sign > 0 else -values
        table = table[taken]
        table.partition((first, second), axis=1)
        out[:, taken] = table[:, [first, second]].T
    return out[0], out[1]


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's ``_lerp``: ``a + (b - a) t``, from ``b`` where ``t >= 0.5``."""
    difference = b - a
    out = np.add(a, difference * t)
    np.subtract(b, difference * (1 - t), out=out, where=np.broadcast_to(t >= 0.5, out.shape))
    return out
