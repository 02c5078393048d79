"""The comparison of submissions: shared pairs and queries, paired tests, corrections, effects.

A comparison is a table: rows are systems, columns are language pairs grouped by setting with a
macro average per setting, one table per measure. Every cell where two systems meet is tested:
each system against a baseline, or every unordered pair of systems once. The per-query scores of
a pair are compared on the queries every system has; a setting's average is tested on the
per-pair means (``pair-means``: exactly the macro averages printed) or on the per-query scores of
all its pairs pooled (``pooled``). Corrections apply within a declared family: the tests that
share everything except the dimensions named (``systems``, ``pairs``, ``measures``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any

import numpy as np

from harness import __version__
from harness.datasets.pairs import SETTINGS, PairId
from harness.errors import HarnessError
from harness.progress import progress as progress_bar
from harness.evaluation.measures import Measure, parse_measure
from harness.stats.corrections import CORRECTIONS, get_correction
from harness.stats.effects import effect_sizes
from harness.stats.equivalence import tost_p
from harness.stats.paired_tests import get_test
from harness.stats.randomization import enumerates_exactly
from harness.submissions import Submission

FAMILY_DIMENSIONS = ("systems", "pairs", "measures")
AVERAGE_TESTS = ("pair-means", "pooled")


@dataclass(frozen=True)
class Column:
    """One column of the table: a language pair, or the macro average of a setting's pairs."""

    key: str
    dataset: str
    setting: str
    label: str
    pairs: tuple[str, ...]

    @property
    def is_average(self) -> bool:
        return self.label == "mean"


@dataclass(frozen=True)
class TestResult:
    """One paired test: ``system`` against ``other`` on one measure and column.

    ``mean_difference`` and its interval are ``system - other`` in the measure's units; wins count
    units (queries, or pairs for a ``pair-means`` average) where ``system`` is better.
    """

    system: str
    other: str
    measure: str
    column: str
    n: int
    p: float
    p_adjusted: float
    mean_difference: float
    ci_low: float
    ci_high: float
    d_z: float
    wins: int
    ties: int
    losses: int
    significant: bool
    better: bool
    family: str
    tost_p: float | None = None
    tost_p_adjusted: float | None = None
    equivalent: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {key: _plain(value) for key, value in self.__dict__.items()}


@dataclass
class Comparison:
    """The result of :func:`compare_submissions`: values, tests and everything needed to read them."""

    systems: list[str]
    baseline: str | None
    measures: list[Measure]
    columns: list[Column]
    values: dict[tuple[str, str, str], float]
    tests: list[TestResult]
    protocol: dict[str, Any]
    queries: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        return "all-pairs" if self.baseline is None else "baseline"

    def value(self, system: str, measure: str, column: str) -> float | None:
        """The system's mean score on a column (over the shared queries), or None where not measured."""
        return self.values.get((system, measure, column))

    def test(self, system: str, other: str, measure: str, column: str) -> TestResult | None:
        """The test of ``system`` against ``other`` (either order) on a measure and column, if one was run."""
        return self._by_cell.get((system, other, measure, column)) or self._by_cell.get((other, system, measure, column))

    def best(self, measure: str, column: str) -> set[str]:
        """The systems with the best value of a column (ties included), in the measure's direction."""
        scored = {s: self.value(s, measure, column) for s in self.systems}
        scored = {s: v for s, v in scored.items() if v is not None and not np.isnan(v)}
        if not scored:
            return set()
        pick = max if self.measure(measure).higher_is_better else min
        target = pick(scored.values())
        return {s for s, v in scored.items() if v == target}

    def measure(self, name: str) -> Measure:
        return next(m for m in self.measures if m.name == name)

    def to_frame(self):
        """Values as a pandas DataFrame: rows (measure, system), columns (setting group, column label)."""
        from harness.report.comparison_tables import values_frame

        return values_frame(self)

    def tests_frame(self):
        """Every test as one row of a pandas DataFrame (raw and adjusted p, effects, counts)."""
        import pandas as pd

        return pd.DataFrame([t.to_dict() for t in self.tests])

    def to_markdown(self, digits: int = 4) -> str:
        from harness.report.comparison_tables import render_markdown

        return render_markdown(self, digits)

    def to_latex(self, digits: int = 4) -> str:
        from harness.report.comparison_tables import render_latex

        return render_latex(self, digits)

    def to_html(self, digits: int = 4) -> str:
        from harness.report.comparison_tables import render_html

        return render_html(self, digits)

    def to_csv(self) -> str:
        from harness.report.comparison_tables import render_csv

        return render_csv(self)

    def to_dict(self) -> dict[str, Any]:
        """Everything: protocol, systems, columns, values, every test with raw and adjusted p."""
        return {
            "protocol": self.protocol,
            "systems": self.systems,
            "baseline": self.baseline,
            "measures": [m.name for m in self.measures],
            "columns": [{"key": c.key, "dataset": c.dataset, "setting": c.setting, "label": c.label, "pairs": list(c.pairs)} for c in self.columns],
            "queries": self.queries,
            "values": [
                {"system": s, "measure": m, "column": c, "value": _plain(v)} for (s, m, c), v in self.values.items()
            ],
            "tests": [t.to_dict() for t in self.tests],
            "notes": self.notes,
        }

    def to_json(self) -> str:
        import json

        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def pair_matrix(self, system: str, measure: str | None = None, other: str | None = None, *, dataset: str | None = None):
        """A query-language x document-language view of one system's values (marked against the
        baseline), or of ``system - other`` (marked by their test); the first dataset by default."""
        from harness.report.pair_matrix import pair_matrix

        return pair_matrix(self, system, measure, other, dataset=dataset)

    @cached_property
    def _by_cell(self) -> dict[tuple[str, str, str, str], TestResult]:
        return {(t.system, t.other, t.measure, t.column): t for t in self.tests}


def compare_submissions(
    submissions: Sequence[Submission],
    *,
    baseline: str | None = None,
    datasets: Sequence[str] | None = None,
    measures: Sequence[str] | None = None,
    test: str = "randomization",
    correction: str = "holm",
    alpha: float = 0.05,
    family: Sequence[str] = FAMILY_DIMENSIONS,
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    margin: float | None = None,
    average_test: str = "pair-means",
    progress: bool = False,
) -> Comparison:
    """Compare submissions on the pairs they share: values, paired tests, corrections and effects.

    ``baseline`` names one of the submissions (each other system is tested against it); without it
    every unordered pair of systems is tested once. ``datasets`` keeps pairs of those dataset ids
    (or exact pair ids). ``family`` names the dimensions a correction runs over.
    """
    paired_test = get_test(test)
    get_correction(correction)
    _check_options(submissions, baseline, alpha, family, resamples, confidence, margin, average_test)
    names = [s.name for s in submissions]
    pairs, dropped = _shared_pairs(submissions, datasets)
    scores = _SharedScores(submissions, pairs)
    chosen = _measures(submissions, pairs, measures)
    columns = _columns(pairs)
    comparisons = [(s, baseline) for s in names if s != baseline] if baseline else [
        (a, b) for i, a in enumerate(names) for b in names[i + 1 :]
    ]

    values: dict[tuple[str, str, str], float] = {}
    raw: list[dict[str, Any]] = []
    for column in progress_bar(columns, progress, "testing", unit="column"):
        # every comparison and measure of a column in one matrix: one pass over the resampling plan
        blocks, cells = [], []
        for measure in chosen:
            units = scores.units(column, measure.name, average_test)
            if units is None:
                continue
            for index, name in enumerate(names):
                values[(name, measure.name, column.key)] = _column_value(scores, column, measure.name, name, units[:, index])
            blocks += [units[:, names.index(a)] - units[:, names.index(b)] for a, b in comparisons]
            cells += [(measure, a, b) for a, b in comparisons]
        if not cells:
            continue
        differences = np.stack(blocks, axis=1)
        direction = np.array([measure.higher_is_better for measure, _, _ in cells])
        p = paired_test.p_values(differences, resamples, seed)
        effects = effect_sizes(differences, direction, resamples, seed, confidence)
        equivalence = tost_p(differences, margin) if margin else None
        for k, (measure, a, b) in enumerate(cells):
            raw.append(
                {
                    "system": a, "other": b, "measure": measure.name, "column": column.key, "n": differences.shape[0],
                    "p": float(p[k]),
                    "mean_difference": float(effects.mean_difference[k]),
                    "ci_low": float(effects.ci_low[k]), "ci_high": float(effects.ci_high[k]),
                    "d_z": float(effects.d_z[k]),
                    "wins": int(effects.wins[k]), "ties": int(effects.ties[k]), "losses": int(effects.losses[k]),
                    "better": bool(_oriented(effects.mean_difference[k], measure) > 0),
                    "tost_p": None if equivalence is None else float(equivalence[k]),
                }
            )
    tests, families = _correct(raw, correction, alpha, family, columns)
    protocol = {
        "test": test,
        "test_title": paired_test.title,
        "p_value": paired_test.p_value,
        "exact_columns": sorted({t.column for t in tests if test == "randomization" and enumerates_exactly(t.n, resamples)}),
        "resamples": resamples if paired_test.resampling else None,
        "seed": seed,
        "correction": correction,
        "correction_title": CORRECTIONS[correction][0],
        "family": list(family),
        "families": families,
        "tests": len(tests),
        "alpha": alpha,
        "confidence": confidence,
        "interval": f"percentile bootstrap, {resamples} resamples of queries, seed {seed}",
        "effect_size": "d_z = mean difference / sd of the differences (ddof=1)",
        "equivalence_margin": margin,
        "equivalence_test": None if margin is None else f"TOST (two one-sided paired t-tests), margin ±{margin}, p adjusted like the tests",
        "average_test": average_test,
        "comparisons": "baseline" if baseline else "all-pairs",
        "harness_version": __version__,
    }
    notes = _notes(dropped, scores) + _resolution_note(paired_test, resamples, correction, alpha, families)
    return Comparison(names, baseline, chosen, columns, values, tests, protocol, scores.counts, notes)


class _SharedScores:
    """Per-query scores of every system on every shared pair, restricted to the shared queries."""

    def __init__(self, submissions: Sequence[Submission], pairs: Sequence[PairId]) -> None:
        self.names = [s.name for s in submissions]
        self.matrices: dict[tuple[str, str], np.ndarray] = {}
        self.counts: dict[str, dict[str, Any]] = {}
        for pair in pairs:
            tables = [s.per_query(pair) for s in submissions]
            query_sets = [set(next(iter(t.values()), {})) for t in tables]
            shared = sorted(set.intersection(*query_sets))
            if not shared:
                sizes = ", ".join(f"{name} {len(q)}" for name, q in zip(self.names, query_sets))
                raise HarnessError(f"{pair}: the submissions share no query (queries per system: {sizes}); they cannot be compared")
            self.counts[str(pair)] = {"shared": len(shared), "per_system": {n: len(q) for n, q in zip(self.names, query_sets)}}
            pick = itemgetter(*shared) if len(shared) > 1 else (lambda column: (column[shared[0]],))
            for measure in set.intersection(*(set(t) for t in tables)):
                self.matrices[(str(pair), measure)] = np.column_stack([np.array(pick(t[measure]), dtype=np.float64) for t in tables])

    def has(self, pair: str, measure: str) -> bool:
        return (pair, measure) in self.matrices

    def units(self, column: Column, measure: str, average_test: str) -> np.ndarray | None:
        """The units x systems matrix a column's tests run on, or None where the measure is absent."""
        present = [self.matrices[(p, measure)] for p in column.pairs if (p, measure) in self.matrices]
        if len(present) != len(column.pairs):
            return None
        if not column.is_average:
            return present[0]
        return np.stack([m.mean(axis=0) for m in present]) if average_test == "pair-means" else np.concatenate(present)


def _column_value(scores: _SharedScores, column: Column, measure: str, name: str, units: np.ndarray) -> float:
    """A pair's mean over shared queries; an average column's macro average over its pairs."""
    if column.is_average:
        index = scores.names.index(name)
        return float(np.mean([scores.matrices[(p, measure)][:, index].mean() for p in column.pairs]))
    return float(units.mean())


def _shared_pairs(submissions: Sequence[Submission], datasets: Sequence[str] | None) -> tuple[list[PairId], dict[str, list[str]]]:
    held = [{PairId.parse(p) for p in s.meta["pairs"] if _selected(p, datasets)} for s in submissions]
    for submission, pairs in zip(submissions, held):
        if not pairs:
            wanted = f" on {', '.join(datasets)}" if datasets else ""
            raise HarnessError(f"{submission.root}: submission {submission.name!r} holds no pair{wanted}")
    shared = set.intersection(*held)
    if not shared:
        summary = "; ".join(f"{s.name}: {_datasets_of(p)}" for s, p in zip(submissions, held))
        raise HarnessError(f"the submissions share no language pair ({summary}); choose submissions made on the same dataset")
    dropped = {s.name: sorted(str(p) for p in pairs - shared) for s, pairs in zip(submissions, held)}
    return sorted(shared, key=lambda p: (p.dataset, SETTINGS.index(p.setting), p.langs)), {k: v for k, v in dropped.items() if v}


def _selected(pair: str, datasets: Sequence[str] | None) -> bool:
    return not datasets or any(pair == d or pair.startswith(d + "/") for d in datasets)


def _datasets_of(pairs: set[PairId]) -> str:
    names = sorted({p.dataset for p in pairs})
    return ", ".join(f"{d} ({sum(p.dataset == d for p in pairs)} pairs)" for d in names)


def _measures(submissions: Sequence[Submission], pairs: Sequence[PairId], requested: Sequence[str] | None) -> list[Measure]:
    available: dict[str, None] = {}
    for submission in submissions[:1]:
        for pair in pairs:
            available.update(dict.fromkeys(submission.meta["pairs"][str(pair)]["measures"]))
    everywhere = [m for m in available if all(any(m in s.meta["pairs"][str(p)]["measures"] for p in pairs) for s in submissions)]
    if not requested:
        if not everywhere:
            raise HarnessError("the submissions have no measure in common on their shared pairs")
        return [parse_measure(m) for m in everywhere]
    chosen = [parse_measure(name) for name in requested]
    for measure in chosen:
        if measure.name not in everywhere:
            have = ", ".join(everywhere) or "none"
            raise HarnessError(f"measure {measure.name!r} is not in every submission's scores (measures all of them have: {have})")
    return chosen


def _columns(pairs: Sequence[PairId]) -> list[Column]:
    columns: list[Column] = []
    groups: dict[tuple[str, str], list[PairId]] = {}
    for pair in pairs:
        groups.setdefault((pair.dataset, pair.setting), []).append(pair)
    for (dataset, setting), members in groups.items():
        columns += [Column(str(p), dataset, setting, p.langs, (str(p),)) for p in members]
        if len(members) > 1:
            columns.append(Column(f"{dataset}/{setting}-mean", dataset, setting, "mean", tuple(str(p) for p in members)))
    return columns


def _correct(raw: list[dict[str, Any]], correction: str, alpha: float, family: Sequence[str], columns: Sequence[Column]):
    """Adjust p-values within each family; a family is the tests sharing every dimension not named."""
    adjust = get_correction(correction)
    dataset_of = {c.key: c.dataset for c in columns}
    groups: dict[tuple, list[int]] = {}
    for index, row in enumerate(raw):
        key = (
            None if "systems" in family else (row["system"], row["other"]),
            # pairs of different datasets never share a family: they answer different questions
            dataset_of[row["column"]] if "pairs" in family else row["column"],
            None if "measures" in family else row["measure"],
        )
        groups.setdefault(key, []).append(index)
    adjusted = np.empty(len(raw))
    adjusted_tost = np.full(len(raw), np.nan)
    names = {}
    for key, members in groups.items():
        adjusted[members] = adjust(np.array([raw[i]["p"] for i in members]))
        if raw[members[0]]["tost_p"] is not None:
            adjusted_tost[members] = adjust(np.array([raw[i]["tost_p"] for i in members]))
        label = _family_label(key)
        names[label] = len(members)
        for i in members:
            raw[i]["family"] = label
    tests = []
    for i, row in enumerate(raw):
        has_tost = row["tost_p"] is not None
        tests.append(
            TestResult(
                **row,
                p_adjusted=float(adjusted[i]),
                significant=bool(adjusted[i] < alpha),
                tost_p_adjusted=float(adjusted_tost[i]) if has_tost else None,
                equivalent=bool(adjusted_tost[i] < alpha) if has_tost else None,
            )
        )
    return tests, names


def _family_label(key: tuple) -> str:
    systems, where, measure = key
    parts = [f"{systems[0]} vs {systems[1]}" if systems else "all systems", where, measure or "all measures"]
    return " | ".join(parts)


def _oriented(difference: float, measure: Measure) -> float:
    return difference if measure.higher_is_better else -difference


def _check_options(submissions, baseline, alpha, family, resamples, confidence, margin, average_test) -> None:
    names = [s.name for s in submissions]
    if len(submissions) < 2:
        raise HarnessError("compare needs at least two submissions")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise HarnessError(f"submission {duplicates[0]!r} is given twice")
    if baseline is not None and baseline not in names:
        raise HarnessError(f"baseline {baseline!r} is not among the compared submissions ({', '.join(names)})")
    if not 0 < alpha < 1:
        raise HarnessError(f"alpha must be between 0 and 1, got {alpha}")
    if not 0 < confidence < 1:
        raise HarnessError(f"confidence must be between 0 and 1, got {confidence}")
    if resamples < 1:
        raise HarnessError(f"the number of resamples must be positive, got {resamples}")
    unknown = [d for d in family if d not in FAMILY_DIMENSIONS]
    if unknown or not family:
        raise HarnessError(f"bad family {','.join(family)!r}: name one or more of {', '.join(FAMILY_DIMENSIONS)}")
    if margin is not None and not margin > 0:
        raise HarnessError(f"the equivalence margin must be positive, got {margin}")
    if average_test not in AVERAGE_TESTS:
        raise HarnessError(f"unknown average test {average_test!r}: expected one of {', '.join(AVERAGE_TESTS)}")


def _notes(dropped: dict[str, list[str]], scores: _SharedScores) -> list[str]:
    notes = []
    for name, pairs in dropped.items():
        shown = ", ".join(pairs[:5]) + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")
        notes.append(f"{name}: {len(pairs)} pair(s) not held by every system left out ({shown})")
    for pair, count in scores.counts.items():
        if len(set(count["per_system"].values())) > 1 or count["shared"] != next(iter(count["per_system"].values())):
            sizes = ", ".join(f"{n} {c}" for n, c in count["per_system"].items())
            notes.append(f"{pair}: compared on the {count['shared']} queries all systems have ({sizes})")
    return notes


def _resolution_note(paired_test, resamples: int, correction: str, alpha: float, families: dict[str, int]) -> list[str]:
    """Say so when a resampling test cannot reach a family-wise significant p at all.

    Its smallest p is 1 / (B + 1); Holm's and Bonferroni's first step needs p < alpha / m.
    """
    if not paired_test.resampling or correction not in ("holm", "bonferroni") or not families:
        return []
    largest = max(families.values())
    if 1 / (resamples + 1) < alpha / largest:
        return []
    needed = int(np.ceil(largest / alpha))
    return [
        f"warning: with {resamples:,} resamples the smallest possible p is {1 / (resamples + 1):.1e}, not below "
        f"alpha/m = {alpha / largest:.1e} for a family of {largest:,} tests, so no test can be significant under "
        f"{CORRECTIONS[correction][0]}: use --resamples {needed:,} or more, a smaller --family, --correction bh, or --test t"
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
