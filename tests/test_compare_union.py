"""compare on systems holding different pairs: the union of pairs with empty cells, tests on the
systems that hold a pair, setting means over the pairs each system holds (tested on the pairs both
hold), the † mark on values that cannot be significant, LaTeX captions, labels and siunitx columns,
display names, and the CLI's refusals (issue 15, item 6)."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess

import numpy as np
import pytest
from scipy import stats

from harness import api
from harness.cli import main
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.report.comparison_report import ComparisonReport
from harness.report.display_names import parse_display_names
from harness.stats import compare_submissions as compare_stats
from harness.stats import randomization_p
from harness.stats.attainable import smallest_adjusted_p, smallest_p
from tests.test_stats_comparison import make_submission, toy_scores

SIX = tuple(f"xquad-r/{lang}-{lang}" for lang in ("ar", "de", "en", "es", "ru", "zh"))
FOUR = SIX[:4]


def compare_submissions(*args, **kwargs) -> ComparisonReport:
    """The comparison with its tables, as :func:`harness.compare` returns it."""
    return ComparisonReport(compare_stats(*args, **kwargs))


@pytest.fixture
def uneven(tmp_path):
    """full holds de-de, en-en, ar-ar (only full) and de-en; half holds de-de, en-en, de-en; other en-en and de-en."""
    pairs = ("xquad-r/ar-ar", "xquad-r/de-de", "xquad-r/en-en", "xquad-r/de-en")
    return [
        make_submission(tmp_path, "full", toy_scores(1, pairs=pairs)),
        make_submission(tmp_path, "half", toy_scores(2, shift=0.15, pairs=pairs[1:])),
        make_submission(tmp_path, "other", toy_scores(3, pairs=pairs[2:])),
    ]


@pytest.fixture
def means(tmp_path):
    """base and better on six MoIR pairs; partial (as good as better) on four of them."""
    return [
        make_submission(tmp_path, "base", toy_scores(1, pairs=SIX)),
        make_submission(tmp_path, "better", toy_scores(2, shift=0.15, pairs=SIX)),
        make_submission(tmp_path, "partial", toy_scores(3, shift=0.15, pairs=FOUR)),
    ]


def per_pair(submission, pair: str) -> dict[str, float]:
    return submission.per_query(PairId.parse(pair))["AP"]


# --- the union of pairs -------------------------------------------------------------------------


def test_every_pair_any_system_holds_is_a_column_and_a_missing_pair_an_empty_cell(uneven):
    comparison = compare_submissions(uneven, test="t")
    keys = [c.key for c in comparison.columns]
    assert keys == ["xquad-r/ar-ar", "xquad-r/de-de", "xquad-r/en-en", "xquad-r/moir-mean", "xquad-r/de-en"]
    assert np.isnan(comparison.value("other", "AP", "xquad-r/de-de")) and comparison.pairs_of("other", "AP", "xquad-r/de-de") == 0
    cells = {
        line.split("|")[1].strip(): [c.strip() for c in line.strip().strip("|").split("|")[1:]]
        for line in comparison.to_markdown().splitlines() if line.startswith("| (")
    }
    assert cells["(c) other"][:2] == ["", ""] and re.fullmatch(r"0\.\d{4}", cells["(c) other"][2])
    assert "Empty cell: a pair the system does not hold." in comparison.to_markdown()
    assert "2 of the 4 pairs are not held by other (xquad-r/ar-ar, xquad-r/de-de): its cells there are empty" in comparison.notes
    assert comparison.protocol["pairs"].startswith("union")


def test_a_pair_is_tested_on_the_systems_that_hold_it_and_not_at_all_when_one_holds_it(uneven):
    comparison = compare_submissions(uneven, test="t")
    tested = {(t.system, t.other, t.column) for t in comparison.tests}
    assert not any(column == "xquad-r/ar-ar" for *_, column in tested)  # held by full alone
    assert {(a, b) for a, b, c in tested if c == "xquad-r/de-de"} == {("full", "half")}
    assert {(a, b) for a, b, c in tested if c == "xquad-r/en-en"} == {("full", "half"), ("full", "other"), ("half", "other")}
    full, half = (per_pair(s, "xquad-r/de-de") for s in uneven[:2])
    differences = np.array([full[q] - half[q] for q in sorted(full)])
    test = comparison.test("full", "half", "AP", "xquad-r/de-de")
    assert test.n == 60 and test.mean_difference == pytest.approx(differences.mean(), abs=1e-15)
    assert "a pair held by one system is not tested" in comparison.to_markdown()


def test_a_setting_mean_averages_the_pairs_its_system_holds_and_is_tested_on_the_pairs_both_hold(uneven):
    comparison = compare_submissions(uneven, test="t")
    mean = "xquad-r/moir-mean"
    own = {s.name: {p: np.mean(list(per_pair(s, p).values())) for p in s.meta["pairs"] if "moir" in PairId.parse(p).setting} for s in uneven}
    for name in ("full", "half", "other"):
        assert comparison.value(name, "AP", mean) == pytest.approx(np.mean(list(own[name].values())), abs=1e-15)
        assert comparison.pairs_of(name, "AP", mean) == len(own[name])
    assert [comparison.pairs_of(n, "AP", mean) for n in ("full", "half", "other")] == [3, 2, 1]
    both = ("xquad-r/de-de", "xquad-r/en-en")  # full's ar-ar is left out of its test against half
    test = comparison.test("full", "half", "AP", mean)
    assert (test.n, test.tested_pairs) == (2, 2)
    assert test.mean_difference == pytest.approx(np.mean([own["full"][p] - own["half"][p] for p in both]), abs=1e-15)
    assert comparison.value("full", "AP", mean) - comparison.value("half", "AP", mean) != pytest.approx(test.mean_difference, abs=1e-6)
    assert comparison.test("half", "other", "AP", mean).tested_pairs == 1
    pooled = compare_submissions(uneven, test="t", average_test="pooled").test("full", "half", "AP", mean)
    assert (pooled.n, pooled.tested_pairs) == (120, 2)


def test_the_table_says_how_many_pairs_a_partial_mean_averages_and_never_bolds_it(uneven):
    comparison = compare_submissions(uneven, test="t")
    markdown = comparison.to_markdown()
    row = next(line for line in markdown.splitlines() if line.startswith("| (b) half"))
    mean_cell = row.strip().strip("|").split("|")[4].strip()
    assert re.fullmatch(r"0\.\d{4}<sub>2/3</sub>.*", mean_cell) and not mean_cell.startswith("**")
    assert "(<sub>k/m</sub>: k of the m pairs; never bold)" in markdown
    assert comparison.best("AP", "xquad-r/moir-mean") == {"full"}  # half's mean is higher, on 2 of the 3 pairs
    assert comparison.value("half", "AP", "xquad-r/moir-mean") > comparison.value("full", "AP", "xquad-r/moir-mean")
    rows = {(r["system"], r["column"]): r for r in csv.DictReader(io.StringIO(compare_submissions(uneven, baseline="full", test="t").to_csv()))}
    assert (rows[("half", "mean")]["pairs"], rows[("half", "mean")]["pairs_held"], rows[("half", "mean")]["tested_pairs"]) == ("3", "2", "2")
    assert rows[("other", "de-de")]["value"] == "" and rows[("other", "de-de")]["pairs_held"] == "" and rows[("other", "de-de")]["p"] == ""


def test_common_pairs_keeps_the_intersection(uneven):
    comparison = compare_submissions(uneven, test="t", common_pairs=True)
    assert [c.key for c in comparison.columns] == ["xquad-r/en-en", "xquad-r/de-en"]
    assert all(not np.isnan(v) for v in comparison.values.values())


def test_systems_with_no_pair_in_common_are_not_tested_against_each_other_and_say_so(tmp_path):
    subs = [
        make_submission(tmp_path, "a", toy_scores(1, pairs=("xquad-r/de-de", "xquad-r/en-en"))),
        make_submission(tmp_path, "b", toy_scores(2, pairs=("xquad-r/de-de",))),
        make_submission(tmp_path, "c", toy_scores(3, pairs=("xquad-r/en-en",))),
    ]
    comparison = compare_submissions(subs, test="t")
    assert not any({t.system, t.other} == {"b", "c"} for t in comparison.tests)
    assert "b and c hold no pair in common: they are not tested against each other" in comparison.notes


def test_json_holds_empty_cells_pair_counts_the_legend_and_each_tests_pairs(uneven):
    payload = json.loads(compare_submissions(uneven, baseline="full", test="t").to_json())
    values = {(v["system"], v["column"]): v for v in payload["values"]}
    assert values[("other", "xquad-r/de-de")] == {"system": "other", "measure": "AP", "column": "xquad-r/de-de", "value": None, "pairs": 0}
    assert values[("half", "xquad-r/moir-mean")]["pairs"] == 2
    assert any(sentence.startswith("Empty cell:") for sentence in payload["legend"])
    test = next(t for t in payload["tests"] if t["system"] == "half" and t["column"] == "xquad-r/moir-mean")
    assert (test["tested_pairs"], test["n"], test["can_be_significant"], test["smallest_p"]) == (2, 2, True, 0.0)


# --- the mark on values that cannot be significant ---------------------------------------------


@pytest.mark.parametrize(("n", "floor"), [(1, 1.0), (2, 0.5), (4, 0.125), (5, 0.0625), (6, 0.03125), (13, 2 / 8192)])
def test_the_smallest_p_of_an_exact_sign_flip_test_is_two_over_two_to_the_n_and_the_kernels_reach_it(n, floor):
    assert smallest_p("randomization", n, 10_000) == floor
    assert randomization_p(np.arange(1.0, n + 1), 10_000)[0] == floor  # every difference positive: the extreme
    if n >= 2:
        assert smallest_p("wilcoxon", n, 10_000) == floor == pytest.approx(stats.wilcoxon(np.arange(1.0, n + 1)).pvalue, rel=1e-12)


def test_the_floors_of_the_other_tests_and_of_the_corrections():
    assert smallest_p("randomization", 14, 1000) == 1 / 1001  # 2^14 > B: sampled, p = (hits + 1) / (B + 1)
    assert smallest_p("t", 1, 10_000) == 1.0 and smallest_p("t", 2, 10_000) == 0.0
    assert smallest_p("bootstrap", 5, 999) == 1 / 1000 and smallest_p("bootstrap", 1, 999) == 1.0
    # from 14 units with ties scipy's Wilcoxon is the normal approximation, whose floor 2 Phi(-sqrt n) is above 2/2^n
    assert smallest_p("wilcoxon", 20, 0) == 2 / 2**20 < 2 * stats.norm.sf(np.sqrt(20))
    assert stats.wilcoxon(np.r_[np.ones(19), 0.0]).pvalue == pytest.approx(2 * stats.norm.sf(np.sqrt(19)), rel=1e-9)
    assert smallest_adjusted_p(0.03125, "holm", 2) == 0.0625 and smallest_adjusted_p(0.03125, "bonferroni", 40) == 1.0
    assert smallest_adjusted_p(0.03125, "bh", 40) == 0.03125 and smallest_adjusted_p(0.03125, "none", 40) == 0.03125


def test_a_mean_on_four_pairs_is_marked_and_on_six_is_not_without_a_correction(means):
    comparison = compare_submissions(means, baseline="base", correction="none", resamples=10_000)
    mean = "xquad-r/moir-mean"
    six, four = comparison.test("better", "base", "AP", mean), comparison.test("partial", "base", "AP", mean)
    assert (six.n, six.p, six.smallest_p, six.can_be_significant, six.significant) == (6, 0.03125, 0.03125, True, True)
    assert (four.n, four.p, four.smallest_p, four.can_be_significant, four.significant) == (4, 0.125, 0.125, False, False)
    cells = {line.split("|")[1].strip(): line.strip().strip("|").split("|")[7].strip() for line in comparison.to_markdown().splitlines()[4:7]}
    assert cells["better"].endswith("▲") and "†" not in cells["better"]
    assert cells["partial"].endswith("<sub>4/6</sub>†")
    legend = comparison.to_markdown().strip().splitlines()[-1]
    assert "†: none of this value's tests can be significant at α = 0.05" in legend and "2/2^n" in legend


def test_holm_over_the_family_marks_the_six_pair_mean_too(means):
    comparison = compare_submissions(means, baseline="base", correction="holm", family=["systems"], resamples=10_000)
    six = comparison.test("better", "base", "AP", "xquad-r/moir-mean")
    assert comparison.protocol["families"]["all systems | xquad-r/moir-mean | AP"] == 2
    assert six.p == 0.03125 and not six.can_be_significant and six.p_adjusted == 0.0625  # 2 x 0.03125: Holm's first step
    assert "times m, the size of its family, under Holm" in comparison.to_markdown()


# --- LaTeX ----------------------------------------------------------------------------------------


def balanced(latex: str) -> bool:
    depth = 0
    for char in re.sub(r"\\[{}%&_#$]", "", latex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def test_latex_is_a_table_with_its_legend_in_the_caption_and_a_label(means):
    comparison = compare_submissions(means, baseline="base", correction="none", resamples=2000)
    latex = comparison.to_latex(caption="AP of three toy systems & more.")
    assert balanced(latex) and latex.isascii()
    for env in ("table", "tabular"):
        assert latex.count(f"\\begin{{{env}}}") == latex.count(f"\\end{{{env}}}") == 1
    caption = re.search(r"\\caption\[\{(.*?)\}\]\{(.*)\}\n\\label\{(.*)\}", latex)
    assert caption.group(1) == r"AP of three toy systems \& more."
    assert caption.group(2).startswith(r"AP of three toy systems \& more. AP on xquad-r. Bold: the best value")
    for phrase in ("$^{\\dagger}$: none of this value's tests", "2,000 resamples, seed 0", "no correction", "$\\alpha$ = 0.05"):
        assert phrase in caption.group(2), phrase
    assert caption.group(3) == "tab:xquad-r-ap"
    assert re.search(r"0\.\d{4}\\textsubscript\{4/6\}\$\^\{\\dagger\}\$", latex)


def test_latex_labels_given_are_checked_and_suffixed_by_the_measure_where_there_are_several(tmp_path):
    subs = [make_submission(tmp_path, name, toy_scores(seed, pairs=FOUR, measures=("AP", "R@10"))) for name, seed in (("a", 1), ("b", 2))]
    comparison = compare_submissions(subs, test="t")
    assert re.findall(r"\\label\{(.*)\}", comparison.to_latex(label="tab:main")) == ["tab:main-ap", "tab:main-r-10"]
    assert re.findall(r"\\label\{(.*)\}", compare_submissions(subs, test="t", measures=["AP"]).to_latex(label="tab:main")) == ["tab:main"]
    with pytest.raises(HarnessError, match=r"--label 'tab main': use letters, digits"):
        comparison.to_latex(label="tab main")


def test_siunitx_makes_the_numeric_columns_s_columns_with_room_for_the_marks(means):
    comparison = compare_submissions(means, baseline="base", correction="none", resamples=2000)
    latex = comparison.to_latex(siunitx=True)
    assert balanced(latex) and latex.isascii() and r"\usepackage{siunitx}" in latex
    spec = re.search(r"\\begin\{tabular\}\{l(.*)\}\n", latex).group(1)
    columns = re.findall(r"S\[table-format=([^\]{]*)(?:\{(.*?)\})?\]", spec)
    assert len(columns) == 7 and all(number == "1.4" for number, _ in columns)
    assert columns[-1][1] == r"\textsubscript{4/6}$^{\blacktriangle}$"  # the mean: the widest count and mark
    assert r"\robustify\bfseries" in latex and r"\sisetup{text-series-to-math}" in latex
    assert "& {ar-ar} & {de-de}" in latex  # header text protected from the number parser
    partial = next(line for line in latex.splitlines() if line.startswith("partial"))
    assert re.search(r"& 0\.\d{4}\{\\textsubscript\{4/6\}\$\^\{\\dagger\}\$\} \\\\$", partial)
    better = next(line for line in latex.splitlines() if line.startswith("better"))
    assert re.search(r"& \\bfseries 0\.\d{4}\{\$\^\{\\blacktriangle\}\$\}", better)
    assert partial.count(" & ") == 7 and "&  &" in partial  # the two pairs partial does not hold are empty


def test_latex_compiles_with_pdflatex_where_it_is_installed(means, tmp_path):
    if shutil.which("pdflatex") is None or shutil.which("kpsewhich") is None:
        pytest.skip("pdflatex is not installed on this machine: the LaTeX is checked structurally above")
    needed = ("booktabs.sty", "amssymb.sty", "siunitx.sty", "etoolbox.sty")
    if not all(subprocess.run(["kpsewhich", name], capture_output=True, text=True, check=False).stdout.strip() for name in needed):
        pytest.skip(f"a package of {needed} is missing from the TeX installation")
    comparison = compare_submissions(means, baseline="base", correction="none", resamples=2000)
    for siunitx in (False, True):
        body = comparison.to_latex(caption="Toy & co.", siunitx=siunitx)
        preamble = "\\documentclass{article}\\usepackage[T1]{fontenc}\\usepackage{booktabs,amssymb,siunitx,etoolbox}"
        (tmp_path / "table.tex").write_text(f"{preamble}\n\\begin{{document}}\n{body}\n\\end{{document}}\n")
        command = ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "table.tex"]
        done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout[-3000:]


# --- display names --------------------------------------------------------------------------------


def test_display_names_rename_systems_in_every_format(means, tmp_path):
    comparison = api.compare(means, baseline="base", correction="none", resamples=2000, display_names="base=BM25 base,better=Better_Sys")
    markdown = comparison.to_markdown()
    assert "| BM25 base (baseline) |" in markdown and "| Better_Sys " in markdown and "| partial " in markdown
    assert "than the baseline BM25 base (" in markdown
    assert r"Better\_Sys &" in comparison.to_latex() and "<th scope=\"row\">BM25 base (baseline)</th>" in comparison.to_html()
    rows = list(csv.DictReader(io.StringIO(comparison.to_csv())))
    assert {(r["system"], r["display_name"]) for r in rows} == {("base", "BM25 base"), ("better", "Better_Sys"), ("partial", "partial")}
    assert json.loads(comparison.to_json())["display_names"] == {"base": "BM25 base", "better": "Better_Sys"}
    table = tmp_path / "names.tsv"
    table.write_text("# system\tname\nbetter\tBetter, tuned (k1=0.9)\n\nbase\tBM25\n", encoding="utf-8")
    assert parse_display_names(table) == parse_display_names(str(table)) == {"better": "Better, tuned (k1=0.9)", "base": "BM25"}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nobody=X", r"--display-names: 'nobody' is not a compared system \(compared: base, better, partial\)"),
        ("base=A,better=A", "two systems would print as 'A'"),
        ("base=A,base=B", "'base' is given two display names"),
        ("base=", "empty display name"),
        ("base=A,better", r"'better' is not SYSTEM=NAME"),
        ("missing.tsv", "expected SYSTEM=NAME pairs separated by commas, or a TSV file"),
    ],
)
def test_bad_display_names_are_one_clear_error(means, spec, message):
    with pytest.raises(HarnessError, match=message):
        api.compare(means, baseline="base", test="t", display_names=spec)


def test_a_display_names_file_with_a_bad_line_names_the_line(tmp_path):
    table = tmp_path / "names.tsv"
    table.write_text("a\tA\nb B\n", encoding="utf-8")
    with pytest.raises(HarnessError, match=r"names.tsv:2: expected SYSTEM<TAB>NAME, got 1 field"):
        parse_display_names(table)


# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def cli_args(means, tmp_path):
    (tmp_path / "no-data").mkdir()
    return ["--submissions", str(tmp_path), "--data-dir", str(tmp_path / "no-data"), "--quiet", "--resamples", "200"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--siunitx"], "--siunitx shapes --format latex output; --format markdown has no use for it"),
        (["--label", "tab:x", "--format", "csv"], "--label shapes --format latex output; --format csv has no use for it"),
        (["--caption", "x", "--format", "json"], "--caption shapes --format latex or markdown or html output"),
        (["--display-names", "nobody=X"], "--display-names: 'nobody' is not a compared system"),
        (["--format", "latex", "--label", "bad label"], "--label 'bad label': use letters, digits"),
    ],
)
def test_cli_refuses_inapplicable_or_bad_table_options_in_one_line(cli_args, capsys, extra, message):
    code = main(["compare", "base", "better", "partial", *cli_args, *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("harness: error: ") and message in err


def test_cli_latex_with_caption_label_siunitx_and_display_names(cli_args, capsys, tmp_path):
    out = tmp_path / "table.tex"
    code = main([
        "compare", "base", "better", "partial", "--baseline", "base", *cli_args, "--format", "latex", "--siunitx",
        "--caption", "Toy results.", "--label", "tab:toy", "--display-names", "base=BM25", "--output", str(out),
    ])
    latex = out.read_text()
    assert code == 0 and r"\caption[{Toy results.}]{Toy results. AP on xquad-r." in latex and r"\label{tab:toy}" in latex
    assert "S[table-format=1.4" in latex and "BM25 (baseline) &" in latex and balanced(latex)


def test_cli_common_pairs_takes_effect(cli_args, capsys):
    assert main(["compare", "base", "partial", *cli_args, "--format", "json"]) == 0
    union = json.loads(capsys.readouterr().out)
    assert main(["compare", "base", "partial", *cli_args, "--format", "json", "--common-pairs"]) == 0
    common = json.loads(capsys.readouterr().out)
    assert len(union["columns"]) == 7 and len(common["columns"]) == 5  # six pairs and their mean; four and theirs
    assert union["notes"][0].startswith("2 of the 6 pairs are not held by partial (xquad-r/ru-ru, xquad-r/zh-zh)")
    assert common["notes"][0].startswith("base: 2 pair(s) not held by every system left out")
    assert common["protocol"]["pairs"].startswith("common")
