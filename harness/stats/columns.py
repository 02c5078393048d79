"""The shape every test kernel takes: ``n`` queries x ``k`` comparisons, float64."""
from __future__ import annotations

import numpy as np


def as_columns(differences: np.ndarray) -> np.ndarray:
    """A 1-d vector becomes one column; a 2-d array is taken as queries x comparisons."""
    d = np.asarray(differences, dtype=np.float64)
    if d.ndim == 1:
        return d[:, None]
    if d.ndim != 2:
        raise ValueError(f"expected queries x comparisons, got an array of shape {d.shape}")
    return d
