"""The legend of a comparison's tables: what every mark means and how it was tested, one sentence each.

Every format prints the same sentences in its own markup (a :class:`~harness.report.comparison_tables.Style`):
markdown and HTML after the tables, LaTeX in each table's caption, JSON as ``legend``. Sentences
about empty cells, partial means and the † mark appear only where the table has them.
"""
from __future__ import annotations

from harness.report.comparison_tables import (
    BETTER,
    EQUIVALENT,
    PLAIN,
    UNREACHABLE,
    WORSE,
    Style,
    present_value,
    significance_summary,
    unreachable,
)
from harness.stats.attainable import floor_rule
from harness.stats.comparison_result import Comparison


def legend_sentences(comparison: Comparison, style: Style = PLAIN) -> list[str]:
    """What the marks mean, how they were tested and corrected, how averages are made, the queries
    compared on, and the comparison's notes: one sentence each, in the style's markup."""
    e, sym = style.escape, style.symbols
    sentences = ["Bold: the best value of each column (values that print the same are all bold)."]
    tested = significance_summary(comparison, style)
    if comparison.baseline is not None:
        sentences.append(
            f"{style.marks[BETTER]}/{style.marks[WORSE]}: significantly better/worse than the baseline "
            f"{e(comparison.display(comparison.baseline))} ({tested})."
        )
    else:
        sentences.append(f"Superscript letters: the systems (by letter) a value is significantly better than ({tested}).")
    margin = comparison.protocol.get("equivalence_margin")
    if margin and comparison.baseline is not None:
        sentences.append(
            f"{style.marks[EQUIVALENT]}: equivalent to the baseline within {sym['pm']}{margin:g} "
            "(TOST, two one-sided paired t-tests, adjusted by the same correction)."
        )
    elif margin:
        # all-pairs tables carry no equivalence mark: a letter per equivalent system would be unreadable
        sentences.append(
            f"Equivalence within {sym['pm']}{margin:g} (TOST, two one-sided paired t-tests, adjusted by the same "
            "correction) was tested for every pair of systems: see --format json (all-pairs tables carry no equivalence mark)."
        )
    if has_unreachable(comparison):
        protocol = comparison.protocol
        rule = floor_rule(protocol["test"], protocol["correction"])
        sentences.append(
            f"{style.marks[UNREACHABLE]}: none of this value's tests can be significant at {sym['alpha']} = {protocol['alpha']:g} "
            f"with the units it is tested on (a mean's units: the pairs both systems hold): {e(rule)}."
        )
    sentences.append(e(_average_sentence(comparison)))
    if has_empty_cells(comparison):
        sentences.append(_union_sentence(comparison, style))
    sentences.append(e(_queries_sentence(comparison)))
    sentences += [e(note[:1].upper() + note[1:] + ("" if note.endswith(".") else ".")) for note in comparison.notes]
    return sentences


def has_unreachable(comparison: Comparison) -> bool:
    """Whether any value carries the † mark: every test it takes part in is unable to be significant."""
    return any(
        unreachable(comparison, system, measure, column)
        for measure in comparison.measures for column in comparison.columns for system in comparison.systems
    )


def has_empty_cells(comparison: Comparison) -> bool:
    """Whether a system lacks a value where another system has one (a pair it does not hold)."""
    for measure in comparison.measures:
        for column in comparison.columns:
            present = [present_value(comparison, s, measure.name, column.key) is not None for s in comparison.systems]
            if any(present) and not all(present):
                return True
    return False


def _has_partial_means(comparison: Comparison) -> bool:
    return any(
        0 < comparison.pairs_of(s, m.name, c.key) < len(c.pairs)
        for m in comparison.measures for c in comparison.columns if c.is_average for s in comparison.systems
    )


def _union_sentence(comparison: Comparison, style: Style) -> str:
    e = style.escape
    sentence = e(
        "Empty cell: a pair the system does not hold. Each pair is tested between the systems that hold it; a pair "
        "held by one system is not tested."
    )
    if _has_partial_means(comparison):
        sentence += (
            f" {e('A setting mean averages the pairs of the setting its system holds (')}{style.subscript('k/m')}"
            f"{e(': k of the m pairs; never bold); the means of two systems are tested on the pairs both hold only.')}"
        )
    return sentence


def _average_sentence(comparison: Comparison) -> str:
    how = {
        "pair-means": "tested on the per-pair means",
        "pooled": "tested on the per-query scores pooled over the setting's pairs",
    }.get(comparison.protocol["average_test"], f"tested on {comparison.protocol['average_test']}")
    return f"mean: the macro average over a setting's pairs, {how}."


def _queries_sentence(comparison: Comparison) -> str:
    pair_columns = {c.key for c in comparison.columns if not c.is_average}
    tested = [t.n for t in comparison.tests if t.column in pair_columns]
    if not tested:
        return "No queries were compared."
    low, high = min(tested), max(tested)
    amount = f"{low:,}" if low == high else f"between {low:,} and {high:,} (n of each test in --format json and csv)"
    return (
        "Values: each system's own mean over the queries it holds. "
        f"Every test runs on the queries its two systems both hold: {amount} per pair."
    )
