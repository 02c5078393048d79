"""Bootstrap intervals and randomization tests computed cheaply give the bits of the previous computation.

The previous intervals are kept here as the reference: every pair's resampled sums from one
matrix product (``plan @ differences``), then ``np.quantile``; the previous test is
:func:`randomization_p` on the differences, unchanged. The new ones take order statistics from a
partial sort (:mod:`harness.stats.percentile`) and, between systems, form the sums of a pair
from the systems' sums where that is exact (:mod:`harness.stats.pair_sums`). Equality is
``np.array_equal`` throughout: bit-identity is the claim.
"""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from harness.stats import compare_submissions, percentile, randomization_p, streamed_quantiles
from harness.stats.bootstrap import bootstrap_interval, pair_bootstrap_interval
from harness.stats.columns import as_columns
from harness.stats.comparison import _columns, _shared_pairs
from harness.stats.exact_sums import exact_pairs, fraction_bits
from harness.stats.pair_sums import FULL_PRODUCT_BELOW, PairSums
from harness.stats.percentile import linear_quantiles
from harness.stats.randomization import pair_randomization_p
from harness.stats.resampling import bootstrap_count_blocks
from harness.stats.shared_scores import SharedScores
from tests.test_stats_comparison import make_submission


@pytest.fixture(autouse=True)
def streamed_whatever_the_size(monkeypatch):
    """These tables are small: streaming is forced on them, so that its bits are what is checked
    (the default holds small tables' sums: :func:`test_small_tables_hold_their_sums_with_the_same_bits`)."""
    monkeypatch.setattr(streamed_quantiles, "MIN_STREAMED_SUMS", 0)


def previous_bootstrap_interval(differences, resamples=10_000, seed=0, confidence=0.95):
    """The intervals as harness 0.x computed them (the reference)."""
    d = as_columns(differences)
    n = d.shape[0]
    means = np.concatenate([counts @ d for counts in bootstrap_count_blocks(seed, n, resamples)]) / n
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail], axis=0)
    return low, high


def scores(kind: str, n: int, systems: int, rng: np.random.Generator) -> np.ndarray:
    """Per-query scores of ``systems`` systems (queries x systems) of one kind of measure."""
    if kind == "ap":  # 1/rank of the one relevant document, 0 when not found: not exact in binary
        return np.where(rng.random((n, systems)) < 0.8, 1.0 / rng.integers(1, 40, (n, systems)), 0.0)
    if kind == "recall":  # 0 or 1
        return (rng.random((n, systems)) < 0.5).astype(float)
    if kind == "quarters":  # recall with four relevant documents
        return rng.integers(0, 5, (n, systems)) / 4.0
    if kind == "ties":  # few distinct values, many equal resampled sums
        values = np.repeat(np.where(rng.random((n, 1)) < 0.5, 1 / 3, 0.25), systems, axis=1)
        values[: n // 3, 0] = 0.2
        return values
    raise ValueError(kind)


def all_pairs(systems: int, measures: int) -> tuple[np.ndarray, np.ndarray]:
    """Every unordered pair of systems on each measure block, as compare orders them."""
    first, second = np.triu_indices(systems, 1)
    return (np.concatenate([first + m * systems for m in range(measures)]), np.concatenate([second + m * systems for m in range(measures)]))


def assert_same(result, expected) -> None:
    for got, want in zip(result, expected):
        assert np.array_equal(got, want), f"max |difference| {np.nanmax(np.abs(got - want)):.3g}"


# ----------------------------------------------------------------------------------------------
# order statistics


@pytest.mark.parametrize("size", [1, 2, 3, 40, 41, 1000, 10_000])
@pytest.mark.parametrize("quantiles", [(0.025, 0.975), (0.0, 1.0), (0.5,), (0.005, 0.995), ((1 - 0.95) / 2, 1 - (1 - 0.95) / 2)])
def test_linear_quantiles_are_np_quantile_bit_for_bit(size, quantiles):
    rng = np.random.default_rng(size)
    lanes = np.concatenate([
        rng.normal(size=(3, size)) * 7,
        np.round(rng.normal(size=(3, size)) * 3),  # integers: many ties
        np.full((1, size), 0.1),
    ])
    expected = np.quantile(lanes / 7, quantiles, axis=1)
    assert np.array_equal(linear_quantiles(lanes.copy(), 7, quantiles), expected)


def test_linear_quantiles_split_between_threads_give_the_same_bits(monkeypatch):
    monkeypatch.setattr(percentile, "MIN_THREAD_VALUES", 1)
    monkeypatch.setattr(percentile.os, "cpu_count", lambda: 3)
    lanes = np.round(np.random.default_rng(5).normal(size=(11, 2001)) * 40)
    expected = np.quantile(lanes / 9, [0.025, 0.5, 0.975], axis=1)
    assert np.array_equal(linear_quantiles(lanes.copy(), 9, [0.025, 0.5, 0.975]), expected)


def test_tails_read_below_a_sampled_cut_give_the_bits_of_np_quantile():
    """Lanes of thousands of values: the cut path, a lane whose sample misleads the cut (every 16th
    value far below the rest: too few values fall below it, so the lane is partitioned whole), and
    lanes of ties (more than half the lane at the cut)."""
    rng = np.random.default_rng(11)
    size = 4000
    assert size >= percentile.MIN_CUT_SIZE
    lanes = np.concatenate([
        rng.normal(size=(40, size)),
        np.round(rng.normal(size=(20, size)) * 4),
        rng.integers(0, 3, (5, size)).astype(float),
        np.full((2, size), 0.25),
    ])
    lanes[0, :: percentile.SAMPLE_STRIDE] = -1000.0 - np.arange(size // percentile.SAMPLE_STRIDE)
    lanes[1, :: percentile.SAMPLE_STRIDE] = 1000.0 + np.arange(size // percentile.SAMPLE_STRIDE)
    for quantiles in ([0.025, 0.975], [0.005, 0.995], [0.1, 0.9]):
        expected = np.quantile(lanes / 11, quantiles, axis=1)
        assert np.array_equal(linear_quantiles(lanes.copy(), 11, quantiles), expected)


def test_linear_quantiles_leave_lanes_with_a_nan_or_an_infinity_to_np_quantile():
    lanes = np.random.default_rng(0).normal(size=(4, 500))
    lanes[1, 17] = np.nan
    lanes[2, 3] = np.inf
    expected = np.quantile(lanes / 3, [0.025, 0.975], axis=1)
    got = linear_quantiles(lanes.copy(), 3, [0.025, 0.975])
    assert np.array_equal(got, expected, equal_nan=True)
    assert np.isnan(got[:, 1]).all() and np.isfinite(got[:, [0, 3]]).all()


# ----------------------------------------------------------------------------------------------
# exactness


def test_fraction_bits_by_hand():
    units = np.array([[0.0, 1.0, 0.5, 0.25, 1 / 3, 3.0, np.nan, 2.0**-60], [1.0, 0.0, 0.75, 0.125, 0.0, -5.0, 1.0, 0.0]])
    assert fraction_bits(units).tolist() == [0, 0, 2, 3, 54, 0, 106, 60]


def test_exact_pairs_by_hand():
    units = np.array([[0.0, 1.0, 0.5, 1 / 3, 2.0**40, 2.0**-45], [1.0, 1.0, 0.25, 0.2, 1.0, 0.0]])
    first, second = np.array([0, 0, 3, 4, 5, 2]), np.array([1, 2, 0, 0, 0, 1])
    # 0/1 values; quarters; a third is not binary; sums up to 2 * 2 * 2**40 = 2**42 of whole numbers;
    # multiples of 2**-45 up to 2 * 2 * 1: 45 + 3 bits
    assert exact_pairs(units, first, second).tolist() == [True, True, False, True, True, True]
    assert exact_pairs(np.array([[2.0**49, 0.25]]), np.array([0]), np.array([1]))[0]  # 2 * 2**49 * 2**2 = 2**52
    assert not exact_pairs(np.array([[2.0**50, 0.25]]), np.array([0]), np.array([1]))[0]  # 2**53: too many bits
    assert not exact_pairs(np.array([[2.0**-52, 1.0]]), np.array([0]), np.array([1]))[0]


@pytest.mark.parametrize("kind", ["recall", "quarters"])
def test_exact_pairs_have_exactly_the_rational_resampled_sums(kind):
    """Where exact_pairs says so, BLAS's sums of differences are the exact sums, so the difference of
    the systems' sums is the same number."""
    rng = np.random.default_rng(3)
    units = scores(kind, 50, 3, rng)
    first, second = all_pairs(3, 1)
    assert exact_pairs(units, first, second).all()
    counts = next(iter(bootstrap_count_blocks(0, 50, 200)))
    d = units[:, first] - units[:, second]
    sums = counts @ d
    exact = [[sum(Fraction(int(c)) * Fraction(v) for c, v in zip(row, d[:, j])) for j in range(d.shape[1])] for row in counts[:20]]
    assert sums[:20].tolist() == [[float(x) for x in row] for row in exact]
    assert np.array_equal((counts @ units)[:, first] - (counts @ units)[:, second], sums)


# ----------------------------------------------------------------------------------------------
# intervals against the previous computation


@pytest.mark.parametrize("kind", ["ap", "recall", "quarters", "ties"])
@pytest.mark.parametrize("n, resamples, confidence", [(1, 200, 0.95), (2, 41, 0.9), (60, 1000, 0.95), (300, 4000, 0.99), (11, 10_000, 0.95)])
def test_bootstrap_interval_is_the_previous_computation(kind, n, resamples, confidence):
    d = scores(kind, n, 4, np.random.default_rng(n)) - scores(kind, n, 4, np.random.default_rng(n + 1))
    assert_same(bootstrap_interval(d, resamples, 5, confidence), previous_bootstrap_interval(d, resamples, 5, confidence))


@pytest.mark.parametrize("kinds", [("ap",), ("recall",), ("ap", "recall", "recall"), ("quarters", "ap", "ties"), ("recall", "ap")])
@pytest.mark.parametrize("systems, n, resamples", [(2, 60, 1000), (3, 300, 999), (5, 1190, 200), (2, 1, 50), (4, 7, 1)])
def test_pair_bootstrap_interval_is_the_previous_computation(kinds, systems, n, resamples):
    rng = np.random.default_rng(systems * n)
    units = np.concatenate([scores(kind, n, systems, rng) for kind in kinds], axis=1)
    first, second = all_pairs(systems, len(kinds))
    d = np.ascontiguousarray(units[:, first] - units[:, second])
    pairs = PairSums(units, first, second)
    assert_same(pair_bootstrap_interval(pairs, resamples, 2), previous_bootstrap_interval(d, resamples, 2))
    assert np.array_equal(pair_randomization_p(pairs, resamples, 2), randomization_p(d, resamples, 2))


def test_pair_bootstrap_interval_of_pairs_in_any_order_and_repeated():
    rng = np.random.default_rng(11)
    units = np.concatenate([scores("ap", 80, 2, rng), scores("recall", 80, 2, rng), scores("recall", 80, 2, rng)], axis=1)
    for first, second in [([0, 2, 4], [1, 3, 5]), ([2, 0], [3, 1]), ([0], [1]), ([4, 0, 4], [5, 1, 5]), ([1, 3], [0, 2])]:
        d = np.ascontiguousarray(units[:, first] - units[:, second])
        pairs = PairSums(units, np.array(first), np.array(second))
        assert_same(pair_bootstrap_interval(pairs, 3000, 4), previous_bootstrap_interval(d, 3000, 4))
        assert np.array_equal(pair_randomization_p(pairs, 3000, 4), randomization_p(d, 3000, 4))


def test_pair_sums_with_a_product_of_the_inexact_pairs_alone():
    """Large enough (B n inexact pairs >= FULL_PRODUCT_BELOW) the AP pairs are multiplied without the
    recall pairs, whose sums come from the systems'; a plan in blocks ends with a one-row block."""
    rng = np.random.default_rng(5)
    systems, n = 5, 1190
    units = np.concatenate([scores("ap", n, systems, rng), scores("recall", n, systems, rng)], axis=1)
    first, second = all_pairs(systems, 2)
    assert 10_000 * n * 10 >= FULL_PRODUCT_BELOW
    d = np.ascontiguousarray(units[:, first] - units[:, second])
    pairs = PairSums(units, first, second)
    assert pairs.exact == 10
    assert_same(pair_bootstrap_interval(pairs), previous_bootstrap_interval(d))
    assert np.array_equal(pair_randomization_p(pairs), randomization_p(d))
    big = np.concatenate([scores("ap", 2000, 3, rng), scores("recall", 2000, 3, rng)], axis=1)  # 2,000 x 9,217: 1,024-row blocks and one of 1 row
    first, second = all_pairs(3, 2)
    d = np.ascontiguousarray(big[:, first] - big[:, second])
    pairs = PairSums(big, first, second)
    assert_same(pair_bootstrap_interval(pairs, 9217, 1), previous_bootstrap_interval(d, 9217, 1))
    assert np.array_equal(pair_randomization_p(pairs, 9217, 1), randomization_p(d, 9217, 1))


@pytest.mark.parametrize("cut", ["short", "crowded", "mixed"])
def test_streamed_intervals_whatever_the_cuts(monkeypatch, cut):
    """A lane whose cut keeps too few values has its sums computed again in full; one whose cut keeps
    most of them (ties at the cut) is tabled apart: the bits are np.quantile's either way."""
    rng = np.random.default_rng(8)
    units = np.concatenate([scores("ap", 120, 4, rng), scores("recall", 120, 4, rng), scores("ties", 120, 4, rng)], axis=1)
    first, second = all_pairs(4, 3)
    pairs = PairSums(units, first, second)
    assert streamed_quantiles.streamable(pairs, 4000, [0.025, 0.975])
    original = streamed_quantiles._Tail.set_cuts

    def moved_cuts(tail, sample):
        original(tail, sample)
        moved = np.arange(len(tail.cuts)) % 2 == 0 if cut == "mixed" else np.ones(len(tail.cuts), dtype=bool)
        tail.cuts[moved] = tail.sign * (np.inf if cut == "crowded" else -np.inf)

    monkeypatch.setattr(streamed_quantiles._Tail, "set_cuts", moved_cuts)
    d = np.ascontiguousarray(units[:, first] - units[:, second])
    assert_same(pair_bootstrap_interval(pairs, 4000, 3), previous_bootstrap_interval(d, 4000, 3))


def test_streamed_intervals_only_where_every_quantile_is_in_a_tail():
    rng = np.random.default_rng(9)
    units = scores("ap", 50, 3, rng)
    pairs = PairSums(units, *all_pairs(3, 1))
    assert streamed_quantiles.streamable(pairs, 2000, [0.025, 0.975])
    assert not streamed_quantiles.streamable(pairs, 1999, [0.025, 0.975])  # too few resamples for a sampled cut
    assert not streamed_quantiles.streamable(pairs, 4000, [0.025, 0.5])  # the median is no tail
    units[3, 1] = np.nan
    assert not streamed_quantiles.streamable(PairSums(units, *all_pairs(3, 1)), 4000, [0.025, 0.975])


def test_small_tables_hold_their_sums_with_the_same_bits(monkeypatch):
    rng = np.random.default_rng(10)
    units = np.concatenate([scores("ap", 300, 3, rng), scores("recall", 300, 3, rng)], axis=1)
    first, second = all_pairs(3, 2)
    pairs = PairSums(units, first, second)
    d = np.ascontiguousarray(units[:, first] - units[:, second])
    streamed = pair_bootstrap_interval(pairs, 4000, 5)
    monkeypatch.undo()
    assert len(pairs) * 4000 < streamed_quantiles.MIN_STREAMED_SUMS
    assert not streamed_quantiles.streamable(pairs, 4000, [0.025, 0.975])
    held = pair_bootstrap_interval(pairs, 4000, 5)
    assert_same(held, previous_bootstrap_interval(d, 4000, 5))
    assert_same(held, streamed)


# ----------------------------------------------------------------------------------------------
# compare end to end


def per_query(rng: np.random.Generator, n: int, pairs, skip: int = 0) -> dict:
    ranks = rng.integers(1, 30, size=(len(pairs), n))
    queries = [f"q{i:03d}" for i in range(skip, n)]
    return {
        pair: {
            "AP": {q: 1.0 / r for q, r in zip(queries, row[skip:])},
            "R@1": {q: float(r == 1) for q, r in zip(queries, row[skip:])},
            "R@10": {q: float(r <= 10) for q, r in zip(queries, row[skip:])},
        }
        for pair, row in zip(pairs, ranks)
    }


@pytest.mark.parametrize("average_test", ["pair-means", "pooled"])
@pytest.mark.parametrize("uneven", [False, True])
def test_compare_gives_the_previous_p_values_and_intervals(tmp_path, average_test, uneven):
    """Every test of a table: p from the unchanged kernel and the interval of the previous computation,
    on the previous matrices (each column's tests of equal n stacked, in the table's order)."""
    pairs = ("xquad-r/de-de", "xquad-r/en-en", "xquad-r/de-en", "xquad-r/en-de")
    rng = np.random.default_rng(1)
    submissions = [make_submission(tmp_path, f"s{k}", per_query(rng, 40, pairs, skip=3 * k if uneven else 0)) for k in range(4)]
    comparison = compare_submissions(submissions, resamples=999, seed=3, average_test=average_test)
    names = [s.name for s in submissions]
    shared, _ = _shared_pairs(submissions, None)  # in compare's order, which orders a setting mean's units
    scores_ = SharedScores(submissions, shared)
    checked = 0
    for column in _columns(shared):
        cells = [(m, a, b) for m in ("AP", "R@1", "R@10") for a in range(4) for b in range(a + 1, 4)]
        blocks = [scores_.differences(column, m, a, b, average_test) for m, a, b in cells]
        for size in sorted({b.size for b in blocks}):
            members = [k for k, b in enumerate(blocks) if b.size == size]
            d = np.stack([blocks[k] for k in members], axis=1)
            p = randomization_p(d, 999, 3)
            low, high = previous_bootstrap_interval(d, 999, 3)
            for j, k in enumerate(members):
                m, a, b = cells[k]
                test = comparison.test(names[a], names[b], m, column.key)
                assert (test.p, test.ci_low, test.ci_high, test.mean_difference) == (p[j], low[j], high[j], d.mean(axis=0)[j])
                checked += 1
    assert checked == len(comparison.tests) == 6 * 3 * 6  # 4 pairs + 2 setting means, 3 measures, 6 system pairs


def test_a_randomization_compare_does_not_import_scipy(tmp_path):
    """scipy is a second of imports that the default test never uses (the t-test and TOST import it)."""
    make_submission(tmp_path, "a", per_query(np.random.default_rng(0), 20, ("xquad-r/de-de",)))
    make_submission(tmp_path, "b", per_query(np.random.default_rng(1), 20, ("xquad-r/de-de",)))
    code = (
        "import sys; from harness.stats import compare_submissions; from harness.submissions import Submission\n"
        f"c = compare_submissions([Submission.load({str(tmp_path / 'a')!r}), Submission.load({str(tmp_path / 'b')!r})], resamples=100)\n"
        "from harness.report.comparison_report import ComparisonReport; ComparisonReport(c).to_markdown(); print(len(c.tests), sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["3", "[]"]
