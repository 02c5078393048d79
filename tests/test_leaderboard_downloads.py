"""The leaderboard's downloads: every page's numbers as CSV and JSON beside the pages, the whole
site as one JSON file, all following harness/schemas/leaderboard-data.schema.json."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import jsonschema
import pytest

from harness.report.leaderboard.downloads import (
    DATASET_FIELDS,
    INDEX_FIELDS,
    SYSTEM_FIELDS,
)
from harness.submissions import Submission
from tests.test_leaderboard import DATASET, board_cells, site  # noqa: F401
from tests.test_leaderboard_index import standings

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "harness" / "schemas" / "leaderboard-data.schema.json").read_text())
TYPED = {"higher_is_better": "bool", "partial": "bool"}


def csv_rows(text: str) -> tuple[list[str], list[list]]:
    """Header and rows of a download, typed as its JSON twin types them."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows = []
    for raw in reader:
        row = []
        for field, cell in zip(header, raw):
            if cell == "":
                row.append(None)
            elif TYPED.get(field) == "bool":
                row.append({"true": True, "false": False}[cell])
            else:
                try:
                    row.append(int(cell))
                except ValueError:
                    try:
                        row.append(float(cell))
                    except ValueError:
                        row.append(cell)
        rows.append(row)
    return header, rows


def test_every_page_links_its_csv_and_json_and_they_hold_the_same_rows(site):  # noqa: F811
    names = ["index", "dataset-xquad-r"] + [f"system-{s}" for s in site.built.systems]
    assert set(site.data) == {f"data/{n}.{x}" for n in names for x in ("csv", "json")} | {"data/leaderboard.json"}
    whole = json.loads(site.data["data/leaderboard.json"])
    jsonschema.validate(whole, SCHEMA)
    assert whole["schema"] == "harness-leaderboard/1" and whole["statistics"]["confidence"] == 0.95
    for name in names:
        page = site.pages[f"{name}.html"]
        assert f'href="data/{name}.csv" download' in page and f'href="data/{name}.json" download' in page
        table = json.loads(site.data[f"data/{name}.json"])
        jsonschema.validate(table, SCHEMA)
        header, rows = csv_rows(site.data[f"data/{name}.csv"])
        assert header == table["fields"] and rows == table["rows"] and rows, name
        assert whole["tables"][name] == {"table": name, "fields": table["fields"], "rows": table["rows"]}
    assert 'href="data/leaderboard.json" download' in site.pages["index.html"]


def test_the_index_download_equals_the_index_tables(site):  # noqa: F811
    table = json.loads(site.data["data/index.json"])
    assert table["fields"] == list(INDEX_FIELDS)
    got = {(r[0], r[1], r[3], r[5]): dict(zip(INDEX_FIELDS, r)) for r in table["rows"]}
    shown = standings(site.pages["index.html"])
    assert len(got) == sum(len(rows) for rows in shown.values())
    for (dataset, measure, setting), rows in shown.items():
        for row in rows:
            record = got[(dataset, measure, setting, row["data-system"])]
            assert record["mean"] == float(row["data-mean"])  # bit for bit
            assert record["interval_low"] == (float(row["data-low"]) if "data-low" in row else None)
            assert record["rank_best"] == (int(row["data-rank"]) if "data-rank" in row else None)
            assert (record["pairs_held"], record["pairs_total"]) == (int(row["data-pairs-held"]), int(row["data-pairs-total"]))


def test_a_dataset_download_equals_its_pages_cells(site):  # noqa: F811
    table = json.loads(site.data["data/dataset-xquad-r.json"])
    assert table["fields"] == list(DATASET_FIELDS)
    got = {(r[1], r[7], r[3]): dict(zip(DATASET_FIELDS, r)) for r in table["rows"]}
    compared = 0
    for measure, page in (("AP", site.pages["dataset-xquad-r.html"]), ("R@10", site.pages["dataset-xquad-r.R_10.html"])):
        keys = dict(re.findall(r'data-col="(\d+)" data-key="([^"]+)"', page[page.index(f'id="table-{measure}"'):]))
        for (system, col), cell in board_cells(page, measure).items():
            if "data-value" not in cell:
                assert (measure, system, keys[col]) not in got
                continue
            record = got[(measure, system, keys[col])]
            assert record["value"] == float(cell["data-value"])
            assert record["rank_best"] == (int(cell["data-rank"]) if "data-rank" in cell else None)
            assert record["partial"] == ("data-partial" in cell)
            mark = {"better": 1, "worse": -1}.get(cell.get("data-mark"), 0)
            assert record["baseline_mark"] == (None if system == "bm25" or record["partial"] else mark)
            compared += 1
    assert compared == len(got)


def test_a_system_download_holds_its_stored_scores(site):  # noqa: F811
    meta = Submission.load(site.root / "partial").meta
    table = json.loads(site.data["data/system-partial.json"])
    assert table["fields"] == list(SYSTEM_FIELDS)
    stored = {(pair, m): v for pair, record in meta["pairs"].items() for m, v in record["measures"].items()}
    assert {(r[2], r[4]): r[5] for r in table["rows"]} == stored
    assert all(r[1] == DATASET and r[6] == 60 and r[7] == 60 and r[8] is False for r in table["rows"])


def test_free_text_goes_to_the_json_only(site):  # noqa: F811
    for name, text in site.data.items():
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(text)):
                for cell in row:
                    assert cell[:1] not in ("=", "+", "@") and (not cell.startswith("-") or float(cell) <= 0), (name, cell)
    assert "alert(4)" not in "".join(t for n, t in site.data.items() if n.endswith(".csv"))
    whole = json.loads(site.data["data/leaderboard.json"])
    assert "harness eval </pre><script>alert(4)</script>" in whole["systems"]["evil"]["commands"]  # data, as recorded
    assert whole["systems"]["evil"]["description"] == "<script>alert(1)</script> & friends"


def test_a_bad_download_name_is_refused():
    from harness.errors import HarnessError
    from harness.report.leaderboard.pages import checked_data_file

    assert checked_data_file("data/system-a.b+c.csv") == "data/system-a.b+c.csv"
    for bad in ("data/../x.csv", "x.csv", "data/x.html", "data/.x.json", "data/a/b.json"):
        with pytest.raises(HarnessError):
            checked_data_file(bad)
