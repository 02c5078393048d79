"""Multiple-comparison corrections of a family of p-values: Bonferroni, Holm, Benjamini-Hochberg.

Each returns adjusted p-values (capped at 1), in the input's order: a test is significant at
level alpha when its adjusted p is below alpha. Holm and BH adjusted values are made monotone
in the order of the raw p-values, and a NaN p stays NaN and does not count in m, as in R's
``p.adjust``.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.errors import HarnessError


def bonferroni(p: np.ndarray) -> np.ndarray:
    """``min(1, m * p)`` (controls the family-wise error rate)."""
    return _skip_nan(p, lambda q: np.minimum(1.0, q * q.size))


def holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down: the i-th smallest p times ``(m - i + 1)``, then a running maximum (FWER)."""

    def adjust(q: np.ndarray) -> np.ndarray:
        order = np.argsort(q, kind="stable")
        scaled = np.maximum.accumulate(q[order] * (q.size - np.arange(q.size)))
        return _unsort(np.minimum(1.0, scaled), order)

    return _skip_nan(p, adjust)


def benjamini_hochberg(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg's step-up: the i-th smallest p times ``m / i``, then a running minimum from the top (FDR)."""

    def adjust(q: np.ndarray) -> np.ndarray:
        order = np.argsort(q, kind="stable")
        scaled = q[order] * q.size / np.arange(1, q.size + 1)
        stepped = np.minimum.accumulate(scaled[::-1])[::-1]
        return _unsort(np.minimum(1.0, stepped), order)

    return _skip_nan(p, adjust)


def no_correction(p: np.ndarray) -> np.ndarray:
    """The raw p-values."""
    return np.asarray(p, dtype=np.float64).copy()


CORRECTIONS: dict[str, tuple[str, Callable[[np.ndarray], np.ndarray]]] = {
    "holm": ("Holm", holm),
    "bonferroni": ("Bonferroni", bonferroni),
    "bh": ("Benjamini-Hochberg", benjamini_hochberg),
    "none": ("no correction", no_correction),
}


def get_correction(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """A correction by its short name: holm, bonferroni, bh or none."""
    try:
        return CORRECTIONS[name][1]
    except KeyError:
        raise HarnessError(f"unknown correction {name!r}: expected one of {', '.join(CORRECTIONS)}") from None


def _skip_nan(p: np.ndarray, adjust: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    present = ~np.isnan(p)
    out[present] = adjust(p[present])
    return out


def _unsort(values: np.ndarray, order: np.ndarray) -> np.ndarray:
    out = np.empty_like(values)
    out[order] = values
    return out
