"""The paired bootstrap test (studentized, resampling queries; Sakai 2006) and bootstrap intervals.

Null distribution: ``t* = (mean* - mean) / (sd* / sqrt(n))`` over resamples of the per-query
differences; p-value ``(hits + 1) / (B + 1)`` with a hit when ``|t*| >= |t|``. Resample plans are
shared (see :mod:`harness.stats.resampling`), so one matrix product serves every comparison.

Intervals: the percentile interval of the B resampled means (numpy's ``linear`` quantiles, taken
from a partial sort: :mod:`harness.stats.percentile`). Between systems, a pair's resampled sums
are the difference of the two systems' sums wherever that is exact (:mod:`harness.stats.pair_sums`),
so S systems take S product columns instead of one per pair; other pairs are multiplied as before.
"""
from __future__ import annotations

import numpy as np

from harness.stats.columns import as_columns
from harness.stats.pair_sums import PairSums
from harness.stats.percentile import linear_quantiles
from harness.stats.resampling import bootstrap_count_blocks
from harness.stats.streamed_quantiles import streamable, streamed_linear_quantiles
from harness.stats.student_t import t_statistic

TIE_TOLERANCE = 1e-9


def bootstrap_p(differences: np.ndarray, resamples: int = 10_000, seed: int = 0) -> np.ndarray:
    """Two-sided p-values, one per column of ``differences`` (``n`` queries x ``k`` comparisons)."""
    d = as_columns(differences)
    n = d.shape[0]
    if n < 2:
        return np.ones(d.shape[1])  # one query has no spread to studentize: no evidence
    observed, _ = t_statistic(d)
    centred = d - d.mean(axis=0)
    hits = np.zeros(d.shape[1], dtype=np.int64)
    for counts in bootstrap_count_blocks(seed, n, resamples):
        hits += _hits(counts @ centred, counts @ (centred * centred), n, observed)
    return (hits + 1) / (resamples + 1)


def _hits(sums: np.ndarray, squares: np.ndarray, n: int, observed: np.ndarray) -> np.ndarray:
    variance = np.maximum(squares - sums * sums / n, 0.0) / max(n - 1, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        resampled = (sums / n) / np.sqrt(variance / n)
    # a resample with no spread: no evidence when it also has no shift, unbounded otherwise
    resampled = np.where(variance == 0, np.where(sums == 0, 0.0, np.inf), resampled)
    return (np.abs(resampled) >= np.abs(observed) * (1 - TIE_TOLERANCE)).sum(axis=0)


def bootstrap_interval(
    differences: np.ndarray, resamples: int = 10_000, seed: int = 0, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the mean difference, per column: ``(low, high)``."""
    d = as_columns(differences)
    sums = np.concatenate([counts @ d for counts in bootstrap_count_blocks(seed, d.shape[0], resamples)])
    return _percentiles(np.ascontiguousarray(sums.T), d.shape[0], confidence)


def pair_bootstrap_interval(
    pairs: PairSums, resamples: int = 10_000, seed: int = 0, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`bootstrap_interval` of ``pairs.differences``, the same bits, with fewer products and,
    from 2,000 resamples, without holding every pair's resampled sums (:mod:`harness.stats.streamed_quantiles`)."""
    n = pairs.units.shape[0]
    tail = (1 - confidence) / 2
    low, high = np.empty(len(pairs)), np.empty(len(pairs))
    if streamable(pairs, resamples, [tail, 1 - tail]):
        plan = lambda: bootstrap_count_blocks(seed, n, resamples)  # noqa: E731
        low[pairs.order], high[pairs.order] = streamed_linear_quantiles(pairs, plan, resamples, n, [tail, 1 - tail])
        return low, high
    lanes = np.empty((len(pairs), resamples))
    done = 0
    for counts in bootstrap_count_blocks(seed, n, resamples):
        pairs.block(counts, lanes[:, done : done + len(counts)])
        done += len(counts)
    low[pairs.order], high[pairs.order] = _percentiles(lanes, n, confidence)
    return low, high


def _percentiles(lanes: np.ndarray, n: int, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    tail = (1 - confidence) / 2
    low, high = linear_quantiles(lanes, n, [tail, 1 - tail])
    return low, high
