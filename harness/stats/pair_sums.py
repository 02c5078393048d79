"""The resampled sums of many pairs of systems at once, with the bits of one product per table.

The tests and intervals of a table multiply a resampling plan (B x n: signs, or bootstrap counts)
by the differences of every pair of systems (n x pairs). Where a pair's sums are exact
(:mod:`harness.stats.exact_sums`: recall at k and other values on a binary grid), they are the
difference of the two systems' sums, so S systems take one product of S columns instead of one
column per pair. The other pairs keep BLAS's sums as they were computed before, and BLAS rounds
a column the same whatever the other columns only while it runs the same way: a single column
goes to gemv, and OpenBLAS threads a product by its size (a threaded product rounds differently;
seen at B = 41 and 200). So the inexact pairs are multiplied without the others only when that
product is large enough to be threaded fully either way (:data:`FULL_PRODUCT_BELOW`); a smaller
product is cheap, and every pair is multiplied together, as before.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from harness.stats.exact_sums import exact_pairs

FULL_PRODUCT_BELOW = 2**26
CHUNK_ROWS = 64  # pairs formed at a time from the systems' sums (temporaries of 64 x B)


class PairSums:
    """Pairs of systems ``units[:, first] - units[:, second]`` (units x systems; one pair per entry of
    ``first``) and their sums over the rows of any plan. ``order`` lists the pairs as :meth:`block`
    lays them out: the exact ones first."""

    def __init__(self, units: np.ndarray, first: np.ndarray, second: np.ndarray) -> None:
        self.units = np.asarray(units, dtype=np.float64)
        self.first, self.second = np.asarray(first, dtype=np.intp), np.asarray(second, dtype=np.intp)
        # row-major, as np.stack(..., axis=1) lays the columns out: the product then rounds as before
        self.differences = np.ascontiguousarray(self.units[:, self.first] - self.units[:, self.second])
        exact = exact_pairs(self.units, self.first, self.second)
        self.order = np.concatenate([np.flatnonzero(exact), np.flatnonzero(~exact)])
        self.exact = int(exact.sum())
        self.systems, index = np.unique(np.concatenate([self.first[exact], self.second[exact]]), return_inverse=True)
        self._minuend, self._subtrahend = index[: self.exact], index[self.exact :]
        self._inexact = np.ascontiguousarray(self.differences[:, self.order[self.exact :]])
        self._buffer: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.first)

    def _scratch(self, rows: int, columns: int) -> np.ndarray:
        """A ``rows x columns`` buffer kept for the next call: the same plan shape comes for every block and test."""
        if self._buffer is None or self._buffer.shape != (rows, columns):
            self._buffer = np.empty((rows, columns))
        return self._buffer

    def block(self, plan: np.ndarray, out: np.ndarray) -> None:
        """``out`` (pairs in :attr:`order` x rows) = each pair's sums over each row of ``plan`` (rows x n)."""
        for positions, sums, resamples_axis in self.parts(plan):
            out[positions] = sums if resamples_axis == 1 else sums.T

    def parts(self, plan: np.ndarray) -> Iterator[tuple[slice, np.ndarray, int]]:
        """Each pair's sums over each row of ``plan`` (rows x n), in parts: ``(positions in``
        :attr:`order` ``, sums, the axis of sums along the plan's rows)``; consumers that only count
        (a test's hits) take them as they come, without a transposed copy. A part's array is
        valid until the next part is asked for (the exact pairs' parts share one buffer), and
        may be overwritten by its consumer."""
        rows, n = plan.shape
        inexact = len(self) - self.exact
        if rows == 1 or inexact == 1 or 0 < rows * n * inexact < FULL_PRODUCT_BELOW:
            yield slice(0, len(self)), (plan @ self.differences)[:, self.order], 0  # every pair in one product, as before
            return
        if self.exact:
            sums = np.ascontiguousarray((plan @ self.units[:, self.systems]).T)
            chunk = self._scratch(min(CHUNK_ROWS, self.exact), rows)
            for start in range(0, self.exact, CHUNK_ROWS):
                part = slice(start, min(start + CHUNK_ROWS, self.exact))
                # row by row into one buffer: a fancy-indexed difference makes three fresh arrays a
                # chunk, and their page faults cost this machine ten times the subtraction
                for row, (minuend, subtrahend) in enumerate(zip(self._minuend[part].tolist(), self._subtrahend[part].tolist())):
                    np.subtract(sums[minuend], sums[subtrahend], out=chunk[row])
                yield part, chunk[: part.stop - part.start], 1
        if inexact:
            yield slice(self.exact, len(self)), plan @ self._inexact, 0
