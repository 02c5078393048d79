"""Effect sizes reported with every test: mean difference with a bootstrap interval, d_z, wins/ties/losses."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness.stats.bootstrap import bootstrap_interval, pair_bootstrap_interval
from harness.stats.columns import as_columns
from harness.stats.pair_sums import PairSums

# Per-query scores of one measure are computed the same way for every system, so equal rankings
# give bit-equal values; the slack only absorbs values that went through a decimal round trip.
TIE_SLACK = 1e-12


@dataclass(frozen=True)
class Effects:
    """Per comparison (one entry per column of the differences)."""

    mean_difference: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    d_z: np.ndarray
    wins: np.ndarray
    ties: np.ndarray
    losses: np.ndarray


def effect_sizes(
    differences: np.ndarray,
    higher_is_better: np.ndarray | bool = True,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    pairs: PairSums | None = None,
) -> Effects:
    """Effects of ``differences`` (system minus other, in the measure's units; queries x comparisons).

    ``d_z`` is the mean difference over its standard deviation (ddof=1): 0 when every difference is
    0, NaN when the differences are a non-zero constant (up to rounding). Wins count queries where the system is
    better in the measure's direction (``higher_is_better`` per column). ``pairs`` says the differences
    are ``pairs.differences``: the same intervals from fewer products (:func:`~harness.stats.bootstrap.pair_bootstrap_interval`).
    """
    d = as_columns(differences)
    mean = d.mean(axis=0)
    sd = d.std(axis=0, ddof=1) if d.shape[0] > 1 else np.full(d.shape[1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        d_z = np.where(sd > TIE_SLACK * np.abs(mean), mean / sd, np.where(mean == 0, 0.0, np.nan))
    if pairs is None:
        low, high = bootstrap_interval(d, resamples, seed, confidence)
    else:
        low, high = pair_bootstrap_interval(pairs, resamples, seed, confidence)
    oriented = d * np.where(np.asarray(higher_is_better), 1.0, -1.0)
    return Effects(
        mean_difference=mean,
        ci_low=low,
        ci_high=high,
        d_z=d_z,
        wins=(oriented > TIE_SLACK).sum(axis=0),
        ties=(np.abs(oriented) <= TIE_SLACK).sum(axis=0),
        losses=(oriented < -TIE_SLACK).sum(axis=0),
    )
