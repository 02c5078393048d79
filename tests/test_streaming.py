"""A run file evaluated block by block gives evaluate(read_run(file))'s numbers, bit for bit."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError, InputFormatError
from harness.evaluation import evaluate, read_run, streaming, trec
from harness.evaluation.streaming import evaluate_run_file

MEASURES = "AP,RR@3,nDCG@5,P@2,R@10,IPrec@0.5,AP(judged_only=True),Bpref"


@pytest.fixture(autouse=True)
def no_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file here is small: take the paths of large ones (arrow, blocks) all the same."""
    monkeypatch.setattr(streaming, "SMALL_FILE_BYTES", 0)
    monkeypatch.setattr(trec, "SMALL_FILE_BYTES", 0)


def same(found, expected) -> None:
    assert found.per_query == expected.per_query
    assert found.aggregate == expected.aggregate
    assert found.ties == expected.ties
    assert (found.unjudged_run_queries, found.missing_run_queries) == (expected.unjudged_run_queries, expected.missing_run_queries)
    assert found.semantics == expected.semantics


@st.composite
def run_files(draw):
    num_queries = draw(st.integers(1, 12))
    lines, qrels = [], {}
    for q in range(num_queries):
        qid = draw(st.sampled_from([f"q{q}", f"{q:03d}", f"Q-{q}é"]))
        docs = draw(st.lists(st.sampled_from([f"d{i}" for i in range(15)]), min_size=1, max_size=8, unique=True))
        scores = draw(st.lists(st.sampled_from([0.5, 1.0, 1.25, 2.0, -3.0]), min_size=len(docs), max_size=len(docs)))
        lines.extend(f"{qid} Q0 {doc} {rank} {score!r} t\n" for rank, (doc, score) in enumerate(zip(docs, scores), 1))
        if draw(st.booleans()):
            qrels[qid] = {doc: draw(st.integers(-1, 2)) for doc in draw(st.lists(st.sampled_from(docs + ["other"]), min_size=1, max_size=3, unique=True))}
    for extra in range(draw(st.integers(0, 2))):
        qrels[f"absent{extra}"] = {"d1": 1}
    if not qrels:
        qrels["q0"] = {"d0": 1}
    if draw(st.booleans()):  # a query comes back after others: the partitioned path
        lines = [lines[i] for i in np.random.default_rng(draw(st.integers(0, 99))).permutation(len(lines))]
    return "".join(lines), qrels


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(run_files(), st.booleans(), st.sampled_from([64, 200, 1 << 20]), st.booleans(), st.sampled_from(["trec_eval", "rank"]))
def test_blocks_equal_the_whole(tmp_path: Path, case, missing_as_zero: bool, block_bytes: int, gzipped: bool, tie_break: str) -> None:
    text, qrels = case
    path = tmp_path / ("run.trec.gz" if gzipped else "run.trec")
    path.write_bytes(gzip.compress(text.encode()) if gzipped else text.encode())
    try:
        expected = evaluate(read_run(path), qrels, MEASURES, missing_as_zero=missing_as_zero, tie_break=tie_break)
    except HarnessError as error:
        with pytest.raises(HarnessError) as raised:
            evaluate_run_file(path, qrels, MEASURES, missing_as_zero=missing_as_zero, tie_break=tie_break, block_bytes=block_bytes)
        assert str(raised.value) == str(error)
        return
    found = evaluate_run_file(path, qrels, MEASURES, missing_as_zero=missing_as_zero, tie_break=tie_break, block_bytes=block_bytes)
    same(found, expected)


def test_a_file_is_cut_into_about_eight_blocks_of_2_to_16_mib() -> None:
    mib = 1 << 20
    assert streaming.default_block_bytes(300 * 1024) == 2 * mib
    assert streaming.default_block_bytes(34 * mib) == 34 * mib // 8
    assert streaming.default_block_bytes(3400 * mib) == 16 * mib


def test_a_duplicate_is_named_by_its_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.trec"
    path.write_text("q1 Q0 a 1 2 t\nq1 Q0 b 2 1 t\nq2 Q0 c 1 1 t\nq2 Q0 c 2 0.5 t\n")
    with pytest.raises(InputFormatError) as raised:
        evaluate_run_file(path, {"q1": {"a": 1}}, "AP", block_bytes=16)
    assert str(raised.value) == str(pytest.raises(InputFormatError, read_run, path).value)
    assert ":4:" in str(raised.value)


def test_files_arrow_refuses_are_read_line_by_line(tmp_path: Path) -> None:
    mixed = tmp_path / "mixed.trec"
    mixed.write_text("q1 Q0 a 1 2 t\nq1\tQ0\tb\t2\t1\tt\n")
    same(evaluate_run_file(mixed, {"q1": {"b": 1}}, "AP,RR"), evaluate(read_run(mixed), {"q1": {"b": 1}}, "AP,RR"))
    empty = tmp_path / "empty.trec"
    empty.write_text("")
    with pytest.raises(InputFormatError, match="no rows"):
        evaluate_run_file(empty, {"q1": {"b": 1}}, "AP")
    with pytest.raises(HarnessError, match="no such run file"):
        evaluate_run_file(tmp_path / "absent.trec", {"q1": {"b": 1}}, "AP")


@pytest.mark.parametrize("tie_break", ["trec_eval", "rank"])
def test_long_ranks_are_checked_whether_or_not_they_are_read(tmp_path: Path, tie_break: str) -> None:
    # ranks are read only for tie_break="rank"; a rank of 19 or more characters is still checked to fit in 64 bits
    fits = tmp_path / "fits.trec"
    fits.write_text("q1 Q0 a 0000000000000000000001 2 t\nq1 Q0 b -000000000000000000002 1 t\n")
    same(evaluate_run_file(fits, {"q1": {"b": 1}}, "AP", tie_break=tie_break), evaluate(read_run(fits), {"q1": {"b": 1}}, "AP", tie_break=tie_break))
    huge = tmp_path / "huge.trec"
    huge.write_text("q1 Q0 a 1 2 t\nq1 Q0 b 99999999999999999999 1 t\n")
    with pytest.raises(InputFormatError) as raised:
        evaluate_run_file(huge, {"q1": {"b": 1}}, "AP", tie_break=tie_break)
    assert str(raised.value) == str(pytest.raises(InputFormatError, read_run, huge).value)


def test_text_is_checked_as_utf8_unless_it_is_ascii(tmp_path: Path) -> None:
    # a block of ASCII bytes skips arrow's UTF-8 check; any other byte has the block checked
    lines = [f"q{q} Q0 d{d} {d + 1} {1 / (d + 1)!r} t\n".encode() for q in range(40) for d in range(5)]
    accented = tmp_path / "accented.trec"
    accented.write_bytes(b"".join(lines[:150]) + "q99 Q0 dé 1 1.0 t\n".encode() + b"".join(lines[150:]))
    qrels = {"q99": {"dé": 1}, "q3": {"d2": 1}}
    same(evaluate_run_file(accented, qrels, "AP", block_bytes=64), evaluate(read_run(accented), qrels, "AP"))
    broken = tmp_path / "broken.trec"
    broken.write_bytes(b"".join(lines[:150]) + b"q99 Q0 d\xff 1 1.0 t\n" + b"".join(lines[150:]))
    with pytest.raises(InputFormatError, match=r"broken.trec:151: not UTF-8"):
        evaluate_run_file(broken, qrels, "AP", block_bytes=64)


def test_rank_distance_needs_and_uses_the_pool(tmp_path: Path) -> None:
    path = tmp_path / "pool.trec"
    path.write_text("q1 Q0 en-1 1 2 t\nq1 Q0 de-2 2 1 t\nq2 Q0 de-1 1 3 t\n")
    qrels = {"q1": {"en-1": 1, "de-1": 1}, "q2": {"de-1": 1, "en-1": 1}}
    pool = ["en-1", "de-1", "de-2", "en-2"]
    found = evaluate_run_file(path, qrels, "RankDistance", pool=pool, block_bytes=20)
    same(found, evaluate(read_run(path), qrels, "RankDistance", pool=pool))
    # q1: en-1 1st, de-1 after the retrieved and after en-2 (ids descending): 4th; q2: de-1 1st, en-1 3rd
    assert found.per_query["RankDistance"] == {"q1": 3.0, "q2": 2.0}


class _ShortReads:
    """A stream that hands out at most ``most`` bytes a read, as gzip may."""

    def __init__(self, data: bytes, most: int) -> None:
        self.data, self.most, self.at = data, most, 0

    def readinto(self, view) -> int:
        count = min(len(view), self.most, len(self.data) - self.at)
        view[:count] = self.data[self.at : self.at + count]
        self.at += count
        return count


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=12).map(lambda line: line.replace(b"\n", b"")), max_size=20), st.booleans(), st.integers(1, 40), st.integers(1, 50), st.none() | st.integers(1, 40))
def test_line_blocks_are_the_stream_cut_after_newlines(lines, final_newline, block_bytes, most, first_bytes):
    data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
    blocks = [bytes(block) for block in streaming._line_blocks(_ShortReads(data, most), block_bytes, first_bytes)]
    assert b"".join(blocks) == data
    assert all(block.endswith(b"\n") for block in blocks[:-1]) and all(blocks)
    longest = max((len(line) + 1 for line in lines), default=0)
    # a line longer than a block doubles the block (and the buffer) until it fits
    assert all(len(block) <= max(block_bytes, 2 * longest) for block in blocks)
    assert not blocks or len(blocks[0]) <= max(min(first_bytes or block_bytes, block_bytes), 2 * longest)
