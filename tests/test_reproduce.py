"""`harness reproduce`: each stored pair's command re-run into a scratch store, every measure checked (OK, OKish, FAIL, SKIP).

The fixture submission is made by a model given as ``package.module:object`` (a word-overlap
function in the current folder), so the re-run, a subprocess of ``python -m harness.cli``, finds
it as the original call did. The real-data test re-runs the committed BM25 submission.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

import harness
from harness import api
from harness.cli import main
from harness.datasets import get_dataset
from harness.per_query import read_per_query, write_per_query
from harness.reproduction import OK, SKIP
from harness.submission_commands import harness_pin, narrowed_command, pair_command
from tests.test_datasets_lareqa import TOY, paragraph, write_language

REPO = Path(__file__).resolve().parents[1]
PAIRS = ("en-en", "de-en", "en-de")
OVERLAP = '''
def overlap(queries, documents):
    words = {doc.doc_id: set(doc.text.lower().replace("?", " ").replace(".", " ").split()) for doc in documents}
    return {
        query.query_id: {doc: float(len(set(query.text.lower().replace("?", " ").split()) & has)) for doc, has in words.items()}
        for query in queries
    }
'''


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """XQuAD-R's layout with toy texts, a model module in the current folder, and submission ``toy``
    of three pairs made by ``harness eval`` with that model."""
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "data"
    for lang in get_dataset("xquad-r").languages:
        write_language(data / "lareqa" / "xquad-r", lang, [paragraph(s, q) for s, q in TOY.get(lang, TOY["en"])])
    work = tmp_path / "work"
    work.mkdir()
    (work / "toy_overlap.py").write_text(textwrap.dedent(OVERLAP))
    monkeypatch.chdir(work)
    subs = tmp_path / "subs"
    argv = ["eval", "--model", "toy_overlap:overlap", "--dataset", "xquad-r", "--pairs", ",".join(PAIRS), "--name", "toy",
            "--data-dir", str(data), "--submissions", str(subs), "--quiet"]
    assert main(argv) == 0
    return {"data": data, "subs": subs, "meta": subs / "toy" / "meta.json"}


def _tamper(meta_path: Path, pair: str, measure: str, delta: float) -> float:
    """Shift one measure of a stored pair by ``delta``, per query and in meta.json alike (so the submission stays valid)."""
    folder = meta_path.parent / "pairs" / pair
    per_query = read_per_query(folder / "per-query.tsv", folder)
    per_query[measure] = {qid: value + delta for qid, value in per_query[measure].items()}
    write_per_query(folder / "per-query.tsv", per_query)
    meta = json.loads(meta_path.read_text())
    meta["pairs"][pair]["measures"][measure] = math.fsum(per_query[measure].values()) / len(per_query[measure])
    meta_path.write_text(json.dumps(meta, indent=2))
    return meta["pairs"][pair]["measures"][measure]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and ".lock" not in p.name}


def test_a_new_submission_records_the_harness_commit_and_each_pairs_command(toy):
    meta = json.loads(toy["meta"].read_text())
    assert meta["harness_commit"] is None or re.fullmatch(r"[0-9a-f]{40}", meta["harness_commit"])
    assert meta["harness_dirty"] in (None, True, False) and (meta["harness_dirty"] is None) == (meta["harness_commit"] is None)
    if shutil.which("git") and (REPO / ".git").exists() and Path(harness.__file__).resolve().parents[1] == REPO:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        assert meta["harness_commit"] == head  # imported from this checkout: its HEAD
    for langs in PAIRS:
        record = meta["pairs"][f"xquad-r/{langs}"]
        assert record["command"] == meta["command"] and record["command"].startswith("harness eval --model toy_overlap:overlap")
        assert record["harness_commit"] == meta["harness_commit"]
        # a model outside PAIR_INDEPENDENT_MODELS: the whole command, as typed
        assert pair_command(meta, f"xquad-r/{langs}") == meta["command"]
        assert harness_pin(meta, f"xquad-r/{langs}") == {"version": meta["harness_version"], "commit": meta["harness_commit"], "dirty": meta["harness_dirty"]}
    assert [f for f in api.validate(toy["subs"] / "toy", data_dir=toy["data"]) if f.severity == "problem"] == []  # the schema takes the new fields


def test_a_fresh_submission_reproduces_identically_and_the_store_is_untouched(toy, tmp_path: Path):
    before = _files(toy["subs"])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    result = api.reproduce("toy", submissions_dir=toy["subs"], scratch=scratch)
    assert [p.verdict for p in result.pairs] == [OK] * 3 and result.exit_status() == 0
    stored = json.loads(toy["meta"].read_text())["pairs"]
    for check in result.pairs:
        assert {c.measure: c.reproduced for c in check.checks} == {**stored[check.pair]["measures"], "num_queries": stored[check.pair]["num_queries"]}
    assert _files(toy["subs"]) == before  # the real store is never written
    assert (scratch / "toy" / "meta.json").is_file()  # the re-runs went to the scratch folder
    (run,) = result.reruns  # one command, re-run once for its three pairs, in stored order
    assert run.returncode == 0 and run.argv[run.argv.index("--pairs") + 1] == ",".join(PAIRS)


def test_a_stored_score_off_within_the_tolerance_is_okish_and_beyond_it_fails(toy, capsys):
    _tamper(toy["meta"], "xquad-r/de-en", "AP", 1e-4)
    _tamper(toy["meta"], "xquad-r/en-en", "R@1", 1e-2)
    argv = ["reproduce", "toy", "--submissions", str(toy["subs"]), "--pairs", "xquad-r/de-en,en-en", "--quiet"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert re.search(r"xquad-r/de-en\s+AP\s+\S+\s+\S+\s+-1\.00e-04\s+OKish", out)
    assert re.search(r"xquad-r/en-en\s+R@1\s+\S+\s+\S+\s+-1\.00e-02\s+FAIL", out)
    assert re.search(r"xquad-r/en-en\s+AP\s+\S+\s+\S+\s+0\s+OK", out)
    assert "pairs: OK 0, OKish 1, FAIL 1, SKIP 0" in out

    assert main([*argv, "--tolerance", "0.02", "--format", "json"]) == 0  # a wider tolerance takes both
    report = json.loads(capsys.readouterr().out)
    assert report["tolerance"] == 0.02 and report["counts"] == {"OK": 0, "OKish": 2, "FAIL": 0, "SKIP": 0}
    (r1,) = [m for m in report["pairs"][0]["measures"] if m["measure"] == "R@1"]
    assert r1["diff"] == pytest.approx(-0.01, abs=1e-12) and r1["verdict"] == "OKish"


def test_pairs_selects_a_subset_and_a_bare_lang_pair_matches_it(toy):
    result = api.reproduce("toy", submissions_dir=toy["subs"], pairs="en-de")
    assert [p.pair for p in result.pairs] == ["xquad-r/en-de"] and result.pairs[0].verdict == OK
    (run,) = result.reruns
    assert run.command == narrowed_command(json.loads(toy["meta"].read_text())["command"], ["xquad-r/en-de"])
    assert "--pairs en-de " in run.command


def test_a_failed_rerun_fails_its_pairs(toy, capsys):
    (Path.cwd() / "toy_overlap.py").write_text("raise ImportError('gone')\n")  # the model cannot be found any more
    assert main(["reproduce", "toy", "--submissions", str(toy["subs"]), "--pairs", "en-en", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert re.search(r"xquad-r/en-en .*FAIL \(the re-run exited 2: harness: error: .*toy_overlap", out)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["reproduce", "nosuch"], r"unknown submission 'nosuch'"),
        (["reproduce", "toy", "--pairs", "xquad-r/xx-yy"], r"--pairs xquad-r/xx-yy: 'toy' holds no such pair"),
        (["reproduce", "toy", "--tolerance", "-1"], r"--tolerance -1.0: expected a number >= 0"),
        (["reproduce", "toy", "--scratch", "missing"], r"--scratch missing: no such folder"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(toy, capsys, argv, message):
    assert main([*argv, "--submissions", str(toy["subs"])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and re.search(message, err[0]) and "Traceback" not in err[0]


def test_an_external_run_is_skipped_and_fails_only_under_strict(toy, tmp_path: Path):
    run = tmp_path / "run.trec"
    run.write_text("q1 Q0 en-0-0-0 1 2.0 x\nq2 Q0 en-0-0-1 1 1.0 x\n")
    api.evaluate_run(run, dataset="xquad-r/en-en", data_dir=toy["data"], name="ext", submissions_dir=toy["subs"])
    result = api.reproduce("ext", submissions_dir=toy["subs"])
    assert [(p.verdict, p.command) for p in result.pairs] == [(SKIP, None)] and result.reruns == []
    assert "external run" in result.pairs[0].reason and result.exit_status() == 0
    assert api.reproduce("ext", submissions_dir=toy["subs"], strict=True).exit_status() == 1


# -- the command behind a pair, for submissions made before pairs recorded theirs -------------------------------------


def _meta(model: str, commands: list[str], pairs: dict[str, str]) -> dict:
    return {"name": "s", "system": {"model": model}, "command": commands[0], "commands": commands,
            "pairs": {pair: {"setting": setting, "measures": {"AP": 0.5}, "num_queries": 1} for pair, setting in pairs.items()}}


def test_the_first_command_that_selects_a_pair_made_it_unless_a_later_one_forced_it():
    first = "harness eval --model dense --dataset xquad-r --pairs en-en,de-de"
    later = "harness eval --model dense --dataset xquad-r --pairs en-en,de-de,es-es"
    meta = _meta("dense", [first, later], {"xquad-r/en-en": "moir", "xquad-r/es-es": "moir", "mlqa-r/en-en": "moir"})
    assert pair_command(meta, "xquad-r/en-en") == first  # the later call found it stored and skipped it
    assert pair_command(meta, "xquad-r/es-es") == later
    assert pair_command(meta, "mlqa-r/en-en") is None  # no recorded command selects it
    forced = _meta("dense", [first, later + " --force"], {"xquad-r/en-en": "moir"})
    assert pair_command(forced, "xquad-r/en-en") == later + " --force"


def test_settings_single_pairs_and_equals_forms_select_as_the_cli_does():
    by_setting = "harness eval --model dense --dataset=xquad-r --setting clir"
    one = "harness eval --model dense --dataset mlqa-r/de-en"
    meta = _meta("dense", [by_setting, one], {"xquad-r/de-en": "clir", "xquad-r/de-de": "moir", "mlqa-r/de-en": "clir"})
    assert pair_command(meta, "xquad-r/de-en") == by_setting
    assert pair_command(meta, "xquad-r/de-de") is None
    assert pair_command(meta, "mlqa-r/de-en") == one


def test_bm25_commands_are_narrowed_to_the_pair_and_unknowable_ones_are_none():
    whole = "harness eval --model bm25 --dataset xquad-r --setting moir --data-dir ../shared/data --quiet"
    meta = _meta("bm25", [whole], {"xquad-r/de-de": "moir"})
    assert pair_command(meta, "xquad-r/de-de") == "harness eval --model bm25 --dataset xquad-r --pairs de-de --data-dir ../shared/data --quiet"
    assert pair_command(meta, "xquad-r/en-en") is None  # not stored
    assert pair_command(_meta("bm25", ["harness eval --model bm25 --dataset xquad-r/de-de"], {"xquad-r/de-de": "moir"}), "xquad-r/de-de") == (
        "harness eval --model bm25 --dataset xquad-r/de-de"
    )
    external = _meta("external-run", ["harness eval --run r.trec --dataset xquad-r/de-de --name s"], {"xquad-r/de-de": "moir"})
    assert pair_command(external, "xquad-r/de-de") is None
    in_memory = _meta("python:<function>", ["harness.evaluate(<function f>, 'xquad-r', pairs=None, name='s')"], {"xquad-r/de-de": "moir"})
    assert pair_command(in_memory, "xquad-r/de-de") is None
    assert harness_pin(meta) == {"version": None, "commit": None, "dirty": None}
    meta["pairs"]["xquad-r/de-de"]["command"] = "harness eval --model bm25 --dataset mlqa-r"  # a record's own command wins, if it selects the pair
    assert pair_command(meta, "xquad-r/de-de") is None
    meta["pairs"]["xquad-r/de-de"].update(command="harness eval --model bm25 --dataset xquad-r --pairs de-de,en-en", harness_version="9.9",
                                          harness_commit="a" * 40, harness_dirty=False)
    assert pair_command(meta, "xquad-r/de-de") == "harness eval --model bm25 --dataset xquad-r --pairs de-de"
    assert harness_pin(meta, "xquad-r/de-de") == {"version": "9.9", "commit": "a" * 40, "dirty": False}


def test_the_committed_submissions_each_have_a_command_for_every_pair():
    for meta_path in sorted((REPO / "submissions").glob("*/meta.json")):
        meta = json.loads(meta_path.read_text())
        missing = [pair for pair in meta["pairs"] if pair_command(meta, pair) is None]
        assert not missing, f"{meta_path}: no command for {missing[:3]}"
    bm25 = json.loads((REPO / "submissions" / "bm25" / "meta.json").read_text())
    assert pair_command(bm25, "mlqa-r/de-en") == "harness eval --model bm25 --dataset mlqa-r --pairs de-en --data-dir ../shared/data --quiet --format json"


# -- the committed BM25 submission, re-run for real -------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.java
def test_the_committed_bm25_submission_reproduces_on_the_real_data(real_data_dir: Path, java_runtime, tmp_path: Path, monkeypatch):
    if not (REPO / "submissions" / "bm25" / "meta.json").is_file():
        pytest.skip("submissions/bm25 is not in this checkout")
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))  # indexes built anew, not read from an earlier run
    result = api.reproduce("bm25", pairs="xquad-r/de-en", data_dir=real_data_dir)
    (pair,) = result.pairs
    assert pair.verdict == OK, result.to_text()
    assert {c.measure: c.reproduced for c in pair.checks}["AP"] == pytest.approx(0.31784050597306435, abs=0)
