"""Property tests of the run and qrels readers (harness.evaluation.trec).

Generated valid files (any ids, scores in every float spelling, ranks of 64 bits, spaces, tabs or
both, LF/CRLF/CR, blank lines, a BOM, extra columns where allowed, plain or gzip) parse to
exactly the columns written. Near-valid files (one field dropped, added or replaced by a bad
token, a line duplicated, bytes that are not UTF-8, a NUL, truncation, a damaged gzip) and
arbitrary bytes either parse or raise :class:`HarnessError` with one line naming the file,
never another exception. Whenever a fast columnar reader accepts a file, the line parser,
which defines the format, reads the same columns. Hypothesis runs derandomized.
"""
from __future__ import annotations

import gzip
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.evaluation import qrels_text, read_qrels, read_run, trec, trec_columns

PROPERTY = settings(derandomize=True, max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BAD_TOKENS = ["", "x", "nan", "-inf", "1e999", "0x1", "1_0", "1.0", "١", "True", "9223372036854775808", "+", " ", "\x00", "\ufeff", "é"]
_counter = itertools.count()

ID = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=" \t\r\n\ufeff"), min_size=1, max_size=6)
RANK = st.integers(-(2**63), 2**63 - 1)
SCORE = st.floats(allow_nan=False, allow_infinity=False)
GRADE = st.integers(-(2**31), 2**31 - 1)
SPELLINGS = [repr, lambda x: f"{x:.6g}", lambda x: f"{x:e}", lambda x: f"{x:E}", lambda x: f"{x:f}", lambda x: repr(x) if repr(x).startswith("-") else f"+{x!r}"]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("trec-readers")


def _write(scratch: Path, name: str, data: bytes) -> Path:
    path = scratch / f"{next(_counter)}-{name}"
    path.write_bytes(gzip.compress(data, mtime=0) if name.endswith(".gz") else data)
    return path


@st.composite
def layout(draw: st.DrawFn) -> tuple[str, str, bool, bool]:
    """(field separator, line ending, BOM, blank lines) of a generated file."""
    separator = draw(st.sampled_from([" ", "\t", "  ", " \t", "mixed"]))
    return separator, draw(st.sampled_from(["\n", "\r\n", "\r"])), draw(st.booleans()), draw(st.booleans())


def _join(fields: list[str], separator: str, seed: int) -> str:
    if separator != "mixed":
        return separator.join(fields)
    gaps = [" ", "\t", "   ", "\t \t"]
    return "".join(field + gaps[(seed + i) % len(gaps)] for i, field in enumerate(fields)).rstrip(" \t")


def _text(lines: list[list[str]], shape: tuple[str, str, bool, bool]) -> bytes:
    separator, ending, bom, blanks = shape
    out = [_join(fields, separator, i) + ending + (f" \t{ending}" if blanks and i % 3 == 0 else "") for i, fields in enumerate(lines)]
    return (("\ufeff" if bom else "") + "".join(out)).encode("utf-8")


@st.composite
def valid_run(draw: st.DrawFn, extra_columns: bool = False) -> tuple[bytes, list[list]]:
    """A run file's bytes and its expected columns (qids, docids, ranks, scores)."""
    keys = draw(st.lists(st.tuples(ID, ID), min_size=1, max_size=12, unique=True))
    lines, expected = [], [[], [], [], []]
    for qid, doc in keys:
        rank, score, spell = draw(RANK), draw(SCORE), draw(st.sampled_from(SPELLINGS))
        written = spell(score)
        fields = [qid, draw(st.sampled_from(["Q0", "0", "q0"])), doc, str(rank), written, draw(ID)]
        if extra_columns:
            fields += draw(st.lists(ID, max_size=2))
        lines.append(fields)
        for column, value in zip(expected, (qid, doc, rank, float(written))):
            column.append(value)
    return _text(lines, draw(layout())), expected


@st.composite
def valid_qrels(draw: st.DrawFn) -> tuple[bytes, dict[str, dict[str, int]]]:
    keys = draw(st.lists(st.tuples(ID, ID), min_size=1, max_size=12, unique=True))
    lines, expected = [], {}
    for qid, doc in keys:
        grade = draw(GRADE)
        lines.append([qid, "0", doc, str(grade)])
        expected.setdefault(qid, {})[doc] = grade
    return _text(lines, draw(layout())), expected


@st.composite
def broken(draw: st.DrawFn, valid: bytes) -> bytes:
    """``valid`` broken the way real files get broken."""
    kind = draw(st.sampled_from(["field", "field", "field", "duplicate", "bad-bytes", "nul", "truncate", "bom-inside", "empty"]))
    if kind == "empty":
        return draw(st.sampled_from([b"", b"\n \t\n", b"\xef\xbb\xbf"]))
    at = draw(st.integers(0, len(valid)))
    if kind == "bad-bytes":
        return valid[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80"])) + valid[at:]
    if kind == "nul":
        return valid[:at] + b"\x00" + valid[at:]
    if kind == "truncate":
        return valid[:at]
    if kind == "bom-inside":
        return valid[:at] + b"\xef\xbb\xbf" + valid[at:]
    lines = valid.splitlines(keepends=True)
    row = draw(st.integers(0, len(lines) - 1))
    if kind == "duplicate":
        return b"".join([*lines[: row + 1], lines[row], *lines[row + 1 :]])
    fields = lines[row].decode("utf-8", "replace").split()
    edit = draw(st.sampled_from(["drop", "add", "replace"]))
    token = draw(st.sampled_from(BAD_TOKENS))
    if edit == "drop" and fields:
        del fields[draw(st.integers(0, len(fields) - 1))]
    elif edit == "add":
        fields.insert(draw(st.integers(0, len(fields))), token or "x")
    elif fields:
        fields[draw(st.integers(0, len(fields) - 1))] = token
    lines[row] = (" ".join(fields) + "\n").encode("utf-8")
    return b"".join(lines)


def _damaged_gz(data: bytes, cut: int, flip: int) -> bytes:
    packed = gzip.compress(data, mtime=0)
    if flip:
        at = 10 + cut % max(len(packed) - 10, 1)
        return packed[:at] + bytes([packed[at] ^ flip]) + packed[at + 1 :]
    return packed[: cut % len(packed)]


def _columns(run) -> list[list]:
    return [run.query_ids.tolist(), run.doc_ids.tolist(), run.ranks.tolist(), run.scores.tolist()]


def _same_floats(ours: list[float], expected: list[float]) -> bool:
    return all(a == b and math.copysign(1, a) == math.copysign(1, b) for a, b in zip(ours, expected)) and len(ours) == len(expected)


def _parses_or_refuses(read, path: Path):
    """What ``read`` returns, or None when it raised a one-line HarnessError naming ``path``."""
    try:
        return read(path)
    except HarnessError as error:
        message = str(error)
        assert "\n" not in message and message.startswith(str(path)), message
        return None


def _fast_agrees_with_lines(path: Path, allow_extra_columns: bool) -> None:
    """Whatever a fast reader accepts, the line parser reads the same way."""
    for fast in (trec_columns.run_columns_arrow, trec_columns.run_columns_pandas):
        try:
            columns = fast(path, allow_extra_columns)
        except trec_columns.Refused:
            continue
        if not trec._run_columns_valid(*columns):
            continue
        reference = trec._run_columns_lines(path, allow_extra_columns)
        assert [column.tolist() for column in columns[:3]] == [column.tolist() for column in reference[:3]], fast.__name__
        assert np.array_equal(columns[3].view(np.uint64), reference[3].view(np.uint64)), fast.__name__


def _plain_qrels_agree_with_lines(path: Path) -> None:
    """Whatever the one-pass qrels reader accepts, the line reader reads the same way."""
    plain = qrels_text.plain_qrels(path)
    if plain is not None:
        assert plain == trec._qrels_lines(path)
        assert [type(grade) for docs in plain.values() for grade in docs.values()] == [int] * sum(map(len, plain.values()))


@PROPERTY
@given(valid_run(), st.sampled_from(["run.trec", "run.trec.gz"]))
def test_valid_runs_parse_to_the_columns_written(scratch, case, name):
    data, expected = case
    path = _write(scratch, name, data)
    columns = _columns(read_run(path))
    assert columns[:3] == expected[:3] and _same_floats(columns[3], expected[3])
    _fast_agrees_with_lines(path, allow_extra_columns=False)


@PROPERTY
@given(valid_run(extra_columns=True), st.sampled_from(["run.trec", "run.trec.gz"]))
def test_valid_runs_with_extra_columns_parse_when_allowed(scratch, case, name):
    data, expected = case
    path = _write(scratch, name, data)
    columns = _columns(read_run(path, allow_extra_columns=True))
    assert columns[:3] == expected[:3] and _same_floats(columns[3], expected[3])
    _fast_agrees_with_lines(path, allow_extra_columns=True)


@PROPERTY
@given(st.data(), st.booleans(), st.sampled_from(["run.trec", "run.trec.gz"]))
@example(data=b"q1 Q0 d1 1 0x10 t\nq1\tQ0 d2 2 1.0 t\r", allow_extra_columns=False, name="run.trec")
@example(data=b"q1  Q0  d1  1  0.0  t  x\xff\nq1  Q0  d2  2  1.0  t\n", allow_extra_columns=True, name="run.trec")  # pandas skips extras
def test_broken_runs_parse_or_are_refused_and_the_parsers_agree(scratch, data, allow_extra_columns, name):
    raw = data if isinstance(data, bytes) else data.draw(broken(data.draw(valid_run(allow_extra_columns))[0]))
    path = _write(scratch, name, raw)
    run = _parses_or_refuses(lambda p: read_run(p, allow_extra_columns=allow_extra_columns), path)
    if run is not None:
        assert len(run) > 0 and np.isfinite(run.scores).all()
        assert len(set(zip(run.query_ids.tolist(), run.doc_ids.tolist()))) == len(run)
    _fast_agrees_with_lines(path, allow_extra_columns)


@PROPERTY
@given(st.binary(max_size=300), st.booleans(), st.integers(0, 10**6), st.integers(0, 255))
def test_arbitrary_bytes_never_escape_as_another_exception(scratch, raw, allow_extra_columns, cut, flip):
    for path in (_write(scratch, "run.trec", raw), _write(scratch, "run.trec.gz", raw)):
        _parses_or_refuses(lambda p: read_run(p, allow_extra_columns=allow_extra_columns), path)
        _parses_or_refuses(read_qrels, path)
        _fast_agrees_with_lines(path, allow_extra_columns)
        _plain_qrels_agree_with_lines(path)
    damaged = scratch / f"{next(_counter)}-damaged.trec.gz"
    damaged.write_bytes(_damaged_gz(raw, cut, flip))
    _parses_or_refuses(read_run, damaged)
    _parses_or_refuses(read_qrels, damaged)


@PROPERTY
@given(valid_qrels(), st.sampled_from(["qrels.txt", "qrels.txt.gz"]))
def test_valid_qrels_parse_to_the_grades_written(scratch, case, name):
    data, expected = case
    path = _write(scratch, name, data)
    assert read_qrels(path) == expected
    assert qrels_text.plain_qrels(path) in (None, expected)


@PROPERTY
@given(st.data(), st.sampled_from(["qrels.txt", "qrels.txt.gz"]))
def test_broken_qrels_parse_or_are_refused(scratch, data, name):
    raw = data.draw(broken(data.draw(valid_qrels())[0]))
    path = _write(scratch, name, raw)
    qrels = _parses_or_refuses(read_qrels, path)
    _plain_qrels_agree_with_lines(path)
    if qrels is not None:
        assert qrels and all(type(grade) is int and -(2**31) <= grade < 2**31 for docs in qrels.values() for grade in docs.values())


@pytest.mark.parametrize("text, plain", [
    ("q1 0 d1 1\nq1 0 d2 0\n\n  q2\t0\td1\t+2 \n", {"q1": {"d1": 1, "d2": 0}, "q2": {"d1": 2}}),
    ("\ufeffq1 0 d1 1", {"q1": {"d1": 1}}),
    ("q1 0 d1 1\r\nq1 0 d2 0\r\n", None),  # carriage returns: the line reader
    ("q1 0 d1 1\nq1 0 d1 0\n", None),  # judged twice: the line reader names the line
    ("q1 0 d1 1 extra\n", None),
    ("q1 0 d1 1.0\n", None),
    ("q1 0 d1 2147483648\n", None),
    ("\n \t\n", None),
])
def test_plain_qrels_read_plain_files_and_leave_the_rest_to_the_line_reader(scratch, text, plain):
    path = _write(scratch, "qrels.txt", text.encode("utf-8"))
    assert qrels_text.plain_qrels(path) == plain
    if plain is not None:
        assert read_qrels(path) == plain == trec._qrels_lines(path)
