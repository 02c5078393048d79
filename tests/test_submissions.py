"""The submission store: safe names, exact per-query round trips, resumable meta.json."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.report.tables import macro_averages, results_frame
from harness.submissions import PairRecord, Submission, check_name, read_per_query, write_per_query

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".", "..", "x" * 200, "-dash-first", "sp ace"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(HarnessError, match="bad submission name"):
        check_name(name)


def test_per_query_scores_round_trip_exactly(tmp_path):
    values = {"AP": {"q1": 1 / 3, "q2": 0.1 + 0.2}, "R@10": {"q1": 1.0, "q2": 0.0}}
    write_per_query(tmp_path / "pq.tsv", values)
    assert read_per_query(tmp_path / "pq.tsv") == values


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("query_id\tAP\nq1\t0.5\nq2\tabc\n", r"pq.tsv:3: expected a number, found 'abc'"),
        ("query_id\tAP\nq1\t0.5\t1\n", r"pq.tsv:2: expected 2 tab-separated fields, found 3"),
        ("", r"pq.tsv:1: expected a header"),
    ],
)
def test_a_broken_per_query_file_is_one_clear_line(tmp_path, text, message):
    (tmp_path / "pq.tsv").write_text(text)
    with pytest.raises(HarnessError, match=message):
        read_per_query(tmp_path / "pq.tsv")


def test_a_submission_refuses_a_different_system(tmp_path):
    sub = Submission.open_or_create(tmp_path, "bm25", {"model": "bm25", "k1": 0.9}, "cmd")
    sub.save()
    assert Submission.open_or_create(tmp_path, "bm25", {"model": "bm25", "k1": 0.9}, "cmd").name == "bm25"
    with pytest.raises(HarnessError, match="different system"):
        Submission.open_or_create(tmp_path, "bm25", {"model": "bm25", "k1": 1.2}, "cmd")


def test_broken_meta_json_is_one_clear_line(tmp_path):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "meta.json").write_text('{"name": "s",\n "pairs": }')
    with pytest.raises(HarnessError, match=r"meta.json:2: not valid JSON"):
        Submission.load(tmp_path / "s")


def _record(pair: str, ap: float) -> PairRecord:
    return PairRecord(pair, PairId.parse(pair).setting, {"AP": ap}, 10)


def test_macro_averages_stay_within_a_setting():
    records = [_record("x/de-de", 0.5), _record("x/en-en", 0.7), _record("x/de-en", 0.2), _record("x/de-xx", 0.1)]
    averages = macro_averages(records)
    assert averages["moir"]["AP"] == pytest.approx(0.6)
    assert averages["clir"]["AP"] == pytest.approx(0.2)
    assert averages["mlir"]["AP"] == pytest.approx(0.1)
    frame = results_frame(records)
    assert list(frame["pair"])[-3:] == ["mean MOIR (2 pairs)", "mean CLIR (1 pair)", "mean MLIR (1 pair)"]


def test_meta_json_is_valid_after_save(tmp_path):
    sub = Submission.open_or_create(tmp_path, "s", {"model": "m"}, "harness eval")
    sub.save()
    meta = json.loads((tmp_path / "s" / "meta.json").read_text())
    assert meta["name"] == "s" and meta["pairs"] == {} and meta["harness_version"]


def test_every_command_that_added_pairs_is_recorded_once_and_a_rerun_that_changes_nothing_is_not(tmp_path):
    from types import SimpleNamespace

    first = Submission.open_or_create(tmp_path, "s", {"model": "bm25"}, "harness eval --dataset a")
    pair = PairId.parse("xquad-r/en-en")
    first.add_pair(pair, PairRecord(str(pair), "moir", {"AP": 1.0}, 1), SimpleNamespace(per_query={"AP": {"q": 1.0}}), None)
    again = Submission.open_or_create(tmp_path, "s", {"model": "bm25"}, "harness eval --dataset b")
    rerun = Submission.open_or_create(tmp_path, "s", {"model": "bm25"}, "harness eval --dataset c")
    assert not rerun.add_pair(pair, PairRecord(str(pair), "moir", {"AP": 1.0}, 1), SimpleNamespace(per_query={"AP": {"q": 1.0}}), None)
    pair = PairId.parse("mlqa-r/en-en")
    again.add_pair(pair, PairRecord(str(pair), "moir", {"AP": 1.0}, 1), SimpleNamespace(per_query={"AP": {"q": 1.0}}), None)
    Submission.open_or_create(tmp_path, "s", {"model": "bm25"}, "harness eval --dataset a").add_pair(
        pair, PairRecord(str(pair), "moir", {"AP": 0.5}, 1), SimpleNamespace(per_query={"AP": {"q": 0.5}}), None
    )
    assert Submission.load(tmp_path / "s").commands() == ["harness eval --dataset a", "harness eval --dataset b"]
    assert Submission.load(tmp_path / "s").meta["command"] == "harness eval --dataset a"


def test_no_committed_result_or_page_holds_a_machine_path():
    import re

    machine_path = re.compile(r"(?<![\w.])/(root|home|work|tmp|Users|var|opt)/")
    files = [*sorted((REPO / "submissions").glob("*/meta.json")), *sorted((REPO / "leaderboards").glob("*.html"))]
    assert len(files) >= 8
    offenders = [f"{path.relative_to(REPO)}: {match.group(0)}" for path in files for match in [machine_path.search(path.read_text())] if match]
    assert offenders == []
