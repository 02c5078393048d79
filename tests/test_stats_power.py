"""Statistical behaviour of the paired tests by simulation: size under A/A and power under a known shift.

Every simulation is seeded, so each test is deterministic; the tolerances are still chosen as if
the seed were arbitrary, so that a pass is not an accident of the seed.

*A/A* (both systems drawn from the same distribution): the differences are symmetric about 0, so
every test's rejection rate at level alpha must be close to alpha, split evenly between the two
directions (a one-sided p-value would put every rejection on one side).

Sampling error. ``K`` experiments give a rejection count that is binomial when the experiments are
independent: sd ``sqrt(a (1 - a) / K)``. The resampling tests score all ``K`` experiments as columns
of one matrix, and columns of one matrix share the resampling plan (it depends only on the seed, the
number of queries and B). Given the plan, the columns are independent (their data are), but the
rejection probability given the plan, r(plan), varies with the plan around alpha, which adds
``Var(r(plan))`` to the variance of the observed rate and does not shrink with K. ``r(plan)``
varies at most about as much as the Monte Carlo level of a single fixed null distribution,
sd ``sqrt(a (1 - a) / B)`` (the plan only moves the estimated critical value; averaging over the
sign patterns and magnitudes of the columns shrinks this further), so that term is added to the
tolerance of shared-plan rates. The same experiments are also run one by one, each with its own
seed, where the binomial model is exact. Tolerances are ``3.5`` sd (plus, for the tests whose level
is only asymptotic, a small stated allowance for their approximation at n = 50).

*Power*: normal differences with shift delta and sd sigma on n queries; the paired t-test's power
is known exactly from the noncentral t distribution.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from harness.stats.paired_tests import PAIRED_TESTS
from harness.stats.randomization import randomization_p
from harness.stats.student_t import t_test_p

ALPHA = 0.05
Z = 3.5  # tolerance in standard deviations
B = 2000  # permutations / resamples in the simulations
N_QUERIES = 50
K = 1000  # simulated A/A experiments
# Level allowance for tests that are only asymptotically valid at n = 50 (t, Wilcoxon's normal
# approximation with ties, the studentized bootstrap, which is known to be slightly liberal).
ASYMPTOTIC_ALLOWANCE = {"t": 0.01, "wilcoxon": 0.01, "bootstrap": 0.015, "randomization": 0.0}


def binomial_sd(rate: float, count: int) -> float:
    return math.sqrt(rate * (1 - rate) / count)


def aa_differences(seed: int, n: int, k: int, kind: str) -> np.ndarray:
    """``n x k`` per-query differences of two systems with the same score distribution.

    A query's difficulty ``u`` (Beta(2, 3)) is shared by both systems; each system's score is drawn
    independently given ``u``: AP-like ``Beta(8u, 8(1 - u))`` or P@10-like ``Binomial(10, u) / 10``
    (many ties and zero differences).
    """
    rng = np.random.default_rng(seed)
    u = rng.beta(2, 3, size=(n, k))
    if kind == "ap":
        a, b = rng.beta(8 * u, 8 * (1 - u)), rng.beta(8 * u, 8 * (1 - u))
    else:
        a, b = rng.binomial(10, u) / 10, rng.binomial(10, u) / 10
    return a - b


AA = {kind: aa_differences(2024 + i, N_QUERIES, K, kind) for i, kind in enumerate(["ap", "p10"])}


def tolerance(name: str, rate: float, count: int, shared_plan: bool) -> float:
    variance = binomial_sd(rate, count) ** 2
    if shared_plan and PAIRED_TESTS[name].resampling:
        variance += binomial_sd(rate, B) ** 2
    return Z * math.sqrt(variance) + ASYMPTOTIC_ALLOWANCE[name]


@pytest.mark.parametrize("kind", ["ap", "p10"])
@pytest.mark.parametrize("name", list(PAIRED_TESTS))
def test_aa_rejection_rate_is_alpha_and_two_sided(name, kind):
    d = AA[kind]
    p = PAIRED_TESTS[name].p_values(d, B, 0)
    assert p.shape == (K,) and np.all((0 < p) & (p <= 1))
    reject = p < ALPHA
    rate = reject.mean()
    assert abs(rate - ALPHA) <= tolerance(name, ALPHA, K, shared_plan=True), rate
    # two-sided: the rejections split evenly between "A better" and "B better"
    mean = d.mean(axis=0)
    for side in (mean > 0, mean < 0):
        side_rate = (reject & side).mean()
        assert abs(side_rate - ALPHA / 2) <= tolerance(name, ALPHA / 2, K, shared_plan=True), side_rate
    # and at another level: p is roughly uniform under the null
    rate10 = (p < 0.10).mean()
    assert abs(rate10 - 0.10) <= tolerance(name, 0.10, K, shared_plan=True) + ASYMPTOTIC_ALLOWANCE[name], rate10


@pytest.mark.parametrize("name", [name for name, test in PAIRED_TESTS.items() if test.resampling])
def test_aa_rejection_rate_with_an_independent_plan_per_experiment(name):
    # the binomial model holds exactly here: each experiment has its own data and its own seed
    d = AA["ap"][:, :400]
    p = np.array([PAIRED_TESTS[name].p_values(d[:, j], B, 1000 + j)[0] for j in range(d.shape[1])])
    rate = (p < ALPHA).mean()
    assert abs(rate - ALPHA) <= tolerance(name, ALPHA, d.shape[1], shared_plan=False), rate


def test_aa_shared_plan_and_own_plans_agree_column_by_column_up_to_monte_carlo_error():
    # the same data under a shared plan and under per-experiment plans: p-values differ only by
    # Monte Carlo error, sd sqrt(p (1 - p) / B) each
    d = AA["ap"][:, :200]
    shared = randomization_p(d, B, seed=0)
    own = np.array([randomization_p(d[:, j], B, seed=5000 + j)[0] for j in range(d.shape[1])])
    limit = Z * np.sqrt(2 * shared * (1 - shared) / B) + 2 / (B + 1)
    assert np.all(np.abs(shared - own) <= limit)


# --------------------------------------------------------------------------------------------- power

POWER_N = 30
SIGMA = 1.0
POWER_K = 4000


def t_test_power(delta: float, sigma: float, n: int, alpha: float = ALPHA) -> float:
    """Exact power of the two-sided paired t-test: noncentral t with nc = delta / (sigma / sqrt(n))."""
    df = n - 1
    t_crit = stats.t.ppf(1 - alpha / 2, df)
    nc = delta / (sigma / math.sqrt(n))
    return 1 - stats.nct.cdf(t_crit, df, nc) + stats.nct.cdf(-t_crit, df, nc)


def shift_for_power(power: float) -> float:
    return optimize.brentq(lambda delta: t_test_power(delta, SIGMA, POWER_N) - power, 0.0, 1.5)  # nc <= 8.2 (scipy 1.17 nct.cdf gives NaN far in the tail, e.g. nc = 10)


def test_t_test_power_formula_sanity():
    # no shift: the power is the level; a huge shift: power 1; delta for 0.5 is about t_crit * se
    assert t_test_power(0.0, SIGMA, POWER_N) == pytest.approx(ALPHA, abs=1e-12)
    assert t_test_power(1.2, SIGMA, POWER_N) > 0.9999
    se = SIGMA / math.sqrt(POWER_N)
    assert shift_for_power(0.5) == pytest.approx(stats.t.ppf(0.975, POWER_N - 1) * se, rel=0.02)


@pytest.mark.parametrize("target", [0.5, 0.8])
def test_empirical_power_matches_the_noncentral_t(target):
    delta = shift_for_power(target)
    theory = t_test_power(delta, SIGMA, POWER_N)
    assert theory == pytest.approx(target, abs=1e-9)
    rng = np.random.default_rng(7 + int(100 * target))
    d = rng.normal(delta, SIGMA, size=(POWER_N, POWER_K))
    sd = binomial_sd(theory, POWER_K)

    t_rate = (t_test_p(d) < ALPHA).mean()
    assert abs(t_rate - theory) <= Z * sd, (t_rate, theory)

    # the randomization test is asymptotically as powerful as the t-test on normal data; at n = 30
    # with B = 2000 it loses a little (allowance 0.03; observed under 0.01) and shares its plan across columns
    r_rate = (randomization_p(d, B, seed=0) < ALPHA).mean()
    assert abs(r_rate - theory) <= Z * math.sqrt(sd**2 + binomial_sd(theory, B) ** 2) + 0.03, (r_rate, theory)
    # on the same data the two tests mostly agree
    assert abs(r_rate - t_rate) <= 0.02


def test_power_grows_with_the_shift_and_the_number_of_queries():
    rng = np.random.default_rng(11)
    rates = []
    for n, delta in [(30, 0.2), (30, 0.4), (120, 0.4)]:
        d = rng.normal(delta, SIGMA, size=(n, 2000))
        rates.append((randomization_p(d, 1000, seed=0) < ALPHA).mean())
        assert abs(rates[-1] - t_test_power(delta, SIGMA, n)) <= 0.06
    assert rates[0] < rates[1] < rates[2]
