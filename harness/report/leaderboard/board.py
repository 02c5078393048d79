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

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from harness.datasets.pairs import SETTINGS, PairId
from harness.evaluation.measures import Measure, parse_measure
from harness.report.leaderboard.holders import PairHolders, column_blocks, column_holders, pair_holders
from harness.stats.all_pairs import all_pairs_t, pair_index, rank_intervals
from harness.stats.corrections import get_correction
from harness.submissions import PerQueryTable

FAMILIES_AT_ONCE = 4096  # pairs of systems whose families are adjusted in one call (temporaries of a few MB)


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
    n: np.ndarray  # M x K x C (int32): units a test ran on (queries; pairs for a mean); 0 where untested
    p: np.ndarray  # M x K x C
    p_adjusted: np.ndarray  # M x K x C, all-pairs family of the column's complete systems per (column, measure)
    comparison_p_adjusted: np.ndarray  # M x K x C, one family per pair of systems (columns x measures)
    difference: np.ndarray  # M x K x C, system i - system j of pair k, on the units of the test
    best_rank: np.ndarray  # M x S x C (0: no value, or partial: not ranked)
    worst_rank: np.ndarray  # M x S x C (0: no value, or partial: not ranked)
    baseline: str | None
    baseline_p_adjusted: np.ndarray | None  # M x S x C
    baseline_mark: np.ndarray | None  # M x S x C: +1 better, -1 worse, 0 not significant or untested
    notes: list[str]
    tests: int
    alpha: float = 0.05  # the level of every mark
    correction: str = "holm"  # the short name of the correction of every family (harness.stats.corrections)

    def mark(self, m: int, s: int, c: int) -> int:
        """+1/-1 where system ``s`` is significantly better/worse than the baseline, else 0 (the
        baseline's own row, untested and partial cells, and every cell of a board without a baseline)."""
        return 0 if self.baseline_mark is None else int(self.baseline_mark[m, s, c])

    def baseline_p(self, m: int, s: int, c: int) -> float | None:
        """The adjusted p of system ``s`` against the baseline on column ``c`` and measure ``m``; None
        where untested (the baseline itself, partial cells, a board without a baseline)."""
        if self.baseline_p_adjusted is None or np.isnan(self.baseline_p_adjusted[m, s, c]):
            return None
        return float(self.baseline_p_adjusted[m, s, c])

    def partial(self, s: int, c: int) -> bool:
        """True where system ``s`` holds only part of column ``c``'s queries (n of N)."""
        return 0 < self.held[s, c] < self.full[c]

    def shown_measures(self) -> list[int]:
        """The measures some system has a value of (each has a page)."""
        return [m for m in range(len(self.measures)) if not np.all(np.isnan(self.values[m]))]

    def complete(self) -> np.ndarray:
        """S x C: the system holds every query of the column (it is ranked there)."""
        return (self.held > 0) & (self.held >= self.full[None, :])


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
    among the systems holding the pair, with a note). One pair at a time: its holders' tables are
    taken once, its column tested, and only what the setting means need is kept, so the per-query
    scores of every system never sit in memory together.
    """
    with _one_blas_thread():
        return _board(dataset, scores, full or {}, baseline, correction, alpha, confidence)


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """BLAS held to one thread while the board is computed, where threadpoolctl is installed. Its
    products are small (systems x systems): threads gain nothing there, and on a busy machine
    OpenBLAS's threads waiting for one another make each 10 to 100 times slower (36 ms instead of
    0.3 ms for 50 systems on 1,190 queries, seen on a loaded 2-core machine)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _board(
    dataset: str, scores: Mapping[str, Mapping[str, PerQueryTable]], full: Mapping[str, int | None], baseline: str | None,
    correction: str, alpha: float, confidence: float,
) -> DatasetBoard:
    adjust = get_correction(correction)
    systems = list(scores)
    count = len(systems)
    pairs = sorted({p for held in scores.values() for p in held}, key=lambda p: (SETTINGS.index(PairId.parse(p).setting), p))
    columns = _columns(dataset, pairs)
    tests = _ColumnTests(count, len(columns), confidence)
    shapes: dict[tuple[int, str], tuple[int, list[str]]] = {}  # (system, pair) -> (queries, measures)
    kept: dict[tuple[str, str], PairHolders] = {}  # (pair, measure) -> what the setting means need
    for c, column in enumerate(columns):
        if column.is_average:
            continue
        pair = column.pairs[0]
        tables = [(s, scores[name][pair]) for s, name in enumerate(systems) if pair in scores[name]]
        shapes.update({(s, pair): (len(t.query_ids), list(t.measures)) for s, t in tables})
        for measure in dict.fromkeys(m for _, t in tables for m in t.measures):
            holders = pair_holders([(s, t.query_ids, t.values[:, t.measures.index(measure)]) for s, t in tables if measure in t.measures])
            tests.run(measure, c, [holders], False)
            kept[(pair, measure)] = holders.light()
        del tables
    names = list(dict.fromkeys(m for s, name in enumerate(systems) for pair in scores[name] for m in shapes[(s, pair)][1]))
    measures = [parse_measure(name) for name in names]
    for c, column in enumerate(columns):
        if column.is_average:
            for name in names:
                parts = [kept.get((pair, name)) for pair in column.pairs]
                if all(part is not None for part in parts):
                    tests.run(name, c, parts, True)
    del kept
    notes: list[str] = []
    pair_full = _full_counts(shapes, pairs, full, notes)
    column_full = np.array([sum(pair_full[pair] for pair in column.pairs) for column in columns], dtype=int)
    values, held, n, p, difference = tests.arrays(names)
    comparison_adjusted = np.empty_like(p)
    for start in range(0, p.shape[1], FAMILIES_AT_ONCE):  # a family per pair of systems: its columns x measures
        part = p[:, start : start + FAMILIES_AT_ONCE, :]
        by_pair = np.moveaxis(part, 1, 0).reshape(part.shape[1], -1)  # NaN (untested) stays NaN, uncounted
        comparison_adjusted[:, start : start + FAMILIES_AT_ONCE, :] = np.moveaxis(adjust(by_pair, families=True).reshape(part.shape[1], part.shape[0], part.shape[2]), 0, 1)
    shape_s = values.shape
    board = DatasetBoard(
        dataset, systems, measures, columns, values, held, column_full, n, p, np.full_like(p, np.nan), comparison_adjusted,
        difference, np.zeros(shape_s, dtype=int), np.zeros(shape_s, dtype=int), None, None, None,
        notes + _partial_notes(systems, pairs, shapes, pair_full), int(np.count_nonzero(~np.isnan(p))), alpha, correction,
    )
    _rank(board, adjust, alpha)
    if baseline is not None and baseline in systems:
        _mark_against_baseline(board, baseline, adjust, alpha)
    return board


class _ColumnTests:
    """Values and all-pairs tests per measure, filled column by column in whatever order measures
    turn up, and laid out in the board's order at the end."""

    def __init__(self, count: int, columns: int, confidence: float) -> None:
        self.count, self.columns, self.confidence = count, columns, confidence
        self.per_measure: dict[str, dict[str, np.ndarray]] = {}
        self.held: list[tuple[str, int, np.ndarray, np.ndarray]] = []  # (measure, column, members, queries held)

    def run(self, measure: str, c: int, parts: list[PairHolders], average: bool) -> None:
        """Own values of the column's holders and the paired t-test of every two of them."""
        members = column_holders(parts)
        if members.size == 0:
            return
        out = self._arrays(measure)
        own = [part.own(members) for part in parts]
        out["values"][members, c] = np.array([means for means, _ in own]).mean(axis=0)
        self.held.append((measure, c, members, np.array([queries for _, queries in own]).sum(axis=0)))
        for block in column_blocks(parts, members, average):
            result = all_pairs_t(block.units, self.confidence)
            keep = slice(None) if block.split is None else (result.first < block.split) & (result.second >= block.split)
            k, sign = _pair_indices(block.systems[result.first[keep]], block.systems[result.second[keep]], self.count)
            out["p"][k, c], out["n"][k, c] = result.p[keep], block.units.shape[0]
            out["difference"][k, c] = sign * result.mean_difference[keep]

    def arrays(self, order: list[str]) -> tuple[np.ndarray, ...]:
        """(values M x S x C, held S x C, n, p, difference M x K x C) with measures in ``order``."""
        held = np.zeros((self.count, self.columns), dtype=int)
        for name in order:  # as the board has always done: the last measure's count of a column stands
            for measure, c, members, queries in self.held:
                if measure == name:
                    held[members, c] = queries
        stacked = []
        for kind, (shape, dtype, _) in self._kinds().items():  # one kind at a time: its per-measure arrays go as it fills
            out = np.empty((len(order), *shape), dtype=dtype)
            for m, name in enumerate(order):
                out[m] = self._arrays(name).pop(kind)
            stacked.append(out)
        values, n, p, difference = stacked
        return values, held, n, p, difference

    def _kinds(self) -> dict[str, tuple[tuple[int, int], type, float]]:
        """kind -> (shape of one measure's array, dtype, fill)."""
        k = self.count * (self.count - 1) // 2
        return {
            "values": ((self.count, self.columns), np.float64, np.nan), "n": ((k, self.columns), np.int32, 0),
            "p": ((k, self.columns), np.float64, np.nan), "difference": ((k, self.columns), np.float64, np.nan),
        }

    def _arrays(self, measure: str) -> dict[str, np.ndarray]:
        if measure not in self.per_measure:
            self.per_measure[measure] = {kind: np.full(shape, fill, dtype=dtype) for kind, (shape, dtype, fill) in self._kinds().items()}
        return self.per_measure[measure]


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


def _full_counts(
    shapes: Mapping[tuple[int, str], tuple[int, list[str]]], pairs: list[str], full: Mapping[str, int | None], notes: list[str]
) -> dict[str, int]:
    """Each pair's query count N; where unknown, the largest count among its holders (with a note)."""
    held: dict[str, int] = {}
    for (_, pair), (queries, _) in shapes.items():
        held[pair] = max(held.get(pair, 0), queries)
    counts, unknown = {}, 0
    for pair in pairs:
        known = full.get(pair)
        if known is None:
            unknown += 1
            known = held[pair]
        counts[pair] = known
    if unknown:
        notes.append(
            f"{unknown} of {len(pairs)} pair(s): the pair's full query count N is not known (its data was not found; "
            "--data-dir names the data folder), so N is the largest count among the systems holding the pair"
        )
    return counts


def _partial_notes(
    systems: list[str], pairs: list[str], shapes: Mapping[tuple[int, str], tuple[int, list[str]]], full: Mapping[str, int]
) -> list[str]:
    """One note per system holding part of some pair's queries."""
    notes = []
    for s, name in enumerate(systems):
        short = [(pair, shapes[(s, pair)][0]) for pair in pairs if (s, pair) in shapes]
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
