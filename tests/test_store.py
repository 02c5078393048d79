"""The submission store loses nothing and rewrites nothing: concurrent writers merge, a stored pair is
replaced only with --force, a re-run that scores the same changes no tracked file, an interrupted
evaluation ends with one line and a valid store, and a run of the wrong pair is caught."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.cli import main
from harness.datasets import get_dataset
from harness.datasets.pairs import PairId
from harness.validation import check_submission

REPO = Path(__file__).resolve().parents[1]

WRITER = textwrap.dedent(
    """
    import sys, time
    from types import SimpleNamespace
    from harness.datasets.pairs import PairId
    from harness.submissions import PairRecord, Submission

    root, first_lang = sys.argv[1], sys.argv[2]
    submission = Submission.open_or_create(root, "shared", {"model": "external-run"}, "writer " + first_lang)
    for doc_lang in ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]:
        pair = PairId.parse(f"xquad-r/{first_lang}-{doc_lang}")
        value = 0.25 if first_lang == "de" else 0.75
        record = PairRecord(str(pair), pair.setting, {"AP": value}, 2)
        submission.add_pair(pair, record, SimpleNamespace(per_query={"AP": {"q1": value, "q2": value}}), None)
        time.sleep(0.01)
    """
)


def test_two_processes_writing_one_submission_keep_every_pair(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [subprocess.Popen([sys.executable, str(script), str(tmp_path / "subs"), lang], env=env, stderr=subprocess.PIPE) for lang in ("de", "en")]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read().decode()
    meta = json.loads((tmp_path / "subs" / "shared" / "meta.json").read_text())
    assert len(meta["pairs"]) == 22
    assert {p for p in meta["pairs"] if p.startswith("xquad-r/de-")} and {p for p in meta["pairs"] if p.startswith("xquad-r/en-")}
    assert sorted(meta["commands"]) == ["writer de", "writer en"]
    assert check_submission(tmp_path / "subs" / "shared", data_dir=tmp_path / "no-data").valid


def oracle_run(task, path: Path, lang_prefix: str | None = None) -> Path:
    """Every relevant candidate first (AP 1); ``lang_prefix`` rewrites document ids to another language's."""
    with open(path, "w") as out:
        for qid, judged in task.qrels.items():
            for rank, doc in enumerate(sorted(d for d, grade in judged.items() if grade > 0), start=1):
                doc = f"{lang_prefix}{doc[2:]}" if lang_prefix else doc
                out.write(f"{qid} Q0 {doc} {rank} {100 - rank} oracle\n")
    return path


@pytest.mark.realdata
def test_submit_never_replaces_a_stored_pair_without_force(real_data_dir, tmp_path, capsys):
    task = get_dataset("xquad-r").load(PairId.parse("xquad-r/de-en"), real_data_dir)
    good = oracle_run(task, tmp_path / "good.run")
    worse = tmp_path / "worse.run"
    worse.write_text("".join(line.replace(" 1 99 ", " 1 1 ") for line in good.read_text().splitlines(keepends=True)[:5]))
    common = ["--dataset", "xquad-r/de-en", "--name", "sys", "--submissions", str(tmp_path / "subs"), "--data-dir", str(real_data_dir)]
    assert main(["submit", str(good), *common]) == 0
    meta_path = tmp_path / "subs" / "sys" / "meta.json"
    stored = meta_path.read_bytes()
    capsys.readouterr()
    assert main(["submit", str(worse), *common]) == 2
    err = capsys.readouterr().err.strip()
    assert "already holds xquad-r/de-en" in err and "--force replaces it" in err and "\n" not in err
    assert meta_path.read_bytes() == stored
    assert main(["eval", "--run", str(worse), *common]) == 2  # the same gate for eval --run --name
    assert meta_path.read_bytes() == stored
    assert main(["submit", str(worse), *common, "--force"]) == 0
    assert json.loads(meta_path.read_text())["pairs"]["xquad-r/de-en"]["num_queries"] == 1190
    assert json.loads(meta_path.read_text())["pairs"]["xquad-r/de-en"]["measures"]["AP"] < 0.01


@pytest.mark.realdata
def test_a_run_of_another_pair_is_caught_by_its_document_ids(real_data_dir, tmp_path, capsys):
    task = get_dataset("xquad-r").load(PairId.parse("xquad-r/de-en"), real_data_dir)
    run = oracle_run(task, tmp_path / "de-en.run")
    common = ["--data-dir", str(real_data_dir), "--format", "json"]
    assert main(["eval", "--run", str(run), "--dataset", "xquad-r/de-es", *common]) == 2
    err = capsys.readouterr().err.strip()
    assert "none of the run's document ids is in xquad-r/de-es's collection" in err and "--force" in err
    assert main(["eval", "--run", str(run), "--dataset", "xquad-r/de-es", *common, "--force"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["pairs"]["xquad-r/de-es"]["measures"]["AP"] == 0.0 and out["pairs"]["xquad-r/de-es"]["notes"]["documents_in_collection"] == 0.0
    half = tmp_path / "half.run"
    lines = run.read_text().splitlines(keepends=True)
    half.write_text("".join(lines[:600]) + "".join(line.replace(" en-", " xx-") for line in lines[600:]))
    assert main(["eval", "--run", str(half), "--dataset", "xquad-r/de-en", *common]) == 0
    captured = capsys.readouterr()
    assert "harness: warning:" in captured.err and "% of the run's document ids are in xquad-r/de-en's collection" in captured.err
    share = json.loads(captured.out)["pairs"]["xquad-r/de-en"]["notes"]["documents_in_collection"]
    docs = {line.split()[2] for line in half.read_text().splitlines()}
    assert share == sum(doc.startswith("en-") for doc in docs) / len(docs)  # distinct ids, not lines


@pytest.mark.realdata
def test_rankdistance_is_refused_outside_multilingual_pairs(real_data_dir, tmp_path, capsys):
    run = tmp_path / "r.run"
    run.write_text("q Q0 d 1 1 t\n")
    assert main(["eval", "--run", str(run), "--dataset", "xquad-r/de-en", "--measures", "AP,RankDistance", "--data-dir", str(real_data_dir)]) == 2
    assert "xquad-r/de-en is a clir pair" in capsys.readouterr().err
    qrels = tmp_path / "q.qrels"
    qrels.write_text("q 0 d 1\n")
    assert main(["eval", "--run", str(run), "--qrels", str(qrels), "--measures", "RankDistance"]) == 2
    assert "needs the multilingual pool" in capsys.readouterr().err


@pytest.fixture
def bm25_clone(tmp_path) -> Path:
    """The committed BM25 submission as a fresh clone has it: no runs."""
    target = tmp_path / "subs" / "bm25"
    shutil.copytree(REPO / "submissions" / "bm25", target, ignore=shutil.ignore_patterns("run.trec.gz"))
    return target


@pytest.mark.realdata
def test_rerunning_committed_pairs_whose_runs_are_missing_changes_no_tracked_file(real_data_dir, java_runtime, bm25_clone, tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    tracked = {path: path.read_bytes() for path in bm25_clone.rglob("*") if path.is_file()}
    argv = ["eval", "--model", "bm25", "--dataset", "xquad-r", "--pairs", "de-de,de-en", "--data-dir", str(real_data_dir),
            "--submissions", str(bm25_clone.parent), "--quiet"]
    assert main(argv) == 0
    for path, content in tracked.items():
        assert path.read_bytes() == content, f"{path} changed"
    assert (bm25_clone / "pairs" / "xquad-r" / "de-de" / "run.trec.gz").is_file()


@pytest.mark.realdata
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_an_interrupted_evaluation_ends_with_one_line_and_a_valid_store(real_data_dir, java_runtime, tmp_path, monkeypatch, capsys, signum):
    import harness.model_evaluation

    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    real_evaluate = harness.model_evaluation.evaluate_task
    calls = []

    def interrupted_at_the_second_pair(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            os.kill(os.getpid(), signum)  # delivered to this process, as Ctrl-C or `kill` would
        return real_evaluate(*args, **kwargs)

    monkeypatch.setattr(harness.model_evaluation, "evaluate_task", interrupted_at_the_second_pair)
    # A shell starts background jobs (CI runners too) with SIGINT ignored, and Python keeps it so;
    # a terminal's Ctrl-C reaches a process whose SIGINT raises KeyboardInterrupt, as restored here.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        status = main(["eval", "--model", "bm25", "--dataset", "xquad-r", "--pairs", "de-de,de-en,en-en", "--data-dir", str(real_data_dir),
                       "--submissions", str(tmp_path / "subs"), "--quiet"])
    finally:
        signal.signal(signal.SIGINT, previous)
    assert status == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert [line for line in err if line.startswith("harness:")] == [
        f"harness: interrupted; 1 pair kept ({tmp_path / 'subs' / 'bm25'} holds every finished pair; the pair in progress was not written)"
    ]
    check = check_submission(tmp_path / "subs" / "bm25", data_dir=real_data_dir)
    assert check.valid and list(check.submission.meta["pairs"]) == ["xquad-r/de-de"]
    assert not list((tmp_path / "subs").rglob("*.tmp"))
