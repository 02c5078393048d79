"""A bad submission folder never stops the leaderboard: it is left out with its reasons, and the site builds.

Each folder breaks one thing the gate (:func:`harness.validation.check_submission`) checks, from
a non-number to a per-query file that is a FIFO or a link to ``/dev/zero`` (neither may hang the
build or fill memory).
"""
from __future__ import annotations

import json
import os
import signal

import pytest

from tests.test_leaderboard import MOIR, build, make_submission, no_data, toy_scores


def corrupt(root, name, how):
    """A copy of a valid submission with ``how(per_query_path, meta)`` applied (meta.json rewritten after)."""
    make_submission(root, name, toy_scores(7, pairs=MOIR[:2]))
    meta = json.loads((root / name / "meta.json").read_text())
    how(root / name / "pairs" / "xquad-r" / "de-de" / "per-query.tsv", meta)
    (root / name / "meta.json").write_text(json.dumps(meta))


def replace_value(text: str, value: str) -> str:
    lines = text.splitlines()
    lines[1] = "\t".join([lines[1].split("\t")[0], value, *lines[1].split("\t")[2:]])
    return "\n".join(lines) + "\n"


BAD_FOLDERS = {  # name -> (what is wrong, a phrase of its reason)
    "not-a-number": (lambda p, m: p.write_text(replace_value(p.read_text(), "0.5x")), "expected a number, found '0.5x'"),
    "not-utf8": (lambda p, m: p.write_bytes(p.read_bytes().replace(b"q001", b"q\xff01")), "not UTF-8 text"),
    "duplicate-ids": (lambda p, m: p.write_text(p.read_text().replace("q001\t", "q000\t")), "appears twice"),
    "infinite": (lambda p, m: p.write_text(replace_value(p.read_text(), "inf")), "scores must be finite"),
    "dev-zero": (lambda p, m: (p.unlink(), p.symlink_to("/dev/zero")), "resolves outside the submission folder"),
    "fifo": (lambda p, m: (p.unlink(), os.mkfifo(p)), "not a regular file (a FIFO)"),
    "unregistered": (lambda p, m: m["pairs"].update({"toy/de-de": m["pairs"]["xquad-r/de-de"]}), "toy"),
    "bad-measure": (lambda p, m: m["pairs"]["xquad-r/de-de"]["measures"].update({"P@x": 0.5}), "P@x"),
    "wrong-mean": (lambda p, m: m["pairs"]["xquad-r/de-de"]["measures"].update({"AP": 0.123}), "but its per-query scores give"),
}


def test_bad_folders_are_left_out_with_their_reasons_and_the_site_still_builds(tmp_path, capsys):
    from harness.cli import main

    make_submission(tmp_path / "subs", "bm25", toy_scores(1, pairs=MOIR[:2]))
    for name, (how, _) in BAD_FOLDERS.items():
        corrupt(tmp_path / "subs", name, how)
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the build hangs on a bad folder"))
    signal.alarm(120)  # a FIFO or /dev/zero read would block or fill memory instead of failing
    try:
        built = build(tmp_path / "subs", tmp_path / "site")
        code = main(["leaderboard", "--submissions", str(tmp_path / "subs"), "--out", str(tmp_path / "cli"), "--quiet",
                     "--data-dir", str(no_data(tmp_path))])
    finally:
        signal.alarm(0)
    left_out = [note for note in built.notes if ": left out (" in note]
    assert built.systems == ["bm25"] and len(left_out) == len(BAD_FOLDERS)
    notes = dict(note.split(": left out (", 1) for note in left_out)
    index = (tmp_path / "site" / "index.html").read_text()
    for name, (_, reason) in BAD_FOLDERS.items():
        assert reason in notes[name], (name, notes[name])
        assert f"<li>{name}: left out (" in index and not (tmp_path / "site" / f"system-{name}.html").exists()
    assert (tmp_path / "site" / "dataset-xquad-r.html").is_file() and (tmp_path / "site" / "compare.html").is_file()
    err = capsys.readouterr().err
    assert code == 0 and all(f"note: {name}: left out (" in err for name in BAD_FOLDERS)
    assert "Traceback" not in err


def test_a_site_is_built_even_when_every_folder_is_invalid(tmp_path):
    corrupt(tmp_path / "subs", "wrong-mean", BAD_FOLDERS["wrong-mean"][0])
    built = build(tmp_path / "subs", tmp_path / "site")
    assert built.systems == [] and built.datasets == [] and built.notes[0].startswith("wrong-mean: left out (")
    assert sorted(p.name for p in built.pages) == ["compare.html", "index.html"]


def test_a_rebuild_reuses_the_gate_verdicts_until_a_folder_changes(tmp_path):
    make_submission(tmp_path / "subs", "bm25", toy_scores(1, pairs=MOIR[:2]))
    make_submission(tmp_path / "subs", "other", toy_scores(2, pairs=MOIR[:2]))
    first = build(tmp_path / "subs", tmp_path / "site")
    assert "gate cache: 0 hit(s), 2 miss(es)" in first.cache
    again = build(tmp_path / "subs", tmp_path / "site")
    assert "gate cache: 2 hit(s), 0 miss(es)" in again.cache and again.systems == ["bm25", "other"]
    table = tmp_path / "subs" / "other" / "pairs" / "xquad-r" / "de-de" / "per-query.tsv"
    table.write_text(replace_value(table.read_text(), "inf"))  # a changed file is checked again, and refused
    changed = build(tmp_path / "subs", tmp_path / "site")
    assert "gate cache: 1 hit(s), 1 miss(es)" in changed.cache and changed.systems == ["bm25"]
    assert any(note.startswith("other: left out (") and "finite" in note for note in changed.notes)
    table.unlink()
    table.symlink_to("/dev/zero")  # so is a file swapped for a link
    assert build(tmp_path / "subs", tmp_path / "site").systems == ["bm25"]
