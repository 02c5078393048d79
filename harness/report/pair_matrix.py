"""A query-language x document-language view of one system on one dataset and measure.

Rows are query languages, columns document languages (``xx``, the multilingual pool, last). Cells
hold the system's values, marked against the baseline, or the difference ``system - other``,
marked by the test of the two. Pairs the comparison does not have stay blank.
"""
from __future__ import annotations

import io
import os
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.atomic import atomic_open
from harness.datasets.pairs import MULTILINGUAL, PairId
from harness.errors import HarnessError, did_you_mean
from harness.evaluation.measures import Measure
from harness.report.comparison_tables import (
    BETTER,
    EQUIVALENT,
    PLAIN,
    WORSE,
    datasets,
    decimals_for,
    format_value,
    marks_against,
    present_value,
    significance_summary,
)
from harness.stats.comparison_result import Comparison

NO_MARKS = ()


@dataclass(frozen=True, eq=False)  # arrays have no single truth value for ==
class PairMatrix:
    """One system's values (or its difference to ``other``) per query and document language.

    ``values`` is query languages x document languages, NaN where the pair was not compared;
    ``marks`` holds, per cell, ``better``/``worse``/``equivalent`` against ``against`` (the
    ``other`` system, or the baseline), empty where untested.
    """

    system: str
    other: str | None
    against: str | None
    measure: Measure
    dataset: str
    query_langs: tuple[str, ...]
    doc_langs: tuple[str, ...]
    values: np.ndarray
    marks: tuple[tuple[tuple[str, ...], ...], ...]
    legend: str

    @property
    def is_difference(self) -> bool:
        return self.other is not None

    @property
    def title(self) -> str:
        """What the cells are: ``AP on xquad-r: a - b`` or ``AP of a on xquad-r``."""
        if self.other is None:
            return f"{self.measure.name} of {self.system} on {self.dataset}"
        return f"{self.measure.name} on {self.dataset}: {self.system} − {self.other}"

    def to_frame(self):
        """The values as a pandas DataFrame (index: query language, columns: document language)."""
        import pandas as pd

        return pd.DataFrame(
            self.values,
            index=pd.Index(self.query_langs, name="query language"),
            columns=pd.Index(self.doc_langs, name="document language"),
        )

    def to_text(self, digits: int = 4) -> str:
        """A title line, a grid (marks after the values, blanks for pairs not compared) and the legend."""
        from tabulate import tabulate

        rows = [
            [query] + [self.cell_text(i, j, digits) for j in range(len(self.doc_langs))] for i, query in enumerate(self.query_langs)
        ]
        grid = tabulate(
            rows, headers=["query \\ doc", *self.doc_langs], tablefmt="simple_outline", disable_numparse=True,
            colalign=["left"] + ["right"] * len(self.doc_langs),
        )
        return f"{self.title} (rows: query language, columns: document language)\n{grid}\n{self.legend}\n"

    def cell_text(self, row: int, column: int, digits: int = 4) -> str:
        """One cell as printed: the value (signed for a difference) and its marks; blank when absent."""
        text = format_value(self.values[row, column], self._decimals(digits), signed=self.is_difference)
        return text + "".join(PLAIN.marks[m] for m in self.marks[row][column]) if text else ""

    def plot(self, path: str | os.PathLike[str], digits: int = 4) -> Path:
        """Write a PNG heatmap, each cell annotated with its value and marks; returns the path.

        Differences use a diverging map centred at 0 and turned so that blue is always ``system``
        doing better (also for lower-is-better measures); plain values use viridis, brighter better.
        """
        try:
            from matplotlib import colormaps
            from matplotlib.colors import Normalize
            from matplotlib.figure import Figure  # no pyplot: no backend, no global state
        except ImportError:
            raise HarnessError("plotting a pair matrix needs matplotlib (pip install matplotlib)") from None

        rows, columns = self.values.shape
        # a floor on the size keeps the title, colour bar label and legend readable for one column
        width, height = max(6.5, 1.6 + 0.72 * columns), max(4.0, 1.5 + 0.5 * rows)
        figure = Figure(figsize=(width, height), layout="constrained")
        axes = figure.add_subplot()
        finite = self.values[np.isfinite(self.values)]
        if self.is_difference:
            reach = float(np.max(np.abs(finite))) if finite.size and np.max(np.abs(finite)) > 0 else 1.0
            norm = Normalize(-reach, reach)
            name = "RdBu" if self.measure.higher_is_better else "RdBu_r"
            lower = "" if self.measure.higher_is_better else f", lower {self.measure.name} is better"
            label = f"{self.measure.name} difference (blue: {self.system} better{lower})"
        else:
            norm = Normalize(float(finite.min()), float(finite.max())) if finite.size else Normalize(0, 1)
            name = "viridis" if self.measure.higher_is_better else "viridis_r"
            label = f"{self.measure.name} ({'higher' if self.measure.higher_is_better else 'lower'} is better: brighter)"
        cmap = colormaps[name].with_extremes(bad="0.92")
        image = axes.imshow(np.ma.masked_invalid(self.values), cmap=cmap, norm=norm, aspect="auto")
        font = 8 if columns <= 8 else 7
        for i in range(rows):
            for j in range(columns):
                text = self.cell_text(i, j, digits)
                if text:
                    red, green, blue, _ = cmap(norm(self.values[i, j]))
                    dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                    axes.text(j, i, text, ha="center", va="center", fontsize=font, color="white" if dark else "black")
        axes.set_xticks(range(columns), self.doc_langs, fontsize=9)
        axes.set_yticks(range(rows), self.query_langs, fontsize=9)
        axes.set_xlabel("document language", fontsize=10)
        axes.set_ylabel("query language", fontsize=10)
        axes.tick_params(length=0)
        axes.set_title(_wrap(self.title, int(width * 9)), fontsize=11)
        colorbar = figure.colorbar(image, ax=axes, shrink=0.85, pad=0.02)
        colorbar.set_label(_wrap(label, int(height * 12)), fontsize=8)
        colorbar.ax.tick_params(labelsize=8)
        # as the figure's x label, the constrained layout makes room for the legend under the axes
        figure.supxlabel(_wrap(self.legend, int(width * 17)), x=0.01, ha="left", fontsize=6.5, color="0.3")
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=150)
        target = Path(path)
        with atomic_open(target, "wb") as out:
            out.write(buffer.getvalue())
        return target

    def _decimals(self, digits: int) -> int:
        return decimals_for(self.values[np.isfinite(self.values)].tolist(), digits)


def pair_matrix(
    comparison: Comparison, system: str, measure: str | None = None, other: str | None = None, *, dataset: str | None = None
) -> PairMatrix:
    """The :class:`PairMatrix` of ``system`` (or of ``system - other``) on one dataset and measure.

    Defaults: the comparison's first measure and first dataset. Without ``other`` the cells are
    marked against the baseline (when there is one); with it, by the test of the two systems.
    """
    _check_system(comparison, system)
    if other is not None:
        _check_system(comparison, other)
        if other == system:
            raise HarnessError(f"compare {system!r} with another system, not with itself")
    chosen = _measure(comparison, measure)
    dataset = _dataset(comparison, dataset)
    against = other if other is not None else (comparison.baseline if comparison.baseline not in (None, system) else None)

    cells: dict[tuple[str, str], tuple[float, tuple[str, ...]]] = {}
    for column in comparison.columns:
        if column.dataset != dataset or column.is_average:
            continue
        value = present_value(comparison, system, chosen.name, column.key)
        if other is not None and value is not None:
            value = _difference(comparison, system, other, chosen, column.key)
        if value is None:
            continue
        pair = PairId.parse(column.pairs[0])
        marks = marks_against(comparison, system, against, chosen, column.key) if against else NO_MARKS
        cells[(pair.query_lang, pair.doc_lang)] = (value, marks)
    if not cells:
        raise HarnessError(f"{system!r} has no {chosen.name} value on any {dataset} pair of this comparison")

    query_langs = _languages(q for q, _ in cells)
    doc_langs = _languages(d for _, d in cells)
    values = np.full((len(query_langs), len(doc_langs)), np.nan)
    marks = [[NO_MARKS] * len(doc_langs) for _ in query_langs]
    for (query, doc), (value, mark) in cells.items():
        i, j = query_langs.index(query), doc_langs.index(doc)
        values[i, j] = value
        marks[i][j] = mark
    return PairMatrix(
        system, other, against, chosen, dataset, query_langs, doc_langs, values,
        tuple(tuple(row) for row in marks), _legend(comparison, system, other, against),
    )


def _difference(comparison: Comparison, system: str, other: str, measure: Measure, column: str) -> float | None:
    """``system - other``: their test's mean difference, on the queries both hold, where the two were
    tested (so a cell and its mark agree when they hold different queries); else the difference
    of their own values."""
    test = comparison.test(system, other, measure.name, column)
    if test is not None:
        return test.mean_difference if test.system == system else -test.mean_difference
    value, reference = (present_value(comparison, name, measure.name, column) for name in (system, other))
    return None if value is None or reference is None else value - reference


def _legend(comparison: Comparison, system: str, other: str | None, against: str | None) -> str:
    marks = f"{PLAIN.marks[BETTER]}/{PLAIN.marks[WORSE]}"
    tested = against is not None and any({t.system, t.other} == {system, against} for t in comparison.tests)
    if against is not None and not tested:
        text = (
            f"No marks: {system} and {against} were not tested against each other "
            f"(the comparison tests each system against {comparison.baseline})."
        )
    elif against is not None:
        who = f"the baseline {against}" if other is None else against
        text = f"{marks}: {system} significantly better/worse than {who} ({significance_summary(comparison)})."
        if comparison.protocol.get("equivalence_margin"):
            text += f" {PLAIN.marks[EQUIVALENT]}: equivalent within ±{comparison.protocol['equivalence_margin']:g} (TOST)."
    elif comparison.baseline == system:
        text = f"No marks: {system} is the baseline."
    else:
        text = "No marks: an all-pairs comparison has no baseline; pass other= to see a difference and its tests."
    return text + " Blank: pair not compared."


def _languages(codes) -> tuple[str, ...]:
    # the multilingual pool is not a language: it goes last
    return tuple(sorted(set(codes), key=lambda code: (code == MULTILINGUAL, code)))


def _check_system(comparison: Comparison, system: str) -> None:
    if system not in comparison.systems:
        raise HarnessError(
            f"no system {system!r} in this comparison{did_you_mean(system, comparison.systems)} (systems: {', '.join(comparison.systems)})"
        )


def _measure(comparison: Comparison, name: str | None) -> Measure:
    names = [m.name for m in comparison.measures]
    if name is None:
        return comparison.measures[0]
    if name not in names:
        raise HarnessError(f"no measure {name!r} in this comparison{did_you_mean(name, names)} (measures: {', '.join(names)})")
    return comparison.measure(name)


def _dataset(comparison: Comparison, name: str | None) -> str:
    held = datasets(comparison)
    if name is None:
        return held[0]
    if name not in held:
        raise HarnessError(f"no dataset {name!r} in this comparison (datasets: {', '.join(held)})")
    return name


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))
