"""Plain-text views for the terminal: trec_eval-style result lines and the dataset and model listings."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def trec_eval_text(evaluation, per_query: bool) -> str:
    """``measure<TAB>query<TAB>value`` lines, as trec_eval prints them (``all`` for the mean)."""
    lines = []
    for measure in evaluation.measures:
        if per_query:
            for qid, value in sorted(evaluation.per_query[measure].items()):
                lines.append(f"{measure:<20}\t{qid}\t{value:.4f}")
        lines.append(f"{measure:<20}\tall\t{evaluation.aggregate[measure]:.4f}")
    lines.append(f"{'num_q':<20}\tall\t{evaluation.num_queries}")
    ties = evaluation.ties
    lines.append(f"# ties: {ties.get('tied_neighbours', 0)} tied neighbours in {ties.get('queries_with_ties', 0)} queries; order: {evaluation.semantics.get('tie_order')}")
    if evaluation.unjudged_run_queries:
        lines.append(f"# {len(evaluation.unjudged_run_queries)} run queries have no judgments and were ignored")
    if evaluation.missing_run_queries:
        lines.append(f"# {len(evaluation.missing_run_queries)} judged queries are missing from the run and score 0")
    return "\n".join(lines)


def datasets_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The ``harness datasets`` table (rows of :func:`harness.api.list_datasets`)."""
    from tabulate import tabulate

    table = [
        [
            r["id"],
            " ".join(r["languages"]),
            ",".join(r["settings"]),
            r["pairs"],
            _sizes(r["sizes"]),
            "; ".join(f"{s}: {','.join(m)}" for s, m in r["default_measures"].items()),
            r["expected_location"],
        ]
        for r in rows
    ]
    return (
        tabulate(table, headers=["id", "languages", "settings", "pairs", "sizes", "default measures", "data expected at"])
        + "\n\npair ids: DATASET/Q-D (Q query language, D document language, xx = multilingual pool), e.g. xquad-r/de-en, xquad-r/ar-xx"
    )


def model_text(spec: Mapping[str, Any]) -> str:
    """One adapter: every parameter with its type, default and meaning."""
    from tabulate import tabulate

    params = spec["parameters"]
    rows = [[p["name"], p["type"], p["default"], p["description"]] for p in params]
    headers = ["parameter", "type", "default", "meaning"]
    if any("origin" in p for p in params):  # a method from a paper: whose choice each default is
        rows = [[*row, p.get("origin", "")] for row, p in zip(rows, params)]
        headers.append("default from")
    return f"{spec['name']}: {spec['description']}\n\n" + tabulate(rows, headers=headers)


def models_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The ``harness models`` table; parameters every model of a family shares are listed once,
    so each row shows what is its own."""
    from tabulate import tabulate

    names = [{p["name"] for p in row["parameters"]} for row in rows]
    family = [n for n in names if any(n & other for other in names if other is not n)]
    shared = set.intersection(*family) if family else set()
    table = []
    for row in rows:
        own = [f"{p['name']}={p['default']}" for p in row["parameters"] if p["name"] not in shared]
        common = " + shared" if any(p["name"] in shared for p in row["parameters"]) else ""
        table.append([row["name"], row["description"], ", ".join(own) + common])
    text = tabulate(table, headers=["model", "description", "parameters (defaults)"])
    if shared:
        first = next(r for r in rows if any(p["name"] in shared for p in r["parameters"]))
        text += "\n\nshared: " + ", ".join(f"{p['name']}={p['default']}" for p in first["parameters"] if p["name"] in shared)
        text += "\n(harness models NAME lists one model's parameters with their meaning)"
    return text


def _sizes(sizes) -> str:
    """``questions 1190/lang; candidates 852-1276/lang; pool 13014``: per-language counts as a range."""
    if not sizes:
        return "?"
    parts = []
    for key, value in sizes.items():
        if isinstance(value, dict) and value:
            low, high = min(value.values()), max(value.values())
            parts.append(f"{key} {low}/lang" if low == high else f"{key} {low}-{high}/lang")
        elif not isinstance(value, dict):
            parts.append(f"{key} {value}")
    return "; ".join(parts)
