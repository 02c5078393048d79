"""Tables of a :class:`~harness.stats.comparison.Comparison` as papers print them.

One table per measure: rows are systems, columns the language pairs grouped by setting with the
setting's mean. Every format renders the same cells: :func:`measure_tables` decides each cell's
value text, whether it is the column's best, its significance marks and, on a setting mean that
averages fewer of the setting's pairs than the column has, how many (``3/4``); a :class:`Style`
only decorates them (``**x**``, ``\\textbf{x}``, ``<b>x</b>``). Columns where no system has the
measure (``RankDistance`` outside MLIR pairs) are left out of the printed tables; a system without
a pair has an empty cell.

Marks: with a baseline, ▲/▼ after a value significantly better/worse than the baseline's (after
correction), ≈ where an equivalence margin was given and TOST finds the two equivalent. Without
a baseline each system gets a letter (a..z, aa, ab, ...) and a value carries, as superscript, the
letters of the systems it is significantly better than. † marks a value none of whose tests can
be significant with the units it is tested on (a mean on few pairs: see
:mod:`harness.stats.attainable`). Systems print under their display names.
"""
from __future__ import annotations

import html
import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from harness.evaluation.measures import Measure
from harness.stats.comparison_result import Column, Comparison, TestResult

BETTER, WORSE, EQUIVALENT, UNREACHABLE = "better", "worse", "equivalent", "unreachable"
SETTING_TITLES = {"moir": "MoIR", "clir": "CLIR", "mlir": "MLIR"}
# measures on this scale (RankDistance: thousands of ranks) print with fewer decimals
LARGE_VALUE = 100.0
LARGE_VALUE_DECIMALS = 1
TEST_FIELDS = (
    "n", "tested_pairs", "p", "p_adjusted", "mean_difference", "ci_low", "ci_high", "d_z", "wins", "ties", "losses", "smallest_p",
    "can_be_significant",
)


@dataclass(frozen=True)
class Cell:
    """What a table shows for one system and column, before any format decorates it."""

    value: float | None
    text: str
    best: bool
    marks: tuple[str, ...]
    letters: tuple[str, ...]
    pairs: str = ""  # "k/m" where a mean averages k of the column's m pairs


@dataclass(frozen=True)
class MeasureTable:
    """One measure's table: the columns that have values, the systems, and every cell."""

    measure: Measure
    columns: list[Column]
    systems: list[str]
    cells: dict[tuple[str, str], Cell]

    def cell(self, system: str, column: Column) -> Cell:
        return self.cells[(system, column.key)]


@dataclass(frozen=True)
class Style:
    """How one format writes text, bold values, marks, letters, pair counts and the legend's symbols."""

    escape: Callable[[str], str]
    bold: Callable[[str], str]
    marks: Mapping[str, str]
    superscript: Callable[[str], str]
    symbols: Mapping[str, str]
    subscript: Callable[[str], str] = str

    def cell(self, cell: Cell) -> str:
        """The cell as printed: its value (bold when best), its pair count and its marks."""
        if not cell.text:
            return ""
        return (self.bold(cell.text) if cell.best else cell.text) + self.after(cell)

    def after(self, cell: Cell) -> str:
        """What follows the value: the pair count of a partial mean, then :meth:`marks_of`."""
        return (self.subscript(cell.pairs) if cell.pairs else "") + self.marks_of(cell)

    def marks_of(self, cell: Cell) -> str:
        """What follows the value: triangles and the equivalence mark, or superscript letters."""
        marks = "".join(self.marks[m] for m in cell.marks)
        return marks + (self.superscript(join_letters(cell.letters)) if cell.letters else "")


def _latex_escape(text: str) -> str:
    specials = {
        "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    }
    return "".join(specials.get(char, char) for char in text)


def _html_text(text: str) -> str:
    # text content only (no attribute values), so quotes stay readable
    return html.escape(text, quote=False)


def _markdown_escape(text: str) -> str:
    # a pipe would end the cell; other markdown specials are not in system names or pair labels
    return text.replace("|", r"\|")


TEXT_MARKS = {BETTER: "▲", WORSE: "▼", EQUIVALENT: "≈", UNREACHABLE: "†"}
TEXT_SYMBOLS = {"alpha": "α", "times": "×", "pm": "±", "le": "≤"}
PLAIN = Style(str, str, TEXT_MARKS, str, TEXT_SYMBOLS, lambda s: f"[{s}]")
MARKDOWN = Style(_markdown_escape, lambda s: f"**{s}**", TEXT_MARKS, lambda s: f"<sup>{s}</sup>", TEXT_SYMBOLS, lambda s: f"<sub>{s}</sub>")
HTML = Style(_html_text, lambda s: f"<b>{s}</b>", TEXT_MARKS, lambda s: f"<sup>{s}</sup>", TEXT_SYMBOLS, lambda s: f"<sub>{s}</sub>")
LATEX = Style(
    _latex_escape,
    lambda s: f"\\textbf{{{s}}}",
    {
        BETTER: r"$^{\blacktriangle}$", WORSE: r"$^{\blacktriangledown}$", EQUIVALENT: r"$^{\approx}$",
        UNREACHABLE: r"$^{\dagger}$",
    },
    lambda s: f"\\textsuperscript{{{s}}}",
    {"alpha": r"$\alpha$", "times": r"$\times$", "pm": r"$\pm$", "le": r"$\le$"},
    lambda s: f"\\textsubscript{{{s}}}",
)


# ---------------------------------------------------------------------------------------------
# the cells, shared by every format


def measure_tables(comparison: Comparison, digits: int = 4) -> list[MeasureTable]:
    """One :class:`MeasureTable` per measure, with every cell's text, bold flag and marks decided."""
    letters = system_letters(comparison)
    tables = []
    for measure in comparison.measures:
        values = {(s, c.key): present_value(comparison, s, measure.name, c.key) for s in comparison.systems for c in comparison.columns}
        columns = [c for c in comparison.columns if any(values[(s, c.key)] is not None for s in comparison.systems)]
        decimals = decimals_for([v for v in values.values() if v is not None], digits)
        cells = {}
        for column in columns:
            texts = {s: format_value(values[(s, column.key)], decimals) for s in comparison.systems}
            partial = {s: _partial(comparison, s, measure, column) if values[(s, column.key)] is not None else "" for s in comparison.systems}
            # a mean of fewer pairs is another average: it is never the column's best
            best = _best_text(texts, {s: values[(s, column.key)] for s in comparison.systems if not partial[s]}, measure)
            for system in comparison.systems:
                value = values[(system, column.key)]
                present = value is not None
                cells[(system, column.key)] = Cell(
                    value,
                    texts[system],
                    texts[system] == best and not partial[system],
                    _baseline_marks(comparison, system, measure, column) + unreachable(comparison, system, measure, column) if present else (),
                    _letters(comparison, system, measure, column, letters) if present else (),
                    partial[system],
                )
        tables.append(MeasureTable(measure, columns, list(comparison.systems), cells))
    return tables


def marks_against(comparison: Comparison, system: str, other: str, measure: Measure, column: str) -> tuple[str, ...]:
    """The marks of ``system`` against ``other`` on one cell: better/worse when significant, equivalent
    when TOST says so; nothing where the two were not tested against each other."""
    test = comparison.test(system, other, measure.name, column)
    if test is None:
        return ()
    marks = []
    if test.significant:
        marks.append(BETTER if direction(test, system, measure) > 0 else WORSE)
    if test.equivalent:
        marks.append(EQUIVALENT)
    return tuple(marks)


def direction(test: TestResult, system: str, measure: Measure) -> int:
    """+1 where ``system`` has the better mean in ``test``, -1 where worse, 0 on a tie.

    A test is stored once per unordered pair, with its difference as ``test.system - test.other``,
    so the sign flips when ``system`` is the test's ``other``.
    """
    oriented = test.mean_difference if measure.higher_is_better else -test.mean_difference
    sign = (oriented > 0) - (oriented < 0)
    return sign if test.system == system else -sign


def system_letters(comparison: Comparison) -> dict[str, str]:
    """All-pairs mode names each system by a letter, spreadsheet style: a..z, aa, ab, ..."""
    if comparison.baseline is not None:
        return {}
    return {system: letter(i) for i, system in enumerate(comparison.systems)}


def letter(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa, 27 -> ab, ... (no limit on the number of systems)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("a") + rest) + name
    return name


def join_letters(letters: Sequence[str]) -> str:
    # "aab" would be ambiguous once two-letter names exist, so those are separated by commas
    return ",".join(letters) if any(len(x) > 1 for x in letters) else "".join(letters)


def row_label(comparison: Comparison, system: str) -> str:
    """``BM25 (baseline)`` or ``(a) BM25``; other systems by (display) name."""
    name = comparison.display(system)
    if comparison.baseline is None:
        return f"({letter(comparison.systems.index(system))}) {name}"
    return f"{name} (baseline)" if system == comparison.baseline else name


def group_name(comparison: Comparison, column: Column) -> str:
    """The setting a column belongs to for display (``MoIR``), with its dataset where there are several."""
    title = SETTING_TITLES.get(column.setting, column.setting)
    return f"{column.dataset} {title}" if len(datasets(comparison)) > 1 else title


def measure_title(measure: Measure) -> str:
    return measure.name if measure.higher_is_better else f"{measure.name} (lower is better)"


def decimals_for(values: Sequence[float], digits: int) -> int:
    """``digits`` decimals, or one for a measure on a large scale (ranks), where more is noise."""
    large = any(abs(v) >= LARGE_VALUE for v in values if _present(v))
    return min(digits, LARGE_VALUE_DECIMALS) if large else digits


def format_value(value: float | None, decimals: int, signed: bool = False) -> str:
    if not _present(value):
        return ""
    if round(value, decimals) == 0:
        value = 0.0  # a tiny negative difference prints as 0.0000, not -0.0000
    return f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"


def present_value(comparison: Comparison, system: str, measure: str, column: str) -> float | None:
    """The system's value of a cell, or None where it has none (absent or NaN)."""
    value = comparison.value(system, measure, column)
    return value if _present(value) else None


def _present(value: float | None) -> bool:
    return value is not None and not math.isnan(value)


def _best_text(texts: Mapping[str, str], values: Mapping[str, float | None], measure: Measure) -> str | None:
    # ties are judged on the printed value: two cells that read the same are both bold
    present = {s: v for s, v in values.items() if v is not None}
    if not present:
        return None
    pick = max if measure.higher_is_better else min
    return texts[pick(present, key=present.__getitem__)]


def _baseline_marks(comparison: Comparison, system: str, measure: Measure, column: Column) -> tuple[str, ...]:
    if comparison.baseline is None or system == comparison.baseline:
        return ()
    return marks_against(comparison, system, comparison.baseline, measure, column.key)


def tests_of(comparison: Comparison, system: str, measure: Measure, column: Column) -> list[TestResult]:
    """The tests a value takes part in: against the baseline, or against every other system."""
    others = [comparison.baseline] if comparison.baseline is not None else comparison.systems
    found = [comparison.test(system, other, measure.name, column.key) for other in others if other not in (None, system)]
    return [t for t in found if t is not None]


def unreachable(comparison: Comparison, system: str, measure: Measure, column: Column) -> tuple[str, ...]:
    """The † mark where a value takes part in tests and none of them can be significant."""
    tests = tests_of(comparison, system, measure, column)
    return (UNREACHABLE,) if tests and not any(t.can_be_significant for t in tests) else ()


def _partial(comparison: Comparison, system: str, measure: Measure, column: Column) -> str:
    held = comparison.pairs_of(system, measure.name, column.key)
    return f"{held}/{len(column.pairs)}" if column.is_average and held < len(column.pairs) else ""


def _letters(comparison: Comparison, system: str, measure: Measure, column: Column, letters: Mapping[str, str]) -> tuple[str, ...]:
    beaten = []
    for other in comparison.systems:
        if other in letters and other != system and BETTER in marks_against(comparison, system, other, measure, column.key):
            beaten.append(letters[other])
    return tuple(beaten)


def datasets(comparison: Comparison) -> list[str]:
    """The comparison's dataset ids, in column order."""
    return list(dict.fromkeys(c.dataset for c in comparison.columns))


def setting_groups(comparison: Comparison, columns: Sequence[Column]) -> list[tuple[str, int]]:
    """Consecutive columns of one setting group, as (name, span): the grouped header row."""
    return [(name, len(list(members))) for name, members in itertools.groupby(columns, key=lambda c: group_name(comparison, c))]


# ---------------------------------------------------------------------------------------------
# the test summary (the legend: comparison_legend.py)


def significance_summary(comparison: Comparison, style: Style = PLAIN) -> str:
    """``Fisher randomization test (sign flips), 1,000 resamples, seed 0; Holm correction over
    systems × pairs × measures (1 family of 1,251 tests); α = 0.05``."""
    protocol, sym = comparison.protocol, style.symbols
    test = style.escape(protocol["test_title"])
    if protocol.get("resamples"):
        test += f", {protocol['resamples']:,} resamples, seed {protocol['seed']}"
    if protocol.get("exact_columns"):
        columns = len(protocol["exact_columns"])
        test += f" (exact: every sign pattern enumerated for {columns} column(s) with {style.escape('2^n')} {sym['le']} resamples)"
    dimensions = f" {sym['times']} ".join(style.escape(d) for d in protocol["family"])
    sizes = sorted(protocol["families"].values())
    count = len(sizes)
    families = f"{count} famil{'y' if count == 1 else 'ies'} of "
    if sizes[0] == sizes[-1]:
        families += f"{sizes[0]:,} test{'s' if sizes[0] != 1 else ''}{' each' if count > 1 else ''}"
    else:
        families += f"{sizes[0]:,} to {sizes[-1]:,} tests"
    title = "no correction" if protocol["correction"] == "none" else f"{protocol['correction_title']} correction"
    correction = f"{style.escape(title)} over {dimensions} ({style.escape(families)})"
    return f"{test}; {correction}; {sym['alpha']} = {protocol['alpha']:g}"
