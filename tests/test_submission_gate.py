"""The one gate (harness.validation.check_submission): every hostile submission the issue names is
refused with a one-line reason, by validate, compare and the leaderboard alike, and reading is bounded."""
from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from harness import api
from harness.cli import main
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.submissions import PairRecord, Submission
from harness.validation import check_submission

REPO = Path(__file__).resolve().parents[1]
PAIR = "xquad-r/de-de"
SCORES = {"q1": 1.0, "q2": 0.5, "q3": 0.0}


def make(root: Path, name: str = "sys", scores: dict[str, float] = SCORES, pair: str = PAIR, measure: str = "AP") -> Path:
    """A valid one-pair submission written through the store."""
    submission = Submission.open_or_create(root, name, {"model": "external-run"}, f"harness submit --name {name}")
    pair_id = PairId.parse(pair)
    mean = sum(scores.values()) / len(scores)
    submission.add_pair(pair_id, PairRecord(pair, pair_id.setting, {measure: mean}, len(scores)), SimpleNamespace(per_query={measure: scores}), None)
    return root / name


def problems(folder: Path, data_dir: Path | None = None) -> list[str]:
    return check_submission(folder, data_dir=data_dir or folder / "no-data").problems


def edit_meta(folder: Path, change) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    change(meta)
    (folder / "meta.json").write_text(json.dumps(meta))


def per_query(folder: Path, pair: str = PAIR) -> Path:
    return folder / "pairs" / pair / "per-query.tsv"


def test_a_valid_submission_passes_and_reports_its_coverage(tmp_path):
    check = check_submission(make(tmp_path), data_dir=tmp_path / "no-data")
    assert check.valid and check.problems == [] and check.coverage == {PAIR: (3, None)}
    assert any("query ids of xquad-r not checked" in note for note in check.notes)


@pytest.mark.parametrize(
    "body, needle",
    [
        ("query_id\tAP\nq1\t1.0\nq1\t0.5\nq3\t0.0\n", "per-query.tsv:3: query 'q1' appears twice"),
        ("query_id\tAP\nq1\t1.0\nq2\tinf\nq3\t0.0\n", "per-query.tsv:3: AP is inf; scores must be finite numbers"),
        ("query_id\tAP\nq1\t1.0\nq2\tnan\nq3\t0.0\n", "per-query.tsv:3: AP is nan"),
        ("query_id\tAP\tAP\nq1\t1.0\t1.0\n", "per-query.tsv:1: measure 'AP' appears twice in the header"),
        ("query_id\tAP\nq1\t1.0\n\t0.5\nq3\t0.0\n", "per-query.tsv:3: query id '' is empty"),
        ("qid\tAP\nq1\t1.0\n", "per-query.tsv:1: expected a header 'query_id<TAB>MEASURE...'"),
        ("", "per-query.tsv:1: expected a header"),
        ("query_id\tAP\nq1\t1.0\nq2\t0.5\t9\n", "per-query.tsv:3: expected 2 tab-separated fields, found 3"),
    ],
)
def test_per_query_files_that_would_publish_wrong_numbers_are_refused(tmp_path, body, needle):
    folder = make(tmp_path)
    per_query(folder).write_text(body)
    found = problems(folder)
    assert any(needle in line for line in found), found


def test_undecodable_bytes_name_their_line(tmp_path):
    folder = make(tmp_path)
    per_query(folder).write_bytes(b"query_id\tAP\nq1\t1.0\nq\xff2\t0.5\nq3\t0.0\n")
    assert any("per-query.tsv:3: not UTF-8 text (byte 0xff)" in line for line in problems(folder))


@pytest.mark.parametrize(
    "change, needle",
    [
        (lambda m: m["pairs"][PAIR].update(num_queries=0), "num_queries: 0; a score needs at least one query"),
        (lambda m: m["pairs"][PAIR]["measures"].update(AP=10**400), "is not a finite number"),
        (lambda m: m["pairs"].update({"foo/de-de": m["pairs"][PAIR]}), "pairs['foo/de-de']: unknown dataset 'foo'"),
        (lambda m: m["pairs"].update({"xquad-r/de-fr": m["pairs"][PAIR]}), "unknown document language 'fr'"),
        (lambda m: m["pairs"][PAIR].update(measures={"FOO@10": 0.5}), "measures.FOO@10: unknown measure 'FOO@10'"),
        (lambda m: m["pairs"][PAIR].update(measures={"nDCG@0": 0.5}), "measures.nDCG@0"),
        (lambda m: m["pairs"][PAIR].update(measures={"RankDistance": 3.0}), "RankDistance is defined for multilingual (MLIR) pairs only"),
        (lambda m: m.update(name="other"), "name 'other' is not the folder's name 'sys'"),
        (lambda m: m.update(pairs={}), "holds no pairs"),
        (lambda m: m["pairs"][PAIR]["measures"].update(AP=0.99), "measures.AP: 0.99, but its per-query scores give 0.5"),
        (lambda m: m["pairs"][PAIR].update(num_queries=5), "3 queries, meta.json says num_queries 5"),
    ],
)
def test_meta_json_that_validate_rejects_never_reaches_a_table(tmp_path, change, needle):
    folder = make(tmp_path)
    edit_meta(folder, change)
    check = check_submission(folder, data_dir=tmp_path / "no-data")
    assert not check.valid and check.submission is None
    assert any(needle in line for line in check.problems), check.problems
    with pytest.raises(HarnessError, match="not a valid submission"):
        api.load_submission(folder)


def test_json_nan_and_infinity_are_refused(tmp_path):
    folder = make(tmp_path)
    text = (folder / "meta.json").read_text().replace('"AP": 0.5', '"AP": NaN')
    (folder / "meta.json").write_text(text)
    assert problems(folder) == [f"{folder / 'meta.json'}: NaN is not a number a result may hold (JSON has no NaN or Infinity)"]


def test_links_out_of_the_folder_or_onto_devices_and_pipes_are_refused_without_hanging(tmp_path):
    outside = tmp_path / "elsewhere.tsv"
    outside.write_text("query_id\tAP\nq1\t1.0\nq2\t0.5\nq3\t0.0\n")
    cases = {
        "outside": lambda path: path.symlink_to(outside),
        "zero": lambda path: path.symlink_to("/dev/zero"),
        "fifo": lambda path: os.mkfifo(path),
        "folder": lambda path: path.mkdir(),
    }
    needles = {"outside": "resolves outside the submission folder", "zero": "resolves outside", "fifo": "not a regular file (a FIFO)", "folder": "not a regular file (a folder)"}
    for case, plant in cases.items():
        folder = make(tmp_path / case)
        per_query(folder).unlink()
        plant(per_query(folder))
        result: list[list[str]] = []
        worker = threading.Thread(target=lambda found=result, checked=folder: found.append(problems(checked)), daemon=True)
        worker.start()
        worker.join(timeout=20)
        assert not worker.is_alive(), f"{case}: the gate hung"
        assert any(needles[case] in line for line in result[0]), (case, result)


def test_a_fifo_or_device_as_meta_json_is_refused(tmp_path):
    folder = tmp_path / "sys"
    folder.mkdir()
    os.mkfifo(folder / "meta.json")
    assert problems(folder) == [f"{folder / 'meta.json'}: not a regular file (a FIFO)"]
    (folder / "meta.json").unlink()
    (folder / "meta.json").symlink_to("/dev/zero")
    assert "resolves outside" in problems(folder)[0]


def test_deeply_nested_meta_json_is_one_line(tmp_path):
    folder = tmp_path / "sys"
    folder.mkdir()
    (folder / "meta.json").write_text("[" * 100_000 + "]" * 100_000)
    assert problems(folder) == [f"{folder / 'meta.json'}: nested too deeply to be a submission record"]


def test_leftovers_of_an_interrupted_write_are_reported_and_removed_by_the_next_writer(tmp_path):
    folder = make(tmp_path)
    stale = folder / "pairs" / PAIR / ".run.trec.gz.999999999.abcdefgh.tmp"  # no such process
    stale.write_text("half a run")
    assert any("left by an interrupted write" in line for line in problems(folder))
    reopened = Submission.open_or_create(tmp_path, "sys", {"model": "external-run"}, "harness submit --name sys")
    assert reopened.removed_temporaries == [stale] and not stale.exists()
    assert problems(folder) == []


def test_the_folder_scan_finds_temporaries_and_unrecorded_tables_but_never_enters_a_linked_folder(tmp_path):
    folder = make(tmp_path)
    pairs = folder / "pairs"
    (pairs / "xquad-r" / "en-en").mkdir()
    (pairs / "xquad-r" / "en-en" / "per-query.tsv").write_text("query_id\tAP\n")
    (pairs / "xquad-r" / "el-el").mkdir()
    (pairs / "xquad-r" / "el-el" / "per-query.tsv").symlink_to(tmp_path / "nowhere")  # leads nowhere: not a table
    (pairs / "linked").symlink_to(pairs / "xquad-r")  # inside, but a link: not entered
    (folder / ".hidden").mkdir()
    stale = [folder / ".hidden" / ".a.tmp", pairs / PAIR / ".b.999999999.x.tmp"]  # no pid, no such process: stale
    for path in stale:
        path.write_text("")
    (tmp_path / "sys-outside").mkdir()
    (pairs / "xquad-r" / "out").symlink_to(tmp_path / "sys-outside")
    (tmp_path / "sys-outside" / ".c.tmp").write_text("")
    found = check_submission(folder).findings
    assert [f.text.split(":")[0] for f in found if "interrupted write" in f.text] == [str(p) for p in sorted(stale)]
    assert [f.text for f in found if "not recorded" in f.text] == [f"{pairs / 'xquad-r' / 'en-en'}: not recorded in meta.json (ignored)"]


@pytest.mark.realdata
def test_query_ids_are_checked_against_the_pair_when_its_data_is_found(tmp_path, real_data_dir):
    shutil.copytree(REPO / "submissions" / "bm25", tmp_path / "bm25", ignore=shutil.ignore_patterns("run.trec.gz"))
    folder = tmp_path / "bm25"
    check = check_submission(folder, data_dir=real_data_dir)
    assert check.valid and check.coverage["xquad-r/de-de"] == (1190, 1190) and check.coverage["mlqa-r/de-en"][0] == check.coverage["mlqa-r/de-en"][1]
    table = per_query(folder, "xquad-r/de-de")
    lines = table.read_text().splitlines()
    lines[5] = "not-a-question" + lines[5][lines[5].index("\t"):]
    table.write_text("\n".join(lines) + "\n")
    found = check_submission(folder, data_dir=real_data_dir).problems
    assert [line for line in found if "not a query" in line] == [f"{table}:6: query 'not-a-question' is not a query of xquad-r/de-de (1 unknown query ids in all)"]


def test_compare_refuses_an_invalid_submission_with_its_reasons(tmp_path, capsys):
    make(tmp_path, "good")
    bad = make(tmp_path, "bad")
    per_query(bad).write_text("query_id\tAP\nq1\t1.0\nq1\t0.5\nq3\t0.0\n")
    (tmp_path / "no-data").mkdir()
    assert main(["compare", "good", "bad", "--submissions", str(tmp_path), "--data-dir", str(tmp_path / "no-data")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "not a valid submission" in err and "query 'q1' appears twice" in err


def test_validate_reports_through_the_same_gate(tmp_path, capsys):
    folder = make(tmp_path)
    per_query(folder).write_text("query_id\tAP\nq1\t1.0\nq2\tinf\nq3\t0.0\n")
    (tmp_path / "no-data").mkdir()
    assert main(["validate", str(folder), "--data-dir", str(tmp_path / "no-data")]) == 1
    out = capsys.readouterr().out
    assert "AP is inf" in out and out.strip().endswith(": 1 problem(s)")
