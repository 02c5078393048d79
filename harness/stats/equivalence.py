"""TOST: two one-sided paired t-tests for equivalence within a stated margin (Schuirmann 1987).

"Not significantly different" is not "equivalent": TOST rejects "the mean difference is at least
``margin`` in either direction". p = max(p_lower, p_upper); equivalent at level alpha when p < alpha.
"""
from __future__ import annotations

import numpy as np

from harness.stats.columns import as_columns


def tost_p(differences: np.ndarray, margin: float) -> np.ndarray:
    """TOST p-values, one per column, for the equivalence interval ``(-margin, +margin)`` (measure units)."""
    from scipy import special  # only when a margin is asked for: the default compare path stays without scipy

    if not margin > 0:
        raise ValueError(f"the equivalence margin must be positive, got {margin}")
    d = as_columns(differences)
    n = d.shape[0]
    if n < 2:
        return np.ones(d.shape[1])  # equivalence needs evidence too
    mean = d.mean(axis=0)
    se = d.std(axis=0, ddof=1) / np.sqrt(n)
    dof = float(n - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lower = special.stdtr(dof, -(mean + margin) / se)  # H0: mean <= -margin
        upper = special.stdtr(dof, (mean - margin) / se)  # H0: mean >= +margin
    no_spread = se == 0
    lower = np.where(no_spread, np.where(mean > -margin, 0.0, 1.0), lower)
    upper = np.where(no_spread, np.where(mean < margin, 0.0, 1.0), upper)
    return np.maximum(lower, upper)
