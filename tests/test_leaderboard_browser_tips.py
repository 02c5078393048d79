"""A dataset page's words on hover, in headless Chromium: each tested cell's difference to the
baseline, adjusted p and test size, made by the page's script from the cell's attributes, equal
what the board's tests hold (the paired difference, its p, its n), as Python would print them."""
from __future__ import annotations

import pytest

from harness.report.leaderboard.views import measure_decimals
from harness.stats.all_pairs import pair_index
from tests.test_leaderboard_browser import open_page
from tests.test_leaderboard_browser_downloads import site  # noqa: F401

HOVER = """var out = [];
document.querySelectorAll("table.board tbody td[data-p]").forEach(function (td) {
  td.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  out.push([td.parentNode.getAttribute("data-system"), document.querySelector("tr.labels").cells[td.cellIndex].getAttribute("data-key"), td.title]);
});
return out;"""


@pytest.mark.parametrize(("page", "m"), [("dataset-xquad-r.html", 0), ("dataset-xquad-r.R_10.html", 1)])
def test_every_tested_cells_words_are_its_tests(browser, site, page, m):  # noqa: F811
    board = site.built.boards["xquad-r"]
    b = board.systems.index(board.baseline)
    keys = [c.key for c in board.columns]
    open_page(browser, site.out / page)
    shown = browser.execute_script(HOVER)
    tested = {(board.systems[s], keys[c]) for s in range(len(board.systems)) for c in range(len(keys)) if s != b and not board.partial(s, c) and board.baseline_p_adjusted[m, s, c] == board.baseline_p_adjusted[m, s, c]}
    assert {(system, key) for system, key, _ in shown} == tested and tested
    decimals = measure_decimals(board, m, 4)
    for system, key, title in shown:
        s, c = board.systems.index(system), keys.index(key)
        k, sign = pair_index(s, b, len(board.systems))
        n = int(board.n[m, k, c])
        units = f"{n} pairs" if board.columns[c].is_average else f"{n:,} queries"
        assert title == f"vs {board.baseline}: {sign * board.difference[m, k, c]:+.{decimals}f}, p adj. {board.baseline_p_adjusted[m, s, c]:.2g} (n = {units})"


P_VALUES = [1.0, 0.5, 0.05, 0.049999, 0.0012345, 1.2e-05, 9.96e-05, 0.000123, 1e-10, 3.5e-300, 0.99999, 0.0995, 0.3, 2.5e-07]


def test_a_p_value_is_printed_as_python_prints_it(browser, site):  # noqa: F811
    # exact binary halves (0.125) are the one difference: JavaScript rounds them up, Python to even
    open_page(browser, site.out / "dataset-xquad-r.html")
    printed = browser.execute_script("""var td = document.querySelector("table.board tbody td[data-p]"), out = [];
      arguments[0].forEach(function (p) {
        td.removeAttribute("title"); td.setAttribute("data-p", String(p));
        td.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
        out.push(td.title.split("p adj. ")[1].split(" (")[0]);
      });
      return out;""", P_VALUES)
    assert printed == [f"{p:.2g}" for p in P_VALUES]


INTERVALS = """var out = [];
document.querySelectorAll("table.standings td.interval").forEach(function (td) {
  td.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
  var table = td.closest("table"), row = td.parentNode;
  out.push([table.getAttribute("data-dataset") + " " + table.getAttribute("data-measure") + " " + table.getAttribute("data-setting") + " " + row.getAttribute("data-system"), row.cells[1].textContent, td.title]);
});
return out;"""


def test_every_index_intervals_words_are_its_interval(browser, site):  # noqa: F811
    from harness.report.comparison_tables import format_value

    open_page(browser, site.out / "index.html")
    shown = {key: (text, title) for key, text, title in browser.execute_script(INTERVALS)}
    rows = [dict(zip(site.built.index_table.fields, r)) for r in site.built.index_table.rows]
    assert len(shown) == len(rows)
    words = set()
    for r in rows:
        text, title = shown[f"{r['dataset']} {r['measure']} {r['setting']} {r['system']}"]
        decimals = len(text.split(".")[1]) if "." in text else 0
        if r["interval_low"] is not None:
            expected = f"95% interval [{format_value(r['interval_low'], decimals)}, {format_value(r['interval_high'], decimals)}] over {r['interval_n']:,} {r['interval_units']}"
        elif r["pairs_held"] < r["pairs_total"]:
            expected = f"no interval: it holds {r['pairs_held']} of the setting's {r['pairs_total']} pairs"
        else:
            expected = "no interval: one " + ("pair" if r["interval_units"] == "pairs" else "query")
        assert title == expected
        words.add(expected.split(":")[0].split(" [")[0])
    assert words == {"95% interval", "no interval"}  # both kinds were seen
