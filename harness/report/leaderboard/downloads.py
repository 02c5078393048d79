"""The numbers behind every page as files: a CSV and a JSON table per page, and the whole site in one JSON.

Written beside the pages (``data/index.csv``, ``data/dataset-ID.json``, ``data/leaderboard.json``,
...) and linked with ``download``: ``curl`` fetches them from a static host, and a page opened from
``file://`` links them too (Chromium lets such a page neither ``fetch()`` a file nor build a Blob
download from a file it cannot read). Tables are long: one row per value, with the fields named in
``harness/schemas/leaderboard-data.schema.json``. A CSV holds only validated identifiers (dataset,
pair, system and measure names) and numbers, so no cell can start a spreadsheet formula; free text
(commands, descriptions) goes to the JSON files only. Floats are written in full (``repr``): the
values of the pages' ``data-value`` attributes, bit for bit.
"""
from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from harness.datasets.pairs import PairId
from harness.report.leaderboard.board import DatasetBoard
from harness.report.leaderboard.standings import SettingStandings
from harness.submissions import Submission

TABLE_SCHEMA = "harness-leaderboard-table/1"
SITE_SCHEMA = "harness-leaderboard/1"
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
BOOLEAN_FIELDS = frozenset({"higher_is_better", "partial"})


@dataclass(frozen=True)
class Table:
    """One page's numbers: ``fields`` and one tuple per row."""

    name: str  # the page's stem: index, dataset-ID, system-NAME
    fields: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    @property
    def csv_file(self) -> str:
        return f"data/{self.name}.csv"

    @property
    def json_file(self) -> str:
        return f"data/{self.name}.json"

    def csv_text(self) -> str:
        """The table as CSV (header, ``\\n`` line ends, empty for no value, ``true``/``false``)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")  # None is written empty, a float as its repr
        writer.writerow(self.fields)
        flags = [i for i, name in enumerate(self.fields) if name in BOOLEAN_FIELDS]
        for row in self.rows:
            cells = list(row)
            for i in flags:
                cells[i] = "true" if cells[i] else "false"
            writer.writerow(cells)
        return out.getvalue()

    @cached_property
    def rows_json(self) -> str:
        """The rows as a JSON array, one row per line (diffs of a rebuilt site stay readable)."""
        encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode
        return "[\n" + ",\n".join(encode(list(row)) for row in self.rows) + "\n]"

    def json_object_text(self, head: Mapping[str, Any]) -> str:
        """``head`` with ``"table"``, ``"fields"`` and ``"rows"`` added, as JSON text."""
        start = json.dumps({**head, "table": self.name, "fields": list(self.fields)}, ensure_ascii=False, allow_nan=False)
        return start[:-1] + ', "rows": ' + self.rows_json + "}"

    def json_text(self, info: Mapping[str, Any]) -> str:
        """``{"schema", "harness_version", "results_as_of", "table", "fields", "rows"}``."""
        head = {"schema": TABLE_SCHEMA, "harness_version": info["harness_version"], "results_as_of": info["results_as_of"]}
        return self.json_object_text(head) + "\n"


def index_table(standings: Mapping[str, Sequence[SettingStandings]]) -> Table:
    """Every row of every setting table of the index."""
    rows = []
    for dataset, settings in standings.items():
        for block in settings:
            for r in block.rows:
                rows.append((
                    dataset, block.measure, block.higher_is_better, block.setting,
                    f"{dataset}/{block.setting}-mean" if len(block.pairs) > 1 else block.pairs[0], r.system, r.mean,
                    r.low, r.high, r.units, r.n, r.rank_best, r.rank_worst, block.ranked, r.pairs_held, r.pairs_total,
                    r.queries_held, r.queries_total, r.partial,
                ))
    return Table("index", INDEX_FIELDS, rows)


def dataset_table(name: str, board: DatasetBoard) -> Table:
    """Every value of a dataset page: system x column x measure, with its rank interval and baseline mark."""
    rows = []
    for m, measure in enumerate(board.measures):
        for c, column in enumerate(board.columns):
            for s, system in enumerate(board.systems):
                value = float(board.values[m, s, c])
                if math.isnan(value):
                    continue
                best = int(board.best_rank[m, s, c])
                adjusted = None if board.baseline_p_adjusted is None else _number(board.baseline_p_adjusted[m, s, c])
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
            if c is not None and s is not None and board.baseline_p_adjusted is not None and measure in measures:
                m = measures[measure]
                mark = board.mark(m, s, c) if _number(board.baseline_p_adjusted[m, s, c]) is not None else None
            total = int(board.full[c]) if c is not None else None
            rows.append((
                submission.name, pair.dataset, record.pair, record.setting, measure, float(value), record.num_queries,
                total, total is not None and record.num_queries < total, mark,
            ))
    return Table(name, SYSTEM_FIELDS, rows)


def site_json(info: Mapping[str, Any], tables: Iterable[Table], systems: Mapping[str, Mapping[str, Any]]) -> str:
    """The whole site: how it was made, every page's table, and each system's metadata and commands."""
    head = {"schema": SITE_SCHEMA, **{k: info[k] for k in ("harness_version", "results_as_of")}, "statistics": dict(info)}
    # the tables' rows are encoded once, for their own files and for this one
    named = ",\n".join(json.dumps(t.name) + ": " + t.json_object_text({}) for t in tables)
    systems_text = json.dumps(systems, ensure_ascii=False, allow_nan=False)
    return json.dumps(head, ensure_ascii=False, allow_nan=False)[:-1] + ', "tables": {\n' + named + '\n}, "systems": ' + systems_text + "}\n"


def system_record(submission: Submission, commands: Mapping[str, Mapping[str, Any]], pin: Mapping[str, Any]) -> dict[str, Any]:
    """A system's metadata as the site JSON holds it (free text kept as text)."""
    meta = submission.meta
    keep = ("description", "authors", "url", "paper", "system", "training", "created", "updated")
    return {
        **{key: meta.get(key) for key in keep if meta.get(key) is not None},
        "harness": {"version": pin["version"], "commit": pin["commit"], "dirty": pin["dirty"]},
        "commands": submission.commands(),
        "pairs": {
            pair: {"command": item["command"], "harness": {k: item["pin"][k] for k in ("version", "commit", "dirty")}}
            for pair, item in commands.items()
        },
    }


def _places(board: DatasetBoard, system: str) -> tuple[int | None, dict[str, int], dict[str, int]]:
    """The system's index on a board (None where absent), its pair columns' and measures' indices."""
    return (
        board.systems.index(system) if system in board.systems else None,
        {col.key: c for c, col in enumerate(board.columns) if not col.is_average},
        {x.name: i for i, x in enumerate(board.measures)},
    )


def _number(value: float) -> float | None:
    return None if math.isnan(value) else float(value)

