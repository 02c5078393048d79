"""The Wilcoxon signed-rank test on per-query differences (scipy's implementation).

Zero differences are dropped (Wilcoxon's convention, scipy's default) and scipy chooses the method:
the exact null distribution for small samples without ties, an exact permutation test for very
small samples with ties (slow: seconds per comparison at n = 13), the normal approximation with
tie correction otherwise (every per-query table). Identical systems (no non-zero difference) get
``p = 1``.
"""
from __future__ import annotations

import warnings

import numpy as np

from harness.stats.columns import as_columns


def wilcoxon_p(differences: np.ndarray) -> np.ndarray:
    """Two-sided p-values, one per column of ``differences``."""
    from scipy import stats

    d = as_columns(differences)
    out = np.ones(d.shape[1])
    for column in range(d.shape[1]):
        values = d[:, column]
        if np.count_nonzero(values):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # scipy warns that small samples with ties use the approximation
                out[column] = stats.wilcoxon(values).pvalue
    return out
