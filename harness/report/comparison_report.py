"""A comparison with its renderings: what :func:`harness.compare` returns.

The statistics (:class:`harness.stats.Comparison`: values, tests, protocol) know nothing of
tables; this wrapper adds the formats, so that ``report`` stands on ``stats`` and never the
reverse. Every attribute of the comparison reads through (``systems``, ``tests``, ``value()``,
``to_dict()``, ...).
"""
from __future__ import annotations

import json
from typing import Any

from harness.stats.comparison_result import Comparison


class ComparisonReport:
    """A :class:`~harness.stats.Comparison` and its tables: markdown, LaTeX, HTML, CSV, JSON, frames, pair matrices."""

    def __init__(self, comparison: Comparison) -> None:
        self.comparison = comparison

    def __getattr__(self, name: str) -> Any:
        return getattr(self.comparison, name)

    def to_frame(self):
        """Values as a pandas DataFrame: rows (measure, system), columns (setting group, column label)."""
        from harness.report.comparison_formats import values_frame

        return values_frame(self.comparison)

    def to_markdown(self, digits: int = 4, *, caption: str | None = None) -> str:
        """Pipe tables and the legend; ``caption`` (plain text) opens the legend."""
        from harness.report.comparison_formats import render_markdown

        return render_markdown(self.comparison, digits, caption=caption)

    def to_latex(self, digits: int = 4, *, caption: str | None = None, label: str | None = None, siunitx: bool = False) -> str:
        """A ``table`` per measure whose ``\\caption`` holds ``caption`` (plain text) and the legend;
        ``label`` (default from the datasets and measure); ``siunitx``: numeric columns as ``S``."""
        from harness.report.comparison_latex import render_latex

        return render_latex(self.comparison, digits, caption=caption, label=label, siunitx=siunitx)

    def to_html(self, digits: int = 4, *, caption: str | None = None) -> str:
        """A ``<table>`` per measure and the legend; ``caption`` (plain text) opens the legend."""
        from harness.report.comparison_formats import render_html

        return render_html(self.comparison, digits, caption=caption)

    def to_csv(self) -> str:
        """One row per system, measure and column: value, pairs held, and the test against the baseline."""
        from harness.report.comparison_formats import render_csv

        return render_csv(self.comparison)

    def to_json(self) -> str:
        """The comparison's ``to_dict()`` with the legend the tables print (``legend``: one sentence each)."""
        from harness.report.comparison_legend import legend_sentences

        return json.dumps({**self.comparison.to_dict(), "legend": legend_sentences(self.comparison)}, indent=2, ensure_ascii=False)

    def pair_matrix(self, system: str, measure: str | None = None, other: str | None = None, *, dataset: str | None = None):
        """A query-language x document-language view of one system's values (marked against the
        baseline), or of ``system - other`` (marked by their test); the first dataset by default."""
        from harness.report.pair_matrix import pair_matrix

        return pair_matrix(self.comparison, system, measure, other, dataset=dataset)
