"""What the index renders: per dataset and measure, one plot of the setting means and one table
per setting (systems in order, mean, interval, rank interval, coverage). Plain data; jinja escapes it."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from harness.report.comparison_tables import SETTING_TITLES, decimals_for, format_value
from harness.report.leaderboard.board import DatasetBoard
from harness.report.leaderboard.pages import dataset_file, system_file
from harness.report.leaderboard.standings import SettingStandings, Standing
from harness.report.leaderboard.svg_plot import forest_plot
from harness.report.leaderboard.views import rank_text


def index_view(
    boards: Mapping[str, DatasetBoard], standings: Mapping[str, Sequence[SettingStandings]], digits: int, confidence: float
) -> dict[str, Any]:
    """The datasets with their measures' plots and setting tables, and the choices of the controls."""
    datasets = []
    for dataset, board in boards.items():
        measures = []
        for measure in board.measures:
            blocks = [b for b in standings.get(dataset, ()) if b.measure == measure.name]
            if not blocks:
                continue
            found = [x for b in blocks for r in b.rows for x in (r.mean, r.low, r.high) if x is not None and not math.isnan(x)]
            decimals = decimals_for(found, digits)
            measures.append({
                "measure": measure.name, "higher": measure.higher_is_better,
                "plot": forest_plot(blocks, decimals, confidence),
                "settings": [_setting_view(b, decimals) for b in blocks],
            })
        datasets.append({
            "dataset": dataset, "file": dataset_file(dataset), "systems": len(board.systems),
            "pairs": sum(not c.is_average for c in board.columns), "baseline": board.baseline, "measures": measures,
        })
    firsts = Counter(d["measures"][0]["measure"] for d in datasets if d["measures"])
    names = list(dict.fromkeys(m["measure"] for d in datasets for m in d["measures"]))
    present = {s["setting"] for d in datasets for m in d["measures"] for s in m["settings"]}
    return {
        "datasets": datasets,
        "measures": names,
        # the measure most datasets show first (ties: the first dataset's)
        "default_measure": max(names, key=lambda n: (firsts[n], -names.index(n))) if names else None,
        "settings": [(key, title) for key, title in SETTING_TITLES.items() if key in present],
    }


def _setting_view(block: SettingStandings, decimals: int) -> dict[str, Any]:
    return {
        "setting": block.setting, "title": SETTING_TITLES[block.setting], "pairs": len(block.pairs), "ranked": block.ranked,
        "units": "pairs" if len(block.pairs) > 1 else "queries", "column": block.column_key,
        "queries_total": block.rows[0].queries_total,
        "rows": [_row(r, decimals, order) for order, r in enumerate(block.rows) if r.every_pair],
        "some_pairs": [_row(r, decimals, order) for order, r in enumerate(block.rows) if not r.every_pair],
    }


def _row(r: Standing, decimals: int, order: int) -> dict[str, Any]:
    rank = rank_text(r.rank_best, r.rank_worst) if r.rank_best is not None else ""
    return {
        "system": r.system, "file": system_file(r.system), "order": order, "mean": r.mean, "text": format_value(r.mean, decimals),
        "low": r.low, "high": r.high,
        "interval": "" if r.low is None else f"±{format_value((r.high - r.low) / 2, decimals)}",
        "rank": rank, "rank_best": r.rank_best, "rank_worst": r.rank_worst, "top": r.rank_best == 1,
        "pairs_held": r.pairs_held,
        "n": r.n, "queries_held": r.queries_held, "queries_total": r.queries_total,
        "coverage": f"{r.pairs_held} of {r.pairs_total}",
        "queries": f"{r.queries_held:,} of {r.queries_total:,} queries" if r.partial else None,
    }

