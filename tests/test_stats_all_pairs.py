"""All-pairs t-tests from the Gram matrix against the t-test on explicit differences; rank intervals."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from harness.stats.all_pairs import all_pairs_t, pair_index, rank_intervals
from harness.stats.student_t import t_test_p


def test_every_pair_matches_the_t_test_on_its_differences():
    rng = np.random.default_rng(7)
    base = rng.random((200, 1))
    units = np.clip(base + rng.normal(0, 0.1, (200, 6)) + np.linspace(0, 0.05, 6), 0, 1)
    units[:, 4] = units[:, 3]  # identical systems
    units[:, 5] = units[:, 3] + rng.normal(0, 1e-7, 200)  # nearly identical: the Gram identity cancels
    result = all_pairs_t(units)
    assert result.p.size == 15
    for k, (i, j) in enumerate(zip(result.first, result.second)):
        assert pair_index(int(i), int(j), 6) == (k, 1)
        d = units[:, i] - units[:, j]
        assert result.mean_difference[k] == pytest.approx(d.mean(), abs=1e-15)
        assert result.p[k] == pytest.approx(t_test_p(d)[0], rel=1e-9, abs=1e-300)
        interval = stats.t.interval(0.95, len(d) - 1, loc=d.mean(), scale=stats.sem(d)) if d.std() > 0 else (0.0, 0.0)
        assert d.mean() - result.half_width[k] == pytest.approx(interval[0], abs=1e-12)
    k34, _ = pair_index(3, 4, 6)
    assert result.p[k34] == 1.0 and result.half_width[k34] == 0.0


def test_pair_index_sign_and_self_pairs():
    assert pair_index(2, 0, 3) == (1, -1)
    with pytest.raises(ValueError):
        pair_index(1, 1, 3)


def test_one_unit_carries_no_evidence():
    result = all_pairs_t(np.array([[0.1, 0.5, 0.9]]))
    assert np.all(result.p == 1.0) and np.all(np.isnan(result.half_width))


def test_rank_intervals_read_the_significant_pairs():
    # systems 0 > 1 > 2 by value; 0 beats 2 significantly, nothing else is significant
    first, second = np.triu_indices(3, k=1)  # (0,1), (0,2), (1,2)
    first_better = np.array([True, True, True])
    significant = np.array([False, True, False])
    best, worst = rank_intervals(3, first, second, first_better, significant)
    assert best.tolist() == [1, 1, 2] and worst.tolist() == [2, 3, 3]
    best, worst = rank_intervals(3, first, second, ~first_better, np.ones(3, dtype=bool))  # 2 > 1 > 0, all significant
    assert best.tolist() == [3, 2, 1] and worst.tolist() == [3, 2, 1]
