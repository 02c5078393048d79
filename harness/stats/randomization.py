"""Fisher's randomization test for paired scores: flip the sign of each per-query difference.

Two-sided, statistic ``|sum of differences|`` (the same ordering as the mean difference).
Monte Carlo p-value ``(hits + 1) / (B + 1)``, where a hit is a sign pattern whose statistic
reaches the observed one; with ``2**n <= B`` the test enumerates every pattern and is exact.
Between systems (:func:`pair_randomization_p`) the flipped sums of a pair whose sums are exact are
the difference of its two systems' sums (:mod:`harness.stats.pair_sums`): the same p, fewer products.
"""
from __future__ import annotations

import numpy as np

from harness.stats.columns import as_columns
from harness.stats.pair_sums import PairSums
from harness.stats.resampling import all_sign_patterns, sign_flip_blocks

# Relative slack when comparing a permuted statistic with the observed one: sums of the same
# values in another order may differ in the last bits, and a tie must count as a hit.
TIE_TOLERANCE = 1e-9
MAX_EXACT_QUERIES = 20


def enumerates_exactly(n: int, permutations: int) -> bool:
    """Whether the test on ``n`` units enumerates every sign pattern instead of sampling ``permutations``."""
    return n <= MAX_EXACT_QUERIES and 2**n <= permutations


def randomization_p(differences: np.ndarray, permutations: int = 10_000, seed: int = 0, exact: bool | None = None) -> np.ndarray:
    """Two-sided p-values, one per column of ``differences`` (``n`` queries x ``k`` comparisons).

    ``exact=None`` enumerates all ``2**n`` sign patterns when that is no more than ``permutations``.
    """
    d = as_columns(differences)
    n = d.shape[0]
    if exact is None:
        exact = enumerates_exactly(n, permutations)
    elif exact and n > MAX_EXACT_QUERIES:
        raise ValueError(f"exact enumeration of 2**{n} sign patterns is too large; use the Monte Carlo test")
    observed = np.abs(d.sum(axis=0))
    slack = TIE_TOLERANCE * np.abs(d).sum(axis=0)
    blocks = [all_sign_patterns(n)] if exact else sign_flip_blocks(seed, n, permutations)
    threshold = observed - slack
    hits = np.zeros(d.shape[1], dtype=np.int64)
    for signs in blocks:
        flipped = signs @ d
        hits += (np.abs(flipped, out=flipped) >= threshold).sum(axis=0)  # in place: no second B x k array
    if exact:
        return hits / 2**n
    return (hits + 1) / (permutations + 1)



def pair_randomization_p(pairs: PairSums, permutations: int = 10_000, seed: int = 0) -> np.ndarray:
    """:func:`randomization_p` of ``pairs.differences``, the same bits, with fewer products: the sign-flipped
    sums of an exact pair are the difference of its systems' sums."""
    d = pairs.differences
    n = d.shape[0]
    if enumerates_exactly(n, permutations):
        return randomization_p(d, permutations, seed)
    threshold = (np.abs(d.sum(axis=0)) - TIE_TOLERANCE * np.abs(d).sum(axis=0))[pairs.order]
    hits = np.zeros(len(pairs), dtype=np.int64)
    for signs in sign_flip_blocks(seed, n, permutations):
        for positions, flipped, axis in pairs.parts(signs):
            limit = threshold[positions, None] if axis == 1 else threshold[positions]
            hits[positions] += (np.abs(flipped, out=flipped) >= limit).sum(axis=axis)
    p = np.empty(len(pairs))
    p[pairs.order] = (hits + 1) / (permutations + 1)
    return p
