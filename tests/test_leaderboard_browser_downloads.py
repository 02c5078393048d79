"""Each page's download links, clicked in headless Chromium (from file://): the CSV and JSON the page
builds from its own markup hold the rows of its table (LeaderboardSite.page_table), value for value,
and the CSV's floats are Python's repr of them (the pages' data-value attributes)."""
from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.test_leaderboard import CLIR, MOIR, build, make_submission, toy_scores
from tests.test_leaderboard_browser import console_errors, open_page
from tests.test_leaderboard_index import COMMIT, with_command

BOOLEAN = {"higher_is_better", "partial"}
FLOATS = {"mean", "interval_low", "interval_high", "value", "baseline_p_adjusted"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("submissions")
    with_command(make_submission(root, "bm25", toy_scores(1)), "harness eval --model bm25 --dataset xquad-r --data-dir ../shared/data --quiet", COMMIT)
    make_submission(root, "better", toy_scores(2, shift=0.3), training={"languages": ["de"]})  # its en pairs are zero-shot
    make_submission(root, "worse", toy_scores(3, shift=-0.2))
    make_submission(root, "some", toy_scores(4, pairs=MOIR[:2] + CLIR))
    make_submission(root, "short", toy_scores(5, pairs=MOIR, n=57))  # 57 of each pair's 60 queries: partial
    out = tmp_path_factory.mktemp("site")
    return SimpleNamespace(out=out, built=build(root, out), downloads=tmp_path_factory.mktemp("downloads"))


def download(browser, page: Path, fmt: str, folder: Path) -> tuple[str, str]:
    """Click the page's ``fmt`` link; the saved file's name and text."""
    for old in folder.iterdir():
        old.unlink()
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(folder)})
    open_page(browser, page)
    before = browser.current_url
    browser.find_element("css selector", f'#downloads a[data-format="{fmt}"]').click()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = [p for p in folder.iterdir() if not p.name.endswith(".crdownload")]
        if done:
            assert browser.current_url == before  # the view in the address is kept
            return done[0].name, done[0].read_text(encoding="utf-8")
        time.sleep(0.05)
    raise AssertionError(f"{page.name}: no {fmt} download within 30 s")


def typed_csv(text: str) -> tuple[list[str], list[list]]:
    """Header and rows, typed as the JSON types them; each float cell checked to be Python's repr."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    rows = []
    for raw in reader:
        row = []
        for name, cell in zip(header, raw, strict=True):
            assert cell[:1] not in ("=", "+", "@") and (not cell.startswith("-") or float(cell) <= 0), (name, cell)
            if cell == "":
                row.append(None)
            elif name in BOOLEAN:
                row.append({"true": True, "false": False}[cell])
            elif name in FLOATS:
                assert cell == repr(float(cell)), (name, cell)
                row.append(float(cell))
            else:
                try:
                    row.append(int(cell))
                except ValueError:
                    row.append(cell)
        rows.append(row)
    return header, rows


def ordered(rows) -> list[list]:
    return sorted((list(r) for r in rows), key=repr)


def test_every_pages_downloads_equal_its_table(browser, site):
    stems = [p.name[: -len(".html")] for p in site.built.pages if p.name != "compare.html"]
    assert {"index", "dataset-xquad-r", "dataset-xquad-r.R_10", "system-short", "system-some"} <= set(stems)
    whole = json.loads((site.out / "data" / "leaderboard.json").read_text(encoding="utf-8"))
    partial = tested = 0
    for stem in stems:
        expected = site.built.page_table(stem)
        name, text = download(browser, site.out / f"{stem}.html", "json", site.downloads)
        table = json.loads(text)
        assert name == f"{stem}.json"
        assert {k: table[k] for k in ("schema", "harness_version", "results_as_of", "table")} == {
            "schema": "harness-leaderboard-table/1", "harness_version": whole["harness_version"],
            "results_as_of": whole["results_as_of"], "table": stem,
        }
        assert table["fields"] == list(expected.fields) and expected.rows, stem
        assert ordered(table["rows"]) == ordered(expected.rows), stem
        name, text = download(browser, site.out / f"{stem}.html", "csv", site.downloads)
        header, rows = typed_csv(text)
        assert name == f"{stem}.csv" and header == list(expected.fields) and ordered(rows) == ordered(expected.rows), stem
        if "partial" in expected.fields:
            partial += sum(r[expected.fields.index("partial")] is True for r in expected.rows)
        if "baseline_mark" in expected.fields:
            tested += sum(r[expected.fields.index("baseline_mark")] is not None for r in expected.rows)
        assert console_errors(browser) == []
    assert partial and tested  # the n-of-N cells and the baseline's tests were among them


def test_the_index_download_is_the_site_files_index(browser, site):
    whole = json.loads((site.out / "data" / "leaderboard.json").read_text(encoding="utf-8"))
    _, text = download(browser, site.out / "index.html", "json", site.downloads)
    assert json.loads(text)["rows"] == whole["index"]["rows"]  # the same rows, in the same order
