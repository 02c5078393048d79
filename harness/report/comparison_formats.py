"""The formats of a :class:`~harness.stats.comparison.Comparison`'s tables: markdown, LaTeX, HTML, CSV, a frame.

Every format prints the cells :func:`~harness.report.comparison_tables.measure_tables` decides,
decorated by its :class:`~harness.report.comparison_tables.Style`, and the same legend.
"""
from __future__ import annotations

import csv
import io

from harness.report.comparison_tables import (
    HTML,
    LATEX,
    MARKDOWN,
    PLAIN,
    TEST_FIELDS,
    datasets,
    group_name,
    legend_sentences,
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


def render_markdown(comparison: Comparison, digits: int = 4) -> str:
    """A ``### MEASURE`` heading and a pipe table per measure, then the legend paragraph.

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
    parts.append(" ".join(legend_sentences(comparison, MARKDOWN)))
    return "\n\n".join(parts) + "\n"


def render_latex(comparison: Comparison, digits: int = 4) -> str:
    """A booktabs ``tabular`` per measure, settings as ``\\multicolumn`` headers over ``\\cmidrule``s.

    Written directly rather than through pandas' Styler, which cannot put ``\\cmidrule``s under
    grouped column headers. The legend follows as comment lines, ready to paste into a caption.
    Needs ``\\usepackage{booktabs,amssymb}``.
    """
    parts = ["% needs \\usepackage{booktabs} and \\usepackage{amssymb} (triangles); \\usepackage[T1]{fontenc} for true underscores"]
    for table in measure_tables(comparison, digits):
        lines = [f"\\begin{{tabular}}{{l{'r' * len(table.columns)}}}", "\\toprule"]
        groups = setting_groups(comparison, table.columns)
        lines.append(" & ".join([""] + [f"\\multicolumn{{{span}}}{{c}}{{{LATEX.escape(name)}}}" for name, span in groups]) + r" \\")
        start, rules = 2, []
        for _, span in groups:
            rules.append(f"\\cmidrule(lr){{{start}-{start + span - 1}}}")
            start += span
        lines.append(" ".join(rules))
        stub = LATEX.escape(table.measure.name) + ("" if table.measure.higher_is_better else r" ($\downarrow$)")
        lines.append(" & ".join([stub] + [LATEX.escape(c.label) for c in table.columns]) + r" \\")
        lines.append("\\midrule")
        for system in table.systems:
            cells = [LATEX.escape(row_label(comparison, system))] + [LATEX.cell(table.cell(system, c)) for c in table.columns]
            lines.append(" & ".join(cells) + r" \\")
        lines += ["\\bottomrule", "\\end{tabular}"]
        parts.append("\n".join(lines))
    parts.append("\n".join(f"% {sentence}" for sentence in legend_sentences(comparison, LATEX)))
    return "\n\n".join(parts) + "\n"


def render_html(comparison: Comparison, digits: int = 4) -> str:
    """A ``<table>`` per measure (settings as ``colspan`` headers), then the legend as a ``<p>``."""
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
    parts.append(f'<p class="legend">{" ".join(legend_sentences(comparison, HTML))}</p>')
    return "\n".join(parts) + "\n"


def render_csv(comparison: Comparison) -> str:
    """Tidy CSV: one row per measure, system and column, with the value at full precision, the
    marks as printed, and (with a baseline) the test against the baseline."""
    fields = ["measure", "system", "dataset", "setting", "column", "pairs", "value", "best", "marks"]
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
                    "measure": table.measure.name, "system": system, "dataset": column.dataset, "setting": column.setting,
                    "column": column.label, "pairs": len(column.pairs), "value": "" if cell.value is None else repr(cell.value),
                    "best": int(cell.best), "marks": PLAIN.marks_of(cell),
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
    return {k: repr(v) if isinstance(v, float) else v for k, v in values.items()}
