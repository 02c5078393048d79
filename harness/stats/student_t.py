"""The paired (Student's) t-test on per-query differences, vectorised over comparisons."""
from __future__ import annotations

import numpy as np
from scipy import special

from harness.stats.columns import as_columns


def t_statistic(differences: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(t, degrees of freedom)`` per column: mean / (sd / sqrt(n)), sd with ddof=1.

    Identical systems (every difference 0) give ``t = 0``; a constant non-zero difference gives ``±inf``.
    """
    d = as_columns(differences)
    n = d.shape[0]
    mean = d.mean(axis=0)
    sd = d.std(axis=0, ddof=1) if n > 1 else np.full(d.shape[1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = mean / (sd / np.sqrt(n))
    t = np.where((sd == 0) & (mean == 0), 0.0, t)
    return t, np.full(d.shape[1], float(n - 1))


def t_test_p(differences: np.ndarray) -> np.ndarray:
    """Two-sided p-values of the paired t-test, one per column (scipy.stats.ttest_rel's values).

    Fewer than two queries carry no evidence: p = 1 (scipy gives NaN).
    """
    t, dof = t_statistic(differences)
    if dof[0] < 1:
        return np.ones_like(t)
    return 2.0 * special.stdtr(dof, -np.abs(t))
