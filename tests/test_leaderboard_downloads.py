"""The leaderboard's data: the whole site as one JSON file beside the pages, and each page's table,
named on the page for its download links (the browser builds those: test_leaderboard_browser_downloads),
all following harness/schemas/leaderboard-data.schema.json."""
from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from harness.report.leaderboard.downloads import DATASET_FIELDS, INDEX_FIELDS, SYSTEM_FIELDS, dataset_arrays
from harness.report.leaderboard.pages import TABLE_SCHEMA
from harness.submissions import Submission
from tests.test_leaderboard import CLIR, DATASET, MOIR, board_cells, build, make_submission, site, toy_scores  # noqa: F401
from tests.test_leaderboard_index import standings

SCHEMA = json.loads((Path(__file__).resolve().parent.parent / "harness" / "schemas" / "leaderboard-data.schema.json").read_text())


def long_rows(dataset: str, arrays: dict, m: int) -> list[list]:
    """Measure ``m`` of a dataset's arrays as the long table of its page's download."""
    measure, out = arrays["measures"][m], []
    for c, column in enumerate(arrays["columns"]):
        for s, system in enumerate(arrays["systems"]):
            value = arrays["value"][m][s][c]
            if value is None:
                continue
            held, total = arrays["queries_held"][s][c], column["queries_total"]
            out.append([
                dataset, measure["name"], measure["higher_is_better"], column["key"], column["setting"], column["kind"], column["pairs"],
                system, value, held, total, held < total, arrays["rank_best"][m][s][c], arrays["rank_worst"][m][s][c],
                arrays["baseline"], arrays["baseline_mark"][m][s][c], arrays["baseline_p_adjusted"][m][s][c],
            ])
    return out


def download_box(page: str) -> dict[str, str]:
    """The attributes of a page's download links' box."""
    found = re.findall(r'<span class="downloads" id="downloads" ([^>]*)>', page)
    assert len(found) == 1
    return dict(re.findall(r'([\w-]+)="([^"]*)"', found[0]))


@pytest.fixture(scope="module")
def short_site(tmp_path_factory):
    """A baseline, a system holding some pairs, and one holding 57 of each pair's 60 queries (partial)."""
    root = tmp_path_factory.mktemp("short")
    make_submission(root, "bm25", toy_scores(1))
    make_submission(root, "better", toy_scores(2, shift=0.3))
    make_submission(root, "some", toy_scores(3, pairs=MOIR[:2] + CLIR))
    make_submission(root, "short", toy_scores(4, pairs=MOIR, n=57))
    out = tmp_path_factory.mktemp("short-site")
    built = build(root, out)
    return SimpleNamespace(built=built, data={"data/leaderboard.json": (out / "data" / "leaderboard.json").read_text(encoding="utf-8")})


@pytest.mark.parametrize("fixture", ["site", "short_site"])
def test_the_site_file_holds_the_index_and_every_dataset_as_its_pages_do(fixture, request):
    site = request.getfixturevalue(fixture)  # noqa: F811
    assert set(site.data) == {"data/leaderboard.json"}  # a page's table is made in the browser, not written twice
    whole = json.loads(site.data["data/leaderboard.json"])
    jsonschema.validate(whole, SCHEMA)
    assert whole["schema"] == "harness-leaderboard/2" and whole["statistics"]["confidence"] == 0.95
    assert whole["index"]["fields"] == list(INDEX_FIELDS)
    assert whole["index"]["rows"] == [list(r) for r in site.built.page_table("index").rows]
    pages = 0
    for dataset, arrays in whole["datasets"].items():
        board = site.built.boards[dataset]
        assert arrays == json.loads(json.dumps(dataset_arrays(board)))
        for m in board.shown_measures():
            page = "dataset-xquad-r" if m == 0 else f"dataset-xquad-r.{board.measures[m].name.replace('@', '_')}"
            table = site.built.page_table(page)
            assert long_rows(dataset, arrays, m) == [list(r) for r in table.rows] and table.rows
            assert any(r[15] is not None for r in table.rows) and any(r[11] for r in table.rows) == (fixture == "short_site")
            pages += 1
    assert pages == 2


def test_every_page_names_its_table_and_fields_for_the_download_links(site):  # noqa: F811
    whole = json.loads(site.data["data/leaderboard.json"])
    stems = {"index": INDEX_FIELDS, "dataset-xquad-r": DATASET_FIELDS, "dataset-xquad-r.R_10": DATASET_FIELDS}
    stems.update({f"system-{s}": SYSTEM_FIELDS for s in site.built.systems})
    assert {f"{stem}.html" for stem in stems} == set(site.pages) - {"compare.html"}
    for stem, fields in stems.items():
        box = download_box(site.pages[f"{stem}.html"])
        assert box["data-table"] == stem and box["data-fields"].split(" ") == list(fields), stem
        assert box["data-schema"] == TABLE_SCHEMA and box["data-results-as-of"] == whole["results_as_of"]
        assert box["data-harness-version"] == whole["harness_version"]
        assert site.built.page_table(stem).fields == fields
    assert 'href="data/leaderboard.json" download' in site.pages["index.html"]


def test_the_index_table_equals_the_index_page(site):  # noqa: F811
    got = {(r[0], r[1], r[3], r[5]): dict(zip(INDEX_FIELDS, r)) for r in site.built.page_table("index").rows}
    shown = standings(site.pages["index.html"])
    assert len(got) == sum(len(rows) for rows in shown.values())
    for (dataset, measure, setting), rows in shown.items():
        for row in rows:
            record = got[(dataset, measure, setting, row["data-system"])]
            assert record["mean"] == float(row["data-mean"])  # bit for bit
            assert record["interval_low"] == (float(row["data-low"]) if "data-low" in row else None)
            assert record["rank_best"] == (int(row["data-rank"]) if "data-rank" in row else None)
            assert (record["pairs_held"], record["pairs_total"]) == (int(row["data-pairs-held"]), int(row["data-pairs-total"]))
            assert (record["queries_held"], record["queries_total"]) == (int(row["data-queries-held"]), int(row["data-queries-total"]))


def test_a_dataset_table_equals_its_pages_cells(site):  # noqa: F811
    compared = 0
    for measure, stem in (("AP", "dataset-xquad-r"), ("R@10", "dataset-xquad-r.R_10")):
        page = site.pages[f"{stem}.html"]
        rows = site.built.page_table(stem).rows
        got = {(r[7], r[3]): dict(zip(DATASET_FIELDS, r)) for r in rows}
        keys = dict(re.findall(r'data-col="(\d+)" data-key="([^"]+)"', page[page.index(f'id="table-{measure}"'):]))
        for (system, col), cell in board_cells(page, measure).items():
            if "data-value" not in cell:
                assert (system, keys[col]) not in got
                continue
            record = got[(system, keys[col])]
            assert record["value"] == float(cell["data-value"]) and record["measure"] == measure
            assert [record["rank_best"], record["rank_worst"]] == ([int(x) for x in cell["data-rank"].split(" ")] if "data-rank" in cell else [None, None])
            assert record["partial"] == ("data-partial" in cell)
            mark = {"better": 1, "worse": -1}.get(cell.get("data-mark"), 0)
            assert record["baseline_mark"] == (None if system == "bm25" or record["partial"] else mark)
            assert record["baseline_p_adjusted"] == (float(cell["data-p"]) if "data-p" in cell else None)
            compared += 1
        assert compared and len(rows) == len(got)
    assert compared == sum(len(site.built.page_table(stem).rows) for stem in ("dataset-xquad-r", "dataset-xquad-r.R_10"))


def test_a_system_table_holds_its_stored_scores(site):  # noqa: F811
    meta = Submission.load(site.root / "partial").meta
    table = site.built.page_table("system-partial")
    assert table.fields == SYSTEM_FIELDS
    stored = {(pair, m): v for pair, record in meta["pairs"].items() for m, v in record["measures"].items()}
    assert {(r[2], r[4]): r[5] for r in table.rows} == stored
    assert all(r[1] == DATASET and r[6] == 60 and r[7] == 60 and r[8] is False for r in table.rows)


def test_free_text_is_data_in_the_site_file(site):  # noqa: F811
    whole = json.loads(site.data["data/leaderboard.json"])
    assert "harness eval </pre><script>alert(4)</script>" in whole["systems"]["evil"]["commands"]  # data, as recorded
    assert whole["systems"]["evil"]["description"] == "<script>alert(1)</script> & friends"
    assert "<script>alert" not in "".join(site.pages.values())


def test_a_pairs_harness_is_written_only_where_it_is_not_the_systems(site, tmp_path):  # noqa: F811
    from harness.report.leaderboard.command_view import pair_commands, submission_pin
    from harness.report.leaderboard.downloads import system_record

    whole = json.loads(site.data["data/leaderboard.json"])
    assert all(set(pair) == {"command"} for record in whole["systems"].values() for pair in record["pairs"].values())
    mixed = make_submission(tmp_path, "mixed", toy_scores(1, pairs=MOIR[:2]))
    mixed.meta["pairs"][MOIR[0]]["harness_version"] = "9.9"
    record = system_record(mixed, pair_commands(mixed.meta, list(mixed.meta["pairs"])), submission_pin(mixed.meta))
    assert record["pairs"][MOIR[0]]["harness"]["version"] == "9.9" and record["harness"]["version"] != "9.9"
    assert "harness" not in record["pairs"][MOIR[1]]


def test_an_unknown_page_has_no_table(site):  # noqa: F811
    from harness.errors import HarnessError

    with pytest.raises(HarnessError, match="no page"):
        site.built.page_table("system-nobody")


def test_a_bad_download_name_is_refused():
    from harness.errors import HarnessError
    from harness.report.leaderboard.pages import checked_data_file

    assert checked_data_file("data/system-a.b+c.csv") == "data/system-a.b+c.csv"
    for bad in ("data/../x.csv", "x.csv", "data/x.html", "data/.x.json", "data/a/b.json"):
        with pytest.raises(HarnessError):
            checked_data_file(bad)
