"""The numeric kernels of :mod:`harness.stats`, checked against scipy, hand computation and brute force.

Every kernel takes per-query differences (system minus other) as a vector of ``n`` queries or as an
``n x k`` matrix of ``k`` comparisons, and returns one value per column. The checks here are about
numbers and behaviour, not about the code's shape:

* paired t-test and Wilcoxon: scipy's p-values to 1e-10 (absolute and relative), column by column;
* corrections: small p vectors adjusted by hand, R ``p.adjust`` semantics (order, ties, capping),
  BH against ``scipy.stats.false_discovery_control``;
* randomization test: exact enumeration of all ``2**n`` sign patterns done here by brute force,
  Monte Carlo within its error, bit-for-bit determinism, independence from the other columns
  and from the memory limits that decide how the plan is drawn, the ``(hits + 1) / (B + 1)`` grid;
* bootstrap: determinism, interval versus the normal theory interval, p versus the t-test;
* effect sizes and TOST against hand computation and scipy's one-sided tests.

The statistical simulations (A/A rejection rate, power) live in ``test_stats_power.py``.
"""
from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest
from scipy import stats

from harness.errors import HarnessError
from harness.stats import resampling, student_t
from harness.stats.bootstrap import bootstrap_interval, bootstrap_p
from harness.stats.columns import as_columns
from harness.stats.corrections import (
    CORRECTIONS,
    benjamini_hochberg,
    bonferroni,
    get_correction,
    holm,
    no_correction,
)
from harness.stats.effects import effect_sizes
from harness.stats.equivalence import tost_p
from harness.stats.paired_tests import PAIRED_TESTS, get_test
from harness.stats.randomization import randomization_p
from harness.stats.student_t import t_test_p
from harness.stats.wilcoxon import wilcoxon_p

TIGHT = 1e-10


def assert_tight(got, expected) -> None:
    """Equal to 1e-10 both absolutely and relatively (NaN only where NaN is expected)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    np.testing.assert_allclose(got, expected, rtol=TIGHT, atol=0)
    np.testing.assert_allclose(got, expected, rtol=0, atol=TIGHT)


def paired_scores(seed: int, n: int, kind: str, shift: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Two systems' per-query scores on ``n`` queries, shaped like IR measures.

    ``continuous``: AP-like values in [0, 1] with a shared per-query difficulty;
    ``discrete``: values in {0, 0.5, 1} (e.g. a graded hit at rank 1), many ties and zero differences;
    ``tenths``: P@10-like values k/10.
    """
    rng = np.random.default_rng(seed)
    if kind == "continuous":
        difficulty = rng.beta(2, 3, size=n)
        a = np.clip(difficulty + shift + rng.normal(0, 0.15, n), 0, 1)
        b = np.clip(difficulty + rng.normal(0, 0.15, n), 0, 1)
    elif kind == "discrete":
        a = rng.choice([0.0, 0.5, 1.0], size=n, p=[0.3 - shift, 0.3, 0.4 + shift])
        b = rng.choice([0.0, 0.5, 1.0], size=n, p=[0.3, 0.3, 0.4])
    elif kind == "tenths":
        difficulty = rng.beta(2, 3, size=n)
        a = rng.binomial(10, np.clip(difficulty + shift, 0, 1)) / 10
        b = rng.binomial(10, difficulty) / 10
    else:
        raise AssertionError(kind)
    return a, b


def with_t(z: np.ndarray, t: float) -> np.ndarray:
    """``z`` recentred so that its one-sample t statistic is ``t`` (a p-value away from 0 and 1)."""
    z = z - z.mean()
    return z + t * z.std(ddof=1) / math.sqrt(z.size)


DATA_SETS = [
    pytest.param(seed, n, kind, shift, id=f"{kind}-n{n}-shift{shift}")
    for seed, n, kind, shift in [
        (1, 2, "continuous", 0.0),
        (2, 5, "continuous", 0.05),
        (3, 5, "discrete", 0.0),
        (4, 10, "tenths", 0.1),  # ties with n <= 13: scipy permutes exactly (slow for n = 12, 13)
        (5, 30, "discrete", 0.1),
        (6, 50, "continuous", 0.0),
        (7, 51, "tenths", 0.02),
        (8, 200, "discrete", 0.05),
        (9, 1190, "continuous", 0.01),
        (10, 1190, "tenths", 0.01),
        (11, 1190, "discrete", 0.02),
    ]
]


# --------------------------------------------------------------------------------------------- columns


def test_as_columns_takes_a_vector_as_one_column_and_rejects_3d_input():
    assert as_columns(np.arange(4)).shape == (4, 1)
    assert as_columns(np.zeros((4, 3))).shape == (4, 3)
    with pytest.raises(ValueError):
        as_columns(np.zeros((2, 2, 2)))


# --------------------------------------------------------------------------------------------- t-test


@pytest.mark.parametrize("seed, n, kind, shift", DATA_SETS)
def test_t_test_p_equals_scipy_ttest_rel(seed, n, kind, shift):
    a, b = paired_scores(seed, n, kind, shift)
    assert not np.all(a == b)  # identical systems: see test_t_test_p_is_one_for_identical_systems...
    assert_tight(t_test_p(a - b), [stats.ttest_rel(a, b).pvalue])


def test_t_test_p_by_hand_for_two_queries():
    # d = [1, 3]: mean 2, sd sqrt(2), se = sqrt(2)/sqrt(2) = 1, t = 2 on 1 degree of freedom (Cauchy):
    # p = 2 * P(T > 2) = 1 - 2 * atan(2) / pi
    assert_tight(t_test_p(np.array([1.0, 3.0])), [1 - 2 * math.atan(2) / math.pi])


def test_t_test_p_vectorised_over_columns_equals_column_by_column():
    columns = []
    for seed, kind in enumerate(["continuous", "discrete", "tenths", "continuous", "discrete"]):
        a, b = paired_scores(100 + seed, 1190, kind, shift=0.01 * seed)
        columns.append(a - b)
    d = np.column_stack(columns)
    together = t_test_p(d)
    assert together.shape == (5,)
    for j in range(5):
        # not bit-equal: numpy sums a column of a matrix in another order than a lone vector
        assert_tight(together[j], t_test_p(d[:, j])[0])
        assert_tight(together[j], stats.ttest_rel(d[:, j], np.zeros(1190)).pvalue)


def test_t_test_p_is_one_for_identical_systems_where_scipy_gives_nan():
    a = np.array([0.0, 0.5, 1.0, 0.5, 0.25])
    with np.errstate(all="ignore"):
        assert np.isnan(stats.ttest_rel(a, a).pvalue)  # scipy: 0/0
    assert t_test_p(a - a).tolist() == [1.0]
    # and per column: an identical column does not disturb the others
    d = np.column_stack([np.zeros(5), [0.1, 0.2, -0.1, 0.3, 0.0]])
    p = t_test_p(d)
    assert p[0] == 1.0
    assert_tight(p[1], stats.ttest_rel(d[:, 1], np.zeros(5)).pvalue)


def test_t_test_p_is_zero_for_a_constant_non_zero_difference_like_scipy():
    d = np.full(8, 0.5)  # exactly representable: sd is exactly 0, t = +inf
    assert t_test_p(d).tolist() == [0.0]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns of catastrophic cancellation
        assert stats.ttest_rel(d, np.zeros(8)).pvalue == 0.0


def test_t_test_p_is_symmetric_in_the_sign_of_the_differences():
    a, b = paired_scores(12, 40, "continuous", 0.05)
    assert t_test_p(a - b)[0] == t_test_p(b - a)[0]


# --------------------------------------------------------------------------------------------- Wilcoxon


@pytest.mark.parametrize("seed, n, kind, shift", DATA_SETS)
def test_wilcoxon_p_equals_scipy_wilcoxon(seed, n, kind, shift):
    a, b = paired_scores(seed, n, kind, shift)
    d = a - b
    assert np.count_nonzero(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = stats.wilcoxon(d).pvalue
    assert_tight(wilcoxon_p(d), [expected])


def test_wilcoxon_p_exact_small_samples_by_hand():
    # No ties, no zeros: exact null distribution of W+ over the 2**n sign patterns.
    # All n differences positive: only the all-plus and all-minus patterns are as extreme,
    # so the two-sided p is 2 / 2**n.
    assert_tight(wilcoxon_p(np.array([0.1, 0.2, 0.3, 0.4, 0.5])), [2 / 32])
    # n = 6, one negative difference of the smallest rank: W- = 1; P(W- <= 1) = 2/64 (the patterns
    # with W- = 0 or W- = 1), so p = 2 * 2 / 64; the order of the queries does not matter
    assert_tight(wilcoxon_p(np.array([-0.1, 0.2, 0.3, 0.4, 0.5, 0.6])), [4 / 64])
    assert_tight(wilcoxon_p(np.array([0.6, 0.3, 0.2, -0.1, 0.5, 0.4])), [4 / 64])


def test_wilcoxon_p_with_ties_and_zeros_matches_scipy_and_is_column_wise():
    d = np.column_stack(
        [
            [0.5, 0.5, -0.5, 0.0, 1.0, 0.5, 0.0, -1.0, 0.5, 0.5, 1.0, 0.0, 0.5, 0.5, -0.5, 0.5],  # n = 16: asymptotic
            [0.5, 0.5, 0.0, 1.0, -0.5, 0.5, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # many zeros
            np.zeros(16),  # identical systems
            np.linspace(-0.3, 0.9, 16),  # no ties
        ]
    )
    got = wilcoxon_p(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for j in (0, 1, 3):
            assert_tight(got[j], stats.wilcoxon(d[:, j]).pvalue)
    assert got[2] == 1.0
    for j in range(4):
        assert wilcoxon_p(d[:, j])[0] == got[j]


def test_wilcoxon_p_is_one_for_all_zero_differences():
    assert wilcoxon_p(np.zeros(10)).tolist() == [1.0]
    assert wilcoxon_p(np.zeros((7, 3))).tolist() == [1.0, 1.0, 1.0]


# --------------------------------------------------------------------------------------------- corrections

P4 = np.array([0.01, 0.04, 0.03, 0.005])


def test_bonferroni_by_hand():
    # m = 4: every p times 4
    np.testing.assert_allclose(bonferroni(P4), [0.04, 0.16, 0.12, 0.02], rtol=1e-12)


def test_holm_by_hand():
    # sorted: 0.005 (#3), 0.01 (#0), 0.03 (#2), 0.04 (#1); times 4, 3, 2, 1:
    # 0.02, 0.03, 0.06, 0.04 -> running maximum 0.02, 0.03, 0.06, 0.06 -> back in input order
    np.testing.assert_allclose(holm(P4), [0.03, 0.06, 0.06, 0.02], rtol=1e-12)


def test_benjamini_hochberg_by_hand():
    # sorted: 0.005, 0.01, 0.03, 0.04; times m/i = 4, 2, 4/3, 1:
    # 0.02, 0.02, 0.04, 0.04 -> running minimum from the top leaves them -> input order
    np.testing.assert_allclose(benjamini_hochberg(P4), [0.02, 0.04, 0.04, 0.02], rtol=1e-12)
    # the step-up matters here: sorted 0.02, 0.021, 0.5 times 3, 3/2, 1 = 0.06, 0.0315, 0.5;
    # the running minimum from the top lowers the first to 0.0315
    np.testing.assert_allclose(benjamini_hochberg([0.5, 0.021, 0.02]), [0.5, 0.0315, 0.0315], rtol=1e-12)


def test_corrections_cap_at_one():
    p = np.array([0.3, 0.6, 0.9])
    # Bonferroni: 0.9, 1.8, 2.7 -> 0.9, 1, 1
    np.testing.assert_allclose(bonferroni(p), [0.9, 1.0, 1.0], rtol=1e-12)
    # Holm: 0.3*3, 0.6*2, 0.9*1 = 0.9, 1.2, 0.9 -> running max 0.9, 1.2, 1.2 -> 0.9, 1, 1
    np.testing.assert_allclose(holm(p), [0.9, 1.0, 1.0], rtol=1e-12)
    # BH: 0.3*3, 0.6*3/2, 0.9*1 = 0.9, 0.9, 0.9
    np.testing.assert_allclose(benjamini_hochberg(p), [0.9, 0.9, 0.9], rtol=1e-12)
    assert bonferroni(np.full(5, 0.5)).max() == 1.0


def test_corrections_with_tied_p_values_follow_r_p_adjust():
    # R: p.adjust(c(.01, .01, .04), "holm") = 0.03 0.03 0.04; "BH" = 0.015 0.015 0.04
    for p, h, bh in [
        ([0.01, 0.01, 0.04], [0.03, 0.03, 0.04], [0.015, 0.015, 0.04]),
        ([0.04, 0.01, 0.01], [0.04, 0.03, 0.03], [0.04, 0.015, 0.015]),
    ]:
        np.testing.assert_allclose(holm(p), h, rtol=1e-12)
        np.testing.assert_allclose(benjamini_hochberg(p), bh, rtol=1e-12)
        assert holm(p)[np.argsort(p)[0]] == holm(p)[np.argsort(p)[1]]


@pytest.mark.parametrize("name", ["bonferroni", "holm", "bh", "none"])
def test_corrections_keep_input_order_and_are_monotone_in_p(name):
    adjust = get_correction(name)
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 0.2, size=40) ** 2
    adjusted = adjust(p)
    assert adjusted.shape == p.shape
    assert np.all(adjusted >= p - 1e-15) and np.all(adjusted <= 1.0)
    # same order as the raw p: a smaller raw p never gets a larger adjusted p
    order = np.argsort(p)
    assert np.all(np.diff(adjusted[order]) >= 0)
    # order preserved: permuting the input permutes the output the same way
    shuffle = rng.permutation(p.size)
    np.testing.assert_array_equal(adjust(p[shuffle]), adjusted[shuffle])


def test_corrections_are_ordered_bh_holm_bonferroni():
    # BH <= Holm <= Bonferroni term by term: (m - i + 1) >= m / i and Holm's i-th multiplier <= m
    rng = np.random.default_rng(4)
    for _ in range(20):
        p = rng.uniform(0, 0.1, size=rng.integers(1, 30))
        assert np.all(benjamini_hochberg(p) <= holm(p) + 1e-15)
        assert np.all(holm(p) <= bonferroni(p) + 1e-15)


def test_benjamini_hochberg_equals_scipy_false_discovery_control():
    rng = np.random.default_rng(5)
    for size in [1, 2, 7, 100]:
        p = np.concatenate([rng.uniform(0, 0.01, size // 2), rng.uniform(0, 1, size - size // 2)])
        np.testing.assert_allclose(benjamini_hochberg(p), stats.false_discovery_control(p, method="bh"), rtol=1e-12)


def test_single_p_value_is_unchanged_and_none_returns_a_copy():
    for adjust in (bonferroni, holm, benjamini_hochberg, no_correction):
        assert adjust([0.03]).tolist() == [0.03]
    p = np.array([0.2, 0.01])
    out = no_correction(p)
    out[0] = 9.0
    assert p[0] == 0.2


def test_get_correction_by_name_and_unknown_name_raises_harness_error():
    assert get_correction("holm") is holm
    assert get_correction("bonferroni") is bonferroni
    assert get_correction("bh") is benjamini_hochberg
    assert set(CORRECTIONS) == {"holm", "bonferroni", "bh", "none"}
    with pytest.raises(HarnessError, match="nope"):
        get_correction("nope")
    with pytest.raises(HarnessError):
        get_test("nope")


# --------------------------------------------------------------------------------------------- randomization


def clear_plan_cache() -> None:
    """Empty the module's cache of resampling plans (whatever the cached function is called)."""
    cached = [f for f in vars(resampling).values() if callable(getattr(f, "cache_clear", None))]
    assert cached, "harness.stats.resampling no longer caches plans with functools.lru_cache"
    for function in cached:
        function.cache_clear()


def brute_force_randomization_p(d: np.ndarray) -> float:
    """Exact two-sided p over all 2**n sign patterns, statistic |sum|, ties counted as hits."""
    d = np.asarray(d, dtype=float)
    observed = abs(d.sum())
    tolerance = 1e-9 * np.abs(d).sum()
    hits = 0
    for signs in itertools.product((1.0, -1.0), repeat=d.size):
        if abs(float(np.dot(signs, d))) >= observed - tolerance:
            hits += 1
    return hits / 2**d.size


def small_samples():
    """Small-n data sets with moderate exact p (not 0 or 1: Monte Carlo checks would be vacuous)."""
    rng = np.random.default_rng(20)
    return {
        "continuous-n8": with_t(rng.normal(0, 1.0, 8), 2.0),
        "continuous-n10": with_t(rng.normal(0, 1.0, 10), 1.5),
        "continuous-n12": with_t(rng.exponential(1.0, 12), 1.0),
        "discrete-n10": np.array([0.5, 0.5, -0.5, 0.0, 1.0, 0.5, 0.0, -1.0, 0.5, 0.5]),
        "discrete-n12": np.array([1.0, 0.5, -0.5, 0.5, 0.0, 0.5, -1.0, 0.5, 0.5, 0.0, -0.5, 1.0]),
    }


SMALL = small_samples()
EXACT = {name: brute_force_randomization_p(d) for name, d in SMALL.items()}


def test_small_samples_have_informative_exact_p():
    for name, p in EXACT.items():
        assert 0.02 < p < 0.8, (name, p)


@pytest.mark.parametrize("name", list(SMALL))
def test_randomization_exact_equals_brute_force_enumeration(name):
    d = SMALL[name]
    assert randomization_p(d, exact=True).tolist() == [EXACT[name]]
    # automatic exact path: 2**n <= permutations
    assert randomization_p(d, permutations=2 ** d.size).tolist() == [EXACT[name]]
    assert randomization_p(d, permutations=10_000).tolist() == [EXACT[name]]


@pytest.mark.parametrize("name", list(SMALL))
def test_randomization_monte_carlo_within_its_error_of_the_exact_p(name):
    d = SMALL[name]
    B = 20_000
    p_exact = EXACT[name]
    p_mc = randomization_p(d, permutations=B, seed=7, exact=False)[0]
    assert abs(p_mc - p_exact) <= 4 * math.sqrt(p_exact * (1 - p_exact) / B) + 1 / B


def test_randomization_exact_path_is_exact_on_a_matrix_of_columns():
    d = np.column_stack([SMALL["continuous-n10"], SMALL["discrete-n10"], np.zeros(10)])
    p = randomization_p(d, exact=True)
    assert p.tolist() == [EXACT["continuous-n10"], EXACT["discrete-n10"], 1.0]


def test_randomization_exact_is_invariant_to_query_order_and_power_of_two_scaling():
    d = SMALL["continuous-n12"]
    rng = np.random.default_rng(0)
    assert randomization_p(d[rng.permutation(12)], exact=True)[0] == EXACT["continuous-n12"]
    assert randomization_p(4.0 * d, exact=True)[0] == EXACT["continuous-n12"]


def test_randomization_is_deterministic_bit_for_bit_also_after_the_plan_cache_is_cleared():
    a, b = paired_scores(30, 60, "continuous", 0.03)
    d = np.column_stack([a - b, b - a + 0.01, np.roll(a - b, 3)])
    first = randomization_p(d, permutations=5000, seed=11)
    assert np.all(first == randomization_p(d, permutations=5000, seed=11))
    clear_plan_cache()
    assert np.all(first == randomization_p(d, permutations=5000, seed=11))
    # draw enough other plans to evict the first from the cache, then again
    for other_seed in range(6):
        randomization_p(d, permutations=300, seed=100 + other_seed)
    assert np.all(first == randomization_p(d, permutations=5000, seed=11))


def test_randomization_different_seed_gives_a_different_p_on_a_borderline_case():
    a, b = paired_scores(31, 40, "continuous", 0.0)
    d = a - b
    p0 = randomization_p(d, permutations=999, seed=0, exact=False)[0]
    p1 = randomization_p(d, permutations=999, seed=1, exact=False)[0]
    assert 0.01 < p0 < 0.99  # not at a boundary, where every seed agrees
    assert p0 != p1
    assert abs(p0 - p1) < 0.1  # both estimate the same p


def test_randomization_p_of_a_column_does_not_depend_on_the_other_columns():
    rng = np.random.default_rng(40)
    n = 80
    columns = [paired_scores(41 + j, n, kind, 0.02 * j) for j, kind in enumerate(["continuous", "discrete", "tenths", "continuous"])]
    d = np.column_stack([a - b for a, b in columns] + [np.zeros(n), rng.normal(0, 0.1, n)])
    together = randomization_p(d, permutations=4000, seed=3)
    for j in range(d.shape[1]):
        assert randomization_p(d[:, j], permutations=4000, seed=3)[0] == together[j]
    # a different set of neighbours, in another order
    others = np.column_stack([rng.normal(0, 1, (n, 7)), d[:, 2], d[:, 0]])
    mixed = randomization_p(others, permutations=4000, seed=3)
    assert mixed[-2] == together[2] and mixed[-1] == together[0]


def test_randomization_plan_does_not_depend_on_memory_limits(monkeypatch):
    a, b = paired_scores(50, 300, "continuous", 0.01)
    d = np.column_stack([a - b, np.roll(a - b, 1)])
    cached = randomization_p(d, permutations=3000, seed=5)
    boot_cached = bootstrap_p(d, resamples=3000, seed=5)
    # the compact cache, then no cache: the plan is handed out block by block (3000 rows: 3 blocks)
    for limit in ("FLOAT_CACHE_ENTRIES", "CACHE_ENTRIES"):
        monkeypatch.setattr(resampling, limit, 10)
        resampling.clear_plans()
        assert np.all(randomization_p(d, permutations=3000, seed=5) == cached)
        assert np.all(bootstrap_p(d, resamples=3000, seed=5) == boot_cached)


def test_sign_flip_plan_is_plus_minus_one_and_the_cached_plan_cannot_be_corrupted():
    plan = next(resampling.sign_flip_blocks(0, 10, 500))
    assert plan.shape == (500, 10)
    assert set(np.unique(plan).tolist()) == {-1.0, 1.0}
    # neither systematically flipped nor constant: about half of the signs are +1
    assert 0.45 < (plan > 0).mean() < 0.55
    assert not plan.flags.writeable  # a caller cannot corrupt the shared plan
    large = next(resampling.sign_flip_blocks(0, 2**15, 1024))  # kept compact: the caller gets a copy
    large[:] = 0.0
    assert set(np.unique(next(resampling.sign_flip_blocks(0, 2**15, 1024))).tolist()) == {-1.0, 1.0}


def test_randomization_p_lies_on_the_hits_plus_one_grid():
    B = 2999
    a, b = paired_scores(60, 100, "tenths", 0.02)
    d = np.column_stack([a - b, paired_scores(61, 100, "continuous", 0.0)[0] - b])
    p = randomization_p(d, permutations=B, seed=0)
    scaled = p * (B + 1)
    np.testing.assert_allclose(scaled, np.round(scaled), atol=1e-9)
    assert np.all(p >= 1 / (B + 1))
    # overwhelming evidence: no sign pattern reaches it, p is the floor 1 / (B + 1)
    strong = np.abs(np.random.default_rng(1).normal(0.5, 0.1, 100))
    assert randomization_p(strong, permutations=B, seed=0)[0] == 1 / (B + 1)


def test_randomization_p_is_one_for_all_zero_differences():
    assert randomization_p(np.zeros(40), permutations=999).tolist() == [1.0]
    assert randomization_p(np.zeros(8), exact=True).tolist() == [1.0]
    assert randomization_p(np.zeros((40, 3)), permutations=999).tolist() == [1.0, 1.0, 1.0]


def test_randomization_p_is_symmetric_in_the_sign_of_the_differences():
    a, b = paired_scores(70, 64, "continuous", 0.02)
    assert randomization_p(a - b, permutations=5000, seed=2)[0] == randomization_p(b - a, permutations=5000, seed=2)[0]
    d = SMALL["discrete-n12"]
    assert randomization_p(-d, exact=True)[0] == EXACT["discrete-n12"]


# --------------------------------------------------------------------------------------------- bootstrap


def test_bootstrap_p_and_interval_are_deterministic_with_a_seed():
    a, b = paired_scores(80, 120, "continuous", 0.02)
    d = np.column_stack([a - b, b - a])
    p = bootstrap_p(d, resamples=4000, seed=9)
    clear_plan_cache()
    assert np.all(p == bootstrap_p(d, resamples=4000, seed=9))
    low, high = bootstrap_interval(d, resamples=4000, seed=9)
    clear_plan_cache()
    low2, high2 = bootstrap_interval(d, resamples=4000, seed=9)
    assert np.all(low == low2) and np.all(high == high2)
    assert not np.all(p == bootstrap_p(d, resamples=4000, seed=10))
    # symmetric in sign: -d gives the mirrored interval and the same p (same resamples)
    assert p[0] == p[1]
    np.testing.assert_allclose(low[1], -high[0], rtol=1e-12)


def test_bootstrap_p_column_does_not_depend_on_the_other_columns():
    rng = np.random.default_rng(81)
    d = rng.normal(0.02, 0.2, (90, 4))
    together = bootstrap_p(d, resamples=3000, seed=1)
    for j in range(4):
        assert bootstrap_p(d[:, j], resamples=3000, seed=1)[0] == together[j]


def test_bootstrap_interval_contains_the_mean_difference():
    for seed, kind in [(82, "continuous"), (83, "tenths"), (84, "discrete")]:
        a, b = paired_scores(seed, 150, kind, 0.03)
        d = a - b
        low, high = bootstrap_interval(d, resamples=4000, seed=0)
        assert low[0] < d.mean() < high[0]


def test_bootstrap_interval_for_large_n_is_close_to_the_normal_theory_interval():
    rng = np.random.default_rng(85)
    n = 1190
    d = rng.normal(0.01, 0.2, n)
    mean, se = d.mean(), d.std(ddof=1) / math.sqrt(n)
    low, high = bootstrap_interval(d, resamples=10_000, seed=0)
    half = 1.959964 * se
    # Monte Carlo sd of a 2.5% quantile with B = 10,000 is about 0.027 se (1.4% of the half width)
    assert abs(low[0] - (mean - half)) <= 0.05 * half
    assert abs(high[0] - (mean + half)) <= 0.05 * half
    # a higher confidence gives a wider interval
    low99, high99 = bootstrap_interval(d, resamples=10_000, seed=0, confidence=0.99)
    assert low99[0] < low[0] and high[0] < high99[0]
    assert abs((high99[0] - low99[0]) / (2 * 2.575829 * se) - 1) <= 0.06


@pytest.mark.parametrize("t", [0.7, 1.3, 2.0])
def test_bootstrap_p_is_close_to_the_t_test_for_large_normal_samples(t):
    # t = 0.7, 1.3, 2.0 on 1189 degrees of freedom: p about 0.48, 0.19, 0.046
    d = with_t(np.random.default_rng(86).normal(0, 0.2, 1190), t)
    p_t = t_test_p(d)[0]
    assert 0.04 < p_t < 0.5
    p_boot = bootstrap_p(d, resamples=10_000, seed=0)[0]
    assert abs(p_boot - p_t) <= 0.02


def test_bootstrap_p_on_a_single_query_is_not_significant():
    # one query carries no evidence: every test says p = 1 (scipy's t-test would say NaN)
    assert randomization_p(np.array([0.0])).tolist() == [1.0]
    assert wilcoxon_p(np.array([0.0])).tolist() == [1.0]
    assert bootstrap_p(np.array([0.0]), resamples=999).tolist() == [1.0]
    assert bootstrap_p(np.array([0.3]), resamples=999).tolist() == [1.0]
    assert t_test_p(np.array([0.3])).tolist() == [1.0]


def test_bootstrap_p_on_the_grid_and_degenerate_inputs():
    B = 1999
    d = np.random.default_rng(87).normal(0.01, 0.1, 50)
    p = bootstrap_p(d, resamples=B, seed=0)[0]
    assert abs(p * (B + 1) - round(p * (B + 1))) < 1e-9 and p >= 1 / (B + 1)
    assert bootstrap_p(np.zeros(30), resamples=B).tolist() == [1.0]  # identical systems
    assert bootstrap_p(np.full(30, 0.5), resamples=B).tolist() == [1 / (B + 1)]  # a constant gain


# --------------------------------------------------------------------------------------------- effect sizes


def test_effect_sizes_by_hand():
    d = np.array([0.2, -0.1, 0.0, 0.3, 0.1])
    # mean 0.1; deviations 0.1, -0.2, -0.1, 0.2, 0 -> sum of squares 0.1 -> var 0.1/4 -> sd 0.158113883
    e = effect_sizes(d, resamples=2000)
    assert e.mean_difference[0] == pytest.approx(0.1, abs=1e-15)
    assert e.d_z[0] == pytest.approx(0.1 / math.sqrt(0.025), rel=1e-12)
    assert e.d_z[0] == pytest.approx(d.mean() / d.std(ddof=1), rel=1e-15)
    assert (e.wins[0], e.ties[0], e.losses[0]) == (3, 1, 1)
    assert e.ci_low[0] <= 0.1 <= e.ci_high[0]


def test_effect_sizes_lower_is_better_counts_a_negative_difference_as_a_win():
    d = np.array([0.2, -0.1, 0.0, 0.3, 0.1])
    e = effect_sizes(d, higher_is_better=False, resamples=200)
    assert (e.wins[0], e.ties[0], e.losses[0]) == (1, 1, 3)
    assert e.mean_difference[0] == pytest.approx(0.1)  # the mean keeps the measure's sign
    # per column: [higher, lower] is better
    both = effect_sizes(np.column_stack([d, d]), higher_is_better=np.array([True, False]), resamples=200)
    assert both.wins.tolist() == [3, 1] and both.losses.tolist() == [1, 3] and both.ties.tolist() == [1, 1]


def test_effect_sizes_for_identical_systems():
    e = effect_sizes(np.zeros((12, 2)), resamples=200)
    assert e.d_z.tolist() == [0.0, 0.0]
    assert e.ties.tolist() == [12, 12] and e.wins.tolist() == [0, 0] and e.losses.tolist() == [0, 0]
    assert e.mean_difference.tolist() == [0.0, 0.0]
    assert e.ci_low.tolist() == [0.0, 0.0] and e.ci_high.tolist() == [0.0, 0.0]


def test_effect_sizes_count_round_trip_noise_as_a_tie():
    e = effect_sizes(np.array([1e-13, -1e-13, 0.01, -0.01]), resamples=100)
    assert (e.wins[0], e.ties[0], e.losses[0]) == (1, 2, 1)


# --------------------------------------------------------------------------------------------- TOST


@pytest.mark.parametrize("seed, n, kind, shift", [p for p in DATA_SETS if p.values[1] > 2])
@pytest.mark.parametrize("margin", [0.01, 0.05, 0.2])
def test_tost_p_is_the_larger_of_the_two_one_sided_scipy_tests(seed, n, kind, shift, margin):
    a, b = paired_scores(seed, n, kind, shift)
    lower = stats.ttest_rel(a + margin, b, alternative="greater").pvalue
    upper = stats.ttest_rel(a - margin, b, alternative="less").pvalue
    assert_tight(tost_p(a - b, margin), [max(lower, upper)])


def test_tost_is_vectorised_over_columns():
    d = np.random.default_rng(90).normal(0.0, 0.1, (200, 3)) + [0.0, 0.02, -0.04]
    together = tost_p(d, 0.05)
    for j in range(3):
        assert_tight(together[j], tost_p(d[:, j], 0.05)[0])


def test_tost_clearly_equivalent_and_clearly_different_cases():
    rng = np.random.default_rng(91)
    equivalent = rng.normal(0.0, 0.05, 1190)  # tiny differences, large n
    assert tost_p(equivalent, 0.05)[0] < 0.05
    assert tost_p(equivalent, 0.05)[0] < 1e-10
    different = rng.normal(0.2, 0.05, 1190)  # the mean is far outside the margin
    assert tost_p(different, 0.05)[0] > 0.999
    # not significantly different is not equivalent: small n, noisy, mean 0
    assert tost_p(rng.normal(0.0, 0.3, 10), 0.05)[0] > 0.3


def test_tost_rejects_a_non_positive_margin():
    d = np.array([0.1, -0.1, 0.05])
    for margin in (0.0, -0.05, float("nan")):
        with pytest.raises(ValueError):
            tost_p(d, margin)


# --------------------------------------------------------------------------------------------- registry


def test_paired_tests_registry_dispatches_to_the_kernels():
    assert set(PAIRED_TESTS) == {"randomization", "t", "wilcoxon", "bootstrap"}
    d = np.random.default_rng(95).normal(0.01, 0.1, (40, 3))
    assert np.all(get_test("t").p_values(d) == t_test_p(d))
    assert np.all(get_test("wilcoxon").p_values(d) == wilcoxon_p(d))
    assert np.all(get_test("randomization").p_values(d, 999, 4) == randomization_p(d, 999, 4))
    assert np.all(get_test("bootstrap").p_values(d, 999, 4) == bootstrap_p(d, 999, 4))
    assert [t.resampling for t in PAIRED_TESTS.values()] == [True, False, False, True]


def test_a_nan_p_stays_nan_and_does_not_count_in_the_family_size_as_in_r_p_adjust():
    # R: p.adjust(c(0.001, 0.2, NA), "holm") -> 0.002 0.2 NA; "BH" -> 0.002 0.2 NA; "bonferroni" -> 0.002 0.4 NA
    p = np.array([0.001, 0.2, np.nan])
    np.testing.assert_allclose(holm(p), [0.002, 0.2, np.nan], rtol=1e-15)
    np.testing.assert_allclose(benjamini_hochberg(p), [0.002, 0.2, np.nan], rtol=1e-15)
    np.testing.assert_allclose(bonferroni(p), [0.002, 0.4, np.nan], rtol=1e-15)


def test_exact_enumeration_refuses_an_impossible_number_of_patterns():
    with pytest.raises(ValueError, match="too large"):
        randomization_p(np.ones(40), exact=True)


def _previous_correction(name: str, p: np.ndarray) -> np.ndarray:
    """The corrections as they were computed one family at a time (NaNs dropped first): the reference."""
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    q = p[present]
    order = np.argsort(q, kind="stable")
    if name == "bonferroni":
        adjusted = np.minimum(1.0, q * q.size)
    elif name == "none":
        adjusted = q.copy()
    else:
        if name == "holm":
            ordered = np.minimum(1.0, np.maximum.accumulate(q[order] * (q.size - np.arange(q.size))))
        else:
            ordered = np.minimum(1.0, np.minimum.accumulate((q[order] * q.size / np.arange(1, q.size + 1))[::-1])[::-1])
        adjusted = np.empty_like(q)
        adjusted[order] = ordered
    out[present] = adjusted
    return out


@pytest.mark.parametrize("name", ["bonferroni", "holm", "bh", "none"])
def test_many_families_at_once_give_each_familys_bits(name):
    """families=True (a family per row, as the leaderboard adjusts one per pair of systems) gives,
    bit for bit, what each row alone gives, NaNs (untested, uncounted) and ties included."""
    adjust = get_correction(name)
    rng = np.random.default_rng(11)
    p = np.round(rng.uniform(0, 0.3, size=(50, 24)) ** 2, 3)  # rounded: ties
    p[rng.random(p.shape) < 0.3] = np.nan
    p[7] = np.nan  # a family with nothing tested
    rows = adjust(p, families=True)
    for row, expected in zip(rows, p):
        assert np.array_equal(row, _previous_correction(name, expected), equal_nan=True)
    assert np.array_equal(adjust(p), _previous_correction(name, p), equal_nan=True)  # one family of all
    with pytest.raises(ValueError, match="2-D"):
        adjust(p.ravel(), families=True)


def test_p_values_of_many_t_statistics_split_between_threads_give_the_same_bits(monkeypatch):
    from scipy import special

    t = np.random.default_rng(12).standard_t(5, size=(61, 37))
    t[0, :3] = [np.inf, -np.inf, 0.0]
    one_thread = 2.0 * special.stdtr(1189.0, -np.abs(t))
    monkeypatch.setattr(student_t, "MIN_THREAD_VALUES", 100)
    monkeypatch.setattr(student_t.os, "cpu_count", lambda: 3)
    threaded = student_t.two_sided_p(t, 1190)
    assert threaded.shape == t.shape and np.array_equal(threaded, one_thread)
    assert np.array_equal(student_t.two_sided_p(t, 1), np.ones_like(t))
