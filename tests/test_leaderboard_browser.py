"""The leaderboard as a person uses it: Debian's headless Chromium opens the pages from file://.

Skipped with a reason where Chromium, chromedriver or selenium is absent (``.ci/run`` installs them).
Screenshots go to ``$HARNESS_SCREENSHOTS`` (default ``build/screenshots``) for a person to look at.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from tests.test_leaderboard import CLIR, MOIR, build, make_submission, toy_scores
from tests.test_leaderboard_index import COMMIT, with_command

SCREENSHOTS = Path(os.environ.get("HARNESS_SCREENSHOTS", Path(__file__).resolve().parent.parent / "build" / "screenshots"))
MARKUP_NAME = "<img src=x onerror=alert(1)>"
MARKUP_DESCRIPTION = "<script>alert('description')</script><b>bold?</b>"
MARKUP_MODEL = "<i>model</i>"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("submissions")
    with_command(make_submission(root, "bm25", toy_scores(1)), "harness eval --model bm25 --dataset xquad-r --data-dir ../shared/data --quiet", COMMIT)
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


def column_cells(table, col: str) -> list:
    """The body cells under the header of column ``col`` (a cell has no column of its own: it is the
    row's cell at the header's position)."""
    at = table.find_element("css selector", f'tr.labels th[data-col="{col}"]').get_attribute("cellIndex")
    return table.find_elements("css selector", f"tbody tr > :nth-child({int(at) + 1})")


def column_values(browser, table, col: str) -> list[float | None]:
    out = []
    for cell in column_cells(table, col):
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


ROWS_SCRIPT = """return Array.prototype.map.call(arguments[0].tBodies[0].rows, function (row) {
  return [row.getAttribute("data-system")].concat(Array.prototype.map.call(row.cells, function (c) { return c.getAttribute("data-value"); }));
});"""


def test_every_sort_gives_the_stable_order_of_its_column_moving_as_few_rows_as_needed(browser, site):
    open_page(browser, site / "dataset-xquad-r.html")
    table = browser.find_element("id", "table-AP")
    headers = table.find_elements("css selector", "tr.labels th.sortable")
    for header in headers + headers[::-1] + headers[1::2]:  # each from many earlier orders
        before = browser.execute_script(ROWS_SCRIPT, table)
        at = int(header.get_attribute("cellIndex"))
        header.click()
        descending = header.get_attribute("aria-sort") == "descending"
        def key(row, at=at):  # row: the system, then each cell's value
            return row[0] if at == 0 else float(row[at + 1])

        present = [r for r in before if (r[0] if at == 0 else r[at + 1]) is not None]
        expected = sorted(present, key=key, reverse=descending)  # stable: ties keep their order, as the page's sort does
        expected += [r for r in before if r not in present]
        assert [r[0] for r in browser.execute_script(ROWS_SCRIPT, table)] == [r[0] for r in expected], header.text


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
    clir = table.find_elements("css selector", 'tr.labels th[data-setting="clir"]')
    cells = [cell for th in clir for cell in column_cells(table, th.get_attribute("data-col"))]
    assert cells and not any(c.is_displayed() for c in cells)
    browser.find_element("css selector", 'input[data-filter-setting="clir"]').click()
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "lang-filter")).select_by_value("el")
    assert shown("pair") == ["el-el", "el-en"]
    assert console_errors(browser) == []
    shot(browser, "leaderboard-dataset-filtered.png")


def test_measure_switch_opens_the_measures_page_keeping_the_filters(browser, site):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    open_page(browser, site / "dataset-xquad-r.html")
    Select(browser.find_element("id", "lang-filter")).select_by_value("de")
    Select(browser.find_element("id", "measure-select")).select_by_value("R@10")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements("id", "table-R@10"))
    assert browser.current_url.split("#")[0].endswith("/dataset-xquad-r.R_10.html") and "lang=de" in browser.current_url
    assert browser.find_element("id", "table-R@10").is_displayed() and not browser.find_elements("id", "table-AP")
    assert browser.find_element("id", "measure-select").get_attribute("value") == "R@10"
    assert browser.find_element("id", "lang-filter").get_attribute("value") == "de"
    browser.get((site / "dataset-xquad-r.html").as_uri() + "#measure=R%4010&off=clir")  # a link naming the measure
    WebDriverWait(browser, 10).until(lambda b: b.find_elements("id", "table-R@10"))
    assert browser.current_url.endswith("/dataset-xquad-r.R_10.html#off=clir")
    assert not browser.find_element("css selector", 'input[data-filter-setting="clir"]').is_selected()
    assert console_errors(browser) == []


MARKS_SCRIPT = """return Array.prototype.map.call(document.querySelectorAll(arguments[0]), function (td) {
  return [td.getAttribute("data-mark"), td.textContent, getComputedStyle(td, "::after").content, td.children.length]; });"""


def test_a_pair_cells_mark_is_a_character_of_its_text(browser, site):
    # no element and no pseudo-element: each would be a box of its own in thousands of cells
    glyph = {"better": "▲", "worse": "▼"}
    for page, selector in (("dataset-xquad-r.html", "table.board tbody td[data-value]"), ("system-better.html", "table.pairs tbody td[data-value]")):
        open_page(browser, site / page)
        cells = browser.execute_script(MARKS_SCRIPT, selector + ":not(.col-mean):not(.partial)")
        assert "better" in {mark for mark, *_ in cells}, page
        for mark, text, after, elements in cells:
            assert re.fullmatch(r"-?\d+\.\d+" + glyph.get(mark, ""), text) and after == "none" and elements == 0, (page, mark, text, after)
    open_page(browser, site / "dataset-xquad-r.html")  # a setting mean keeps its element: the rank badge follows the mark
    means = browser.execute_script(MARKS_SCRIPT, "table.board tbody td.col-mean[data-mark]")
    assert means and all(after == "none" and elements == 2 and glyph[mark] in text for mark, text, after, elements in means)


def test_markup_in_metadata_is_shown_as_text(browser, site):
    open_page(browser, site / "system-markup.html")
    assert browser.find_element("css selector", 'dd[data-field="description"]').text == MARKUP_DESCRIPTION
    assert browser.find_element("css selector", 'dd[data-field="authors"]').text == "<b>Mallory</b>"
    injected = browser.find_elements("css selector", "dd[data-field=description] *, dd[data-field=authors] *")
    assert injected == []  # text only: no element was made of it
    scripts = browser.execute_script("return Array.prototype.map.call(document.scripts, function (s) { return s.text; })")
    # only the site's own: the shared one and the page's table for its downloads
    assert len(scripts) == 2 and "var Leaderboard" in scripts[0] and "Leaderboard.table =" in scripts[1]
    assert not any("alert" in script for script in scripts)
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


PHONE = {"width": 400, "height": 800, "deviceScaleFactor": 1, "mobile": True}


def full_shot(browser, name: str, width: int) -> Path:
    """A screenshot of the whole page at ``width`` CSS pixels (a phone's below 600)."""
    metrics = {"width": width, "height": 1000, "deviceScaleFactor": 1, "mobile": width < 600}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = min(browser.execute_script("return document.documentElement.scrollHeight"), 6000)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {**metrics, "height": height})
    try:
        return shot(browser, name)
    finally:
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def visible_rows(browser, table) -> list[str]:
    return [row.get_attribute("data-system") for row in table.find_elements("css selector", "tbody tr") if row.is_displayed()]


def index_view(browser) -> dict:
    """What the index shows: the controls, the datasets and tables shown, each table's rows in order."""
    tables = [t for t in browser.find_elements("css selector", "table.standings") if t.is_displayed()]
    return {
        "dataset": browser.find_element("id", "dataset-select").get_attribute("value"),
        "measure": browser.find_element("id", "measure-select").get_attribute("value"),
        "settings": [b.is_selected() for b in browser.find_elements("css selector", "input[data-filter-setting]")],
        "tables": [(t.get_attribute("data-dataset"), t.get_attribute("data-measure"), t.get_attribute("data-setting"), visible_rows(browser, t)) for t in tables],
        "marks": sum(m.is_displayed() for m in browser.find_elements("css selector", "g.mark")),
    }


def test_the_index_plots_each_settings_means_with_intervals(browser, site):
    try:
        open_page(browser, site / "index.html")
        block = browser.find_element("css selector", 'section.dataset[data-dataset="xquad-r"] .measure-block[data-measure="AP"]')
        svg = block.find_element("css selector", "figure.plot svg")
        assert svg.size["width"] > 400 and svg.size["height"] > 80
        frame = svg.rect
        marks = block.find_elements("css selector", "g.mark")
        ranked = sum(len(visible_rows(browser, t)) for t in block.find_elements("css selector", "table.standings"))
        assert len(marks) == ranked == 5 + 6  # 'partial' holds every CLIR pair, not every MoIR one
        for mark in marks:
            box = mark.rect
            assert box["width"] > 5 and frame["x"] <= box["x"] and box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
        moir = sorted((float(m.get_attribute("data-value")), m.rect["x"] + m.rect["width"] / 2) for m in marks if m.get_attribute("data-setting") == "moir")
        assert [x for _, x in moir] == sorted(x for _, x in moir)
        assert "partial" not in {m.get_attribute("data-system") for m in marks if m.get_attribute("data-setting") == "moir"}
        browser.find_element("css selector", 'input[data-filter-setting="clir"]').click()
        assert not any(m.is_displayed() for m in marks if m.get_attribute("data-setting") == "clir")
        assert all(m.is_displayed() for m in marks if m.get_attribute("data-setting") == "moir")
        assert console_errors(browser) == []
        open_page(browser, site / "index.html")
        full_shot(browser, "leaderboard-index-1400.png", 1400)
        full_shot(browser, "leaderboard-index-400.png", 400)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_a_permalink_restores_the_index_view(browser, site):
    from selenium.webdriver.support.ui import Select

    open_page(browser, site / "index.html")
    default = index_view(browser)
    Select(browser.find_element("id", "dataset-select")).select_by_value("xquad-r")
    Select(browser.find_element("id", "measure-select")).select_by_value("R@10")
    browser.find_element("css selector", 'input[data-filter-setting="clir"]').click()
    browser.find_element("css selector", 'table.standings[data-measure="R@10"][data-setting="moir"] th[data-sort="system"]').click()
    browser.find_element("css selector", '.measure-block[data-measure="R@10"] button.more').click()
    chosen = index_view(browser)
    assert chosen != default and [t[:3] for t in chosen["tables"]] == [("xquad-r", "R@10", "moir")]
    names = chosen["tables"][0][3]
    assert names[:-1] == sorted(names[:-1]) and names[-1] == "partial"  # sorted by name; then, shown, those holding some pairs
    url = browser.current_url
    assert "dataset=xquad-r" in url and "measure=R%4010" in url and "off=clir" in url and "sort=system" in url and "more=1" in url
    browser.get("about:blank")
    browser.get(url)
    assert index_view(browser) == chosen
    assert console_errors(browser) == []


def test_a_permalink_restores_the_dataset_view(browser, site):
    from selenium.webdriver.support.ui import Select, WebDriverWait

    open_page(browser, site / "dataset-xquad-r.html")
    Select(browser.find_element("id", "measure-select")).select_by_value("R@10")
    WebDriverWait(browser, 10).until(lambda b: b.find_elements("id", "table-R@10"))
    Select(browser.find_element("id", "lang-filter")).select_by_value("de")
    browser.find_element("css selector", 'input[data-filter-setting="moir"]').click()
    table = browser.find_element("id", "table-R@10")
    table.find_element("css selector", 'th[data-kind="pair"][data-langs="de-en"]').click()

    def view():
        table = browser.find_element("id", "table-R@10")
        heads = table.find_elements("css selector", "tr.labels th[data-key]")
        return (
            bool(browser.find_elements("id", "table-AP")), table.is_displayed(),
            [th.get_attribute("data-key") for th in heads if th.is_displayed()],
            visible_rows(browser, table), [th.get_attribute("aria-sort") for th in heads],
        )

    chosen = view()
    assert chosen[2] == ["xquad-r/clir-mean", "xquad-r/de-en", "xquad-r/en-de"] and "descending" in chosen[4]
    url = browser.current_url
    browser.get("about:blank")
    browser.get(url)
    assert view() == chosen
    assert browser.find_element("id", "lang-filter").get_attribute("value") == "de"
    assert console_errors(browser) == []


def test_copy_buttons_copy_the_exact_command(browser, site):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    def pasted() -> str:
        browser.execute_script("var t = document.createElement('textarea'); t.id = 'paste'; document.body.prepend(t);")
        area = browser.find_element("id", "paste")
        area.click()
        area.send_keys(Keys.CONTROL, "v")
        text = area.get_attribute("value")
        browser.execute_script("document.getElementById('paste').remove();")
        return text

    open_page(browser, site / "system-bm25.html")
    buttons = browser.find_elements("css selector", "table.pairs button.copy")
    assert len(buttons) == len(MOIR + CLIR)
    button = buttons[0]
    expected = button.get_attribute("data-copy-text")
    assert expected.startswith("harness eval --model bm25 --dataset xquad-r --pairs ")
    button.click()
    WebDriverWait(browser, 5).until(lambda _: button.get_attribute("data-copied"))
    assert button.get_attribute("data-copied") == "clipboard" and pasted() == expected
    # a page without the Clipboard API (an older browser) copies through a hidden text area
    browser.execute_script("Object.defineProperty(navigator, 'clipboard', {value: undefined, configurable: true});")
    button = buttons[1]
    button.click()
    WebDriverWait(browser, 5).until(lambda _: button.get_attribute("data-copied"))
    assert button.get_attribute("data-copied") == "fallback"
    assert browser.execute_script("return document.getElementById('copy-buffer').value") == button.get_attribute("data-copy-text")
    assert pasted() == button.get_attribute("data-copy-text") != expected
    assert console_errors(browser) == []


def test_nothing_scrolls_sideways_on_a_phone(browser, site):
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        for page in sorted(site.glob("*.html")):
            open_page(browser, page)
            width, client = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert client == 400 and width <= client, page.name
        open_page(browser, site / "dataset-xquad-r.html")
        box = browser.find_element("css selector", "section.measure:not([hidden]) .scroll")
        assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", box)  # the table scrolls in its box
        browser.execute_script("arguments[0].scrollLeft = 300", box)
        name = box.find_element("css selector", "tbody th[scope=row]")
        assert abs(name.rect["x"] - box.rect["x"]) <= 2  # the system column stays
        open_page(browser, site / "system-bm25.html")
        command = browser.find_element("css selector", "#command .command code")
        assert command.size["height"] > 40  # it wraps onto several lines
        words = browser.execute_script(
            "return Array.prototype.map.call(arguments[0].querySelectorAll('.w'), function (w) { return [w.textContent, w.getClientRects().length]; })", command
        )
        assert ["--dataset xquad-r", 1] in words and all(lines == 1 for _, lines in words)  # broken only between words
        shot(browser, "leaderboard-system-400.png")
        assert console_errors(browser) == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
