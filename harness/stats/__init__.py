"""Paired significance tests, multiple-comparison corrections, effect sizes, and the comparison of submissions.

Low level (numpy kernels over queries x comparisons matrices of per-query differences)::

    randomization_p(d, permutations=10_000, seed=0)   t_test_p(d)   wilcoxon_p(d)   bootstrap_p(d)
    holm(p)   bonferroni(p)   benjamini_hochberg(p)   effect_sizes(d)   tost_p(d, margin)

High level: :func:`compare_submissions` -> :class:`Comparison` (values, tests, protocol; its tables are
:class:`harness.report.comparison_report.ComparisonReport`'s).
"""
from harness.stats.bootstrap import bootstrap_interval, bootstrap_p
from harness.stats.comparison import Comparison, TestResult, compare_submissions
from harness.stats.corrections import benjamini_hochberg, bonferroni, holm
from harness.stats.effects import Effects, effect_sizes
from harness.stats.equivalence import tost_p
from harness.stats.paired_tests import PAIRED_TESTS, get_test
from harness.stats.randomization import randomization_p
from harness.stats.student_t import t_test_p
from harness.stats.wilcoxon import wilcoxon_p

__all__ = [
    "PAIRED_TESTS", "Comparison", "Effects", "TestResult", "benjamini_hochberg", "bonferroni", "bootstrap_interval",
    "bootstrap_p", "compare_submissions", "effect_sizes", "get_test", "holm", "randomization_p", "t_test_p", "tost_p",
    "wilcoxon_p",
]
