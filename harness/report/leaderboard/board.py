"""The statistics of one dataset's leaderboard: values, all-pairs t-tests, baseline marks, rank intervals.

Every system holding a pair is tested against every other holding it, on the queries they all
have; a setting's mean is tested on the per-pair means of the systems holding all its pairs
(``harness compare --average-test pair-means``). Two families, both corrected with the chosen
method:

- **baseline marks** (▲/▼): each system against the baseline, one family per dataset over systems x
  columns x measures: the p-values of ``harness compare --baseline B --test t --dataset D``;
- **rank intervals**: every unordered pair of systems, one family per dataset, column and measure
  (``harness compare --test t --family systems``). A system's interval runs from 1 + the systems
  significantly better to S - the systems significantly worse;
- **two-system comparisons** (the comparison page): one family per pair of systems and dataset,
  over its columns x measures (``harness compare A B --baseline B --test t --dataset D``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from harness.datasets.pairs import SETTINGS, PairId
from harness.errors import HarnessError
from harness.evaluation.measures import Measure, parse_measure
from harness.stats.all_pairs import all_pairs_t, pair_index, rank_intervals
from harness.stats.corrections import get_correction
from harness.submissions import PerQueryTable


@dataclass(frozen=True)
class BoardColumn:
    """A column of a dataset's table: one pair, or the macro average of a setting's pairs."""

    key: str
    setting: str
    label: str
    pairs: tuple[str, ...]
    is_average: bool

    @property
    def langs(self) -> tuple[str, ...]:
        """(query language, document language) of a pair column; () for a mean."""
        return () if self.is_average else tuple(self.label.split("-"))


@dataclass
class DatasetBoard:
    """Values and tests of every system holding a dataset; NaN where a system has no value or a
    test was not run. Axes: M measures, S systems, K = S(S-1)/2 unordered pairs, C columns."""

    dataset: str
    systems: list[str]
    measures: list[Measure]
    columns: list[BoardColumn]
    values: np.ndarray  # M x S x C
    units: np.ndarray  # M x C: queries (or pairs, for a mean) the column is tested on
    p: np.ndarray  # M x K x C
    p_adjusted: np.ndarray  # M x K x C, all-pairs family per (column, measure)
    comparison_p_adjusted: np.ndarray  # M x K x C, one family per pair of systems (columns x measures)
    difference: np.ndarray  # M x K x C, system i - system j of pair k
    half_width: np.ndarray  # M x K x C
    best_rank: np.ndarray  # M x S x C (0: no value)
    worst_rank: np.ndarray  # M x S x C (0: no value)
    baseline: str | None
    baseline_p_adjusted: np.ndarray | None  # M x S x C
    baseline_mark: np.ndarray | None  # M x S x C: +1 better, -1 worse, 0 not significant or untested
    notes: list[str]
    tests: int

    def mark(self, m: int, s: int, c: int) -> int:
        """+1/-1 where system ``s`` is significantly better/worse than the baseline, else 0 (the
        baseline's own row, untested cells, and every cell of a board without a baseline)."""
        return 0 if self.baseline_mark is None else int(self.baseline_mark[m, s, c])

    def difference_to(self, system: int, other: int) -> np.ndarray:
        """M x C differences ``system - other``."""
        k, sign = pair_index(system, other, len(self.systems))
        return sign * self.difference[:, k, :]


def dataset_board(
    dataset: str,
    scores: Mapping[str, Mapping[str, PerQueryTable]],
    *,
    baseline: str | None,
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> DatasetBoard:
    """Values and paired t-tests of every system of ``scores`` (system -> pair -> table) on one dataset."""
    adjust = get_correction(correction)
    systems = list(scores)
    count = len(systems)
    pairs = sorted({p for held in scores.values() for p in held}, key=lambda p: (SETTINGS.index(PairId.parse(p).setting), p))
    measures = [_measure(name) for name in dict.fromkeys(m for held in scores.values() for t in held.values() for m in t.measures)]
    columns = _columns(dataset, pairs)
    shape_s = (len(measures), count, len(columns))
    shape_k = (len(measures), count * (count - 1) // 2, len(columns))
    values, p, p_adjusted = np.full(shape_s, np.nan), np.full(shape_k, np.nan), np.full(shape_k, np.nan)
    difference, half = np.full(shape_k, np.nan), np.full(shape_k, np.nan)
    best, worst = np.zeros(shape_s, dtype=int), np.zeros(shape_s, dtype=int)
    units_n = np.zeros((len(measures), len(columns)), dtype=int)
    notes: list[str] = []
    matrices = _pair_matrices(systems, scores, pairs, measures, notes)

    tests = 0
    for m, measure in enumerate(measures):
        for c, column in enumerate(columns):
            held = _column_units(column, [matrices.get((pair, m)) for pair in column.pairs])
            if held is None:
                continue
            holders, units = held
            values[m, holders, c] = units.mean(axis=0)
            units_n[m, c] = units.shape[0]
            best[m, holders, c] = 1
            worst[m, holders, c] = holders.size
            if holders.size < 2:
                continue
            result = all_pairs_t(units, confidence)
            i, j = holders[result.first], holders[result.second]
            k = i * count - i * (i + 1) // 2 + j - i - 1
            p[m, k, c], difference[m, k, c], half[m, k, c] = result.p, result.mean_difference, result.half_width
            p_adjusted[m, k, c] = adjust(result.p)
            tests += result.p.size
            first_better = result.mean_difference > 0 if measure.higher_is_better else result.mean_difference < 0
            low, high = rank_intervals(holders.size, result.first, result.second, first_better, p_adjusted[m, k, c] < alpha)
            best[m, holders, c], worst[m, holders, c] = low, high

    comparison_adjusted = np.full_like(p, np.nan)
    for k in range(p.shape[1]):  # NaN (untested) stays NaN and is not counted
        comparison_adjusted[:, k, :] = adjust(p[:, k, :].ravel()).reshape(p.shape[0], p.shape[2])
    board = DatasetBoard(
        dataset, systems, measures, columns, values, units_n, p, p_adjusted, comparison_adjusted, difference, half, best, worst,
        None, None, None, notes, tests,
    )
    if baseline is not None and baseline in systems:
        _mark_against_baseline(board, baseline, adjust, alpha)
    return board


def _columns(dataset: str, pairs: list[str]) -> list[BoardColumn]:
    """A mean per setting with more than one pair, then every pair."""
    by_setting: dict[str, list[str]] = {}
    for pair in pairs:
        by_setting.setdefault(PairId.parse(pair).setting, []).append(pair)
    means = [
        BoardColumn(f"{dataset}/{setting}-mean", setting, "mean", tuple(members), True)
        for setting, members in by_setting.items()
        if len(members) > 1
    ]
    return means + [BoardColumn(p, PairId.parse(p).setting, PairId.parse(p).langs, (p,), False) for p in pairs]


def _pair_matrices(
    systems: list[str],
    scores: Mapping[str, Mapping[str, PerQueryTable]],
    pairs: list[str],
    measures: list[Measure],
    notes: list[str],
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """(pair, measure index) -> (holder indices, queries x holders) on the queries all holders share."""
    out: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    for pair in pairs:
        holders = [i for i, name in enumerate(systems) if pair in scores[name]]
        tables = [scores[systems[i]][pair] for i in holders]
        first = tables[0].query_ids
        if all(t.query_ids == first for t in tables):
            rows: list = [slice(None)] * len(tables)
        else:
            common = sorted(set.intersection(*(set(t.query_ids) for t in tables)))
            if not common:
                notes.append(f"{pair}: the systems holding it share no query; left out")
                continue
            rows = [np.array([{q: r for r, q in enumerate(t.query_ids)}[q] for q in common], dtype=int) for t in tables]
            sizes = ", ".join(f"{systems[i]} {len(t.query_ids)}" for i, t in zip(holders, tables))
            notes.append(f"{pair}: compared on the {len(common)} queries every system has ({sizes})")
        for m, measure in enumerate(measures):
            have = [(i, t, r) for i, t, r in zip(holders, tables, rows) if measure.name in t.measures]
            if have:
                matrix = np.column_stack([t.values[r, t.measures.index(measure.name)] for _, t, r in have])
                out[(pair, m)] = (np.array([i for i, _, _ in have]), matrix)
    return out


def _column_units(
    column: BoardColumn, parts: list[tuple[np.ndarray, np.ndarray] | None]
) -> tuple[np.ndarray, np.ndarray] | None:
    """(holders, units x holders) of a column: a pair's queries, or a mean's per-pair means over the
    systems holding every pair of the setting."""
    if any(part is None for part in parts):
        return None
    if not column.is_average:
        return parts[0]
    holders = np.array(sorted(set.intersection(*(set(h.tolist()) for h, _ in parts))), dtype=int)
    if holders.size == 0:
        return None
    return holders, np.stack([matrix[:, np.searchsorted(h, holders)].mean(axis=0) for h, matrix in parts])


def _mark_against_baseline(board: DatasetBoard, baseline: str, adjust, alpha: float) -> None:
    """▲/▼ of every system against the baseline, corrected over the dataset's systems x columns x measures."""
    b = board.systems.index(baseline)
    shape = board.values.shape
    raw, oriented = np.full(shape, np.nan), np.full(shape, np.nan)
    for s in range(len(board.systems)):
        if s != b:
            k, sign = pair_index(s, b, len(board.systems))
            raw[:, s, :] = board.p[:, k, :]
            oriented[:, s, :] = sign * board.difference[:, k, :]
    for m, measure in enumerate(board.measures):
        if not measure.higher_is_better:
            oriented[m] = -oriented[m]
    adjusted = adjust(raw.ravel()).reshape(shape)  # NaN (the baseline's row, untested cells) stays NaN, uncounted
    significant = adjusted < alpha
    board.baseline = baseline
    board.baseline_p_adjusted = adjusted
    board.baseline_mark = np.where(significant & (oriented > 0), 1, np.where(significant & (oriented < 0), -1, 0))


def _measure(name: str) -> Measure:
    """The registry's measure, or a plain higher-is-better one for a name it does not know."""
    try:
        return parse_measure(name)
    except HarnessError:
        return Measure(name)
