"""The registry of paired significance tests: name -> title and kernel ``(differences, B, seed) -> p``.

Every kernel takes per-query differences as queries x comparisons and returns one two-sided
p-value per comparison; resampling tests are seeded and give the same bits for the same inputs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from harness.errors import HarnessError
from harness.stats.bootstrap import bootstrap_p
from harness.stats.pair_sums import PairSums
from harness.stats.randomization import pair_randomization_p, randomization_p
from harness.stats.student_t import t_test_p
from harness.stats.wilcoxon import wilcoxon_p


@dataclass(frozen=True)
class PairedTest:
    name: str
    title: str
    kernel: Callable[[np.ndarray, int, int], np.ndarray]
    resampling: bool
    p_value: str
    pair_kernel: Callable[[PairSums, int, int], np.ndarray] | None = None  # the same p from the systems' sums

    def p_values(self, differences: np.ndarray, resamples: int = 10_000, seed: int = 0, pairs: PairSums | None = None) -> np.ndarray:
        """One p per column of ``differences``; ``pairs``, where given, says they are ``pairs.differences``."""
        if pairs is not None and self.pair_kernel is not None:
            return self.pair_kernel(pairs, resamples, seed)
        return self.kernel(differences, resamples, seed)


PAIRED_TESTS: dict[str, PairedTest] = {
    test.name: test
    for test in (
        PairedTest(
            "randomization",
            "Fisher randomization test (sign flips)",
            lambda d, b, s: randomization_p(d, b, s),
            True,
            "two-sided, |mean difference|; (hits + 1) / (B + 1), exact enumeration when 2^n <= B",
            pair_randomization_p,
        ),
        PairedTest("t", "paired t-test", lambda d, b, s: t_test_p(d), False, "two-sided, Student's t with n - 1 df"),
        PairedTest(
            "wilcoxon",
            "Wilcoxon signed-rank test",
            lambda d, b, s: wilcoxon_p(d),
            False,
            "two-sided, zero differences dropped; scipy's exact or normal approximation",
        ),
        PairedTest(
            "bootstrap",
            "paired bootstrap test (studentized)",
            lambda d, b, s: bootstrap_p(d, b, s),
            True,
            "two-sided, |t*| of queries resampled around the observed mean; (hits + 1) / (B + 1)",
        ),
    )
}


def get_test(name: str) -> PairedTest:
    """A paired test by name: randomization, t, wilcoxon or bootstrap."""
    try:
        return PAIRED_TESTS[name]
    except KeyError:
        raise HarnessError(f"unknown test {name!r}: expected one of {', '.join(PAIRED_TESTS)}") from None
