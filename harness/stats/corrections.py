"""Multiple-comparison corrections of a family of p-values: Bonferroni, Holm, Benjamini-Hochberg.

Each returns adjusted p-values (capped at 1), in the input's order: a test is significant at
level alpha when its adjusted p is below alpha. Holm and BH adjusted values are made monotone
in the order of the raw p-values, and a NaN p stays NaN and does not count in m, as in R's
``p.adjust``. With ``families=True`` each row of a 2-D array is a family of its own (many
families in one call, the bits of each row adjusted alone).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from harness.errors import HarnessError


def bonferroni(p: np.ndarray, families: bool = False) -> np.ndarray:
    """``min(1, m * p)`` (controls the family-wise error rate)."""
    return _by_family(p, families, lambda ordered, m: np.minimum(1.0, ordered * m[:, None]))


def holm(p: np.ndarray, families: bool = False) -> np.ndarray:
    """Holm's step-down: the i-th smallest p times ``(m - i + 1)``, then a running maximum (FWER)."""

    def adjust(ordered: np.ndarray, m: np.ndarray) -> np.ndarray:
        return np.minimum(1.0, np.maximum.accumulate(ordered * (m[:, None] - np.arange(ordered.shape[1])), axis=1))

    return _by_family(p, families, adjust)


def benjamini_hochberg(p: np.ndarray, families: bool = False) -> np.ndarray:
    """Benjamini-Hochberg's step-up: the i-th smallest p times ``m / i``, then a running minimum from the top (FDR)."""

    def adjust(ordered: np.ndarray, m: np.ndarray) -> np.ndarray:
        scaled = ordered * m[:, None] / np.arange(1, ordered.shape[1] + 1)
        scaled[np.isnan(scaled)] = np.inf  # the NaNs sorted last must not reach the values before them
        return np.minimum(1.0, np.minimum.accumulate(scaled[:, ::-1], axis=1)[:, ::-1])

    return _by_family(p, families, adjust)


def no_correction(p: np.ndarray, families: bool = False) -> np.ndarray:
    """The raw p-values."""
    return _checked(p, families).copy()


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


def _by_family(p: np.ndarray, families: bool, adjust: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """``adjust`` of every family: all of ``p``, or with ``families`` each row of a 2-D ``p`` (many
    families at once: a leaderboard has one per pair of systems, tens of thousands). ``adjust`` gets
    each family's p-values sorted (NaNs last, uncounted) and its size m."""
    p = _checked(p, families)
    rows = p if families else p.reshape(1, -1)
    order = np.argsort(rows, axis=1, kind="stable")
    adjusted = np.empty_like(rows)
    np.put_along_axis(adjusted, order, adjust(np.take_along_axis(rows, order, axis=1), np.count_nonzero(~np.isnan(rows), axis=1)), axis=1)
    adjusted[np.isnan(rows)] = np.nan
    return adjusted.reshape(p.shape)


def _checked(p: np.ndarray, families: bool) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if families and p.ndim != 2:
        raise ValueError("families=True needs a 2-D array (a family per row)")
    return p
