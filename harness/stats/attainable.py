"""The smallest p-value a paired test can give on n units, and whether a test can be significant at all.

A setting mean tested on its per-pair means has as many units as pairs: few. The two-sided
randomization test on n units enumerates the 2^n sign patterns when 2^n <= B, and the observed
pattern and its mirror image always reach the observed |sum|: p >= 2 / 2^n (0.125 for 4 pairs,
0.03125 for 6); sampled, p >= 1 / (B + 1). scipy's Wilcoxon test is exact (or an exact permutation
test) up to 13 units, with the same floor 2 / 2^n; beyond, with ties or zeros, it uses the normal
approximation, whose smallest p on n units, 2 Phi(-sqrt n) (every difference positive and tied),
is above 2 / 2^n from 14 units on: 2 / 2^n bounds it everywhere. The t-test reaches any p from 2
units on. The bootstrap test's floor is taken as
1 / (B + 1), a lower bound (on few units its resamples of a single unit always count as hits).
Fewer than 2 units give p = 1 in every test.

A correction raises the floor: Holm's and Bonferroni's smallest adjusted p is m times the smallest
p in a family of m tests; Benjamini-Hochberg's can be the smallest p itself (every test of the
family equally small).
"""
from __future__ import annotations

from harness.stats.randomization import enumerates_exactly

SCALED_BY_FAMILY = ("holm", "bonferroni")


def smallest_p(test: str, n: int, resamples: int) -> float:
    """The smallest p-value ``test`` (a name of :data:`~harness.stats.paired_tests.PAIRED_TESTS`) can
    give on ``n`` units with ``resamples`` resamples, whatever the data."""
    if n < 2:
        return 1.0
    if test == "randomization":
        return 2.0 / 2**n if enumerates_exactly(n, resamples) else 1.0 / (resamples + 1)
    if test == "wilcoxon":
        return 2.0 / 2**n
    if test == "bootstrap":
        return 1.0 / (resamples + 1)
    return 0.0


def smallest_adjusted_p(p: float, correction: str, family_size: int) -> float:
    """The smallest p a test whose own smallest p is ``p`` can have after ``correction`` in a family of
    ``family_size`` tests."""
    return min(1.0, p * family_size) if correction in SCALED_BY_FAMILY else p


def floor_rule(test: str, correction: str) -> str:
    """The rule :func:`smallest_p` and :func:`smallest_adjusted_p` apply, in words (for a legend)."""
    rule = {
        "randomization": "the smallest p of a two-sided sign-flip test on n units is 2/2^n when every pattern is enumerated "
        "(0.125 for 4 units, 0.0625 for 5, 0.03125 for 6), 1/(B + 1) when sampled",
        "wilcoxon": "the smallest p of Wilcoxon's exact test on n units is 2/2^n (0.125 for 4 units, 0.03125 for 6)",
        "bootstrap": "the bootstrap test's p is at least 1/(B + 1), and 1 on fewer than 2 units",
        "t": "the t-test gives p = 1 on fewer than 2 units",
    }[test]
    if correction in SCALED_BY_FAMILY:
        rule += f", times m, the size of its family, under {'Holm' if correction == 'holm' else 'Bonferroni'}"
    return rule
