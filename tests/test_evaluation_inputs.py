"""Damaged run and qrels files: each is one line naming the file (and the line where there is one), never a traceback."""
from __future__ import annotations

import gzip
import random

import pytest

from harness.errors import InputFormatError
from harness.evaluation import read_qrels, read_run
from harness.evaluation.trec import run_problems

RUN_LINES = "".join(f"q{i % 7} Q0 d{i} {i + 1} {1000 - i}.5 tag\n" for i in range(400)).encode()
QRELS_LINES = "".join(f"q{i % 7} 0 d{i} {i % 3}\n" for i in range(400)).encode()
READERS = {"run": (read_run, RUN_LINES, "run.trec"), "qrels": (read_qrels, QRELS_LINES, "qrels.txt")}


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _flipped(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


DAMAGED_GZ = {
    "truncated near the end": lambda text: _gz(text)[:-20],
    "truncated in the middle": lambda text: _gz(text)[: len(_gz(text)) // 2],
    "only the header": lambda text: _gz(text)[:10],
    "random bytes": lambda text: random.Random(7).randbytes(300),
    "plain text with a .gz name": lambda text: text,
    "a byte flipped in the compressed stream": lambda text: _flipped(_gz(text)),
    "a gzip of Latin-1 text": lambda text: _gz(text.replace(b"d1 ", b"d\xe9 ")),
}


@pytest.mark.parametrize("kind", list(READERS))
@pytest.mark.parametrize("case", list(DAMAGED_GZ), ids=list(DAMAGED_GZ))
def test_a_damaged_gzip_is_named(tmp_path, kind, case):
    read, text, name = READERS[kind]
    path = tmp_path / f"{name}.gz"
    path.write_bytes(DAMAGED_GZ[case](text))
    with pytest.raises(InputFormatError) as raised:
        read(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:") and "\n" not in message
    assert raised.value.line is not None and raised.value.line >= 1


NOT_UTF8 = {
    "Latin-1": b"\xe9",
    "a lone continuation byte": b"\x80",
    "an overlong slash": b"\xc0\xaf",
    "an encoded surrogate": b"\xed\xa0\x80",
    "a truncated sequence": b"\xe2\x82",
    "beyond U+10FFFF": b"\xf4\x90\x80\x80",
}


@pytest.mark.parametrize("kind", list(READERS))
@pytest.mark.parametrize("case", list(NOT_UTF8), ids=list(NOT_UTF8))
def test_bytes_that_are_not_utf8_are_named_by_line(tmp_path, kind, case):
    read, text, name = READERS[kind]
    lines = text.splitlines(keepends=True)
    lines[2] = lines[2].replace(b"d2", b"d2" + NOT_UTF8[case])
    path = tmp_path / name
    path.write_bytes(b"".join(lines))
    with pytest.raises(InputFormatError, match=f"{name}:3: not UTF-8 text"):
        read(path)


def test_a_utf16_file_is_not_utf8(tmp_path):
    for read, text, name in READERS.values():
        path = tmp_path / name
        path.write_bytes(text.decode().encode("utf-16"))
        with pytest.raises(InputFormatError, match=f"{name}:1: not UTF-8 text"):
            read(path)


EMPTY = {"empty": b"", "blank lines": b"\n\n  \n\t\r\n", "a byte-order mark": b"\xef\xbb\xbf\n"}


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("case", list(EMPTY), ids=list(EMPTY))
def test_a_file_without_rows_is_refused(tmp_path, case, suffix):
    data = _gz(EMPTY[case]) if suffix else EMPTY[case]
    run, qrels = tmp_path / f"run.trec{suffix}", tmp_path / f"qrels.txt{suffix}"
    run.write_bytes(data)
    qrels.write_bytes(data)
    with pytest.raises(InputFormatError, match=f"^{run}: no rows: a run file has lines 'qid Q0 docid rank score tag'$"):
        read_run(run)
    with pytest.raises(InputFormatError, match=f"^{qrels}: no judgments: a qrels file has lines 'qid iter docid rel'$"):
        read_qrels(qrels)
    assert [str(problem) for problem in run_problems(run)] == [f"{run}: no rows: a run file has lines 'qid Q0 docid rank score tag'"]


def test_a_zero_byte_gz_is_a_file_without_rows(tmp_path):
    path = tmp_path / "run.trec.gz"
    path.write_bytes(b"")
    with pytest.raises(InputFormatError, match="no rows"):
        read_run(path)


def test_run_problems_lists_every_bad_line_and_stops_at_damage(tmp_path):
    path = tmp_path / "run.trec.gz"
    path.write_bytes(_gz(b"q1 Q0 d1 1 x t\nq1 Q0 d2 0x2 1 t\n" + RUN_LINES)[:-20])
    problems = run_problems(path)
    assert [problem.line for problem in problems[:2]] == [1, 2]
    assert "unreadable" in problems[-1].problem
