"""Report.to_frame (pairs only), means_frame (macro averages) and per_query_frame (long per-query scores)."""
from __future__ import annotations

import pytest

from harness import api
from harness.errors import HarnessError
from harness.report.evaluation_report import Report
from harness.submissions import PairRecord
from tests.fixtures.cli.tree import toy_registrations
from tests.test_candidate_text import QUESTIONS, SENTENCES
from tests.test_datasets_lareqa import paragraph, write_language

PAIRS = ["toy-r/de-de", "toy-r/en-en", "toy-r/de-en", "toy-r/en-de", "toy-r/de-xx", "toy-r/en-xx"]  # MOIR, CLIR, MLIR


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory):
    """The toy model on all six toy-r pairs, then the same call again (every pair stored, so skipped)."""
    root = tmp_path_factory.mktemp("frames")
    for lang in SENTENCES:
        write_language(root / "data" / "lareqa" / "toy-r", lang, [paragraph(SENTENCES[lang], QUESTIONS[lang])])
    with toy_registrations():
        first = api.evaluate("toy-overlap", "toy-r", data_dir=root / "data", submissions_dir=root / "subs", progress=False)
        again = api.evaluate("toy-overlap", "toy-r", data_dir=root / "data", submissions_dir=root / "subs", progress=False)
    return first, again


def test_to_frame_has_one_row_per_pair_and_integer_query_counts(evaluated) -> None:
    report, _ = evaluated
    frame = report.to_frame()
    assert list(frame["pair"]) == PAIRS and list(frame["setting"]) == ["moir"] * 2 + ["clir"] * 2 + ["mlir"] * 2
    assert list(frame.columns) == ["pair", "setting", "queries", "AP", "R@1", "R@10", "RankDistance"]
    assert str(frame["queries"].dtype) == "int64" and list(frame["queries"]) == [2] * 6
    by_pair = {record.pair: record for record in report.records}
    for row in frame.itertuples(index=False):
        assert row.AP == by_pair[row.pair].measures["AP"]
    # the toy model's AP on de-xx: 5/6 for q1, 1/2 for q2 (test_per_query_frame_... reads them)
    assert frame.set_index("pair").loc["toy-r/de-xx", "AP"] == pytest.approx((5 / 6 + 1 / 2) / 2, abs=1e-12)
    assert frame["RankDistance"].isna().tolist() == [True] * 4 + [False] * 2  # only MLIR pairs have it


def test_means_frame_holds_the_macro_averages_of_each_setting(evaluated) -> None:
    report, _ = evaluated
    means = report.means_frame()
    assert list(means["setting"]) == ["moir", "clir", "mlir"] and str(means["pairs"].dtype) == "int64"
    assert list(means["pairs"]) == [2, 2, 2] and list(means.columns) == ["setting", "pairs", "AP", "R@1", "R@10", "RankDistance"]
    pairs = report.to_frame()
    expected = pairs.groupby("setting", sort=False)[["AP", "R@1", "R@10"]].mean()
    for measure in ("AP", "R@1", "R@10"):
        assert means.set_index("setting")[measure].tolist() == pytest.approx(expected[measure].tolist(), abs=1e-12)
    assert means.set_index("setting").loc["moir", "AP"] == pytest.approx((1.0 + 0.75) / 2, abs=1e-12)
    # no average of a measure some pair of the setting lacks
    assert means["RankDistance"].isna().tolist() == [True, True, False]


def test_per_query_frame_is_long_and_averages_to_the_pair_rows(evaluated) -> None:
    report, _ = evaluated
    long = report.per_query_frame()
    assert list(long.columns) == ["pair", "query_id", "measure", "value"] and str(long["value"].dtype) == "float64"
    assert list(long["pair"].drop_duplicates()) == PAIRS
    first = long[long["pair"] == "toy-r/de-xx"]
    assert list(zip(first["query_id"], first["measure"]))[:4] == [("q1", "AP"), ("q1", "R@1"), ("q1", "R@10"), ("q1", "RankDistance")]
    assert first.set_index(["query_id", "measure"])["value"].to_dict()[("q1", "AP")] == pytest.approx(5 / 6, abs=1e-12)
    assert len(long) == 4 * 2 * 3 + 2 * 2 * 4  # 4 pairs x 2 queries x 3 measures, 2 MLIR pairs x 2 queries x 4
    wide = long.pivot(index=["pair", "query_id"], columns="measure", values="value")
    pair_means = wide.groupby(level="pair").mean()
    frame = report.to_frame().set_index("pair")
    for measure in ("AP", "R@1", "R@10"):
        assert pair_means.loc[PAIRS, measure].tolist() == pytest.approx(frame.loc[PAIRS, measure].tolist(), abs=1e-12)


def test_skipped_pairs_read_their_per_query_scores_from_the_submission(evaluated) -> None:
    first, again = evaluated
    assert sorted(again.skipped) == sorted(PAIRS) and again.evaluations == {}
    assert again.per_query_frame().equals(first.per_query_frame())
    assert again.to_frame().equals(first.to_frame())


def test_a_report_without_per_query_scores_says_so() -> None:
    report = Report([PairRecord("toy-r/de-en", "clir", {"AP": 0.5}, 2)])
    assert report.to_frame()["queries"].tolist() == [2]
    with pytest.raises(HarnessError, match="toy-r/de-en: this report holds no per-query scores"):
        report.per_query_frame()


def test_an_empty_report_gives_empty_frames_of_the_same_columns() -> None:
    report = Report([])
    assert list(report.to_frame().columns) == ["pair", "setting", "queries"] and report.to_frame().empty
    assert list(report.means_frame().columns) == ["setting", "pairs"] and report.means_frame().empty
    assert list(report.per_query_frame().columns) == ["pair", "query_id", "measure", "value"]


def test_the_table_still_shows_the_means_below_the_pairs(evaluated) -> None:
    report, _ = evaluated
    lines = report.to_table().splitlines()
    assert lines[-3].startswith("mean MOIR (2 pairs)") and lines[-1].startswith("mean MLIR (2 pairs)")
