"""Every unordered pair of systems at once: paired t-tests from one Gram matrix, and rank intervals.

A leaderboard tests every pair of S systems on every column: S(S-1)/2 comparisons of the same
queries. Forming the queries x pairs matrix of differences costs S²/2 passes over the scores; the
moments of every difference follow instead from the systems' Gram matrix (one BLAS call):
``var(x_i - x_j) = var_i + var_j - 2 cov_ij``. Where that subtraction cancels (identical or nearly
identical systems) the difference is formed and its moments computed directly, so the p-values are
those of :func:`harness.stats.student_t.t_test_p` on the differences.

Pair ``k`` of systems ``i < j`` is ``k = i*S - i*(i+1)/2 + j - i - 1`` (the order of
``numpy.triu_indices(S, 1)``); its difference is ``system i - system j``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.stats.student_t import half_width, t_from_moments, two_sided_p

# Below this fraction of the systems' own variance, the Gram identity has lost too many digits.
CANCELLATION = 1e-8


def pair_index(i: int, j: int, count: int) -> tuple[int, int]:
    """The index of the unordered pair {i, j} of ``count`` systems, and the sign of ``i - j`` in it."""
    if i == j:
        raise ValueError("a system is not paired with itself")
    if i > j:
        return pair_index(j, i, count)[0], -1
    return i * count - i * (i + 1) // 2 + j - i - 1, 1


@dataclass(frozen=True)
class AllPairs:
    """Paired t-tests of every unordered pair (arrays of length S(S-1)/2, system ``first - second``)."""

    first: np.ndarray
    second: np.ndarray
    n: int
    mean_difference: np.ndarray
    sd: np.ndarray
    p: np.ndarray
    half_width: np.ndarray


def difference_moments(units: np.ndarray, first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd (ddof=1) of ``units[:, first] - units[:, second]`` (units x systems), every pair at once."""
    n = units.shape[0]
    means = units.mean(axis=0)
    mean = means[first] - means[second]
    if n < 2:
        return mean, np.full(first.shape, np.nan)
    centred = units - means
    gram = centred.T @ centred
    own = np.diag(gram)
    scale = own[first] + own[second]
    variance = np.maximum(scale - 2 * gram[first, second], 0.0) / (n - 1)
    cancelled = np.flatnonzero(variance <= CANCELLATION * scale / (n - 1))
    if cancelled.size:
        differences = units[:, first[cancelled]] - units[:, second[cancelled]]
        mean[cancelled] = differences.mean(axis=0)
        variance[cancelled] = differences.var(axis=0, ddof=1)
    return mean, np.sqrt(variance)


def all_pairs_t(units: np.ndarray, confidence: float = 0.95) -> AllPairs:
    """Paired t-tests and t intervals of every unordered pair of the columns of ``units`` (units x systems)."""
    units = np.asarray(units, dtype=np.float64)
    first, second = np.triu_indices(units.shape[1], k=1)
    n = units.shape[0]
    mean, sd = difference_moments(units, first, second)
    return AllPairs(first, second, n, mean, sd, two_sided_p(t_from_moments(mean, sd, n), n), half_width(sd, n, confidence))


def rank_intervals(
    count: int, first: np.ndarray, second: np.ndarray, first_better: np.ndarray, significant: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Best and worst rank each of ``count`` systems can take given which pairs differ significantly.

    A system's best rank is 1 + the systems significantly better than it; its worst is ``count``
    minus the systems significantly worse. Systems whose intervals overlap are not separated by the
    tests: ``[1, 2], [1, 2], [3, 3]`` reads "the first two tie, both beat the third".
    """
    better = np.zeros(count, dtype=int)
    worse = np.zeros(count, dtype=int)
    wins = significant & first_better
    losses = significant & ~first_better
    np.add.at(better, second[wins], 1)
    np.add.at(worse, first[wins], 1)
    np.add.at(better, first[losses], 1)
    np.add.at(worse, second[losses], 1)
    return 1 + better, count - worse
