"""The pages' most repeated markup, written here rather than in the templates, for speed.

A dataset page holds a cell per system, column and measure (20,000 a measure at 50 systems on
XQuAD-R), a system page a row and a command per pair; rendered by jinja, each cell's dozen
output nodes, conditionals and escapes, and each call of a macro, were most of the build's render
time (50 systems: the dataset pages 1.4 s, now 0.4 s). One f-string each, escaped by markupsafe
(jinja's own escape), writes the same bytes. The templates call these as filters and functions.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from harness.report.leaderboard.command_view import command_lines


def board_cells(cells: Sequence[Mapping[str, Any]], columns: Sequence[Mapping[str, Any]]) -> Markup:
    """One ``<td>`` line per cell of a row (:func:`~harness.report.leaderboard.views.dataset_view`'s
    cells, under their columns)."""
    return Markup("".join(_cell(cell, column) + "\n" for cell, column in zip(cells, columns)))


def mark_markup(mark: int) -> Markup:
    """▲ or ▼ against the baseline, or nothing (the templates' ``mark`` filter)."""
    return Markup(f'<i class="mark-{"up" if mark > 0 else "down"}">{mark_glyph(mark)}</i>' if mark else "")


def mark_glyph(mark: int) -> str:
    """▲ or ▼ against the baseline, or nothing, as plain text (the templates' ``mark_glyph`` filter)."""
    return "▲" if mark > 0 else "▼" if mark < 0 else ""


def _cell(cell: Mapping[str, Any], column: Mapping[str, Any]) -> str:
    mean_class = " col-mean" if column["average"] else ""
    if cell["value"] is None:
        return '<td class="col-mean"></td>' if column["average"] else "<td></td>"
    tested = "" if cell["p"] is None else f' data-p="{cell["p"]!r}"'  # the baseline's adjusted p (downloads)
    if cell["partial"]:
        return (
            f'<td data-value="{escape(cell["value"])}"{tested} data-partial="{escape(cell["partial"])}" title="{escape(cell["tip"])}" '
            f'class="partial{mean_class}">{escape(cell["text"])}<span class="coverage">{escape(cell["partial"])}</span></td>'
        )
    # the rank interval's ends in one attribute ("best worst"): 130,000 cells at 200 systems
    attributes = f'data-value="{escape(cell["value"])}" data-rank="{escape(cell["rank"])} {escape(cell["rank_worst"])}"{tested}'
    if cell["mark"]:
        attributes += f' data-mark="{"better" if cell["mark"] > 0 else "worse"}"'
    if cell["best"] or column["average"]:
        attributes += f' class="{"best" + mean_class if cell["best"] else "col-mean"}"'
    rank = ""
    if column["average"]:
        top = " top" if cell["rank"] == 1 else ""
        rank = f'<span class="rank{top}" title="{escape(cell["rank_tip"])}">{escape(cell["rank_text"])}</span>'
    # a pair cell's ▲/▼ is a character of its text: an element, or a pseudo-element drawn from data-mark,
    # is a box of its own in each of thousands of cells (a 50-system page's reversal: 73 ms against 95-120)
    mark = mark_markup(cell["mark"]) if column["average"] else mark_glyph(cell["mark"])
    return f'<td {attributes}>{escape(cell["text"])}{mark}{rank}</td>'


def command_markup(text: str, id: str | None = None) -> Markup:
    """A command in a box that wraps it between :func:`command_lines`' pieces, with a copy button
    (the button copies ``text`` from its attribute)."""
    anchor = f' id="{escape(id)}"' if id else ""
    lines = "<br>".join(" ".join(f'<span class="w">{escape(words)}</span>' for words in line) for line in command_lines(text))
    return Markup(
        f'<div class="command"{anchor}><code>{lines}</code><button type="button" class="copy" data-copy-text="{escape(text)}" '
        'title="copy the command">Copy</button></div>'
    )
