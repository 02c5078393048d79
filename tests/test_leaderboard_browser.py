"""The leaderboard as a person uses it: Debian's headless Chromium opens the pages from file://.

Skipped with a reason where Chromium, chromedriver or selenium is absent (``.ci/run`` installs them).
Screenshots go to ``$HARNESS_SCREENSHOTS`` (default ``build/screenshots``) for a person to look at.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.test_leaderboard import CLIR, MOIR, build, make_submission, toy_scores

SCREENSHOTS = Path(os.environ.get("HARNESS_SCREENSHOTS", Path(__file__).resolve().parent.parent / "build" / "screenshots"))
MARKUP_NAME = "<img src=x onerror=alert(1)>"
MARKUP_DESCRIPTION = "<script>alert('description')</script><b>bold?</b>"
MARKUP_MODEL = "<i>model</i>"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("submissions")
    make_submission(root, "bm25", toy_scores(1))
    make_submission(root, "better", toy_scores(2, shift=0.3), training={"languages": ["de", "en"]})
    make_submission(root, "worse", toy_scores(3, shift=-0.2))
    make_submission(root, "markup", toy_scores(4), description=MARKUP_DESCRIPTION, authors="<b>Mallory</b>")
    make_submission(root, "partial", toy_scores(5, pairs=MOIR[:2] + CLIR))
    markup_model = make_submission(root, "model-markup", toy_scores(6))
    markup_model.meta["system"]["model"] = MARKUP_MODEL
    markup_model.save()
    # a name is a folder name, so markup cannot be one: such a submission is left out, with a note naming it
    named = make_submission(root, "named", toy_scores(7))
    named.meta["name"] = MARKUP_NAME
    named.save()
    out = tmp_path_factory.mktemp("site")
    build(root, out)
    return out


def open_page(browser, page: Path):
    browser.get(page.as_uri())
    browser.get_log("browser")  # what the previous page left
    browser.refresh()
    return browser


def console_errors(browser) -> list[dict]:
    return [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]


def shot(browser, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / name
    assert browser.save_screenshot(str(target)), target
    assert target.stat().st_size > 10_000  # a rendered page, not a blank
    return target


def column_values(browser, table, col: str) -> list[float | None]:
    rows = table.find_elements("css selector", "tbody tr")
    out = []
    for row in rows:
        cell = row.find_element("css selector", f'td[data-col="{col}"]')
        raw = cell.get_attribute("data-value")
        out.append(None if raw is None else float(raw))
    return out


def test_every_page_opens_from_file_without_console_errors(browser, site):
    for page in sorted(site.glob("*.html")):
        open_page(browser, page)
        assert browser.find_element("css selector", "main h1").text, page.name
        assert console_errors(browser) == [], page.name
        if page.name in ("index.html", "system-better.html"):
            shot(browser, f"leaderboard-{page.stem}.png")


def test_sorting_by_a_column_orders_the_rows(browser, site):
    open_page(browser, site / "dataset-xquad-r.html")
    table = browser.find_element("id", "table-AP")
    header = table.find_element("css selector", 'th[data-kind="pair"][data-langs="de-en"]')
    col = header.get_attribute("data-col")
    header.click()
    values = column_values(browser, table, col)
    assert header.get_attribute("aria-sort") == "descending"
    assert [v for v in values if v is not None] == sorted((v for v in values if v is not None), reverse=True)
    header.click()
    values = column_values(browser, table, col)
    assert header.get_attribute("aria-sort") == "ascending"
    assert [v for v in values if v is not None] == sorted(v for v in values if v is not None)
    system = table.find_element("css selector", 'th[data-col="system"]')
    system.click()
    names = [row.get_attribute("data-system") for row in table.find_elements("css selector", "tbody tr")]
    assert names == sorted(names)
    assert console_errors(browser) == []
    shot(browser, "leaderboard-dataset-sorted.png")


def test_filtering_by_setting_and_language_hides_columns(browser, site):
    open_page(browser, site / "dataset-xquad-r.html")
    table = browser.find_element("id", "table-AP")

    def shown(kind: str) -> list[str]:
        heads = table.find_elements("css selector", f'tr.labels th[data-kind="{kind}"]')
        return [th.get_attribute("data-langs") or th.get_attribute("data-setting") for th in heads if th.is_displayed()]

    assert len(shown("pair")) == len(MOIR + CLIR)
    browser.find_element("css selector", 'input[data-filter-setting="clir"]').click()
    assert shown("pair") == sorted(p.split("/")[1] for p in MOIR)
    assert "clir" not in shown("mean")
    cells = table.find_elements("css selector", 'tbody td[data-setting="clir"]')
    assert cells and not any(c.is_displayed() for c in cells)
    browser.find_element("css selector", 'input[data-filter-setting="clir"]').click()
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "lang-filter")).select_by_value("el")
    assert shown("pair") == ["el-el", "el-en"]
    assert console_errors(browser) == []
    shot(browser, "leaderboard-dataset-filtered.png")


def test_measure_switch_shows_one_table(browser, site):
    open_page(browser, site / "dataset-xquad-r.html")
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "measure-select")).select_by_value("R@10")
    assert browser.find_element("id", "table-R@10").is_displayed()
    assert not browser.find_element("id", "table-AP").is_displayed()


def test_markup_in_metadata_is_shown_as_text(browser, site):
    open_page(browser, site / "system-markup.html")
    assert browser.find_element("css selector", 'dd[data-field="description"]').text == MARKUP_DESCRIPTION
    assert browser.find_element("css selector", 'dd[data-field="authors"]').text == "<b>Mallory</b>"
    injected = browser.find_elements("css selector", "dd[data-field=description] *, dd[data-field=authors] *")
    assert injected == []  # text only: no element was made of it
    assert browser.execute_script("return document.querySelectorAll('script').length") == 0
    shot(browser, "leaderboard-system-markup.png")
    open_page(browser, site / "index.html")
    assert MARKUP_MODEL in browser.find_element("id", "systems").text
    notes = browser.find_element("id", "notes").text
    assert MARKUP_NAME in notes  # the submission with a markup name is left out, and the note shows the name as text
    assert browser.find_elements("css selector", "#systems img, #systems i, #notes li *") == []
    assert console_errors(browser) == []


def test_compare_page_tests_the_chosen_pair(browser, site):
    browser.get((site / "compare.html").as_uri() + "#a=better&b=bm25")
    browser.refresh()
    rows = browser.find_elements("css selector", "#compare-table tbody tr")
    assert len(rows) == 2 + len(MOIR + CLIR)  # the MoIR and CLIR means, then every pair
    summary = browser.find_element("id", "compare-summary").text
    assert summary.startswith("better vs bm25 on AP: significantly better on")
    first = rows[0].find_elements("css selector", "th, td")
    assert first[0].text == "MoIR mean" and first[-1].text == "▲"
    assert float(first[5].text) > 0 and float(first[7].text) < 0.05
    data = json.loads(browser.execute_script("return document.getElementById('data-xquad-r').textContent"))
    assert data["systems"] == sorted(data["systems"])
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "system-b")).select_by_value("worse")
    assert browser.find_element("id", "compare-summary").text.startswith("better vs worse")
    assert console_errors(browser) == []
    shot(browser, "leaderboard-compare.png")
