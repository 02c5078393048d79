"""Who is best where: per dataset, measure and setting, the systems in order with their mean, its
interval, their rank interval and what they hold.

A setting's column is its mean where it has more than one pair, else its one pair (the columns of
:class:`~.board.DatasetBoard`). Rank intervals are the board's (all-pairs t-tests, corrected per
column and measure); nothing is tested again here. The interval of a mean is a t interval on the
units the board tests that column on (:func:`harness.stats.student_t.half_width`): a setting mean's
over the system's own pair values (``pair-means``), a one-pair setting's over its own per-query
scores. A system that holds only some of a setting's pairs gets the mean of those (its coverage
says how many), is not ranked and sorts after every system holding them all; one holding part of
a pair's queries (``n of N``) is shown but not ranked either (the board's rule).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from harness.datasets.pairs import SETTINGS
from harness.per_query import PerQueryTable
from harness.report.leaderboard.board import DatasetBoard
from harness.stats.student_t import half_width


@dataclass(frozen=True)
class Standing:
    """One system in one setting of a dataset, for one measure."""

    system: str
    mean: float
    low: float | None  # the interval; None where it has under two units or misses some pairs
    high: float | None
    units: str  # "pairs" (a setting mean) or "queries" (a one-pair setting)
    n: int  # units the interval is over
    rank_best: int | None  # None: not ranked (some pairs or queries missing)
    rank_worst: int | None
    pairs_held: int
    pairs_total: int
    queries_held: int
    queries_total: int

    @property
    def every_pair(self) -> bool:
        """It holds every pair of the setting (its mean is the board's setting mean)."""
        return self.pairs_held == self.pairs_total

    @property
    def partial(self) -> bool:
        """It holds every pair but only part of their queries."""
        return self.every_pair and self.queries_held < self.queries_total


@dataclass(frozen=True)
class SettingStandings:
    """The systems of one dataset, measure and setting, ranked ones first, best first."""

    dataset: str
    measure: str
    higher_is_better: bool
    setting: str
    column: int  # the board's column: the setting mean, or the setting's one pair
    pairs: tuple[str, ...]
    ranked: int  # systems with a rank interval
    rows: list[Standing]

    @property
    def column_key(self) -> str:
        """The column the rank intervals come from: ``DATASET/SETTING-mean``, or the setting's one pair."""
        return f"{self.dataset}/{self.setting}-mean" if len(self.pairs) > 1 else self.pairs[0]


def dataset_standings(
    board: DatasetBoard, tables: Mapping[str, Mapping[str, PerQueryTable]], confidence: float
) -> list[SettingStandings]:
    """Every (measure, setting) of ``board`` that some system holds; ``tables``: system -> pair ->
    its per-query scores (for the interval of a one-pair setting)."""
    out = []
    for m, measure in enumerate(board.measures):
        for setting in SETTINGS:
            pair_columns = [c for c, col in enumerate(board.columns) if col.setting == setting and not col.is_average]
            if not pair_columns:
                continue
            means = [c for c, col in enumerate(board.columns) if col.setting == setting and col.is_average]
            column = means[0] if means else pair_columns[0]
            rows = [
                row for s in range(len(board.systems))
                if (row := _standing(board, tables, confidence, m, s, column, pair_columns)) is not None
            ]
            if not rows:
                continue
            sign = -1.0 if measure.higher_is_better else 1.0
            rows.sort(key=lambda r: (r.rank_best is None, not r.every_pair, -r.pairs_held, sign * r.mean, r.system))
            out.append(SettingStandings(
                board.dataset, measure.name, measure.higher_is_better, setting, column,
                tuple(board.columns[c].key for c in pair_columns), sum(r.rank_best is not None for r in rows), rows,
            ))
    return out


def _standing(board, tables, confidence, m, s, column, pair_columns) -> Standing | None:
    values = board.values[m, s, pair_columns]
    held = ~np.isnan(values)
    if not held.any():
        return None
    name = board.systems[s]
    every = bool(held.all())
    mean = float(board.values[m, s, column]) if every else float(values[held].mean())
    if len(pair_columns) > 1:
        units, sample = "pairs", values[held]
    else:
        table = tables[name][board.columns[column].key]
        units, sample = "queries", table.values[:, table.measures.index(board.measures[m].name)]
    low = high = None
    if every and sample.size > 1:  # over a few of a setting's pairs an interval says nothing comparable
        half = float(half_width(np.std(sample, ddof=1), sample.size, confidence))
        if not math.isnan(half):
            low, high = mean - half, mean + half
    best = int(board.best_rank[m, s, column])
    ranked = every and best > 0
    return Standing(
        name, mean, low, high, units, int(sample.size),
        best if ranked else None, int(board.worst_rank[m, s, column]) if ranked else None,
        int(held.sum()), len(pair_columns),
        int(board.held[s, pair_columns][held].sum()), int(board.full[pair_columns].sum()),
    )
