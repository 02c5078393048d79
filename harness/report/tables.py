"""Pairs x measures tables with macro averages per setting (never pooled across settings)."""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from harness.datasets.pairs import SETTINGS
from harness.submissions import PairRecord


def results_frame(records: Sequence[PairRecord]):
    """A pandas DataFrame: one row per pair, then one ``mean (SETTING, n pairs)`` row per setting present.

    Averages are macro-averages over the pairs of one setting, as SPEC section 2 prescribes.
    """
    import pandas as pd

    measures = _measure_order(records)
    rows = [
        {"pair": r.pair, "setting": r.setting, "queries": r.num_queries, **{m: r.measures.get(m) for m in measures}}
        for r in sorted(records, key=lambda r: (SETTINGS.index(r.setting), r.pair))
    ]
    for setting, averages in macro_averages(records).items():
        count = sum(r.setting == setting for r in records)
        rows.append(
            {"pair": f"mean {setting.upper()} ({count} pair{'s' if count != 1 else ''})", "setting": setting, "queries": None, **averages}
        )
    return pd.DataFrame(rows, columns=["pair", "setting", "queries", *measures])


def macro_averages(records: Sequence[PairRecord]) -> dict[str, dict[str, float | None]]:
    """setting -> measure -> macro-average over that setting's pairs."""
    measures = _measure_order(records)
    out: dict[str, dict[str, float | None]] = {}
    for setting in SETTINGS:
        members = [r for r in records if r.setting == setting]
        if members:
            out[setting] = {m: _mean([r.measures.get(m) for r in members]) for m in measures}
    return out


def render_table(records: Sequence[PairRecord], digits: int = 4) -> str:
    """A plain-text table for the terminal."""
    from tabulate import tabulate

    frame = results_frame(records)
    # object cells so that absent values print as blanks and query counts as integers, not 1190.0000
    cells = frame.astype(object).where(frame.notna(), None)
    cells["queries"] = ["" if q is None else str(int(q)) for q in cells["queries"]]
    return tabulate(cells, headers="keys", tablefmt="simple", showindex=False, floatfmt=f".{digits}f", missingval="")


def render_json(records: Sequence[PairRecord], extra: dict[str, Any] | None = None) -> str:
    """The pairs and their macro averages as JSON."""
    payload = {
        **(extra or {}),
        "pairs": {r.pair: r.to_dict() for r in records},
        "macro_averages": macro_averages(records),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _measure_order(records: Sequence[PairRecord]) -> list[str]:
    seen: dict[str, None] = {}
    for record in records:
        seen.update(dict.fromkeys(record.measures))
    return list(seen)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if len(present) == len(values) and present else None
