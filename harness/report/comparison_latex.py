"""A comparison's tables as LaTeX: one booktabs ``table`` float per measure, the legend in its caption.

Each table holds the cells :func:`~harness.report.comparison_tables.measure_tables` decides, with
settings as ``\\multicolumn`` headers over ``\\cmidrule``s (written directly rather than through
pandas' Styler, which cannot put ``\\cmidrule``s under grouped column headers). ``\\caption``
carries the caption text given, the measure and the whole legend (what each mark means, the test,
B, the seed, the correction and alpha), with the measure and dataset as its short form for a list
of tables; ``\\label`` is the one given (suffixed by the measure where there are several) or
``tab:DATASET-MEASURE``. With ``siunitx`` the numeric columns are ``S`` columns aligned on the
decimal marker: ``table-format`` reserves the widest number of the column and its widest marks;
a bold value is ``\\bfseries`` before the number (made robust, as siunitx's manual shows), marks
follow it in braces. Needs booktabs and amssymb; with ``siunitx``, siunitx v3 and etoolbox.
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from harness.errors import HarnessError
from harness.evaluation.measures import Measure
from harness.report.comparison_legend import legend_sentences
from harness.report.comparison_tables import (
    BETTER,
    LATEX,
    Cell,
    MeasureTable,
    datasets,
    join_letters,
    measure_tables,
    measure_title,
    row_label,
    setting_groups,
)
from harness.stats.comparison_result import Column, Comparison

LABEL = re.compile(r"[A-Za-z0-9:._-]+")
PACKAGES = r"\usepackage{booktabs} and \usepackage{amssymb} (marks); \usepackage[T1]{fontenc} for true underscores"
SIUNITX_PACKAGES = r"; \usepackage{siunitx} (v3) and \usepackage{etoolbox} (S columns)"


def render_latex(
    comparison: Comparison, digits: int = 4, *, caption: str | None = None, label: str | None = None, siunitx: bool = False
) -> str:
    """A ``table`` float per measure: ``\\caption`` (``caption``, plain text, then the measure and the
    legend), ``\\label`` and a booktabs ``tabular``; ``siunitx`` makes the numeric columns ``S`` columns."""
    tables = measure_tables(comparison, digits)
    labels = table_labels(comparison, [t.measure for t in tables], label)
    legend = " ".join(legend_sentences(comparison, LATEX))
    parts = [f"% needs {PACKAGES}{SIUNITX_PACKAGES if siunitx else ''}"]
    for table, name in zip(tables, labels):
        parts.append(_table(comparison, table, caption, name, legend, siunitx))
    return "\n\n".join(parts) + "\n"


def table_labels(comparison: Comparison, measures: Sequence[Measure], label: str | None) -> list[str]:
    """The ``\\label`` of each measure's table: ``label`` (suffixed by the measure where there are
    several), else ``tab:`` and the datasets and measure, made of letters, digits and ``-``."""
    if label is not None and not LABEL.fullmatch(label):
        raise HarnessError(f"--label {label!r}: use letters, digits and ':', '.', '_', '-' only (e.g. tab:results)")
    stem = label or "tab:" + "-".join(_slug(d) for d in datasets(comparison))
    if label and len(measures) == 1:
        return [label]
    return [f"{stem}-{_slug(m.name)}" for m in measures]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def _table(comparison: Comparison, table: MeasureTable, caption: str | None, label: str, legend: str, siunitx: bool) -> str:
    where = ", ".join(datasets(comparison))
    title = LATEX.escape(f"{measure_title(table.measure)} on {where}")
    opening = LATEX.escape(caption.strip()) + " " if caption else ""
    short = LATEX.escape(caption.strip()) if caption else title
    lines = ["\\begin{table}", "\\centering"]
    if siunitx:
        lines += ["\\robustify\\bfseries", "\\sisetup{text-series-to-math}"]
    lines += [f"\\caption[{{{short}}}]{{{opening}{title}. {legend}}}", f"\\label{{{label}}}"]
    spec = "".join(_s_column(table, c) if siunitx else "r" for c in table.columns)
    lines += [f"\\begin{{tabular}}{{l{spec}}}", "\\toprule"]
    groups = setting_groups(comparison, table.columns)
    lines.append(" & ".join([""] + [f"\\multicolumn{{{span}}}{{c}}{{{LATEX.escape(name)}}}" for name, span in groups]) + r" \\")
    start, rules = 2, []
    for _, span in groups:
        rules.append(f"\\cmidrule(lr){{{start}-{start + span - 1}}}")
        start += span
    lines.append(" ".join(rules))
    stub = LATEX.escape(table.measure.name) + ("" if table.measure.higher_is_better else r" ($\downarrow$)")
    headers = [LATEX.escape(c.label) for c in table.columns]
    lines.append(" & ".join([stub] + ([f"{{{h}}}" for h in headers] if siunitx else headers)) + r" \\")
    lines.append("\\midrule")
    for system in table.systems:
        cells = [table.cell(system, c) for c in table.columns]
        printed = [_s_cell(cell) if siunitx else LATEX.cell(cell) for cell in cells]
        lines.append(" & ".join([LATEX.escape(row_label(comparison, system))] + printed) + r" \\")
    lines += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(lines)


def _s_column(table: MeasureTable, column: Column) -> str:
    """``S[table-format=I.D{widest marks}]``: the widest integer part, the decimals, a sign where a
    value is negative, and room for the widest pair count, marks and letters of the column."""
    cells = [table.cell(s, column) for s in table.systems]
    texts = [c.text for c in cells if c.text]
    integer = max((len(t.lstrip("-").split(".")[0]) for t in texts), default=1)
    decimals = max((len(t.split(".")[1]) for t in texts if "." in t), default=0)
    sign = "-" if any(t.startswith("-") for t in texts) else ""
    number = f"{sign}{integer}.{decimals}" if decimals else f"{sign}{integer}"
    after = _widest_after(cells)
    return f"S[table-format={number}{{{after}}}]" if after else f"S[table-format={number}]"


def _widest_after(cells: Sequence[Cell]) -> str:
    """A model at least as wide as what follows any value of the column: the longest pair count, as many
    of the widest mark (▲) as a cell has marks, and the longest letters with each letter as wide as m."""
    pairs = max((c.pairs for c in cells), key=len, default="")
    marks = max((len(c.marks) for c in cells), default=0)
    letters = max((join_letters(c.letters) for c in cells if c.letters), key=len, default="")
    model = (LATEX.subscript(pairs) if pairs else "") + LATEX.marks[BETTER] * marks
    return model + (LATEX.superscript(re.sub("[a-z]", "m", letters)) if letters else "")


def _s_cell(cell: Cell) -> str:
    """A value in an ``S`` column: ``\\bfseries`` before a bold one, what follows it in braces (text)."""
    if not cell.text:
        return ""
    after = LATEX.after(cell)
    return ("\\bfseries " if cell.best else "") + cell.text + (f"{{{after}}}" if after else "")
