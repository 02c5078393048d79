"""What the templates render: plain data built from the boards and the submissions' metadata.

No markup is built here; jinja escapes every string these views hold.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from harness.datasets.pairs import MULTILINGUAL, SETTINGS, PairId
from harness.report.comparison_tables import SETTING_TITLES, decimals_for, format_value
from harness.report.leaderboard.board import DatasetBoard
from harness.report.leaderboard.heatmap import heatmap_view
from harness.report.leaderboard.pages import dataset_file, safe_url, system_file
from harness.report.tables import macro_averages
from harness.submissions import Submission


def rank_text(best: int, worst: int) -> str:
    """``3`` when the tests fix a rank, ``1–4`` when they leave it open."""
    return str(best) if best == worst else f"{best}–{worst}"


def dataset_view(board: DatasetBoard, digits: int) -> dict[str, Any]:
    """One table per measure: systems x (setting means, pairs), marked and ranked."""
    tables = []
    complete = board.complete()
    for m, measure in enumerate(board.measures):
        present = [c for c in range(len(board.columns)) if not np.all(np.isnan(board.values[m, :, c]))]
        if not present:
            continue
        decimals = measure_decimals(board, m, digits)
        columns = [_column_view(board, c) for c in present]
        best_text = {c: _best_text(board.values[m, complete[:, c], c], measure.higher_is_better, decimals) for c in present}
        ranked = (board.best_rank[m] > 0).sum(axis=0).tolist()  # per column: the systems ranked there
        rows = []
        for s in _row_order(board, m, present):
            name = board.systems[s]
            cells = [_cell(board, m, s, c, decimals, best_text[c], ranked[c]) for c in present]
            rows.append({"system": name, "file": system_file(name), "baseline": name == board.baseline, "cells": cells})
        tables.append({"measure": measure.name, "higher": measure.higher_is_better, "columns": columns, "groups": _column_groups(columns), "rows": rows})
    languages = sorted({lang for c in board.columns for lang in c.langs if lang != MULTILINGUAL})
    settings = [s for s in SETTINGS if any(c.setting == s for c in board.columns)]
    return {
        "dataset": board.dataset, "tables": tables, "languages": languages,
        "settings": [(s, SETTING_TITLES[s]) for s in settings], "baseline": board.baseline,
        "baseline_file": system_file(board.baseline) if board.baseline else None, "systems": len(board.systems),
        "pairs": sum(not c.is_average for c in board.columns), "notes": board.notes,
    }


def measure_decimals(board: DatasetBoard, m: int, digits: int) -> int:
    """:func:`decimals_for` of every value of measure ``m`` (only the largest magnitude decides: one
    number, not a list of every value, for every system page that asks)."""
    values = board.values[m]
    finite = np.abs(values[~np.isnan(values)])
    return decimals_for([float(finite.max())] if finite.size else [], digits)


def coverage_text(held: int, full: int) -> str:
    """``57 of 1,190``: the queries a partial system holds of a column's."""
    return f"{held:,} of {full:,}"


def _best_text(values: np.ndarray, higher_is_better: bool, decimals: int) -> str | None:
    """The printed best value among the ranked (complete) systems; partial values are never bold."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return None
    return format_value(float(finite.max() if higher_is_better else finite.min()), decimals)


def _column_view(board: DatasetBoard, c: int) -> dict[str, Any]:
    column = board.columns[c]
    setting = SETTING_TITLES[column.setting]
    if column.is_average:
        title = f"{setting} mean"
        tip = f"macro average of each system's own values on the {len(column.pairs)} {setting} pairs ({int(board.full[c]):,} queries)"
    else:
        title, tip = column.label, f"{column.pairs[0]}: queries in {column.langs[0]}, documents in {column.langs[1]} ({int(board.full[c]):,} queries)"
    return {
        "index": c, "key": column.key, "title": title, "tip": tip, "setting": column.setting, "average": column.is_average,
        "langs": "-".join(column.langs), "n": int(board.full[c]), "pairs": len(column.pairs),
    }


def _cell(board: DatasetBoard, m: int, s: int, c: int, decimals: int, best_text: str | None, ranked: int) -> dict[str, Any]:
    value = board.values[m, s, c]
    if math.isnan(value):
        return {"index": c, "value": None}
    text = format_value(float(value), decimals)
    best, worst = int(board.best_rank[m, s, c]), int(board.worst_rank[m, s, c])
    cell = {
        "index": c, "value": float(value), "text": text, "best": best > 0 and text == best_text,
        "rank": best, "rank_worst": worst, "rank_text": rank_text(best, worst), "mark": 0,
        "rank_tip": f"rank {rank_text(best, worst)} of {ranked}: {best - 1} significantly better, {ranked - worst} significantly worse",
        "partial": None, "p": board.baseline_p(m, s, c),  # the download's baseline_p_adjusted; where set, its mark is tested
    }
    if board.partial(s, c):
        coverage = coverage_text(int(board.held[s, c]), int(board.full[c]))
        cell["partial"] = coverage
        cell["tip"] = f"partial: the mean over the {coverage} queries it holds; not ranked, not marked against the baseline"
        return cell
    if cell["p"] is not None and board.systems[s] != board.baseline:
        cell["mark"] = board.mark(m, s, c)  # its words (difference, p, n) are the page script's, on hover
    return cell


def _row_order(board: DatasetBoard, m: int, present: Sequence[int]) -> list[int]:
    """Best first on the first column shown (a setting mean where there is one): ranked systems,
    then partial ones, then systems without a value."""
    c = present[0]
    values = board.values[m, :, c]
    sign = -1 if board.measures[m].higher_is_better else 1
    return sorted(
        range(len(board.systems)),
        key=lambda s: (math.isnan(values[s]), board.partial(s, c), sign * (0 if math.isnan(values[s]) else values[s]), board.systems[s]),
    )


def _column_groups(columns: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The header row above the columns: setting means, then each setting's pairs."""
    groups: list[dict[str, Any]] = []
    for column in columns:
        key = "mean" if column["average"] else column["setting"]
        if groups and groups[-1]["key"] == key:
            groups[-1]["span"] += 1
        else:
            title = "Setting means" if column["average"] else f"{SETTING_TITLES[column['setting']]} pairs"
            groups.append({"key": key, "title": title, "span": 1, "setting": "" if column["average"] else column["setting"]})
    return groups


def system_view(
    submission: Submission, boards: Mapping[str, DatasetBoard], digits: int, heatmap_png: bool, test_title: str,
    commands: Mapping[str, Mapping[str, Any]], pin: Mapping[str, Any],
) -> dict[str, Any]:
    """Metadata, training languages, every pair's numbers (with its command, from
    :func:`.command_view.pair_commands`), standing and heatmap per dataset; ``pin``: the harness
    of the submission (:func:`.command_view.submission_pin`)."""
    meta = submission.meta
    training = meta.get("training") if isinstance(meta.get("training"), dict) else None
    trained = None
    if training is not None and isinstance(training.get("languages"), list):
        trained = sorted({lang for lang in training["languages"] if isinstance(lang, str)})
    by_dataset: dict[str, list] = {}
    for record in submission.records():
        by_dataset.setdefault(PairId.parse(record.pair).dataset, []).append(record)
    datasets = []
    for dataset, records in by_dataset.items():
        board = boards.get(dataset)
        langs = sorted({x for r in records for x in PairId.parse(r.pair).langs.split("-") if x != MULTILINGUAL})
        measures = list(dict.fromkeys(m for r in records for m in r.measures))
        decimals = {
            name: decimals_for([r.measures[name] for r in records if isinstance(r.measures.get(name), (int, float))], digits)
            for name in measures
        }
        datasets.append({
            "dataset": dataset, "file": dataset_file(dataset) if board is not None else None,
            "languages": [{"lang": lang, "zero_shot": None if trained is None else lang not in trained} for lang in langs],
            "measures": measures,
            "rows": _pair_rows(submission.name, records, measures, decimals, board, trained, commands),
            "averages": [
                {"setting": SETTING_TITLES.get(setting, setting), "count": sum(r.setting == setting for r in records),
                 "cells": [format_value(values.get(m), decimals[m]) for m in measures]}
                for setting, values in macro_averages(records).items()
            ],
            "standing": _standing(board, submission.name, digits) if board is not None else [],
            "heatmap": heatmap_view(board, submission.name, digits, heatmap_png, test_title) if board is not None else None,
        })
    system = meta.get("system")
    return {
        "name": submission.name,
        "description": _text(meta.get("description")),
        "authors": _text(meta.get("authors")),
        "url": _text(meta.get("url")),
        "url_href": safe_url(meta.get("url")),
        "paper": _text(meta.get("paper")),
        "paper_href": safe_url(meta.get("paper")),
        "system": json.dumps(system, indent=2, ensure_ascii=False, default=str) if system is not None else None,
        "model": system.get("model") if isinstance(system, dict) and isinstance(system.get("model"), str) else None,
        "training_stated": training is not None,
        "training_languages": trained,
        "training_data": _text(training.get("data")) if training else None,
        "commands": submission.commands(),
        "pin": pin,
        "created": _text(meta.get("created")),
        "updated": _text(meta.get("updated")),
        "harness_version": _text(meta.get("harness_version")),
        "datasets": datasets,
        "setting_keys": {title: key for key, title in SETTING_TITLES.items()},
    }


def _pair_rows(name, records, measures, decimals, board: DatasetBoard | None, trained, commands) -> list[dict[str, Any]]:
    column_at = {c.key: i for i, c in enumerate(board.columns)} if board is not None else {}
    measure_at = {x.name: i for i, x in enumerate(board.measures)} if board is not None else {}
    s = board.systems.index(name) if board is not None and name in board.systems else None
    rows = []
    for record in sorted(records, key=lambda r: (SETTINGS.index(r.setting) if r.setting in SETTINGS else len(SETTINGS), r.pair)):
        pair = PairId.parse(record.pair)
        c = column_at.get(record.pair)
        cells = []
        for measure in measures:
            value = record.measures.get(measure)
            number = isinstance(value, (int, float))
            cell = {"text": format_value(value, decimals[measure]) if number else "", "mark": 0, "value": repr(float(value)) if number else None, "tested": False}
            m = measure_at.get(measure)
            if s is not None and c is not None and m is not None:
                cell["mark"] = board.mark(m, s, c)
                cell["tested"] = board.baseline_p(m, s, c) is not None
            cells.append(cell)
        unseen = None if trained is None else [x for x in (pair.query_lang, pair.doc_lang) if x != MULTILINGUAL and x not in trained]
        partial = s is not None and c is not None and board.partial(s, c)
        rows.append({
            "pair": pair.langs, "setting": SETTING_TITLES.get(record.setting, record.setting),
            # the page's script takes the pair's N from its Queries cell; said only where that would be wrong
            "total": (total := int(board.full[c]) if c is not None else None),
            "say_total": total != (None if board is None else record.num_queries) and not partial,
            "queries": coverage_text(record.num_queries, int(board.full[c])) if partial else f"{record.num_queries:,}",
            "partial": partial, "cells": cells, "zero_shot": unseen, "id": record.pair.replace("/", "~"),
            "command": commands[record.pair]["command"], "pin": commands[record.pair]["pin"],
        })
    return rows


def _standing(board: DatasetBoard, name: str, digits: int) -> list[dict[str, Any]]:
    """Per setting mean and measure: the value and its rank interval among the dataset's complete systems."""
    if name not in board.systems:
        return []
    s = board.systems.index(name)
    out = []
    for m, measure in enumerate(board.measures):
        decimals = measure_decimals(board, m, digits)
        for c, column in enumerate(board.columns):
            value = board.values[m, s, c]
            if not column.is_average or math.isnan(value):
                continue
            best, worst = int(board.best_rank[m, s, c]), int(board.worst_rank[m, s, c])
            out.append({
                "setting": SETTING_TITLES[column.setting], "measure": measure.name, "text": format_value(float(value), decimals),
                "rank": best, "rank_text": rank_text(best, worst), "of": int(np.sum(board.best_rank[m, :, c] > 0)),
                "mark": board.mark(m, s, c),
                "partial": coverage_text(int(board.held[s, c]), int(board.full[c])) if board.partial(s, c) else None,
            })
    return out


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
