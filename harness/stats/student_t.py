"""The paired (Student's) t-test on per-query differences, vectorised over comparisons."""
from __future__ import annotations

import os

import numpy as np

from harness.stats.columns import as_columns
from harness.stats.threaded import in_threads

MIN_THREAD_VALUES = 1 << 13  # a leaderboard column of 200 systems: 19,900 pairs, two threads


def t_from_moments(mean: np.ndarray, sd: np.ndarray, n: int) -> np.ndarray:
    """t = mean / (sd / sqrt(n)) of paired differences; identical systems (mean 0, sd 0) give t = 0
    and a constant non-zero difference gives ``±inf``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(n))
    return np.where((sd == 0) & (mean == 0), 0.0, t)


def two_sided_p(t: np.ndarray, n: int) -> np.ndarray:
    """Two-sided p of Student's t with n - 1 degrees of freedom; under two units, p = 1 (no evidence).

    scipy's ``stdtr`` costs about 0.2 us a value and releases the GIL: from :data:`MIN_THREAD_VALUES`
    values, parts go to a thread per core (a leaderboard of 200 systems asks for 13 million)."""
    from scipy import special  # a second of imports that a randomization test never needs

    t = np.asarray(t, dtype=np.float64)
    if n < 2:
        return np.ones_like(t)
    tail = -np.abs(t)
    threads = min(os.cpu_count() or 1, tail.size // MIN_THREAD_VALUES)
    if threads > 1:
        flat = tail.reshape(-1)  # a fresh array: written in place, part by part
        in_threads(lambda part: special.stdtr(float(n - 1), flat[part], out=flat[part]), flat.size, threads)
        return 2.0 * tail
    return 2.0 * special.stdtr(float(n - 1), tail)


def half_width(sd: np.ndarray, n: int, confidence: float = 0.95) -> np.ndarray:
    """Half-width of the t interval of a mean difference: t(n-1, (1+confidence)/2) * sd / sqrt(n)."""
    from scipy import special  # scipy.stats.t.ppf's own function, the same bits, without a second of scipy.stats's imports

    sd = np.asarray(sd, dtype=np.float64)
    if n < 2:
        return np.full(sd.shape, np.nan)
    return special.stdtrit(float(n - 1), 0.5 + confidence / 2) * sd / np.sqrt(n)


def t_statistic(differences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(t, degrees of freedom)`` per column: mean / (sd / sqrt(n)), sd with ddof=1."""
    d = as_columns(differences)
    n = d.shape[0]
    sd = d.std(axis=0, ddof=1) if n > 1 else np.full(d.shape[1], np.nan)
    return t_from_moments(d.mean(axis=0), sd, n), np.full(d.shape[1], float(n - 1))


def t_test_p(differences: np.ndarray) -> np.ndarray:
    """Two-sided p-values of the paired t-test, one per column (scipy.stats.ttest_rel's values).

    Fewer than two queries carry no evidence: p = 1 (scipy gives NaN).
    """
    t, _ = t_statistic(differences)
    return two_sided_p(t, as_columns(differences).shape[0])
