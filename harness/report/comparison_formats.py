"""The formats of a :class:`~harness.stats.comparison.Comparison`'s tables: markdown, HTML, CSV, a frame.

Every format prints the cells :func:`~harness.report.comparison_tables.measure_tables` decides,
decorated by its :class:`~harness.report.comparison_tables.Style`, and the same legend
(:mod:`harness.report.comparison_legend`); LaTeX is :mod:`harness.report.comparison_latex`.
"""
from __future__ import annotations

import csv
import io

from harness.report.comparison_legend import legend_sentences
from harness.report.comparison_tables import (
    HTML,
    MARKDOWN,
    PLAIN,
    TEST_FIELDS,
    Style,
    datasets,
    group_name,
    measure_tables,
    measure_title,
    present_value,
    row_label,
    setting_groups,
)
from harness.stats.comparison_result import Comparison, TestResult


def values_frame(comparison: Comparison):
    """Values as a pandas DataFrame: rows (measure, system), columns (setting group, column label).

    NaN where a system has no value; columns in the comparison's order, including those where
    a measure is absent everywhere.
    """
    import pandas as pd

    index = pd.MultiIndex.from_tuples([(m.name, s) for m in comparison.measures for s in comparison.systems], names=["measure", "system"])
    columns = pd.MultiIndex.from_tuples([(group_name(comparison, c), c.label) for c in comparison.columns], names=["group", "column"])
    rows = [
        [present_value(comparison, s, m.name, c.key) for c in comparison.columns] for m in comparison.measures for s in comparison.systems
    ]
    return pd.DataFrame(rows, index=index, columns=columns, dtype=float)


def render_markdown(comparison: Comparison, digits: int = 4, *, caption: str | None = None) -> str:
    """A ``### MEASURE`` heading and a pipe table per measure, then the legend paragraph (opened by
    ``caption``, plain text, where given).

    Markdown has no grouped headers: a mean column reads ``MoIR mean``; pair columns are their
    ``Q-D`` labels (``DATASET/Q-D`` when the comparison spans several datasets).
    """
    from tabulate import tabulate

    several = len(datasets(comparison)) > 1
    parts = []
    for table in measure_tables(comparison, digits):
        headers = [MARKDOWN.escape(table.measure.name)] + [
            f"{group_name(comparison, c)} mean" if c.is_average else (f"{c.dataset}/{c.label}" if several else c.label)
            for c in table.columns
        ]
        rows = [
            [MARKDOWN.escape(row_label(comparison, s))] + [MARKDOWN.cell(table.cell(s, c)) for c in table.columns]
            for s in table.systems
        ]
        align = ["left"] + ["right"] * len(table.columns)
        body = tabulate(rows, headers=headers, tablefmt="pipe", disable_numparse=True, colalign=align)
        parts.append(f"### {MARKDOWN.escape(measure_title(table.measure))}\n\n{body}")
    parts.append(legend_text(comparison, MARKDOWN, caption))
    return "\n\n".join(parts) + "\n"


def legend_text(comparison: Comparison, style: Style, caption: str | None = None) -> str:
    """The legend as one paragraph, opened by ``caption`` (plain text, escaped) where given."""
    opening = [style.escape(caption.strip())] if caption else []
    return " ".join(opening + legend_sentences(comparison, style))


def render_html(comparison: Comparison, digits: int = 4, *, caption: str | None = None) -> str:
    """A ``<table>`` per measure (settings as ``colspan`` headers), then the legend as a ``<p>``
    (opened by ``caption``, plain text, where given)."""
    parts = []
    for table in measure_tables(comparison, digits):
        groups = "".join(f'<th colspan="{span}">{HTML.escape(name)}</th>' for name, span in setting_groups(comparison, table.columns))
        labels = "".join(f"<th>{HTML.escape(c.label)}</th>" for c in table.columns)
        rows = "\n".join(
            f'<tr><th scope="row">{HTML.escape(row_label(comparison, s))}</th>'
            + "".join(f"<td>{HTML.cell(table.cell(s, c))}</td>" for c in table.columns)
            + "</tr>"
            for s in table.systems
        )
        parts.append(
            '<table class="comparison">\n<thead>\n'
            f'<tr><th rowspan="2">{HTML.escape(measure_title(table.measure))}</th>{groups}</tr>\n<tr>{labels}</tr>\n'
            f"</thead>\n<tbody>\n{rows}\n</tbody>\n</table>"
        )
    parts.append(f'<p class="legend">{legend_text(comparison, HTML, caption)}</p>')
    return "\n".join(parts) + "\n"


def render_csv(comparison: Comparison) -> str:
    """Tidy CSV: one row per measure, system and column, with the value at full precision (empty where
    the system does not hold the pair), the pairs it averages (``pairs_held`` of the column's ``pairs``),
    the marks as printed, and (with a baseline) the test against the baseline."""
    fields = ["measure", "system", "display_name", "dataset", "setting", "column", "pairs", "pairs_held", "value", "best", "marks"]
    if comparison.baseline is not None:
        fields += list(TEST_FIELDS)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for table in measure_tables(comparison):
        for system in table.systems:
            for column in table.columns:
                cell = table.cell(system, column)
                row = {
                    "measure": table.measure.name, "system": system, "display_name": comparison.display(system),
                    "dataset": column.dataset, "setting": column.setting, "column": column.label, "pairs": len(column.pairs),
                    "pairs_held": "" if cell.value is None else comparison.pairs_of(system, table.measure.name, column.key),
                    "value": "" if cell.value is None else repr(cell.value), "best": int(cell.best), "marks": PLAIN.marks_of(cell),
                }
                test = None if system == comparison.baseline or comparison.baseline is None else comparison.test(
                    system, comparison.baseline, table.measure.name, column.key
                )
                if test is not None:
                    row.update(_oriented_test(test, system))
                writer.writerow(row)
    return out.getvalue()


def _oriented_test(test: TestResult, system: str) -> dict[str, float | int]:
    """The test's numbers as ``system - other``, whichever order it was stored in."""
    values = {name: getattr(test, name) for name in TEST_FIELDS}
    if test.system != system:
        values.update(
            mean_difference=-test.mean_difference, ci_low=-test.ci_high, ci_high=-test.ci_low, d_z=-test.d_z,
            wins=test.losses, losses=test.wins,
        )
    return {k: repr(v) if isinstance(v, float) else int(v) if isinstance(v, bool) else v for k, v in values.items()}
