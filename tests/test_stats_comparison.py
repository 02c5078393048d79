"""The comparison of submissions: shared pairs and queries, family-wise corrections, averages, errors, CLI."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from harness import api
from harness.cli import main
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.report.comparison_report import ComparisonReport
from harness.stats import compare_submissions as compare_stats
from harness.stats import randomization_p, t_test_p
from harness.stats.corrections import holm
from harness.submissions import PairRecord, Submission


def compare_submissions(*args, **kwargs) -> ComparisonReport:
    """The comparison with its tables, as :func:`harness.compare` returns it."""
    return ComparisonReport(compare_stats(*args, **kwargs))


def make_submission(root, name: str, scores: dict[str, dict[str, dict[str, float]]]) -> Submission:
    """A submission holding ``pair -> measure -> query id -> value`` (no runs: compare reads per-query scores)."""
    submission = Submission.open_or_create(root, name, {"model": name}, f"test {name}")
    for pair, per_query in scores.items():
        pair_id = PairId.parse(pair)
        means = {m: float(np.mean(list(v.values()))) for m, v in per_query.items()}
        count = len(next(iter(per_query.values())))
        record = PairRecord(pair, pair_id.setting, means, count)
        submission.add_pair(pair_id, record, SimpleNamespace(per_query=per_query), None)
    return submission


def toy_scores(seed: int, shift: float = 0.0, pairs=("xquad-r/de-de", "xquad-r/en-en", "xquad-r/de-en"), n: int = 60, measures=("AP",)):
    rng = np.random.default_rng(seed)
    base = np.random.default_rng(99).random(n)  # query difficulty shared by every system
    return {
        pair: {
            m: {f"q{i:03d}": float(np.clip(base[i] + shift + rng.normal(0, 0.1), 0, 1)) for i in range(n)} for m in measures
        }
        for pair in pairs
    }


@pytest.fixture
def three(tmp_path):
    return [
        make_submission(tmp_path, "base", toy_scores(1)),
        make_submission(tmp_path, "better", toy_scores(2, shift=0.15)),
        make_submission(tmp_path, "same", toy_scores(3)),
    ]


def test_baseline_tests_are_the_kernels_on_the_shared_per_query_differences(three):
    comparison = compare_submissions(three, baseline="base", resamples=2000, seed=7)
    base, better = (s.per_query(PairId.parse("xquad-r/de-en"))["AP"] for s in three[:2])
    differences = np.array([better[q] - base[q] for q in sorted(base)])
    result = comparison.test("better", "base", "AP", "xquad-r/de-en")
    assert result.p == randomization_p(differences, 2000, 7)[0]
    assert result.mean_difference == pytest.approx(differences.mean(), abs=1e-15)
    assert result.n == 60 and result.significant and result.better
    assert comparison.value("better", "AP", "xquad-r/de-en") == pytest.approx(np.mean(list(better.values())), abs=1e-15)
    assert not comparison.test("same", "base", "AP", "xquad-r/de-en").significant
    assert {(t.system, t.other) for t in comparison.tests} == {("better", "base"), ("same", "base")}


def test_a_p_value_does_not_depend_on_the_other_systems_in_the_table(three):
    alone = compare_submissions(three[:2], baseline="base", resamples=2000)
    together = compare_submissions(three, baseline="base", resamples=2000)
    for column in ("xquad-r/de-en", "xquad-r/moir-mean"):
        assert alone.test("better", "base", "AP", column).p == together.test("better", "base", "AP", column).p


def test_same_inputs_and_seed_give_the_same_bits_and_another_seed_other_bits(three):
    first = compare_submissions(three, resamples=500, seed=3)
    again = compare_submissions(three, resamples=500, seed=3)
    other = compare_submissions(three, resamples=500, seed=4)
    assert [t.to_dict() for t in first.tests] == [t.to_dict() for t in again.tests]
    assert [t.ci_low for t in first.tests] != [t.ci_low for t in other.tests]
    assert first.protocol["seed"] == 3 and first.protocol["resamples"] == 500


def test_all_pairs_tests_each_unordered_pair_once_and_holm_runs_over_the_whole_family(three):
    comparison = compare_submissions(three, test="t", correction="holm")
    pairs = {(t.system, t.other) for t in comparison.tests}
    assert pairs == {("base", "better"), ("base", "same"), ("better", "same")}
    # 3 comparisons x (3 pairs + MoIR mean) x 1 measure; de-en is alone in CLIR, so it has no mean column
    assert len(comparison.tests) == 12 and comparison.protocol["families"] == {"all systems | xquad-r | all measures": 12}
    raw = np.array([t.p for t in comparison.tests])
    assert np.array_equal(np.array([t.p_adjusted for t in comparison.tests]), holm(raw))


def test_a_family_per_cell_corrects_only_across_the_systems_of_that_cell(three):
    comparison = compare_submissions(three, baseline="base", test="t", correction="bonferroni", family=["systems"])
    assert set(comparison.protocol["families"].values()) == {2}
    for test in comparison.tests:
        assert test.p_adjusted == min(1.0, 2 * test.p)


def test_setting_average_is_the_macro_average_tested_on_per_pair_means(three):
    comparison = compare_submissions(three, baseline="base", test="t")
    column = next(c for c in comparison.columns if c.key == "xquad-r/moir-mean")
    assert column.pairs == ("xquad-r/de-de", "xquad-r/en-en")
    means = {
        s.name: [np.mean(list(s.per_query(PairId.parse(p))["AP"].values())) for p in column.pairs] for s in three[:2]
    }
    assert comparison.value("better", "AP", column.key) == pytest.approx(np.mean(means["better"]), abs=1e-15)
    result = comparison.test("better", "base", "AP", column.key)
    assert result.n == 2
    assert result.p == pytest.approx(t_test_p(np.subtract(means["better"], means["base"]))[0], abs=1e-15)


def test_pooled_average_test_pools_the_per_query_scores_of_the_pairs(three):
    comparison = compare_submissions(three, baseline="base", test="t", average_test="pooled")
    assert comparison.test("better", "base", "AP", "xquad-r/moir-mean").n == 120
    assert comparison.protocol["average_test"] == "pooled"


def test_a_family_too_large_for_the_resamples_is_flagged(three):
    # 2 comparisons x 4 columns = 8 tests: Holm's first step needs p < 0.05 / 8, and 1 / (B + 1) = 1 / 101 is not
    coarse = compare_submissions(three, baseline="base", resamples=100)
    assert "use --resamples 160 or more" in coarse.notes[-1] and not any(t.significant for t in coarse.tests)
    fine = compare_submissions(three, baseline="base", resamples=1000)
    assert not any("warning" in note for note in fine.notes) and any(t.significant for t in fine.tests)


def without(scores, query_ids, pairs=None):
    """``scores`` without ``query_ids`` on ``pairs`` (default: every pair)."""
    return {
        pair: {m: {q: v for q, v in by_query.items() if pairs is not None and pair not in pairs or q not in query_ids} for m, by_query in measures.items()}
        for pair, measures in scores.items()
    }


def test_values_are_own_means_and_each_test_uses_the_queries_its_two_systems_hold(tmp_path):
    """a holds every query; b lacks the first three of every pair, c the last three of de-en."""
    scores = {
        "a": toy_scores(1),
        "b": without(toy_scores(2, shift=0.1), ("q000", "q001", "q002")),
        "c": without(toy_scores(3), ("q057", "q058", "q059"), pairs=("xquad-r/de-en",)),
    }
    subs = [make_submission(tmp_path, name, s) for name, s in scores.items()]
    comparison = compare_submissions(subs, test="t")
    assert comparison.queries["xquad-r/de-en"] == {"shared": 54, "per_system": {"a": 60, "b": 57, "c": 57}}
    for name, held in scores.items():
        own = {p: np.mean(list(held[p]["AP"].values())) for p in held}
        assert comparison.value(name, "AP", "xquad-r/de-en") == pytest.approx(own["xquad-r/de-en"], abs=1e-15)
        assert comparison.value(name, "AP", "xquad-r/moir-mean") == pytest.approx(np.mean([own["xquad-r/de-de"], own["xquad-r/en-en"]]), abs=1e-15)
    tests = {(x, y): comparison.test(x, y, "AP", "xquad-r/de-en") for x, y in (("a", "b"), ("a", "c"), ("b", "c"))}
    assert {k: t.n for k, t in tests.items()} == {("a", "b"): 57, ("a", "c"): 57, ("b", "c"): 54}
    shared = sorted(scores["b"]["xquad-r/de-en"]["AP"])
    differences = np.array([scores["a"]["xquad-r/de-en"]["AP"][q] - scores["b"]["xquad-r/de-en"]["AP"][q] for q in shared])
    assert tests[("a", "b")].p == pytest.approx(t_test_p(differences)[0], abs=1e-15)
    assert tests[("a", "b")].mean_difference == pytest.approx(differences.mean(), abs=1e-15)
    alone = compare_submissions(subs[:2], test="t")  # another system joining changes no test of a and b
    assert alone.test("a", "b", "AP", "xquad-r/de-en").p == pytest.approx(tests[("a", "b")].p, rel=1e-12)
    mean_test = comparison.test("a", "b", "AP", "xquad-r/moir-mean")
    per_pair = [np.mean([scores["a"][p]["AP"][q] - scores["b"][p]["AP"][q] for q in scores["b"][p]["AP"]]) for p in ("xquad-r/de-de", "xquad-r/en-en")]
    assert mean_test.n == 2 and mean_test.mean_difference == pytest.approx(np.mean(per_pair), abs=1e-15)
    assert "the systems hold different queries of 3 pair(s) (xquad-r/de-de: a 60, b 57, c 60; " in comparison.notes[0]
    assert "xquad-r/de-en: a 60, b 57, c 57)" in comparison.notes[0]
    assert "both hold: between 54 and 60 (n of each test in --format json and csv) per pair" in comparison.to_markdown()
    assert {row["n"] for row in csv.DictReader(io.StringIO(compare_submissions(subs, baseline="a", test="t").to_csv())) if row["column"] == "de-en" and row["n"]} == {"57"}


def test_common_pairs_compares_systems_on_different_pairs_on_the_pairs_they_share(tmp_path):
    a = make_submission(tmp_path, "a", toy_scores(1))
    b = make_submission(tmp_path, "b", toy_scores(2, pairs=("xquad-r/de-de", "xquad-r/en-en")))
    comparison = compare_submissions([a, b], test="t", common_pairs=True)
    assert [c.key for c in comparison.columns] == ["xquad-r/de-de", "xquad-r/en-en", "xquad-r/moir-mean"]
    assert any(note.startswith("a: 1 pair(s) not held by every system left out (xquad-r/de-en)") for note in comparison.notes)
    assert comparison.protocol["pairs"].startswith("common")
    union = compare_submissions([a, b], test="t")  # the default: every pair, de-en's b cell empty and untested
    assert [c.key for c in union.columns] == ["xquad-r/de-de", "xquad-r/en-en", "xquad-r/moir-mean", "xquad-r/de-en"]
    assert union.value("b", "AP", "xquad-r/de-en") is not None and np.isnan(union.value("b", "AP", "xquad-r/de-en"))
    assert union.test("a", "b", "AP", "xquad-r/de-en") is None


def test_equivalence_is_reported_with_a_margin(three):
    comparison = compare_submissions(three, baseline="base", test="t", margin=0.05)
    same = comparison.test("same", "base", "AP", "xquad-r/de-de")
    better = comparison.test("better", "base", "AP", "xquad-r/de-de")
    assert same.equivalent and not same.significant and same.tost_p_adjusted < 0.05
    assert better.equivalent is False and better.significant
    assert comparison.protocol["equivalence_margin"] == 0.05


def test_lower_is_better_measures_count_a_decrease_as_a_win(tmp_path):
    low = {"xquad-r/de-xx": {"RankDistance": {f"q{i}": 10.0 + i % 3 for i in range(30)}}}
    high = {"xquad-r/de-xx": {"RankDistance": {f"q{i}": 50.0 + i % 3 for i in range(30)}}}
    comparison = compare_submissions(
        [make_submission(tmp_path, "high", high), make_submission(tmp_path, "low", low)], baseline="high", test="t"
    )
    result = comparison.test("low", "high", "RankDistance", "xquad-r/de-xx")
    assert result.better and result.wins == 30 and result.mean_difference == -40.0
    assert comparison.best("RankDistance", "xquad-r/de-xx") == {"low"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baseline": "nobody"}, "baseline 'nobody' is not among the compared submissions"),
        ({"measures": ["nDCG@10"]}, "measure 'nDCG@10' is not in every submission's scores"),
        ({"family": ["queries"]}, "bad family 'queries'"),
        ({"test": "z"}, "unknown test 'z'"),
        ({"correction": "sidak"}, "unknown correction 'sidak'"),
        ({"alpha": 1.5}, "alpha must be between 0 and 1"),
        ({"datasets": ["mmarco"]}, "holds no pair on mmarco"),
    ],
)
def test_bad_options_are_one_clear_error(three, kwargs, message):
    with pytest.raises(HarnessError, match=message.replace("(", r"\(")):
        compare_submissions(three, **kwargs)


def test_disjoint_pairs_and_disjoint_queries_are_clear_errors(tmp_path):
    a = make_submission(tmp_path, "a", toy_scores(1, pairs=("xquad-r/de-de",)))
    b = make_submission(tmp_path, "b", toy_scores(2, pairs=("xquad-r/en-en",)))
    with pytest.raises(HarnessError, match="share no language pair"):
        compare_submissions([a, b])
    other = {"xquad-r/de-de": {"AP": {f"z{i}": 0.5 for i in range(5)}}}
    c = make_submission(tmp_path, "c", other)
    with pytest.raises(HarnessError, match=r"xquad-r/de-de: a and c share no query \(queries per system: a 60, c 5\)"):
        compare_submissions([a, c])


def test_unknown_submission_names_the_folders_it_looked_in(tmp_path, three):
    with pytest.raises(HarnessError, match=r"unknown submission 'bse'.*did you mean 'base'\?.*known in .*: base, better, same"):
        api.compare(["bse", "better"], submissions_dir=tmp_path)


def test_cli_compare_prints_json_and_fails_in_one_line(tmp_path, three, capsys):
    (tmp_path / "no-data").mkdir()
    no_data = ["--data-dir", str(tmp_path / "no-data")]  # an empty data folder: the toy query ids are no dataset's
    code = main(["compare", "base", "better", "--baseline", "base", "--test", "t", "--format", "json", "--submissions", str(tmp_path), "--quiet", *no_data])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["baseline"] == "base" and payload["protocol"]["test"] == "t"
    assert {t["column"] for t in payload["tests"]} == {"xquad-r/de-de", "xquad-r/en-en", "xquad-r/de-en", "xquad-r/moir-mean"}
    assert {t["n"] for t in payload["tests"]} == {60, 2}  # queries of a pair, pairs of the MoIR mean
    assert payload["protocol"]["paired_on"].startswith("the queries both systems hold (n of each test)")
    code = main(["compare", "base", "better", "--baseline", "same", "--submissions", str(tmp_path), "--quiet", *no_data])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and err.startswith("harness: error: baseline 'same' is not among")


def test_cli_compare_writes_the_table_atomically_to_a_file(tmp_path, three, capsys):
    out = tmp_path / "table.tex"
    (tmp_path / "no-data").mkdir()
    code = main(["compare", "base", "better", "same", "--format", "latex", "--output", str(out), "--submissions", str(tmp_path), "--quiet", "--resamples", "200",
                 "--data-dir", str(tmp_path / "no-data")])
    assert code == 0 and "\\toprule" in out.read_text() and capsys.readouterr().out == ""
    assert not list(tmp_path.glob("*.tmp*"))


def test_real_bm25_against_an_identical_copy_finds_no_difference(tmp_path):
    """A/A on the committed BM25 per-query scores of XQuAD-R: every difference is 0, so every p is 1."""
    source = api.load_submission(Path(__file__).parents[1] / "submissions" / "bm25")
    copy_root = tmp_path / "bm25-copy"
    shutil.copytree(source.root, copy_root)
    meta = json.loads((copy_root / "meta.json").read_text())
    (copy_root / "meta.json").write_text(json.dumps({**meta, "name": "bm25-copy"}))
    comparison = api.compare([source.root, copy_root], baseline="bm25", dataset="xquad-r", measures="AP", resamples=1000)
    assert len(comparison.columns) == 132 + 3
    assert comparison.queries["xquad-r/de-en"]["shared"] == 1190
    assert all(t.p == 1.0 and t.ties == t.n and not t.significant for t in comparison.tests)
    assert comparison.value("bm25", "AP", "xquad-r/moir-mean") == pytest.approx(0.7742, abs=5e-5)


def test_columns_tested_by_exact_enumeration_are_named_in_the_protocol(three):
    comparison = compare_submissions(three, baseline="base", resamples=1000)
    # the MoIR mean has 2 units (pairs): 2^2 <= 1000 sign patterns, enumerated; the pairs' 60 queries are sampled
    assert comparison.protocol["exact_columns"] == ["xquad-r/moir-mean"]
    assert comparison.test("better", "base", "AP", "xquad-r/moir-mean").p in (0.5, 1.0)
    assert "exact: every sign pattern enumerated for 1 column(s)" in comparison.to_markdown()
