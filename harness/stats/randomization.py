"""Fisher's randomization test for paired scores: flip the sign of each per-query difference.

Two-sided, statistic ``|sum of differences|`` (the same ordering as the mean difference).
Monte Carlo p-value ``(hits + 1) / (B + 1)``, where a hit is a sign pattern whose statistic
reaches the observed one; with ``2**n <= B`` the test enumerates every pattern and is exact.
"""
from __future__ import annotations

import numpy as np

from harness.stats.columns import as_columns
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
    hits = sum(((np.abs(signs @ d) >= observed - slack).sum(axis=0) for signs in blocks), np.zeros(d.shape[1], dtype=np.int64))
    if exact:
        return hits / 2**n
    return (hits + 1) / (permutations + 1)

