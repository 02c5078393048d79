"""The statistics of one dataset's leaderboard: values, all-pairs t-tests, baseline marks, rank intervals.

A system's value on a pair is the mean of its own per-query scores, and its setting mean the
macro average of its own pair values: another submission never changes them. Every two systems
holding a pair are tested on the queries both hold (:mod:`.holders`); a setting's mean is tested
on per-pair means (``harness compare --average-test pair-means``). A submission holding part of
a pair's queries (``n of N``) is **partial** there: shown, tested, but left out of the ranking,
the rank intervals and the baseline marks of that pair, and of every setting mean it is partial
in. Two families, both corrected with the chosen method:

- **baseline marks** (▲/▼): each complete system against the complete baseline, one family per
  dataset over systems x columns x measures: the p-values of ``harness compare --baseline B --test t --dataset D``;
- **rank intervals**: every unordered pair of the column's complete systems, one family per
  dataset, column and measure (``harness compare --test t --family systems``). A system's
  interval runs from 1 + the systems significantly better to S - the systems significantly worse;
- **two-system comparisons** (the comparison page): one family per pair of systems and dataset,
  over its columns x measures (``harness compare A B --baseline B --test t --dataset D``).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from harness.datasets.pairs import SETTINGS, PairId
from harness.evaluation.measures import Measure, parse_measure
from harness.report.leaderboard.holders import PairHolders, column_blocks, column_holders, pair_holders
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
    values: np.ndarray  # M x S x C: each system's own mean (a mean column: of its own pair values)
    held: np.ndarray  # S x C: queries the system holds (summed over a mean's pairs); 0 where none
    full: np.ndarray  # C: queries of the pair (summed over a mean's pairs)
    n: np.ndarray  # M x K x C: units a test ran on (queries; pairs for a mean); 0 where untested
    p: np.ndarray  # M x K x C
    p_adjusted: np.ndarray  # M x K x C, all-pairs family of the column's complete systems per (column, measure)
    comparison_p_adjusted: np.ndarray  # M x K x C, one family per pair of systems (columns x measures)
    difference: np.ndarray  # M x K x C, system i - system j of pair k, on the units of the test
    half_width: np.ndarray  # M x K x C
    best_rank: np.ndarray  # M x S x C (0: no value, or partial: not ranked)
    worst_rank: np.ndarray  # M x S x C (0: no value, or partial: not ranked)
    baseline: str | None
    baseline_p_adjusted: np.ndarray | None  # M x S x C
    baseline_mark: np.ndarray | None  # M x S x C: +1 better, -1 worse, 0 not significant or untested
    notes: list[str]
    tests: int

    def mark(self, m: int, s: int, c: int) -> int:
        """+1/-1 where system ``s`` is significantly better/worse than the baseline, else 0 (the
        baseline's own row, untested and partial cells, and every cell of a board without a baseline)."""
        return 0 if self.baseline_mark is None else int(self.baseline_mark[m, s, c])

    def partial(self, s: int, c: int) -> bool:
        """True where system ``s`` holds only part of column ``c``'s queries (n of N)."""
        return 0 < self.held[s, c] < self.full[c]

    def complete(self) -> np.ndarray:
        """S x C: the system holds every query of the column (it is ranked there)."""
        return (self.held > 0) & (self.held >= self.full[None, :])

    def difference_to(self, system: int, other: int) -> np.ndarray:
        """M x C differences ``system - other``."""
        k, sign = pair_index(system, other, len(self.systems))
        return sign * self.difference[:, k, :]


def dataset_board(
    dataset: str,
    scores: Mapping[str, Mapping[str, PerQueryTable]],
    *,
    full: Mapping[str, int | None] | None = None,
    baseline: str | None,
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> DatasetBoard:
    """Values and paired t-tests of every system of ``scores`` (system -> pair -> table) on one dataset.

    ``full`` gives each pair's query count N (None or absent: unknown, then the largest count
    among the systems holding the pair, with a note).
    """
    adjust = get_correction(correction)
    systems = list(scores)
    count = len(systems)
    pairs = sorted({p for held in scores.values() for p in held}, key=lambda p: (SETTINGS.index(PairId.parse(p).setting), p))
    measures = [parse_measure(name) for name in dict.fromkeys(m for held in scores.values() for t in held.values() for m in t.measures)]
    columns = _columns(dataset, pairs)
    notes: list[str] = []
    pair_full = _full_counts(scores, pairs, full or {}, notes)
    shape_s = (len(measures), count, len(columns))
    shape_k = (len(measures), count * (count - 1) // 2, len(columns))
    values, p, difference, half = np.full(shape_s, np.nan), np.full(shape_k, np.nan), np.full(shape_k, np.nan), np.full(shape_k, np.nan)
    n = np.zeros(shape_k, dtype=int)
    held = np.zeros((count, len(columns)), dtype=int)
    column_full = np.array([sum(pair_full[pair] for pair in column.pairs) for column in columns], dtype=int)
    holders = _holders(systems, scores, pairs, measures)

    for m in range(len(measures)):
        for c, column in enumerate(columns):
            parts = [holders.get((pair, m)) for pair in column.pairs]
            if any(part is None for part in parts):
                continue
            members = column_holders(parts)
            if members.size == 0:
                continue
            own = np.array([[part.own(int(s)) for s in members] for part in parts])  # pairs x members x (mean, queries)
            values[m, members, c] = own[:, :, 0].mean(axis=0)
            held[members, c] = own[:, :, 1].sum(axis=0).astype(int)
            for block in column_blocks(parts, members, column.is_average):
                result = all_pairs_t(block.units, confidence)
                keep = slice(None) if block.split is None else (result.first < block.split) & (result.second >= block.split)
                k, sign = _pair_indices(block.systems[result.first[keep]], block.systems[result.second[keep]], count)
                p[m, k, c], n[m, k, c] = result.p[keep], block.units.shape[0]
                difference[m, k, c], half[m, k, c] = sign * result.mean_difference[keep], result.half_width[keep]

    comparison_adjusted = np.full_like(p, np.nan)
    for k in range(p.shape[1]):  # NaN (untested) stays NaN and is not counted
        comparison_adjusted[:, k, :] = adjust(p[:, k, :].ravel()).reshape(p.shape[0], p.shape[2])
    board = DatasetBoard(
        dataset, systems, measures, columns, values, held, column_full, n, p, np.full(shape_k, np.nan), comparison_adjusted,
        difference, half, np.zeros(shape_s, dtype=int), np.zeros(shape_s, dtype=int), None, None, None,
        notes + _partial_notes(systems, pairs, scores, pair_full), int(np.count_nonzero(~np.isnan(p))),
    )
    _rank(board, adjust, alpha)
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


def _holders(
    systems: list[str], scores: Mapping[str, Mapping[str, PerQueryTable]], pairs: list[str], measures: list[Measure]
) -> dict[tuple[str, int], PairHolders]:
    """(pair, measure index) -> the holders' own scores, grouped by query list."""
    out: dict[tuple[str, int], PairHolders] = {}
    for pair in pairs:
        tables = [(i, scores[name][pair]) for i, name in enumerate(systems) if pair in scores[name]]
        for m, measure in enumerate(measures):
            have = [(i, t.query_ids, t.values[:, t.measures.index(measure.name)]) for i, t in tables if measure.name in t.measures]
            if have:
                out[(pair, m)] = pair_holders(have)
    return out


def _full_counts(
    scores: Mapping[str, Mapping[str, PerQueryTable]], pairs: list[str], full: Mapping[str, int | None], notes: list[str]
) -> dict[str, int]:
    """Each pair's query count N; where unknown, the largest count among its holders (with a note)."""
    counts, unknown = {}, 0
    for pair in pairs:
        known = full.get(pair)
        if known is None:
            unknown += 1
            known = max(len(held[pair].query_ids) for held in scores.values() if pair in held)
        counts[pair] = known
    if unknown:
        notes.append(
            f"{unknown} of {len(pairs)} pair(s): the pair's full query count N is not known (its data was not found; "
            "--data-dir names the data folder), so N is the largest count among the systems holding the pair"
        )
    return counts


def _partial_notes(systems: list[str], pairs: list[str], scores: Mapping[str, Mapping[str, PerQueryTable]], full: Mapping[str, int]) -> list[str]:
    """One note per system holding part of some pair's queries."""
    notes = []
    for name in systems:
        short = [(pair, len(scores[name][pair].query_ids)) for pair in pairs if pair in scores[name]]
        short = [(pair, held) for pair, held in short if held < full[pair]]
        if short:
            shown = ", ".join(f"{pair}: {held:,} of {full[pair]:,} queries" for pair, held in short[:3])
            more = f" and {len(short) - 3} more" if len(short) > 3 else ""
            notes.append(
                f"{name} is partial on {len(short)} pair(s) ({shown}{more}): its values there are means over its own "
                "queries, tested on the queries each other system shares with it, and neither ranked nor marked against the baseline"
            )
    return notes


def _pair_indices(i: np.ndarray, j: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pair_index` of arrays of systems: the pair index of {i, j} and the sign of ``i - j`` in it."""
    low, high = np.minimum(i, j), np.maximum(i, j)
    return low * count - low * (low + 1) // 2 + high - low - 1, np.where(i < j, 1, -1)


def _rank(board: DatasetBoard, adjust, alpha: float) -> None:
    """Rank intervals of each column's complete systems, from their all-pairs family."""
    complete = board.complete()
    for m, measure in enumerate(board.measures):
        for c in range(len(board.columns)):
            ranked = np.flatnonzero(complete[:, c] & ~np.isnan(board.values[m, :, c]))
            if ranked.size == 0:
                continue
            first, second = np.triu_indices(ranked.size, k=1)
            k, _ = _pair_indices(ranked[first], ranked[second], len(board.systems))
            adjusted = adjust(board.p[m, k, c]) if k.size else np.zeros(0)
            board.p_adjusted[m, k, c] = adjusted
            difference = board.difference[m, k, c]
            first_better = difference > 0 if measure.higher_is_better else difference < 0
            low, high = rank_intervals(ranked.size, first, second, first_better, adjusted < alpha)
            board.best_rank[m, ranked, c], board.worst_rank[m, ranked, c] = low, high


def _mark_against_baseline(board: DatasetBoard, baseline: str, adjust, alpha: float) -> None:
    """▲/▼ of every complete system against the complete baseline, corrected over the dataset's
    systems x columns x measures (partial cells are neither marked nor counted in the family)."""
    b = board.systems.index(baseline)
    shape = board.values.shape
    complete = board.complete()
    raw, oriented = np.full(shape, np.nan), np.full(shape, np.nan)
    for s in range(len(board.systems)):
        if s != b:
            k, sign = pair_index(s, b, len(board.systems))
            both = complete[s] & complete[b]
            raw[:, s, :] = np.where(both, board.p[:, k, :], np.nan)
            oriented[:, s, :] = sign * board.difference[:, k, :]
    for m, measure in enumerate(board.measures):
        if not measure.higher_is_better:
            oriented[m] = -oriented[m]
    adjusted = adjust(raw.ravel()).reshape(shape)  # NaN (the baseline's row, untested or partial cells) stays NaN, uncounted
    significant = adjusted < alpha
    board.baseline = baseline
    board.baseline_p_adjusted = adjusted
    board.baseline_mark = np.where(significant & (oriented > 0), 1, np.where(significant & (oriented < 0), -1, 0))
