"""The comparison page in headless Chromium: its view lives in the address, it tests setting means
in the page as the board does, hides the columns only one system holds, and fits a phone.

Skipped with a reason where Chromium, chromedriver or selenium is absent (see tests/conftest.py).
"""
from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import numpy as np
import pytest
from scipy import stats

from harness.report.leaderboard import dataset_board
from harness.report.leaderboard.score_cache import ScoreCache
from harness.stats.all_pairs import pair_index
from harness.submissions import Submission
from tests.test_leaderboard import DATASET, MOIR, PAIRS, build, make_submission, toy_scores
from tests.test_leaderboard_browser import PHONE, console_errors, shot

SPARSE = MOIR[2:4]  # the two pairs the sparse system holds


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("subs")
    make_submission(root, "bm25", toy_scores(1))
    make_submission(root, "better", toy_scores(2, shift=0.3))
    make_submission(root, "worse", toy_scores(3, shift=-0.2))
    make_submission(root, "sparse", toy_scores(4, shift=0.1, pairs=SPARSE))
    out = tmp_path_factory.mktemp("site")
    build(root, out)
    subs = {s.name: s for s in (Submission.load(p) for p in sorted(root.iterdir()))}
    board = dataset_board(DATASET, {n: ScoreCache(None).read(s, DATASET, []) for n, s in subs.items()}, baseline="bm25")
    return out, board


def open_compare(browser, out, hash_part: str = ""):
    browser.get("about:blank")  # from another page: a new hash alone would not load it again
    browser.get_log("browser")
    browser.get((out / "compare.html").as_uri() + hash_part)
    return browser


def p_text(p: float) -> str:
    """A p-value as the page prints it (JavaScript's toFixed(3), or toExponential(1) below 0.001)."""
    return re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{p:.1e}") if p < 0.001 else f"{p:.3f}"


def view(browser) -> dict:
    """What the page shows: its controls, its summary and its rows (cells as text)."""
    rows = browser.find_elements("css selector", "#compare-table tbody tr")
    return {
        "controls": {name: browser.find_element("id", name).get_attribute("value") for name in ("dataset", "system-a", "system-b", "measure", "compare-lang")},
        "all": browser.find_element("id", "compare-all").is_selected(),
        "summary": browser.find_element("id", "compare-summary").text,
        "rows": [[cell.text for cell in row.find_elements("css selector", "th, td")] for row in rows],
    }


def address(browser) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(browser.execute_script("return location.hash").lstrip("#")).items()}


def choose(browser, select_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", select_id)).select_by_value(value)


def test_the_view_lives_in_the_address_and_a_link_restores_it(browser, site):
    out, _ = site
    open_compare(browser, out, "#a=better&b=worse&measure=R@10&lang=de")
    shown = view(browser)
    assert shown["controls"] == {"dataset": "data-xquad-r", "system-a": "better", "system-b": "worse", "measure": "R@10", "compare-lang": "de"}
    assert shown["summary"].startswith("better vs worse on R@10: significantly better on")
    assert [row[0] for row in shown["rows"]] == ["MoIR mean", "CLIR mean", "de-de", "de-en", "en-de"]  # the pairs with de
    assert address(browser) == {"dataset": "xquad-r", "a": "better", "b": "worse", "measure": "R@10", "lang": "de"}
    # a change is written to the address at once, and the address opened anew shows the same view
    choose(browser, "system-b", "bm25")
    choose(browser, "measure", "AP")
    choose(browser, "compare-lang", "")
    link = browser.current_url
    assert address(browser) == {"dataset": "xquad-r", "a": "better", "b": "bm25", "measure": "AP"}
    changed = view(browser)
    assert len(changed["rows"]) == 2 + len(PAIRS) and changed["summary"].startswith("better vs bm25 on AP")
    open_compare(browser, out, "#" + link.split("#", 1)[1])
    assert view(browser) == changed
    # editing the address of an open page (back, forward, a pasted link) shows its view too
    browser.execute_script("location.hash = '#a=worse&b=better&measure=R@10'")
    assert view(browser)["summary"].startswith("worse vs better on R@10: significantly better on 0, worse on")
    assert console_errors(browser) == []


def test_the_page_tests_setting_means_as_the_board_and_marks_every_column(browser, site):
    out, board = site
    open_compare(browser, out, "#a=better&b=bm25&measure=AP")
    rows = {row[0]: row for row in view(browser)["rows"]}
    i, j = board.systems.index("better"), board.systems.index("bm25")
    k, sign = pair_index(i, j, len(board.systems))
    for c, column in enumerate(board.columns):
        label = f"{'MoIR' if column.setting == 'moir' else 'CLIR'} mean" if column.is_average else column.label
        cells = rows[label]
        assert cells[5] == f"{sign * board.difference[0, k, c]:+.4f}"
        q, d = board.comparison_p_adjusted[0, k, c], sign * board.difference[0, k, c]
        assert cells[8] == ("▲" if q < 0.05 and d > 0 else "▼" if q < 0.05 and d < 0 else "")
        if not column.is_average:
            assert cells[2] == "60 queries" and cells[6] == cells[7] == ""  # a pair's p-value: the command prints it
            continue
        pairs = [[col.key for col in board.columns].index(p) for p in column.pairs]
        units = board.values[0, i, pairs] - board.values[0, j, pairs]
        p = board.p[0, k, c]
        assert p == pytest.approx(stats.ttest_1samp(units, 0).pvalue, rel=1e-9)
        assert cells[2] == f"{len(pairs)} pairs" and cells[7] == p_text(p)
        half = stats.t.ppf(0.975, len(pairs) - 1) * units.std(ddof=1) / np.sqrt(len(pairs))
        assert cells[6] == f"[{d - half:.4f}, {d + half:.4f}]"
    command = browser.find_element("id", "compare-command").text
    assert command == f"harness compare better bm25 --baseline bm25 --test t --dataset {DATASET} --correction holm --alpha 0.05"
    assert browser.find_element("id", "compare-copy").get_attribute("data-copy-text") == command


def test_the_columns_only_one_system_holds_are_hidden_until_asked_for(browser, site):
    out, board = site
    open_compare(browser, out, "#a=sparse&b=better")
    shown = view(browser)
    assert [row[0] for row in shown["rows"]] == [p.split("/")[1] for p in SPARSE]  # no mean: sparse holds no setting whole
    note = browser.find_element("id", "compare-hidden")
    hidden = len(PAIRS) + 2 - len(SPARSE)
    assert note.is_displayed() and note.text.startswith(f"{hidden} columns that only one of the two systems holds are hidden.")
    browser.find_element("id", "compare-all").click()
    everything = view(browser)
    assert len(everything["rows"]) == len(PAIRS) + 2 and everything["all"] and address(browser)["all"] == "1"
    empty = [row for row in everything["rows"] if row[3] == ""]
    assert len(empty) == hidden and all(row[8] == "" and row[2] == "" for row in empty)  # untested, unmarked
    open_compare(browser, out, "#a=better&b=bm25")
    assert not browser.find_element("id", "compare-hidden").is_displayed()  # both hold everything: nothing hidden


def test_on_a_phone_only_the_table_scrolls_sideways_and_its_first_column_stays(browser, site):
    out, _ = site
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        open_compare(browser, out, "#a=better&b=bm25")
        width, client = browser.execute_script("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert client == 400 and width <= client
        box = browser.find_element("id", "compare-scroll")
        assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", box)
        assert box.rect["x"] + box.rect["width"] <= 400
        browser.execute_script("arguments[0].scrollLeft = 250", box)
        assert browser.execute_script("return arguments[0].scrollLeft", box) > 0
        label = box.find_element("css selector", "tbody th[scope=row]")
        assert abs(label.rect["x"] - box.rect["x"]) <= 2 and label.text == "MoIR mean"  # the column label stays in view
        for control in browser.find_elements("css selector", "#compare-controls select, .command"):
            assert control.rect["x"] + control.rect["width"] <= 400, control.get_attribute("id")
        shot(browser, "leaderboard-compare-400.png")
        assert console_errors(browser) == []
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_embedded_data_is_inert_json(site):
    out, _ = site
    page = (out / "compare.html").read_text(encoding="utf-8")
    for blob in re.findall(r'<script type="application/json" id="data-[^"]+">(.*?)</script>', page, re.S):
        assert "<" not in blob and ">" not in blob and "&" not in blob
        data = json.loads(blob)
        assert set(data) == {"dataset", "systems", "baseline", "alpha", "correction", "measures", "columns", "held", "marks", "shared", "values"}


def test_the_pages_student_t_is_scipys(browser, site):
    """The page's p-values and interval quantiles (its own code, run in Chromium) against scipy's, over df 1 to 6,979."""
    out, _ = site
    page = (out / "compare.html").read_text(encoding="utf-8")
    code = page[page.index("function logGamma(") : page.index("function fmt(")]  # Student's t
    cases = [(t, df) for df in (1, 2, 3, 5, 10, 30, 120, 1189, 6979) for t in (0.0, 0.1, 0.5, 1.0, 1.96, 2.5, 4.0, 8.0, 15.0, 40.0)]
    open_compare(browser, out)
    found = browser.execute_script("var CONFIDENCE = 0.95;\n" + code + "return arguments[0].map(function (c) { return [twoSidedP(c[0], c[1]), tQuantile(c[1])]; });", cases)
    for (t, df), (p, quantile) in zip(cases, found):
        assert p == pytest.approx(2 * stats.t.sf(t, df), rel=1e-9, abs=1e-300), (t, df)
        assert quantile == pytest.approx(stats.t.ppf(0.975, df), rel=1e-9), df
