"""Percentile intervals of many pairs' resampled sums, selected while each product block is in cache.

Storing every pair's B resampled sums (pairs x B) and partitioning them afterwards reads and
writes the whole array several times: memory-bound, and twice the cost of the tests, which only
count each block as it comes. Here a sample of every :data:`SAMPLE_STRIDE`-th resample (their
sums from the systems' units: a product a sixteenth the size; for a pair whose sums are not
exact an approximation, which is all a cut needs) sets, per pair and tail, a cut that about
twice the needed order statistics lie beyond. Each product block then hands on only its values
beyond the cuts, and the order statistics are those of these few values.

They are exact, whatever the cut: the values kept are every value of the lane on the tail's side
of its cut, so as long as they number at least the needed ``second + 1``, their order statistics
are the lane's. A lane whose cut falls short (about 1 in 10^7, the sample being a uniform draw
of the resamples) has its products computed again, the same way, in full. The sums are the
products of :meth:`~harness.stats.pair_sums.PairSums.parts`, exactly as the tests and the
previous intervals take them: the result is ``np.quantile``'s, bit for bit.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from harness.stats.pair_sums import PairSums
from harness.stats.percentile import MIN_CUT_SIZE, SAMPLE_STRIDE, cut_position, lerp, linear_neighbours, lower_order_statistics, tail_side

# Below this many resampled sums (pairs x B) holding them all and partitioning is as fast or faster
# (measured at B = 10,000 and 1,190 queries: 1 to 15 pairs 5-40% faster held, 28 even, 66 and more streamed)
MIN_STREAMED_SUMS = 1 << 18


def streamable(pairs: PairSums, resamples: int, quantiles: Sequence[float]) -> bool:
    """Whether the sums are many enough to stream (:data:`MIN_STREAMED_SUMS`), every quantile lies
    in a tail (the outer quarter of ``resamples`` values) and every value is finite."""
    previous, following, _ = linear_neighbours(np.asarray(quantiles, dtype=np.float64), resamples)
    return (
        resamples >= MIN_CUT_SIZE
        and len(pairs) * resamples >= MIN_STREAMED_SUMS
        and all(tail_side(int(a), int(b), resamples) != 0 for a, b in zip(previous, following))
        and bool(np.isfinite(pairs.units).all())
    )


def streamed_linear_quantiles(
    pairs: PairSums, plan: Callable[[], Iterable[np.ndarray]], resamples: int, count: int, quantiles: Sequence[float]
) -> np.ndarray:
    """``np.quantile(sums / count, quantiles, axis=1)`` of each pair's sums over the rows of ``plan()``
    (``resamples`` rows in blocks), pairs in ``pairs.order``; the same bits. Requires :func:`streamable`."""
    q = np.asarray(quantiles, dtype=np.float64)
    previous, following, gamma = linear_neighbours(q, resamples)
    tails = [_Tail(int(a), int(b), resamples) for a, b in zip(previous, following)]
    sample = _sample_lanes(pairs, plan())
    for tail in tails:
        tail.set_cuts(sample)
    for block in plan():
        for positions, sums, axis in pairs.parts(block):
            for tail in tails:
                tail.keep(positions, sums, axis)
    low = np.empty((q.size, len(pairs)))
    high = np.empty_like(low)
    for i, tail in enumerate(tails):
        low[i], high[i] = tail.order_statistics(lambda lanes: _full_lanes(pairs, plan(), lanes))
    return lerp(low / count, high / count, gamma)


def _sample_lanes(pairs: PairSums, blocks: Iterable[np.ndarray]) -> np.ndarray:
    """Each pair's sums over every :data:`SAMPLE_STRIDE`-th row of the plan (pairs in ``order`` x samples),
    from the systems' sums: exact for an exact pair, within rounding for the others."""
    taken, done = [], 0
    for block in blocks:
        taken.append(block[(-done) % SAMPLE_STRIDE :: SAMPLE_STRIDE])
        done += len(block)
    sums = np.concatenate(taken) @ pairs.units
    first, second = pairs.first[pairs.order], pairs.second[pairs.order]
    return np.ascontiguousarray((sums[:, first] - sums[:, second]).T)


def _full_lanes(pairs: PairSums, blocks: Iterable[np.ndarray], lanes: np.ndarray) -> np.ndarray:
    """The resampled sums of the pairs at ``lanes`` (positions in ``order``), every resample, as :meth:`PairSums.block` gives them."""
    out: list[np.ndarray] = []
    for block in blocks:
        sums = np.empty((len(pairs), len(block)))
        pairs.block(block, sums)
        out.append(sums[lanes])
    return np.concatenate(out, axis=1)


class _Tail:
    """One quantile's two order statistics on one side of every lane, from the values beyond a cut."""

    def __init__(self, first: int, second: int, size: int) -> None:
        self.sign = tail_side(first, second, size)
        # on the low side, statistics first and second of the lane; on the high side, of the negated lane
        self.first, self.second = (first, second) if self.sign > 0 else (size - 1 - second, size - 1 - first)
        self.size = size
        self.lanes: list[np.ndarray] = []
        self.values: list[np.ndarray] = []

    def set_cuts(self, sample: np.ndarray) -> None:
        position = cut_position(self.second + 1, sample.shape[1])
        self.cuts = self.sign * np.partition(self.sign * sample, position, axis=1)[:, position]

    def keep(self, positions: slice, sums: np.ndarray, axis: int) -> None:
        """The values of ``sums`` (pairs at ``positions`` along ``1 - axis``) on this tail's side of the cuts."""
        cuts = self.cuts[positions, None] if axis == 1 else self.cuts[positions]
        flat = np.flatnonzero(sums <= cuts if self.sign > 0 else sums >= cuts)  # a few percent of the values
        self.values.append(sums.ravel()[flat])
        lanes = flat // sums.shape[1] if axis == 1 else flat % sums.shape[1]
        self.lanes.append((lanes + positions.start).astype(self.lane_type))

    @property
    def lane_type(self) -> type:
        return np.uint16 if len(self.cuts) <= 1 << 16 else np.int64  # 16 bits: numpy sorts them by radix

    def order_statistics(self, full_lanes: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The lanes' order statistics ``first`` and ``second`` of the quantile (in lane order, not negated)."""
        lanes, values = np.concatenate(self.lanes), np.concatenate(self.values)
        self.lanes, self.values = [], []
        counts = np.bincount(lanes, minlength=len(self.cuts))
        order = np.argsort(lanes, kind="stable")
        lanes = lanes[order]
        slots = np.arange(len(lanes)) - (np.cumsum(counts) - counts)[lanes]
        values = values[order] if self.sign > 0 else -values[order]
        out = np.empty((2, len(counts)))
        short = np.flatnonzero(counts <= self.second)
        if short.size:
            out[:, short] = self._selected(self.sign * full_lanes(short))
        crowded = counts > self.size // 2  # ties at the cut: such lanes are tabled apart, as wide as they need
        for group in (counts > self.second) & ~crowded, crowded:
            if group.all():
                out[:] = self._selected(self._table(lanes, slots, values, counts.max()))
            elif group.any():
                entries = group[lanes]
                rows = (np.cumsum(group) - 1)[lanes[entries]]
                out[:, group] = self._selected(self._table(rows, slots[entries], values[entries], counts[group].max()))
        return (out[0], out[1]) if self.sign > 0 else (-out[1], -out[0])

    @staticmethod
    def _table(rows: np.ndarray, slots: np.ndarray, values: np.ndarray, width: int) -> np.ndarray:
        """``table[rows[i], slots[i]] = values[i]``, the rest +inf (the lanes are finite: padding sorts last)."""
        table = np.full((int(rows.max()) + 1, int(width)), np.inf)
        table[rows, slots] = values
        return table

    def _selected(self, table: np.ndarray) -> np.ndarray:
        """Order statistics ``first`` and ``second`` of each row (``table`` partially sorted in place)."""
        return np.stack(lower_order_statistics(table, self.first, self.second))
