"""The paired bootstrap test (studentized, resampling queries; Sakai 2006) and bootstrap intervals.

Null distribution: ``t* = (mean* - mean) / (sd* / sqrt(n))`` over resamples of the per-query
differences; p-value ``(hits + 1) / (B + 1)`` with a hit when ``|t*| >= |t|``. Resample plans are
shared (see :mod:`harness.stats.resampling`), so one matrix product serves every comparison.
"""
from __future__ import annotations

import numpy as np

from harness.stats.columns import as_columns
from harness.stats.resampling import bootstrap_count_blocks
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
    n = d.shape[0]
    means = np.concatenate([counts @ d for counts in bootstrap_count_blocks(seed, n, resamples)]) / n
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail], axis=0)
    return low, high
