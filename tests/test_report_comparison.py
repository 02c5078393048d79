"""Comparison tables (markdown, LaTeX, HTML, CSV, frame) and pair matrices, on toy submissions."""
from __future__ import annotations

import csv
import importlib.abc
import importlib.util
import io
import math
import re
import sys
import xml.etree.ElementTree as ElementTree
from types import SimpleNamespace

import numpy as np
import pytest

from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.report import comparison_formats, comparison_tables
from harness.report import pair_matrix as pair_matrix_module
from harness.report.comparison_report import ComparisonReport
from harness.report.comparison_tables import letter, measure_tables
from harness.report.pair_matrix import pair_matrix
from harness.stats import compare_submissions as compare_stats
from harness.submissions import PairRecord, Submission

N = 50
# de-en is CLIR's only pair (no en-de), so the pair matrix has a blank cell and CLIR no mean column
PAIRS = ("toy/de-de", "toy/en-en", "toy/de-en", "toy/de-xx", "toy/en-xx")


def compare_submissions(*args, **kwargs) -> ComparisonReport:
    """The comparison with its tables, as :func:`harness.compare` returns it."""
    return ComparisonReport(compare_stats(*args, **kwargs))


def make_submission(
    root, name: str, shifts: dict[str, float] | None = None, seed: int = 0, noise: float = 0.02, pairs=PAIRS
) -> Submission:
    """AP on every pair, plus RankDistance (lower is better) on the xx pairs. ``shifts`` moves AP up
    (RankDistance down) on the named pairs by that much."""
    shifts = shifts or {}
    rng = np.random.default_rng(seed)
    difficulty = np.random.default_rng(99).uniform(0.2, 0.7, N)  # shared by all systems: paired data
    submission = Submission.open_or_create(root, name, {"model": name}, f"test {name}")
    for pair in pairs:
        shift = shifts.get(pair, 0.0)
        ap = np.clip(difficulty + shift + rng.normal(0, noise, N), 0, 1)
        per_query = {"AP": dict(zip((f"q{i:02d}" for i in range(N)), map(float, ap)))}
        if pair.endswith("-xx"):
            distance = 5000 + 1000 * difficulty - 2000 * shift + rng.normal(0, 20, N)
            per_query["RankDistance"] = dict(zip((f"q{i:02d}" for i in range(N)), map(float, distance)))
        pair_id = PairId.parse(pair)
        record = PairRecord(pair, pair_id.setting, {m: float(np.mean(list(v.values()))) for m, v in per_query.items()}, N)
        submission.add_pair(pair_id, record, SimpleNamespace(per_query=per_query), None)
    return submission


@pytest.fixture(scope="module")
def systems(tmp_path_factory):
    """base; k1_better: clearly better on de-en and de-xx; k1_worse: clearly worse on en-en;
    twin: base's exact scores under another name (ties for best)."""
    root = tmp_path_factory.mktemp("subs")
    return [
        make_submission(root, "base", seed=1),
        make_submission(root, "k1_better", {"toy/de-en": 0.25, "toy/de-xx": 0.25}, seed=2),
        make_submission(root, "k1_worse", {"toy/en-en": -0.25}, seed=3),
    ]


@pytest.fixture(scope="module")
def baseline(systems):
    return compare_submissions(systems, baseline="base", test="t")


@pytest.fixture(scope="module")
def all_pairs(systems):
    return compare_submissions(systems, test="t")


def markdown_cells(markdown: str, measure: str) -> dict[tuple[str, str], str]:
    """(row label, column header) -> cell text of one measure's pipe table."""
    block = markdown.split(f"### {measure}")[1].strip().split("\n\n")[0]
    lines = [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()]
    header, rows = lines[0], lines[2:]
    return {(row[0], header[j]): row[j] for row in rows for j in range(1, len(header))}


# --- cells: bold and marks --------------------------------------------------------------------


def test_markdown_bolds_the_best_value_and_marks_significant_differences_against_the_baseline(baseline):
    cells = markdown_cells(baseline.to_markdown(), "AP")
    assert re.fullmatch(r"\*\*0\.\d{4}\*\*▲", cells[("k1_better", "de-en")])
    assert re.fullmatch(r"0\.\d{4}", cells[("base (baseline)", "de-en")])
    assert re.fullmatch(r"0\.\d{4}▼", cells[("k1_worse", "en-en")])
    assert "▲" not in cells[("k1_worse", "de-en")] and "▼" not in cells[("k1_better", "en-en")]
    assert {h for _, h in cells} == {"de-de", "en-en", "MoIR mean", "de-en", "de-xx", "en-xx", "MLIR mean"}
    value = baseline.value("k1_better", "AP", "toy/de-en")
    assert cells[("k1_better", "de-en")].startswith(f"**{value:.4f}")


def test_lower_is_better_bolds_the_smallest_value_with_one_decimal_for_large_values(baseline):
    cells = markdown_cells(baseline.to_markdown(), "RankDistance (lower is better)")
    values = {s: baseline.value(s, "RankDistance", "toy/de-xx") for s in baseline.systems}
    lowest = min(values, key=values.get)
    assert lowest == "k1_better"
    assert cells[("k1_better", "de-xx")] == f"**{values['k1_better']:.1f}**▲"
    assert not cells[("k1_worse", "de-xx")].startswith("**")
    # RankDistance exists only on MLIR pairs: the other columns are left out of its table
    assert {h for _, h in cells} == {"de-xx", "en-xx", "MLIR mean"}


def test_values_that_print_the_same_are_all_bold(tmp_path):
    subs = [make_submission(tmp_path, "base", seed=1), make_submission(tmp_path, "twin", seed=1)]
    table = measure_tables(compare_submissions(subs, baseline="base", test="t"))[0]
    for column in table.columns:
        assert table.cell("base", column).best and table.cell("twin", column).best


def test_equivalence_mark_with_a_margin(tmp_path):
    subs = [make_submission(tmp_path, "base", seed=1), make_submission(tmp_path, "same", seed=5, noise=0.005)]
    comparison = compare_submissions(subs, baseline="base", test="t", margin=0.05, measures=["AP"])
    cells = markdown_cells(comparison.to_markdown(), "AP")
    assert cells[("same", "de-de")].endswith("≈")
    assert "≈: equivalent to the baseline within ±0.05" in comparison.to_markdown()
    all_pairs = compare_submissions(subs, test="t", margin=0.05, measures=["AP"])
    assert "Equivalence within ±0.05 (TOST" in all_pairs.to_markdown() and all_pairs.tests[0].tost_p is not None


def test_all_pairs_superscripts_name_the_systems_a_value_is_significantly_better_than(all_pairs):
    cells = markdown_cells(all_pairs.to_markdown(), "AP")
    # base vs k1_better is stored as (base, k1_better): k1_better's letter needs the order inverted
    assert cells[("(b) k1_better", "de-en")].endswith("<sup>ac</sup>")
    assert cells[("(a) base", "en-en")].endswith("<sup>c</sup>")
    assert cells[("(b) k1_better", "en-en")].endswith("<sup>c</sup>")
    assert "<sup>" not in cells[("(c) k1_worse", "en-en")] and "<sup>" not in cells[("(a) base", "de-en")]
    assert "Superscript letters" in all_pairs.to_markdown()


def test_letters_go_on_past_z_spreadsheet_style():
    assert [letter(i) for i in (0, 1, 25, 26, 27, 29, 51, 52, 701, 702)] == [
        "a", "b", "z", "aa", "ab", "ad", "az", "ba", "zz", "aaa"
    ]


def test_thirty_systems_get_two_letter_names_separated_by_commas(tmp_path):
    shifts = {26: -0.3, 29: 0.3}  # "aa" clearly worst, "ad" clearly best on de-en
    subs = [
        make_submission(tmp_path, f"s{i:02d}", {"toy/de-en": shifts.get(i, 0.0)}, seed=i, noise=0.01, pairs=["toy/de-en"])
        for i in range(30)
    ]
    comparison = compare_submissions(subs, test="t")
    cells = markdown_cells(comparison.to_markdown(), "AP")
    best = cells[("(ad) s29", "de-en")]
    beaten = re.search(r"<sup>(.*)</sup>", best).group(1).split(",")
    assert beaten == [letter(i) for i in range(29)]
    assert cells[("(a) s00", "de-en")].endswith("<sup>aa</sup>")
    assert "<sup>" not in cells[("(aa) s26", "de-en")]


# --- formats ----------------------------------------------------------------------------------


def test_legend_states_test_resamples_correction_family_alpha_averages_queries_and_notes(systems):
    comparison = compare_submissions(systems, baseline="base", resamples=200, seed=3, average_test="pooled")
    legend = comparison.to_markdown().strip().splitlines()[-1]
    tests = len(comparison.tests)
    for phrase in (
        "Fisher randomization test (sign flips), 200 resamples, seed 3", "Holm correction over systems × pairs × measures",
        f"(1 family of {tests} tests)", "α = 0.05", "▲/▼: significantly better/worse than the baseline base",
        "per-query scores pooled over the setting's pairs", "50 per pair", "mean: the macro average over a setting's pairs",
    ):
        assert phrase in legend, phrase


def test_values_frame_has_measure_system_rows_and_setting_label_columns(baseline):
    frame = baseline.to_frame()
    assert frame.index.names == ["measure", "system"] and frame.columns.names == ["group", "column"]
    assert list(frame.columns) == [
        ("MoIR", "de-de"), ("MoIR", "en-en"), ("MoIR", "mean"), ("CLIR", "de-en"), ("MLIR", "de-xx"), ("MLIR", "en-xx"), ("MLIR", "mean")
    ]
    assert frame.loc[("AP", "k1_better"), ("CLIR", "de-en")] == baseline.value("k1_better", "AP", "toy/de-en")
    assert math.isnan(frame.loc[("RankDistance", "base"), ("MoIR", "de-de")])


def test_csv_is_tidy_with_full_precision_values_and_the_test_against_the_baseline(baseline):
    rows = list(csv.DictReader(io.StringIO(baseline.to_csv())))
    assert len(rows) == 3 * 7 + 3 * 3  # AP on 7 columns, RankDistance on 3, for three systems
    by_key = {(r["measure"], r["system"], r["setting"], r["column"]): r for r in rows}
    better = by_key[("AP", "k1_better", "clir", "de-en")]
    test = baseline.test("k1_better", "base", "AP", "toy/de-en")
    assert float(better["value"]) == baseline.value("k1_better", "AP", "toy/de-en")
    assert (better["dataset"], better["setting"], better["pairs"], better["best"], better["marks"]) == ("toy", "clir", "1", "1", "▲")
    assert float(better["p_adjusted"]) == test.p_adjusted and float(better["mean_difference"]) == test.mean_difference
    assert int(better["wins"]) == test.wins
    assert by_key[("AP", "k1_worse", "moir", "en-en")]["marks"] == "▼"
    assert by_key[("AP", "base", "clir", "de-en")]["p"] == "" and by_key[("AP", "base", "clir", "de-en")]["marks"] == ""
    assert by_key[("AP", "base", "moir", "mean")]["pairs"] == "2"


def test_latex_is_booktabs_with_grouped_headers_escaped_names_and_marks(baseline):
    latex = baseline.to_latex()
    assert latex.count(r"\begin{tabular}") == 2 and latex.count(r"\toprule") == 2 and latex.count(r"\bottomrule") == 2
    assert r"\multicolumn{3}{c}{MoIR} & \multicolumn{1}{c}{CLIR} & \multicolumn{3}{c}{MLIR} \\" in latex
    assert r"\cmidrule(lr){2-4} \cmidrule(lr){5-5} \cmidrule(lr){6-8}" in latex
    assert r"k1\_better" in latex and not re.search(r"[^\\]_", latex.replace(r"\_", ""))  # every underscore escaped
    value = baseline.value("k1_better", "AP", "toy/de-en")
    assert rf"\textbf{{{value:.4f}}}$^{{\blacktriangle}}$" in latex
    assert r"$^{\blacktriangledown}$" in latex and r"RankDistance ($\downarrow$)" in latex
    for line in latex.splitlines():
        if line.startswith(("base", "k1")):
            assert line.count(" & ") in (7, 3) and line.endswith(r" \\")
    # the legend is each table's caption (no comment lines to paste), the label from dataset and measure
    assert latex.count(r"\begin{table}") == 2 and latex.count(r"\caption[{AP on toy}]{AP on toy. Bold: the best value") == 1
    assert r"\label{tab:toy-ap}" in latex and r"\label{tab:toy-rankdistance}" in latex
    assert sum(line.startswith("%") for line in latex.splitlines()) == 1  # the packages it needs


def test_latex_all_pairs_letters_are_text_superscripts(all_pairs):
    assert r"\textsuperscript{ac}" in all_pairs.to_latex() and r"(b) k1\_better" in all_pairs.to_latex()


def test_html_tables_are_well_formed_with_colspans_bold_and_marks(baseline):
    page = baseline.to_html()
    tables = re.findall(r"<table.*?</table>", page, flags=re.S)
    assert len(tables) == 2 and '<p class="legend">' in page
    ap = ElementTree.fromstring(tables[0])
    head = ap.find("thead").findall("tr")
    assert [(th.text, th.get("colspan")) for th in head[0]][1:] == [("MoIR", "3"), ("CLIR", "1"), ("MLIR", "3")]
    assert [th.text for th in head[1]] == ["de-de", "en-en", "mean", "de-en", "de-xx", "en-xx", "mean"]
    rows = {tr.find("th").text: tr.findall("td") for tr in ap.find("tbody")}
    cell = rows["k1_better"][3]
    assert cell.find("b").text == f"{baseline.value('k1_better', 'AP', 'toy/de-en'):.4f}" and cell.find("b").tail == "▲"
    assert "base (baseline)" in rows


# --- pair matrix ------------------------------------------------------------------------------


def test_pair_matrix_is_query_by_document_language_with_xx_last_and_blanks(baseline):
    matrix = baseline.pair_matrix("k1_better")
    frame = matrix.to_frame()
    assert list(frame.index) == ["de", "en"] and list(frame.columns) == ["de", "en", "xx"]
    assert frame.loc["de", "en"] == baseline.value("k1_better", "AP", "toy/de-en")
    assert frame.loc["en", "xx"] == baseline.value("k1_better", "AP", "toy/en-xx")
    assert math.isnan(frame.loc["en", "de"])  # not a pair of this comparison
    text = matrix.to_text()
    assert text.startswith("AP of k1_better on toy") and "▲" in text and "the baseline base" in text
    de_row = next(line for line in text.splitlines() if line.startswith("│ de"))
    assert f"{frame.loc['de', 'en']:.4f}▲" in de_row
    en_row = next(line for line in text.splitlines() if line.startswith("│ en"))
    assert en_row.split("│")[2].strip() == ""


def test_pair_matrix_difference_is_signed_and_marked_by_the_test_in_either_order(all_pairs):
    ahead = pair_matrix(all_pairs, "k1_better", "AP", "base")
    behind = pair_matrix(all_pairs, "base", "AP", "k1_better")
    difference = all_pairs.value("k1_better", "AP", "toy/de-en") - all_pairs.value("base", "AP", "toy/de-en")
    assert ahead.to_frame().loc["de", "en"] == pytest.approx(difference)
    assert behind.to_frame().loc["de", "en"] == pytest.approx(-difference)
    assert ahead.cell_text(0, 1).endswith("▲") and ahead.cell_text(0, 1).startswith("+")
    assert behind.cell_text(0, 1).endswith("▼") and behind.cell_text(0, 1).startswith("-")
    assert pair_matrix(all_pairs, "k1_better", "RankDistance").doc_langs == ("xx",)


def test_a_difference_cell_is_the_test_on_the_shared_queries_when_the_systems_hold_different_ones(tmp_path):
    base = make_submission(tmp_path, "base", seed=1)
    short = make_submission(tmp_path, "short", {"toy/de-en": 0.25}, seed=2)
    table = short.per_query(PairId.parse("toy/de-en"))["AP"]
    kept = {q: v for q, v in table.items() if q >= "q10"}  # the ten easiest-numbered queries dropped
    record = PairRecord("toy/de-en", "clir", {"AP": float(np.mean(list(kept.values())))}, len(kept))
    short.add_pair(PairId.parse("toy/de-en"), record, SimpleNamespace(per_query={"AP": kept}), None)
    comparison = compare_submissions([base, short], baseline="base", test="t", measures=["AP"])
    test = comparison.test("short", "base", "AP", "toy/de-en")
    matrix = pair_matrix(comparison, "short", "AP", "base")
    assert test.n == 40 and matrix.to_frame().loc["de", "en"] == test.mean_difference
    own = comparison.value("short", "AP", "toy/de-en") - comparison.value("base", "AP", "toy/de-en")
    assert abs(own - test.mean_difference) > 1e-6  # the own values' difference is another number


def test_pair_matrix_rejects_unknown_names(baseline):
    with pytest.raises(HarnessError, match="did you mean 'k1_better'"):
        baseline.pair_matrix("k1_beter")
    with pytest.raises(HarnessError, match="no measure 'nDCG@10'"):
        baseline.pair_matrix("base", "nDCG@10")
    with pytest.raises(HarnessError, match="itself"):
        baseline.pair_matrix("base", "AP", "base")


def test_plot_writes_a_png_atomically(all_pairs, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "plots" / "difference.png"
    written = pair_matrix(all_pairs, "k1_better", "RankDistance", "base").plot(target)
    assert written == target and target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in target.parent.iterdir()] == ["difference.png"]  # no temporary file left


def test_importing_the_tables_does_not_import_matplotlib(monkeypatch):
    """Load fresh copies of both modules with matplotlib made unimportable (in-process: a
    subprocess would spend seconds importing scipy and pandas again)."""

    class NoMatplotlib(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] == "matplotlib":
                raise AssertionError(f"importing the tables imported {name}")
            return None

    for name in [n for n in sys.modules if n.partition(".")[0] == "matplotlib"]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [NoMatplotlib(), *sys.meta_path])
    for module in (comparison_tables, comparison_formats, pair_matrix_module):
        spec = importlib.util.spec_from_file_location(f"_fresh_{module.__name__}", module.__file__)
        fresh = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, spec.name, fresh)  # dataclasses look their module up there
        spec.loader.exec_module(fresh)


def test_a_difference_that_rounds_to_zero_prints_without_a_minus_sign():
    from harness.report.comparison_tables import format_value

    assert format_value(-0.00001, 4, signed=True) == "+0.0000"
    assert format_value(-0.0002, 4, signed=True) == "-0.0002"
    assert format_value(-0.00001, 4) == "0.0000"
