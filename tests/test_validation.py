"""`harness validate` and `harness submit`: every problem one line, untrusted metadata kept in its place."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness import api
from harness.cli import main
from harness.datasets import get_dataset
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.submissions import Submission
from harness.validation import validate_path

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def bm25_copy(tmp_path) -> Path:
    """The committed BM25 submission (XQuAD-R and MLQA-R, 188 pairs) without its runs, as in a fresh clone."""
    target = tmp_path / "bm25"
    shutil.copytree(REPO / "submissions" / "bm25", target, ignore=shutil.ignore_patterns("run.trec.gz"))
    return target


def problems(path) -> list[str]:
    return [str(f) for f in validate_path(path) if f.severity == "problem"]


@pytest.mark.realdata
def test_the_committed_bm25_submission_is_valid_and_missing_runs_are_notes(bm25_copy, real_data_dir):
    findings = validate_path(bm25_copy, data_dir=real_data_dir)  # query ids checked against XQuAD-R's and MLQA-R's
    assert not [f for f in findings if f.severity == "problem"]
    assert len(findings) == 188 and all(f.severity == "note" and "harness eval --model bm25" in f.text for f in findings)
    assert all(("--dataset mlqa-r" in f.text) == ("/mlqa-r/" in f.text) for f in findings)  # each pair's own command
    without_data = validate_path(bm25_copy, data_dir=bm25_copy / "absent")
    assert [f.text for f in without_data if "not checked" in f.text] == [
        f"query ids of mlqa-r, xquad-r not checked: no data found under {bm25_copy / 'absent'} (--data-dir)"
    ]


def test_every_problem_of_a_tampered_submission_is_reported_once(bm25_copy):
    meta_path = bm25_copy / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta["pairs"]["xquad-r/de-en"]["measures"]["AP"] += 0.01
    meta["pairs"]["xquad-r/de-de"]["num_queries"] = 7
    meta["pairs"]["xquad-r/ar-xx"]["setting"] = "clir"
    meta["url"] = "javascript:alert(1)"
    meta_path.write_text(json.dumps(meta))
    (bm25_copy / "pairs" / "mlqa-r" / "de-en" / "per-query.tsv").unlink()
    with open(bm25_copy / "pairs" / "xquad-r" / "en-en" / "per-query.tsv", "a") as out:
        out.write("extra\t0.5\tnot-a-number\t1\n")
    found = problems(bm25_copy)
    assert found == [f"{meta_path}: url: 'javascript:alert(1)' does not match '^https?://'"]  # schema first, alone
    meta["url"] = "https://example.org"
    meta_path.write_text(json.dumps(meta))
    found = problems(bm25_copy)
    expected = [
        "pairs['mlqa-r/de-en']",  # its per-query file is missing
        "xquad-r/ar-xx is a mlir pair",
        "xquad-r/de-de/per-query.tsv: 1190 queries, meta.json says num_queries 7",
        "pairs['xquad-r/de-en'].measures.AP",
        "xquad-r/en-en/per-query.tsv:1192: expected a number, found 'not-a-number'",
    ]
    assert len(found) == len(expected)
    for needle in expected[1:]:
        assert sum(needle in line for line in found) == 1, needle
    assert any("mlqa-r/de-en/per-query.tsv: missing" in line for line in found)


def test_schema_problems_name_the_field(tmp_path):
    folder = tmp_path / "x"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"format_version": 1, "name": "y", "pairs": {"../../etc/de-en": {}}}))
    found = problems(folder)
    assert any(line.endswith("(top level): 'system' is a required property") for line in found)
    assert any("'../../etc/de-en' does not match" in line for line in found)
    (folder / "meta.json").write_text("{\n  'name': 1\n}")
    assert problems(folder) == [f"{folder / 'meta.json'}:2: not valid JSON (Expecting property name enclosed in double quotes)"]


def test_a_pair_key_cannot_reach_outside_the_submission_folder(tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps({"name": "evil", "pairs": {"a/../../../tmp/de-en": {}}}))
    with pytest.raises(HarnessError, match="bad pair id 'a/../../../tmp/de-en'"):
        Submission.load(folder)


def test_a_run_file_reports_every_bad_line(tmp_path, capsys):
    run = tmp_path / "my.run"
    run.write_text("q1 Q0 d1 1 2.5 t\nq1 Q0 d2 x 2.0 t\nq1 Q0 d1 3 1.0 t\nq2 Q0 d1 1 nan t\nshort line\nq2 Q0 d3 2 1.0 t\n")
    assert main(["validate", str(run)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"{run}:2: rank 'x' is not an integer",
        f"{run}:3: document 'd1' appears twice for query 'q1'",
        f"{run}:4: score 'nan' is not a finite number",
        f"{run}:5: expected 6 columns 'qid Q0 docid rank score tag', found 2",
        f"{run}: 4 problem(s)",
    ]
    assert main(["validate", str(tmp_path / "absent")]) == 2


@pytest.mark.realdata
def test_submit_stores_an_external_run_per_pair_with_its_metadata(real_data_dir, tmp_path, capsys):
    runs = []
    for langs in ("de-en", "en-de"):
        task = get_dataset("xquad-r").load(PairId.parse(f"xquad-r/{langs}"), real_data_dir)
        path = tmp_path / f"oracle-{langs}.run"
        with open(path, "w") as out:  # every relevant candidate first: AP 1 on every query
            for qid, judged in task.qrels.items():
                for rank, doc in enumerate(sorted(d for d, grade in judged.items() if grade > 0), start=1):
                    out.write(f"{qid} Q0 {doc} {rank} {100 - rank} oracle\n")
        runs.append(path)
    subs = tmp_path / "subs"
    common = ["--name", "oracle", "--submissions", str(subs), "--data-dir", str(real_data_dir), "--meta", "system.kind=qrels"]
    assert main(["submit", str(runs[0]), "--dataset", "xquad-r/de-en", *common,
                 "--meta", "description=<script>alert('x')</script>", "--meta", "training.languages=en,de"]) == 0
    assert main(["submit", str(runs[1]), "--dataset", "xquad-r/en-de", *common]) == 0
    meta = json.loads((subs / "oracle" / "meta.json").read_text())
    assert meta["system"] == {"model": "external-run", "tie_break": "trec_eval", "kind": "qrels"}
    assert meta["description"] == "<script>alert('x')</script>" and meta["training"] == {"languages": ["en", "de"]}
    assert {p: r["measures"]["AP"] for p, r in meta["pairs"].items()} == {"xquad-r/de-en": 1.0, "xquad-r/en-de": 1.0}
    assert meta["pairs"]["xquad-r/de-en"]["run_file"] == "oracle-de-en.run" and meta["pairs"]["xquad-r/de-en"]["num_queries"] == 1190
    capsys.readouterr()
    assert main(["validate", str(subs / "oracle"), "--data-dir", str(real_data_dir)]) == 0
    assert capsys.readouterr().out.strip() == f"{subs / 'oracle'}: valid"


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        (["url=javascript:alert(1)"], "--meta: url: 'javascript:alert(1)' does not match '^https?://'"),
        (["colour=red"], "--meta colour: not a submission field"),
        (["training.languages=english"], "'english' does not match"),
        (["description"], "--meta 'description': expected KEY=VALUE"),
    ],
)
def test_bad_submit_metadata_is_refused_before_anything_runs(tmp_path, capsys, meta, message):
    argv = ["submit", str(tmp_path / "absent.run"), "--dataset", "xquad-r/de-en", "--name", "x", "--submissions", str(tmp_path)]
    for item in meta:
        argv += ["--meta", item]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x").exists()


def test_submit_refuses_a_name_that_leaves_the_folder(tmp_path):
    with pytest.raises(HarnessError, match="bad submission name '../x'"):
        api.submit(tmp_path / "r.run", dataset="xquad-r/de-en", name="../x", submissions_dir=tmp_path)
