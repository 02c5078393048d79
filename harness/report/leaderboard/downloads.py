"""The numbers behind every page: a table per page, and the whole site in one JSON file.

Each page's own table (the index's standings, a dataset page's values of its measure, a system's
stored scores) is downloaded as CSV or JSON from a link on the page, built in the browser from the
page's own markup when the link is clicked (``Leaderboard.table`` in the templates): no file per
table beside the pages, so a 200-system site is not written twice. The rows a page's download
holds are those of :func:`index_table`, :func:`dataset_table` and :func:`system_table` (the browser
tests check them against each other, value for value). Tables are long: one row per value, with the
fields named in ``harness/schemas/leaderboard-data.schema.json``. A CSV holds only validated
identifiers (dataset, pair, system and measure names) and numbers, so no cell can start a
spreadsheet formula. Floats are the pages' ``data-value`` attributes: Python's ``repr``, bit for bit.

The whole site is a file, ``data/leaderboard.json`` (:func:`site_json`), for ``curl`` and pandas:
the index's table, each dataset's values as arrays (measure x system x column, with their ranks,
baseline marks and adjusted p-values), and each system's metadata and commands.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness.datasets.pairs import PairId
from harness.report.leaderboard.board import DatasetBoard
from harness.report.leaderboard.standings import SettingStandings
from harness.submissions import Submission

SITE_SCHEMA = "harness-leaderboard/2"
SITE_FILE = "data/leaderboard.json"

INDEX_FIELDS = (
    "dataset", "measure", "higher_is_better", "setting", "column", "system", "mean", "interval_low", "interval_high",
    "interval_units", "interval_n", "rank_best", "rank_worst", "ranked", "pairs_held", "pairs_total", "queries_held",
    "queries_total", "partial",
)
DATASET_FIELDS = (
    "dataset", "measure", "higher_is_better", "column", "setting", "kind", "pairs", "system", "value", "queries_held",
    "queries_total", "partial", "rank_best", "rank_worst", "baseline", "baseline_mark", "baseline_p_adjusted",
)
SYSTEM_FIELDS = ("system", "dataset", "pair", "setting", "measure", "value", "queries_held", "queries_total", "partial", "baseline_mark")


@dataclass(frozen=True)
class Table:
    """One page's numbers: ``fields`` and one tuple per row (``name``: the page's stem, which names its download)."""

    name: str  # index, dataset-ID[.MEASURE], system-NAME
    fields: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def index_table(standings: Mapping[str, Sequence[SettingStandings]]) -> Table:
    """Every row of every setting table of the index."""
    rows = []
    for dataset, settings in standings.items():
        for block in settings:
            for r in block.rows:
                rows.append((
                    dataset, block.measure, block.higher_is_better, block.setting,
                    block.column_key, r.system, r.mean,
                    r.low, r.high, r.units, r.n, r.rank_best, r.rank_worst, block.ranked, r.pairs_held, r.pairs_total,
                    r.queries_held, r.queries_total, r.partial,
                ))
    return Table("index", INDEX_FIELDS, rows)


def dataset_table(name: str, board: DatasetBoard, m: int) -> Table:
    """Every value of measure ``m`` on a dataset (its page ``name``): system x column, with its rank interval and baseline mark."""
    rows = []
    measure = board.measures[m]
    for c, column in enumerate(board.columns):
        for s, system in enumerate(board.systems):
            value = float(board.values[m, s, c])
            if math.isnan(value):
                continue
            best = int(board.best_rank[m, s, c])
            adjusted = board.baseline_p(m, s, c)
            rows.append((
                board.dataset, measure.name, measure.higher_is_better, column.key, column.setting,
                "mean" if column.is_average else "pair", len(column.pairs), system, value,
                int(board.held[s, c]), int(board.full[c]), bool(board.partial(s, c)),
                best or None, int(board.worst_rank[m, s, c]) or None, board.baseline,
                board.mark(m, s, c) if adjusted is not None else None, adjusted,
            ))
    return Table(name, DATASET_FIELDS, rows)


def system_table(name: str, submission: Submission, boards: Mapping[str, DatasetBoard]) -> Table:
    """Every stored score of a system: pair x measure, as ``meta.json`` records it."""
    rows = []
    places = {d: _places(board, submission.name) for d, board in boards.items()}
    for record in submission.records():
        pair = PairId.parse(record.pair)
        board, (s, columns, measures) = boards.get(pair.dataset), places.get(pair.dataset, (None, {}, {}))
        c = columns.get(record.pair)
        for measure, value in record.measures.items():
            if not isinstance(value, (int, float)):
                continue
            mark = None
            if c is not None and s is not None and measure in measures:
                m = measures[measure]
                mark = board.mark(m, s, c) if board.baseline_p(m, s, c) is not None else None
            total = int(board.full[c]) if c is not None else None
            rows.append((
                submission.name, pair.dataset, record.pair, record.setting, measure, float(value), record.num_queries,
                total, total is not None and record.num_queries < total, mark,
            ))
    return Table(name, SYSTEM_FIELDS, rows)


def dataset_arrays(board: DatasetBoard) -> dict[str, Any]:
    """A dataset's values as the site JSON holds them: arrays measure x system x column (null where
    a system has no value, or a rank or test does not apply), the columns and systems naming the axes."""
    shown = ~np.isnan(board.values)
    untested = np.ones_like(shown) if board.baseline_p_adjusted is None else np.isnan(board.baseline_p_adjusted)

    def cube(values: np.ndarray, absent: np.ndarray, kind: type) -> list:
        return [[[None if gone else kind(x) for x, gone in zip(row, gaps)] for row, gaps in zip(plane, holes)] for plane, holes in zip(values.tolist(), absent.tolist())]

    ranked = (board.best_rank > 0) & shown
    return {
        "baseline": board.baseline,
        "systems": list(board.systems),
        "measures": [{"name": x.name, "higher_is_better": x.higher_is_better} for x in board.measures],
        "columns": [
            {"key": c.key, "setting": c.setting, "kind": "mean" if c.is_average else "pair", "pairs": len(c.pairs), "queries_total": int(board.full[i])}
            for i, c in enumerate(board.columns)
        ],
        "queries_held": [[int(x) or None for x in row] for row in board.held.tolist()],
        "value": cube(board.values, ~shown, float),
        "rank_best": cube(board.best_rank, ~ranked, int),
        "rank_worst": cube(board.worst_rank, ~ranked, int),
        # without a baseline every cell is untested: all null, whatever the placeholder holds
        "baseline_mark": cube(board.baseline_mark if board.baseline_mark is not None else np.zeros(shown.shape), untested, int),
        "baseline_p_adjusted": cube(board.baseline_p_adjusted if board.baseline_p_adjusted is not None else np.zeros(shown.shape), untested, float),
    }


def site_json(info: Mapping[str, Any], index: Table, boards: Mapping[str, DatasetBoard], systems: Mapping[str, Mapping[str, Any]]) -> str:
    """The whole site: how it was made, the index's table, each dataset's arrays, and each system's metadata and commands."""
    encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    head = {"schema": SITE_SCHEMA, **{k: info[k] for k in ("harness_version", "results_as_of")}, "statistics": dict(info)}
    # one row of a table, or one system's row of an array, per line: a rebuilt site's diff stays readable
    index_text = (
        '{"table": "index", "fields": ' + json.dumps(list(index.fields)) + ', "rows": [\n' + ",\n".join(encode(list(r)) for r in index.rows) + "\n]}"
    )
    datasets = []
    for name, board in boards.items():
        arrays = dataset_arrays(board)
        parts = [json.dumps(key) + ": " + (_lines(value, encode) if key in _ARRAYS else json.dumps(value, ensure_ascii=False)) for key, value in arrays.items()]
        datasets.append(json.dumps(name) + ": {\n" + ",\n".join(parts) + "\n}")
    systems_text = json.dumps(systems, ensure_ascii=False, allow_nan=False)
    return (
        json.dumps(head, ensure_ascii=False, allow_nan=False)[:-1] + ', "index": ' + index_text + ', "datasets": {\n' + ",\n".join(datasets)
        + '\n}, "systems": ' + systems_text + "}\n"
    )


_ARRAYS = frozenset({"queries_held", "value", "rank_best", "rank_worst", "baseline_mark", "baseline_p_adjusted"})


def _lines(array: list, encode: Any) -> str:
    """A system x column array (or a list of them, one a measure), one system's row per line."""
    if array and isinstance(array[0], list) and array[0] and isinstance(array[0][0], list):
        return "[\n" + ",\n".join(_lines(plane, encode) for plane in array) + "\n]"
    return "[" + ",\n".join(encode(row) for row in array) + "]"


def system_record(submission: Submission, commands: Mapping[str, Mapping[str, Any]], pin: Mapping[str, Any]) -> dict[str, Any]:
    """A system's metadata as the site JSON holds it (free text kept as text)."""
    meta = submission.meta
    keep = ("description", "authors", "url", "paper", "system", "training", "created", "updated")
    harness = _harness(pin)
    pairs = {}
    for pair, item in commands.items():
        # a pair's harness only where it is not the system's: 200 systems' thousands of pairs repeat it otherwise
        own = _harness(item["pin"])
        pairs[pair] = {"command": item["command"], **({"harness": own} if own != harness else {})}
    return {
        **{key: meta.get(key) for key in keep if meta.get(key) is not None},
        "harness": harness, "commands": submission.commands(), "pairs": pairs,
    }


def _harness(pin: Mapping[str, Any]) -> dict[str, Any]:
    return {key: pin[key] for key in ("version", "commit", "dirty")}


def _places(board: DatasetBoard, system: str) -> tuple[int | None, dict[str, int], dict[str, int]]:
    """The system's index on a board (None where absent), its pair columns' and measures' indices."""
    return (
        board.systems.index(system) if system in board.systems else None,
        {col.key: c for c, col in enumerate(board.columns) if not col.is_average},
        {x.name: i for i, x in enumerate(board.measures)},
    )


