"""TREC run and qrels files: every malformed line is named file:line; writes round-trip exactly."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from harness.errors import HarnessError, InputFormatError
from harness.evaluation import Run, read_qrels, read_run, trec, trec_columns, write_run

GOOD_RUN = "q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 1.5 tag\nq2 Q0 d1 1 0.5 tag\n"


def _file(tmp_path, text: str, name: str = "run.trec"):
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path.write_bytes(text.encode("utf-8"))
    return path


def _columns(run: Run) -> tuple:
    return run.query_ids.tolist(), run.doc_ids.tolist(), run.ranks.tolist(), run.scores.tolist()


BAD_RUNS = {
    "too few columns": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 1.5\n", 2, "expected 6 columns"),
    "too many columns": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 1.5 tag x\n", 2, "expected 6 columns"),
    "too many columns on the first line": ("q1 Q0 d1 1 2.5 tag x\nq1 Q0 d2 2 1.5 tag\n", 1, "expected 6 columns"),
    "one column": ("q1 Q0 d1 1 2.5 tag\nq1\n", 2, "expected 6 columns"),
    "empty field between tabs": ("q1\tQ0\td1\t1\t2.5\ttag\nq1\tQ0\t\t2\t1.5\ttag\n", 2, "expected 6 columns"),
    "tab inside a space-separated line": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2\tx 2 1.5 tag\n", 2, "expected 6 columns"),
    "non-numeric rank": ("q1 Q0 d1 one 2.5 tag\n", 1, "rank 'one' is not an integer"),
    "fractional rank": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2.5 1.5 tag\n", 2, "rank '2.5' is not an integer"),
    "non-numeric score": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 high tag\n", 2, "score 'high' is not a number"),
    "NaN score": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 nan tag\n", 2, "score 'nan' is not a finite number"),
    "infinite score": ("q1 Q0 d1 1 inf tag\n", 1, "score 'inf' is not a finite number"),
    "negative infinite score": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 2 -Infinity tag\n", 2, "not a finite number"),
    "document twice for a query": ("q1 Q0 d1 1 2.5 tag\nq2 Q0 d1 1 2.5 tag\nq1 Q0 d1 2 1.0 tag\n", 3, "'d1' appears twice for query 'q1'"),
    "line numbers count blank lines": ("q1 Q0 d1 1 2.5 tag\n\n\nq1 Q0 d2 2 x tag\n", 4, "score 'x' is not a number"),
    "a lone CR ends a line": ("q1 Q0 d1 1 2.5 tag\rq1 Q0 d2 2\r", 2, "expected 6 columns"),
    # Numbers are ASCII decimals: what Python's int() and float() or a fast parser would also take is refused.
    "hexadecimal rank": ("q1 Q0 d1 0x1 2.5 tag\n", 1, "rank '0x1' is not an integer"),
    "rank with a decimal point": ("q1 Q0 d1 1.0 2.5 tag\n", 1, "rank '1.0' is not an integer"),
    "rank in exponent form": ("q1 Q0 d1 1e3 2.5 tag\n", 1, "rank '1e3' is not an integer"),
    "rank True": ("q1 Q0 d1 True 2.5 tag\n", 1, "rank 'True' is not an integer"),
    "rank with a digit separator": ("q1 Q0 d1 1_0 2.5 tag\n", 1, "rank '1_0' is not an integer"),
    "rank in Arabic-Indic digits": ("q1 Q0 d1 \u0661 2.5 tag\n", 1, "is not an integer"),
    "rank beyond 64 bits": ("q1 Q0 d1 9223372036854775808 2.5 tag\n", 1, "rank 9223372036854775808 does not fit in 64 bits"),
    "rank below 64 bits": ("q1 Q0 d1 1 2.5 tag\nq1 Q0 d2 -9223372036854775809 1 tag\n", 2, "does not fit in 64 bits"),
    "score with a digit separator": ("q1 Q0 d1 1 1_0.5 tag\n", 1, "score '1_0.5' is not a number"),
    "score in Arabic-Indic digits": ("q1 Q0 d1 1 \u0661 tag\n", 1, "is not a number"),
    "hexadecimal score": ("q1 Q0 d1 1 0x1p3 tag\n", 1, "score '0x1p3' is not a number"),
    "score beyond a double": ("q1 Q0 d1 1 1e400 tag\n", 1, "score '1e400' is not a finite number"),
}


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("case", list(BAD_RUNS), ids=list(BAD_RUNS))
def test_a_malformed_run_line_is_named_by_file_and_line(tmp_path, case, suffix):
    text, line, problem = BAD_RUNS[case]
    path = _file(tmp_path, text, "run.trec" + suffix)
    with pytest.raises(InputFormatError) as raised:
        read_run(path)
    assert raised.value.line == line
    assert str(raised.value).startswith(f"{path}:{line}: ")
    assert problem in raised.value.problem


def test_a_run_file_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "run.trec"
    path.write_bytes(b"q1 Q0 d1 1 2.5 tag\nq1 Q0 d\xff 2 1.5 tag\n")
    with pytest.raises(InputFormatError, match="run.trec:2: not UTF-8"):
        read_run(path)


BAD_QRELS = {
    "three columns": ("q1 0 d1 1\nq1 d2 1\n", 2, "expected 4 columns"),
    "five columns": ("q1 0 d1 1 x\n", 1, "expected 4 columns"),
    "non-integer grade": ("q1 0 d1 1\nq1 0 d2 0.5\n", 2, "grade '0.5' is not an integer"),
    "document judged twice": ("q1 0 d1 1\nq2 0 d1 1\nq1 0 d1 0\n", 3, "'d1' is judged twice for query 'q1'"),
    "grade beyond 32 bits": ("q1 0 d1 1\nq1 0 d2 2147483648\n", 2, "grade 2147483648 is out of range: a grade lies between -2147483648 and 2147483647"),
    "grade below 32 bits": ("q1 0 d1 -2147483649\n", 1, "is out of range"),
    "huge grade": ("q1 0 d1 99999999999999999999999\n", 1, "grade 99999999999999999999999 is out of range"),
    "grade with a digit separator": ("q1 0 d1 1_0\n", 1, "grade '1_0' is not an integer"),
    "grade in Arabic-Indic digits": ("q1 0 d1 \u0661\n", 1, "is not an integer"),
    "grade in exponent form": ("q1 0 d1 1e1\n", 1, "grade '1e1' is not an integer"),
    "grade nan": ("q1 0 d1 nan\n", 1, "grade 'nan' is not an integer"),
}


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("case", list(BAD_QRELS), ids=list(BAD_QRELS))
def test_a_malformed_qrels_line_is_named_by_file_and_line(tmp_path, case, suffix):
    text, line, problem = BAD_QRELS[case]
    path = _file(tmp_path, text, "qrels.txt" + suffix)
    with pytest.raises(InputFormatError) as raised:
        read_qrels(path)
    assert raised.value.line == line and str(raised.value).startswith(f"{path}:{line}: ")
    assert problem in raised.value.problem


def test_qrels_are_read_with_grades_plain_or_gzip(tmp_path):
    text = "q1 0 d1 1\nq1 0 d2 0\n\nq2\tQ0\td1\t-1\nq2 0 d3 +3\r\nq3 0 d4 2147483647\rq3 0 d5 -2147483648\n"
    expected = {"q1": {"d1": 1, "d2": 0}, "q2": {"d1": -1, "d3": 3}, "q3": {"d4": 2**31 - 1, "d5": -(2**31)}}
    assert read_qrels(_file(tmp_path, text, "q.txt")) == expected
    assert read_qrels(_file(tmp_path, text, "q.txt.gz")) == expected


@pytest.mark.parametrize(
    "text",
    [
        GOOD_RUN,
        GOOD_RUN.replace(" ", "\t"),
        GOOD_RUN.replace("\n", "\r\n"),
        GOOD_RUN.replace(" Q0 ", "   Q0\t \t").replace("\n", "  \n"),  # aligned columns, trailing blanks
        "\n" + GOOD_RUN.replace("\n", "\n\n"),
        GOOD_RUN.replace("\n", "\r"),
        "\ufeff" + GOOD_RUN.replace(" 2.5 ", " +2.5 ").replace(" 1.5 ", " 15e-1 ").replace(" 0.5 ", " .5 ").replace(" 2 ", " +02 "),
    ],
    ids=["spaces", "tabs", "crlf", "mixed-whitespace", "blank-lines", "cr", "bom-and-number-forms"],
)
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_whitespace_variants_read_the_same(tmp_path, text, suffix):
    run = read_run(_file(tmp_path, text, "run.trec" + suffix))
    assert _columns(run) == (["q1", "q1", "q2"], ["d1", "d2", "d1"], [1, 2, 1], [2.5, 1.5, 0.5])
    assert run.name == "run"


def test_ids_that_look_like_numbers_or_missing_values_stay_strings(tmp_path):
    run = read_run(_file(tmp_path, "007 Q0 NA 1 1e3 t\n007 Q0 nan 2 -0 t\n007 Q0 \"q\" 3 -2.5E-3 t\n"))
    assert run.query_ids.tolist() == ["007"] * 3
    assert run.doc_ids.tolist() == ["NA", "nan", '"q"']
    assert run.scores.tolist() == [1000.0, -0.0, -0.0025]


def test_text_after_the_sixth_column_is_refused_unless_allowed(tmp_path):
    path = _file(tmp_path, "q1\tQ0\td1\t1\t2.5\tSTANDARD more junk\nq1\tQ0\td2\t2\t1.5\tSTANDARD\n")
    with pytest.raises(InputFormatError, match="run.trec:1: expected 6 columns"):
        read_run(path)
    assert _columns(read_run(path, allow_extra_columns=True)) == (["q1", "q1"], ["d1", "d2"], [1, 2], [2.5, 1.5])


def test_text_after_the_sixth_column_is_read_fast_when_allowed(tmp_path):
    # trec_eval's results.trunc style (tabs, then space-separated junk) goes to arrow; other extras to pandas.
    tabbed = _file(tmp_path, "q1\tQ0\td1\t1\t  2.5\tSTANDARD more junk\nq1\tQ0\td2\t2\t1.5\tSTANDARD\n", "tabbed.trec")
    spaced = _file(tmp_path, "q1 Q0 d1 1 2.5 tag x y\nq1 Q0 d2 2 1.5 tag\n", "spaced.trec")
    expected = [["q1", "q1"], ["d1", "d2"], [1, 2], [2.5, 1.5]]
    for path, fast in ((tabbed, trec_columns.run_columns_arrow), (spaced, trec_columns.run_columns_pandas)):
        assert [column.tolist() for column in fast(path, allow_extra_columns=True)] == expected
        assert [column.tolist() for column in trec._run_columns_lines(path, allow_extra_columns=True)] == expected
    undecodable = tmp_path / "undecodable.trec"  # extras are ignored whole, as trec_eval ignores them
    undecodable.write_bytes(b"q1  Q0  d1  1  2.5  tag  x\xff\nq1  Q0  d2  2  1.5  tag\n")
    assert _columns(read_run(undecodable, allow_extra_columns=True)) == tuple(expected)
    with pytest.raises(InputFormatError, match="undecodable.trec:1: not UTF-8 text"):
        read_run(undecodable)
    short = _file(tmp_path, "q1 Q0 d1 1 2.5 tag x\nq1 Q0 d2 2 1.5\n", "short.trec")
    with pytest.raises(InputFormatError, match="short.trec:2: expected 6 columns"):
        read_run(short, allow_extra_columns=True)


def test_the_name_defaults_to_the_file_name_without_run_suffixes(tmp_path):
    assert read_run(_file(tmp_path, GOOD_RUN, "bm25.en.trec.gz")).name == "bm25.en"
    assert read_run(_file(tmp_path, GOOD_RUN, "bm25.en.trec.gz"), name="mine").name == "mine"


def test_a_missing_file_is_a_harness_error(tmp_path):
    with pytest.raises(HarnessError, match="no such run file"):
        read_run(tmp_path / "absent.trec")
    with pytest.raises(HarnessError, match="no such qrels file"):
        read_qrels(tmp_path / "absent.txt")


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_write_run_sorts_in_the_pinned_order_and_round_trips_scores_exactly(tmp_path, suffix):
    rng = np.random.default_rng(7)
    scores = [1 / 3, 0.1 + 0.2, 1e-300, 123456789.123456789, 2.0, 2.0, 2.0, -0.5]
    run = Run.from_rankings([("q2", ["b", "a", "c", "e", "x", "z", "y", "d"], scores), ("10", ["k"], [rng.normal()])])
    path = tmp_path / f"out.trec{suffix}"
    write_run(run, path, tag="mine")
    with gzip.open(path, "rt") if suffix else open(path) as text:
        lines = text.read().splitlines()
    assert lines[0].split() == ["10", "Q0", "k", "1", repr(float(run.scores[-1])), "mine"]
    # 2.0 ties: document id descending (z, y, x); ranks restart at 1 per query.
    assert [line.split()[2] for line in lines[1:]] == ["e", "z", "y", "x", "b", "a", "c", "d"]
    assert [line.split()[3] for line in lines[1:]] == [str(i) for i in range(1, 9)]
    back = read_run(path)
    assert back.to_dict() == run.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary left behind


def test_write_run_refuses_ids_that_would_not_read_back(tmp_path):
    for qid, doc in (("q 1", "d"), ("q1", "d\t2"), ("q1", ""), ("q1", "a\nb")):
        with pytest.raises(HarnessError, match="empty or contains whitespace"):
            write_run(Run.from_rankings([(qid, [doc], [1.0])]), tmp_path / "out.trec")
    with pytest.raises(HarnessError, match="run tag"):
        write_run(Run.from_rankings([("q1", ["d"], [1.0])]), tmp_path / "out.trec", tag="two words")
    assert not list(tmp_path.iterdir())


FAST_PARSERS = [trec_columns.run_columns_arrow, trec_columns.run_columns_pandas]


@pytest.mark.parametrize("parser", FAST_PARSERS, ids=["arrow", "pandas"])
@pytest.mark.parametrize("case", list(BAD_RUNS), ids=list(BAD_RUNS))
def test_no_fast_parser_lets_a_malformed_run_through(tmp_path, case, parser):
    path = _file(tmp_path, BAD_RUNS[case][0])
    try:
        columns = parser(path)
    except trec_columns.Refused:
        return
    assert not trec._run_columns_valid(*columns)


@pytest.mark.parametrize(
    "text, fast",
    [
        (GOOD_RUN, trec_columns.run_columns_arrow),
        (GOOD_RUN.replace(" ", "\t"), trec_columns.run_columns_arrow),
        (GOOD_RUN.replace(" ", "  "), trec_columns.run_columns_pandas),
    ],
    ids=["spaces-arrow", "tabs-arrow", "aligned-pandas"],
)
def test_the_fast_parsers_take_ordinary_files_and_agree_with_the_line_parser(tmp_path, text, fast):
    pytest.importorskip("pyarrow")
    path = _file(tmp_path, text)
    reference = trec._run_columns_lines(path, allow_extra_columns=False)
    for parsed in (fast(path), trec_columns.run_columns_pandas(path)):
        assert [column.tolist() for column in parsed] == [column.tolist() for column in reference]
