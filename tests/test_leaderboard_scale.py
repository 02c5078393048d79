"""The leaderboard at scale: the per-query reader's fast path, the content-keyed score cache, the
board taking one pair at a time, and a comparison page whose size follows the tests' verdicts.

Speed and memory targets are measured by benchmarks/bench_leaderboard.py, not here.
"""
from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from harness.confined import decode_utf8
from harness.errors import HarnessError
from harness.per_query import PerQueryTable, parse_per_query, read_per_query_table, read_per_query_tables, write_per_query
from harness.report.leaderboard import dataset_board
from harness.report.leaderboard.compare_view import ABOVE, BELOW, NOT_SIGNIFICANT, UNTESTED, compare_blocks, own_units
from harness.report.leaderboard.gate_cache import GateCache
from harness.report.leaderboard.score_cache import CachedTables, ScoreCache
from harness.stats.all_pairs import pair_index
from harness.submissions import Submission
from tests.test_leaderboard import DATASET, MOIR, PAIRS, board_cells, build, column_index, make_submission, toy_scores
from tests.test_leaderboard_own_values import only

PROPERTY = settings(derandomize=True, database=None, max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(read, path: Path):
    """(ids, measures, value bits) of a table, or the error's text."""
    try:
        table = read(path)
    except HarnessError as error:
        return str(error)
    return table.query_ids, table.measures, table.values.shape, table.values.tobytes()


def reference(path: Path):
    """The line-by-line reader every file once went through."""
    data = path.read_bytes()
    return parse_per_query(decode_utf8(data, path), path)


# a valid file, then edits of its bytes that the two readers might split, convert or refuse differently
EDITS = [
    lambda b: b, lambda b: b.replace(b"\n", b"\r\n"), lambda b: b.replace(b"\t", b"\t ", 1), lambda b: b + b"\n",
    lambda b: b + b"q-extra\t0.5\n", lambda b: b.replace(b"\n", b"\n\n", 2), lambda b: b.replace(b"0.", b"\"0.", 1),
    lambda b: b.replace(b"\n", b"\r", 2), lambda b: b[:-1], lambda b: b.replace(b"q", b"NA", 1), lambda b: b.replace(b"q", b"", 1),
    lambda b: b.replace(b"0.", b"1_0.", 1), lambda b: b.replace(b"0.", b"nan", 1), lambda b: b.replace(b"0.", b"\xd9\xa1.", 1),
    lambda b: b.replace(b"\t", b"\t\t", 1), lambda b: b.replace(b"\n", b"\nq0\t1\t2\n", 1), lambda b: b.split(b"\n")[0] + b"\n",
    lambda b: b.replace(b"\n", b"\n\xef\xbb\xbf", 1), lambda b: b.replace(b"e", b"E"), lambda b: b.replace(b"0.", b"+.", 1),
    lambda b: b"\n".join(lines[:1] + [b"\r".join(lines[1:3])] + lines[3:]) if len(lines := b.split(b"\n")) > 3 else b,  # a bare CR between rows
    lambda b: b"\n".join(lines[:1] + [lines[1] + b"\r"] + lines[2:]) if len(lines := b.split(b"\n")) > 2 else b,  # one row's CR
    lambda b: b.replace(b"\t", b"\x00\t", 1), lambda b: b.replace(b"\n", b"\n\xe2\x80\xa8", 2), lambda b: b.replace(b"\t0", b"\t\x0b0", 1),
    lambda b: b.replace(b"\n", b"\n\x0c", 2), lambda b: b.replace(b"\n", b"\t\n", 2), lambda b: b.replace(b"\n", b"\n#", 2),
]
IDS = st.lists(st.text(st.characters(categories=("L", "N", "P", "Zs")), min_size=1, max_size=6), min_size=3, max_size=12, unique=True)
PROPERTY_FEW = settings(PROPERTY, max_examples=30)


@PROPERTY_FEW
@given(IDS, st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=12, max_size=12))
def test_the_fast_reader_gives_the_reference_readers_table_or_error(tmp_path_factory, ids, values):
    folder = tmp_path_factory.mktemp("pq")
    path = folder / "per-query.tsv"
    write_per_query(path, {"AP": dict(zip(ids, values)), "R@10": dict(zip(ids, values[::-1]))})
    valid = path.read_bytes()
    for edit in EDITS:
        path.write_bytes(edit(valid))
        assert outcome(read_per_query_table, path) == outcome(reference, path), edit(valid)


@PROPERTY_FEW
@given(IDS, st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=12, max_size=12))
def test_files_read_in_one_batch_give_each_its_own_table_or_error(tmp_path_factory, ids, values):
    """Every edit of a file in one call: rows of files with as many measures are parsed together,
    and each file still gets the reference reader's table or error (naming its own line)."""
    folder = tmp_path_factory.mktemp("batch")
    write_per_query(folder / "valid.tsv", {"AP": dict(zip(ids, values)), "R@10": dict(zip(ids, values[::-1]))})
    valid = (folder / "valid.tsv").read_bytes()
    paths = []
    for number, edit in enumerate(EDITS):
        paths.append(folder / f"{number}.tsv")
        paths[-1].write_bytes(edit(valid))
    paths.append(folder / "missing.tsv")
    batched = read_per_query_tables(paths, folder)
    assert list(batched) == paths and isinstance(batched[paths[-1]], FileNotFoundError)
    for path in paths[:-1]:
        assert outcome(lambda p: _raised(batched[p]), path) == outcome(reference, path), path.read_bytes()


def test_a_batch_is_one_arrow_call_cut_at_each_files_rows(tmp_path, monkeypatch):
    import harness.per_query as per_query

    sizes = {"a": 3, "b": 1, "c": 5, "d": 2}
    paths = []
    for name, size in sizes.items():
        paths.append(tmp_path / f"{name}.tsv")
        write_per_query(paths[-1], {"AP": {f"{name}{i}": i / 7 for i in range(size)}, "R@1": {f"{name}{i}": float(i % 2) for i in range(size)}})
    (tmp_path / "e.tsv").write_text("query_id\tAP\tR@1\ne0\t0.5\t1\ne0\t0.25\t0\n")  # a duplicate id: its own error, in the batch
    paths.append(tmp_path / "e.tsv")
    calls = []
    original = per_query._read_with_arrow
    monkeypatch.setattr(per_query, "_read_with_arrow", lambda body, measures: calls.append(body.count(b"\n")) or original(body, measures))
    batched = read_per_query_tables(paths, tmp_path)
    assert calls == [sum(sizes.values()) + 2]  # one call over every file's rows
    for path in paths[:-1]:
        assert outcome(lambda p: _raised(batched[p]), path) == outcome(reference, path)
    assert str(batched[paths[-1]]) == f"{paths[-1]}:3: query 'e0' appears twice"


def _raised(table):
    if isinstance(table, Exception):
        raise table
    return table


def test_the_reader_keys_a_table_on_its_bytes_and_shares_equal_id_lists(tmp_path):
    scores = {"AP": {f"q{i}": i / 10 for i in range(5)}, "R@10": {f"q{i}": 1.0 for i in range(5)}}
    for name in ("a.tsv", "b.tsv"):
        write_per_query(tmp_path / name, scores)
    a, b = read_per_query_table(tmp_path / "a.tsv"), read_per_query_table(tmp_path / "b.tsv")
    assert a.digest == hashlib.sha256((tmp_path / "a.tsv").read_bytes()).hexdigest()[:32] == b.digest
    assert a.query_ids is b.query_ids and a.query_ids == [f"q{i}" for i in range(5)]  # one list, held once
    assert a.values is not b.values and a.values.flags.writeable
    (tmp_path / "dup.tsv").write_text("query_id\tAP\nq0\t0.1\nq0\t0.2\n")
    with pytest.raises(HarnessError, match="appears twice"):
        read_per_query_table(tmp_path / "dup.tsv")  # a list met before is reused only when equal


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Five systems: three complete, one holding part of the queries of two pairs, one holding two pairs."""
    root = tmp_path_factory.mktemp("subs")
    half = toy_scores(4, shift=0.2)
    systems = {
        "bm25": toy_scores(1), "better": toy_scores(2, shift=0.3), "same": toy_scores(3),
        "half": {**half, **only({p: half[p] for p in MOIR[:2]}, lambda q: int(q[1:]) < 40)}, "sparse": toy_scores(5, pairs=MOIR[2:4]),
    }
    for name, scores in systems.items():
        make_submission(root, name, scores)
    out = tmp_path_factory.mktemp("site") / "site"
    built = build(root, out)
    page = (out / "compare.html").read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="data-xquad-r">(.*?)</script>', page, re.S).group(1))
    subs = {n: Submission.load(root / n) for n in built.systems}
    board = dataset_board(DATASET, {n: ScoreCache(None).read(s, DATASET, []) for n, s in subs.items()}, baseline="bm25")
    return root, out, built, data, board


def codes_of(data) -> np.ndarray:
    """K x M x C verdict codes unpacked from the page's base64 text."""
    packed = np.frombuffer(base64.b64decode(data["marks"]), dtype=np.uint8)
    codes = np.stack([(packed >> shift) & 3 for shift in (0, 2, 4, 6)], axis=1).ravel()
    s, m, c = len(data["systems"]), len(data["measures"]), len(data["columns"])
    k = s * (s - 1) // 2
    assert packed.size == math.ceil(k * m * c / 4) and not codes[k * m * c :].any()
    return codes[: k * m * c].reshape(k, m, c)


def test_the_page_holds_each_tests_verdict_in_two_bits(site):
    _, _, built, data, board = site
    assert data["systems"] == board.systems and data["alpha"] == 0.05 and data["correction"] == "holm"
    codes = codes_of(data)
    q, d = board.comparison_p_adjusted.transpose(1, 0, 2), board.difference.transpose(1, 0, 2)
    assert np.array_equal(codes == UNTESTED, np.isnan(q))
    assert np.array_equal(codes == ABOVE, (q < 0.05) & (d > 0)) and np.array_equal(codes == BELOW, (q < 0.05) & (d < 0))
    assert {ABOVE, BELOW, NOT_SIGNIFICANT, UNTESTED} <= set(np.unique(codes).tolist())  # the fixture has each kind
    values = np.array([[np.nan if v is None else v for v in per] for per in data["values"]]).reshape(board.values.shape)
    assert np.allclose(values, board.values, rtol=1e-9, equal_nan=True)


def test_tests_on_shared_queries_are_listed_with_their_n_difference_and_p(site):
    _, _, _, data, board = site
    own = own_units(board)
    listed = {(k, m, c): (n, d, p) for k, m, c, n, d, p in data["shared"]}
    assert set(listed) == {(k, m, c) for m, k, c in zip(*np.nonzero(~np.isnan(board.p) & ~own))}
    h, b = board.systems.index("half"), board.systems.index("bm25")
    k, sign = pair_index(h, b, len(board.systems))
    de_de = [col.key for col in board.columns].index(MOIR[0])
    assert listed[(k, 0, de_de)] == (40, pytest.approx(board.difference[0, k, de_de], abs=1e-12), pytest.approx(board.p[0, k, de_de], rel=1e-12))
    assert board.n[0, k, de_de] == 40 and board.full[de_de] == 60  # tested on the 40 queries both hold


def test_what_the_page_recomputes_is_the_boards_test(site):
    """The page tests two complete systems' setting mean from their pair values: the board's units."""
    _, _, _, data, board = site
    own = own_units(board)
    checked = 0
    for c, column in enumerate(board.columns):
        pairs = [i for i, col in enumerate(board.columns) if col.key in column.pairs] if column.is_average else [c]
        for m in range(len(board.measures)):
            for i in range(len(board.systems)):
                for j in range(i + 1, len(board.systems)):
                    k, _ = pair_index(i, j, len(board.systems))
                    if not own[m, k, c]:
                        continue
                    if not column.is_average:  # n = N and A - B the difference of the own values
                        assert board.n[m, k, c] == board.full[c]
                        assert board.difference[m, k, c] == pytest.approx(board.values[m, i, c] - board.values[m, j, c], abs=1e-12)
                        continue
                    units = board.values[m, i, pairs] - board.values[m, j, pairs]
                    assert board.p[m, k, c] == pytest.approx(stats.ttest_1samp(units, 0).pvalue, rel=1e-9)
                    checked += 1
    assert checked >= 6  # both measures, the MoIR and CLIR means, pairs of the complete systems


def test_the_comparison_page_grows_with_the_tests_by_two_bits_each(tmp_path):
    """30 systems on the 7 pairs and 2 means of xquad-r, 2 measures: 435 x 2 x 9 tests in under a
    byte each, and the systems' values (the old page held five numbers a test)."""
    rng = np.random.default_rng(0)
    ids = [f"q{i:03d}" for i in range(60)]
    base = rng.random(60)
    scores = {
        f"s{s:02d}": {pair: PerQueryTable(ids, ["AP", "R@10"], np.clip(base[:, None] * 0.6 + s / 300 + rng.normal(0, 0.05, (60, 2)), 0, 1)) for pair in PAIRS}
        for s in range(30)
    }
    board = dataset_board(DATASET, scores, baseline=None)
    (block,) = compare_blocks({DATASET: board})
    tests = 435 * 2 * 9
    assert board.tests == tests
    assert len(block["json"]) < 2_000 + tests / 3 + 20 * board.values.size


def test_a_rebuild_reads_again_a_file_changed_under_the_same_size_and_time(site, tmp_path):
    root, _, _, _, _ = site
    copy = tmp_path / "subs"
    shutil.copytree(root, copy)
    first = build(copy, tmp_path / "out")
    assert first.cache.startswith("score cache: 5 hit(s), 0 miss(es)")
    path = copy / "better" / "pairs" / "xquad-r" / "de-de" / "per-query.tsv"
    before = path.stat()
    lines = path.read_text().splitlines()
    fields = lines[1].split("\t")
    fields[1] = fields[1][:2] + ("1" if fields[1][2] != "1" else "2") + fields[1][3:]  # one digit: the same size
    lines[1] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    again = build(copy, tmp_path / "out")
    # the gate's verdict is kept (its cache follows sizes and times); the scores are read again
    assert again.cache == "score cache: 4 hit(s), 1 miss(es); gate cache: 5 hit(s), 0 miss(es)"
    page = (tmp_path / "out" / "dataset-xquad-r.html").read_text()
    column = column_index(page, "AP", langs="de-de")
    expected = np.mean([float(line.split("\t")[1]) for line in lines[1:]])
    assert float(board_cells(page)[("better", column)]["data-value"]) == pytest.approx(expected, abs=1e-12)


def test_cached_tables_are_the_parsed_tables_and_a_stale_entry_is_not_used(site, tmp_path):
    root, _, _, _, _ = site
    submission = Submission.load(root / "half")
    cache = ScoreCache(tmp_path / "scores")
    parsed = cache.read(submission, DATASET, [])
    assert cache.misses == 1 and isinstance(parsed, dict)
    again = ScoreCache(tmp_path / "scores")
    cached = again.read(submission, DATASET, [])
    assert again.hits == 1 and isinstance(cached, CachedTables) and list(cached) == list(parsed)
    for pair, table in parsed.items():
        assert cached[pair].query_ids == table.query_ids and cached[pair].measures == table.measures
        assert cached[pair].values.tobytes() == table.values.tobytes() and cached[pair].digest == table.digest
    ids = [cached[p].query_ids for p in cached]
    assert ids[2] is ids[3]  # equal lists are one object
    entry = next((tmp_path / "scores" / "half").iterdir())
    entry.write_bytes(entry.read_bytes()[:-8])  # a truncated entry is not an entry
    third = ScoreCache(tmp_path / "scores")
    assert isinstance(third.read(submission, DATASET, []), dict) and third.misses == 1


def test_the_compare_page_names_the_command_that_prints_every_p_value(site):
    _, out, _, _, _ = site
    page = (out / "compare.html").read_text()
    assert 'id="compare-command"' in page and "harness compare" in page and "--baseline" in page
    assert 'data-systems="[&#34;better&#34;, &#34;bm25&#34;' in page  # JSON in an attribute, escaped


def verdicts_of(checks):
    return [(c.root.name, c.valid, [(f.severity, f.text) for f in c.findings], c.coverage, c.submission.meta if c.valid else None, c.tables) for c in checks]


def test_worker_processes_give_the_gates_verdicts_and_cache_entries(site, tmp_path, monkeypatch):
    root, _, _, _, _ = site
    folders = tmp_path / "subs"
    shutil.copytree(root, folders)
    (folders / "same" / "pairs" / "xquad-r" / "de-de" / "per-query.tsv").write_text("query_id\tAP\tR@10\nq000\tnan\t0.5\n")  # now invalid
    order = sorted(p for p in folders.iterdir() if p.is_dir())
    outcomes = {}
    for label, workers in (("here", 1), ("workers", 2)):
        scores = ScoreCache(tmp_path / label / "scores")
        gate = GateCache(tmp_path / label / "gate", tmp_path / "no-data")
        checks = gate.check_all(order, scores, workers=workers)
        entries = {p.relative_to(tmp_path / label): p.read_bytes() for p in sorted((tmp_path / label).rglob("*")) if p.is_file()}
        outcomes[label] = (verdicts_of(checks), {str(k): v for k, v in entries.items()})
        assert [c.valid for c in checks] == [n != "same" for n in ("better", "bm25", "half", "same", "sparse")]
        assert all(c.tables == {} for c in checks) and gate.misses == 5
        again = GateCache(tmp_path / label / "gate", tmp_path / "no-data")
        assert verdicts_of(again.check_all(order, ScoreCache(tmp_path / label / "scores"))) == verdicts_of(checks) and again.hits == 5
    here, there = outcomes["here"], outcomes["workers"]
    assert here[0] == there[0] and here[1] == there[1] and len(here[1]) == 5 + 4  # 5 verdicts, 4 valid systems' entries
    # a worker that cannot start (or dies) leaves its folders to be checked here
    monkeypatch.setattr("sys.executable", "/bin/false")
    gate = GateCache(tmp_path / "dead" / "gate", tmp_path / "no-data")
    assert verdicts_of(gate.check_all(order, ScoreCache(tmp_path / "dead" / "scores"), workers=2)) == here[0]
