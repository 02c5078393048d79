"""What :func:`~harness.stats.comparison.compare_submissions` returns: columns, tests, and the comparison.

Values are each system's own means (over its own queries; a setting's mean is the macro average
of its own values on the setting's pairs it holds, and says how many); each test runs on the
queries (a mean: the pairs) its two systems both hold, and states n.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from harness.evaluation.measures import Measure


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

    ``n`` units were tested: the queries both systems hold (pairs, for a ``pair-means`` average,
    each the two systems' means over the queries both hold), on ``tested_pairs`` language pairs
    (a mean: the pairs of its setting both hold). ``mean_difference`` and its interval are
    ``system - other`` on those units, in the measure's units; wins count units where ``system``
    is better. ``smallest_p`` is the smallest p the test can give on n units;
    ``can_be_significant`` whether that p, adjusted like the family's, is below alpha.
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
    tested_pairs: int = 1
    smallest_p: float = 0.0
    can_be_significant: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {key: plain(value) for key, value in self.__dict__.items()}


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
    pairs_averaged: dict[tuple[str, str, str], int] = field(default_factory=dict)
    display_names: dict[str, str] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return "all-pairs" if self.baseline is None else "baseline"

    def value(self, system: str, measure: str, column: str) -> float | None:
        """The system's own mean on a column (over the queries it holds; an average column: the macro
        average of its own pair values), or None where not measured."""
        return self.values.get((system, measure, column))

    def pairs_of(self, system: str, measure: str, column: str) -> int:
        """How many pairs the system's value of a column averages (0 where it holds none of them)."""
        return self.pairs_averaged.get((system, measure, column), 0)

    def display(self, system: str) -> str:
        """The name a table prints for a system: its display name, else its own."""
        return self.display_names.get(system, system)

    def test(self, system: str, other: str, measure: str, column: str) -> TestResult | None:
        """The test of ``system`` against ``other`` (either order) on a measure and column, if one was run."""
        return self._by_cell.get((system, other, measure, column)) or self._by_cell.get((other, system, measure, column))

    def best(self, measure: str, column: str) -> set[str]:
        """The systems with the best value of a column (ties included), in the measure's direction; a
        mean of fewer pairs than the column's is another average, never the best."""
        pairs = len(next(c for c in self.columns if c.key == column).pairs)
        scored = {s: self.value(s, measure, column) for s in self.systems if self.pairs_of(s, measure, column) == pairs}
        scored = {s: v for s, v in scored.items() if v is not None and not np.isnan(v)}
        if not scored:
            return set()
        pick = max if self.measure(measure).higher_is_better else min
        target = pick(scored.values())
        return {s for s, v in scored.items() if v == target}

    def measure(self, name: str) -> Measure:
        return next(m for m in self.measures if m.name == name)

    def tests_frame(self):
        """Every test as one row of a pandas DataFrame (raw and adjusted p, effects, counts)."""
        import pandas as pd

        return pd.DataFrame([t.to_dict() for t in self.tests])

    def to_dict(self) -> dict[str, Any]:
        """Everything: protocol, systems, columns, values, every test with raw and adjusted p."""
        return {
            "protocol": self.protocol,
            "systems": self.systems,
            "baseline": self.baseline,
            "measures": [m.name for m in self.measures],
            "columns": [{"key": c.key, "dataset": c.dataset, "setting": c.setting, "label": c.label, "pairs": list(c.pairs)} for c in self.columns],
            "queries": self.queries,
            "display_names": self.display_names,
            "values": [
                {"system": s, "measure": m, "column": c, "value": plain(v), "pairs": self.pairs_of(s, m, c)}
                for (s, m, c), v in self.values.items()
            ],
            "tests": [t.to_dict() for t in self.tests],
            "notes": self.notes,
        }

    @cached_property
    def _by_cell(self) -> dict[tuple[str, str, str, str], TestResult]:
        return {(t.system, t.other, t.measure, t.column): t for t in self.tests}


def plain(value: Any) -> Any:
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
