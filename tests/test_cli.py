"""The `harness` command as a user runs it: real data where present, one-line errors, resumable submissions."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.cli import main

REPO = Path(__file__).resolve().parents[1]


def test_help_imports_nothing_heavy():
    # What keeps `harness --help` instant is that the CLI imports none of the heavy packages; the
    # wall-clock time itself is a benchmark's business (a loaded CI machine would make it flaky).
    heavy = ("torch", "pyserini", "jnius", "ir_datasets", "ir_measures", "pandas", "transformers", "matplotlib")
    code = f"import sys, harness, harness.cli; print([m for m in {heavy!r} if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"
    assert "usage: harness" in subprocess.run([sys.executable, "-m", "harness.cli", "--help"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eval", "--model", "bm26", "--dataset", "xquad-r"], "did you mean 'bm25'"),
        (["eval", "--model", "bm25", "--dataset", "xquad"], "did you mean 'xquad-r'"),
        (["eval", "--model", "bm25", "--dataset", "xquad-r", "--pairs", "de-eb"], "unknown document language 'eb'"),
        (["eval", "--model", "bm25", "--dataset", "xquad-r", "--param", "k1"], "expected KEY=VALUE"),
        (["eval", "--model", "bm25"], "--model needs --dataset"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(argv, message, capsys, tmp_path):
    assert main([*argv, "--submissions", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not any(tmp_path.iterdir()), "nothing may be written on bad input"


@pytest.mark.parametrize(
    "line, problem",
    [
        ("q1 Q0 d1 1 0.5", "expected 6 columns"),
        ("q1 Q0 d1 one 0.5 t", "rank"),
        ("q1 Q0 d1 1 nan t", "score"),
        ("q1 Q0 d1 1 inf t", "score"),
        ("q1 Q0 d0 1 0.5 t", "twice"),
    ],
)
def test_malformed_run_lines_name_file_and_line(line, problem, capsys, tmp_path):
    run = tmp_path / "run.trec"
    run.write_text(f"q1 Q0 d0 1 0.9 t\n{line}\n")
    qrels = tmp_path / "qrels"
    qrels.write_text("q1 0 d0 1\n")
    assert main(["eval", "--run", str(run), "--qrels", str(qrels)]) == 2
    err = capsys.readouterr().err
    assert f"{run}:2:" in err and problem in err


def test_evaluating_a_run_against_qrels_prints_trec_eval_style(capsys, tmp_path):
    run = tmp_path / "run.trec"
    run.write_text("q1 Q0 d1 1 2.0 t\nq1 Q0 d0 2 1.0 t\nq2 Q0 d5 1 1.0 t\n")
    qrels = tmp_path / "qrels"
    qrels.write_text("q1 0 d0 1\nq3 0 d9 1\n")
    assert main(["eval", "--run", str(run), "--qrels", str(qrels), "--measures", "RR,AP", "--per-query"]) == 0
    out = capsys.readouterr().out
    assert "RR                  \tq1\t0.5000" in out
    assert "RR                  \tall\t0.2500" in out  # q3 is judged but missing: it scores 0
    assert "1 run queries have no judgments" in out


@pytest.mark.realdata
def test_bm25_on_xquad_r_end_to_end_resumes_and_forces(real_data_dir, java_runtime, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    argv = ["eval", "--model", "bm25", "--dataset", "xquad-r", "--pairs", "de-de,de-en", "--data-dir", str(real_data_dir),
            "--submissions", str(tmp_path / "subs"), "--quiet", "--format", "json"]
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["pairs"]["xquad-r/de-de"]["measures"]["AP"] == pytest.approx(0.7559, abs=5e-5)
    assert first["pairs"]["xquad-r/de-en"]["measures"]["AP"] == pytest.approx(0.3178, abs=5e-5)
    assert first["pairs"]["xquad-r/de-de"]["num_queries"] == 1190
    folder = tmp_path / "subs" / "bm25"
    meta = json.loads((folder / "meta.json").read_text())
    assert set(meta["pairs"]) == {"xquad-r/de-de", "xquad-r/de-en"}
    assert meta["evaluation_semantics"] and meta["system"]["model"] == "bm25"
    run_file = folder / "pairs" / "xquad-r" / "de-de" / "run.trec.gz"
    stamp = run_file.stat().st_mtime_ns

    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["skipped"] == ["xquad-r/de-de", "xquad-r/de-en"]
    assert run_file.stat().st_mtime_ns == stamp

    assert main([*argv, "--force"]) == 0
    capsys.readouterr()
    assert run_file.stat().st_mtime_ns != stamp
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")], "no temporary files left behind"

    # the stored run, evaluated as an external run against the same registered pair, gives the same number
    assert main(["eval", "--run", str(run_file), "--dataset", "xquad-r/de-de", "--data-dir", str(real_data_dir), "--format", "json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["pairs"]["xquad-r/de-de"]["measures"]["AP"] == first["pairs"]["xquad-r/de-de"]["measures"]["AP"]


@pytest.mark.realdata
def test_a_run_for_the_wrong_dataset_is_refused_with_its_line(real_data_dir, tmp_path, capsys):
    run = tmp_path / "run.trec"
    run.write_text("56beb4343aeaaa14008c925b Q0 de-0-0-0 1 1.0 t\nnot-a-question Q0 de-0-0-1 1 1.0 t\n")
    assert main(["eval", "--run", str(run), "--dataset", "xquad-r/de-de", "--data-dir", str(real_data_dir), "--name", "x",
                 "--submissions", str(tmp_path / "subs")]) == 2
    err = capsys.readouterr().err
    assert f"{run}:2: query id 'not-a-question' is not a query of xquad-r/de-de" in err
    assert not (tmp_path / "subs").exists()


@pytest.mark.realdata
def test_miracl_real_run_through_the_registered_pair(real_data_dir, capsys):
    run = real_data_dir / "runs" / "miracl-dev-bm25" / "bm25.en.trec"
    assert main(["eval", "--run", str(run), "--dataset", "miracl/en-en", "--data-dir", str(real_data_dir), "--format", "json"]) == 0
    measures = json.loads(capsys.readouterr().out)["pairs"]["miracl/en-en"]["measures"]
    assert round(measures["nDCG@10"], 4) == 0.3504 and round(measures["R@100"], 4) == 0.8190
    assert main(["eval", "--run", str(run), "--dataset", "miracl/en-en", "--data-dir", str(real_data_dir), "--format", "json",
                 "--tie-break", "rank"]) == 0
    assert round(json.loads(capsys.readouterr().out)["pairs"]["miracl/en-en"]["measures"]["nDCG@10"], 4) == 0.3506


def test_missing_data_is_one_line(tmp_path, capsys):
    assert main(["eval", "--model", "bm25", "--dataset", "xquad-r/de-de", "--data-dir", str(tmp_path), "--submissions", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err.strip()
    assert "de.json" in err and "\n" not in err


def test_a_reader_that_goes_away_is_no_traceback(tmp_path):
    """`harness ... | head`: the pipe closes before harness writes; it ends quietly (141, as a shell's SIGPIPE)."""
    process = subprocess.Popen([sys.executable, "-m", "harness.cli", "models", "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # closed before the interpreter has even imported harness
    assert process.wait(timeout=60) == 141
    assert b"Traceback" not in process.stderr.read()
