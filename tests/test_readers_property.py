"""Property tests of every reader of user-supplied files except runs and qrels (tests/test_evaluation*).

Each reader gets arbitrary bytes and near-valid mutations of a valid file (a field dropped or
added, a non-number, nan/inf, a duplicated line, empty, a BOM, non-UTF-8 bytes, CRLF, truncated
or corrupted gzip) and must either parse or raise :class:`HarnessError` with a one-line message
naming the file; never any other exception. Valid files round-trip exactly. Hypothesis runs
derandomized, so CI sees the same examples every time. (MS MARCO training triples are read
through ir_datasets' cache, not from a user's file: tests/test_training_data.py covers them.)
"""
from __future__ import annotations

import gzip
import itertools
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from harness.codeswitch.training_file import read_training_file
from harness.errors import HarnessError
from harness.lexicons import clean_title, read_muse, read_titles
from harness.lexicons.lexicon import group_entries
from harness.submissions import Submission, read_per_query_table, write_per_query
from harness.training.examples import TrainingExample
from harness.validation import validate_path

PROPERTY = settings(derandomize=True, database=None, max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BOM, _counter = b"\xef\xbb\xbf", itertools.count()
BAD_TOKENS = ["", "abc", "nan", "NaN", "inf", "-inf", "1e999", "-0", "0x1", "1_0", "١٢", " 1 ", "\x00", "\ufeff", "é\u2028"]

# Words are letters, marks, numbers, punctuation and symbols: never whitespace nor control characters
# (readers split on both); a field is words joined by single spaces.
WORD = st.text(st.characters(categories=("L", "M", "N", "P", "S")), min_size=1, max_size=8)
FIELD = st.lists(WORD, min_size=1, max_size=3).map(" ".join)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("readers")


def fresh(scratch: Path, name: str, data: bytes) -> Path:
    """``data`` in a new folder of ``scratch`` as ``name`` (new paths: readers cache by path and mtime)."""
    folder = scratch / str(next(_counter))
    folder.mkdir()
    path = folder / name
    path.write_bytes(data)
    return path


def parses_or_refuses(read: Callable[[Path], Any], path: Path) -> Any:
    """What ``read`` returns, or None when it raised a one-line HarnessError naming ``path``."""
    try:
        outcome = read(path)
    except HarnessError as error:
        event("refused")
        message = str(error)
        assert "\n" not in message, message
        assert str(path) in message or str(path.parent) in message, f"message does not name the file: {message}"
        return None
    event("parsed")
    return outcome


@st.composite
def mutated(draw: st.DrawFn, valid: bytes, gz: bool = False) -> bytes:
    """``valid`` broken in one way a real file gets broken (``gz``: its gzip truncated or corrupted too)."""
    at = draw(st.integers(0, len(valid)))
    whole = {
        "empty": b"", "bom": BOM + valid, "crlf": valid.replace(b"\n", b"\r\n"), "truncate": valid[: max(at - 1, 0)],
        "nul": valid[:at] + b"\x00" + valid[at:],
        "bad-bytes": valid[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80abc"])) + valid[at:],
    }
    kind = draw(st.sampled_from([*whole, "line", "line", "line", *(["gz"] if gz else [])]))
    if kind in whole:
        return whole[kind]
    if kind == "gz":
        packed = gzip.compress(valid, mtime=0)
        cut = draw(st.integers(10, len(packed) - 1))
        flipped = packed[:cut] + bytes([packed[cut] ^ draw(st.integers(1, 255))]) + packed[cut + 1 :]
        return draw(st.sampled_from([packed[:cut], flipped]))
    lines = valid.split(b"\n")
    row = draw(st.integers(0, len(lines) - 1))
    fields = lines[row].split(b"\t")
    column, token = draw(st.integers(0, len(fields) - 1)), draw(st.sampled_from(BAD_TOKENS)).encode()
    edits = {
        "duplicate": [*lines[: row + 1], lines[row], *lines[row + 1 :]],
        "delete": lines[:row] + lines[row + 1 :],
        "drop-field": [*lines[:row], b"\t".join(fields[:-1]), *lines[row + 1 :]],
        "add-field": [*lines[:row], b"\t".join([*fields, token]), *lines[row + 1 :]],
        "replace-field": [*lines[:row], b"\t".join([*fields[:column], token, *fields[column + 1 :]]), *lines[row + 1 :]],
        "tab-to-space": [*lines[:row], lines[row].replace(b"\t", b" "), *lines[row + 1 :]],
    }
    return b"\n".join(edits[draw(st.sampled_from(list(edits)))])


# --- per-query score files (harness.submissions) -----------------------------------------------

FINITE = st.floats(allow_nan=False, allow_infinity=False)
PER_QUERY = st.dictionaries(
    FIELD.filter(lambda s: s != "query_id"), st.dictionaries(FIELD, FINITE, min_size=1, max_size=5), min_size=1, max_size=3
)


def per_query_bytes(per_query: dict[str, dict[str, float]]) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "per-query.tsv"
        write_per_query(path, per_query)
        return path.read_bytes()


@PROPERTY
@given(PER_QUERY)
def test_per_query_files_round_trip_bit_for_bit(scratch: Path, per_query: dict[str, dict[str, float]]) -> None:
    path = fresh(scratch, "per-query.tsv", per_query_bytes(per_query))
    table = read_per_query_table(path)
    query_ids = sorted({qid for scores in per_query.values() for qid in scores})
    assert table.query_ids == query_ids and table.measures == list(per_query)
    expected = np.array([[per_query[m].get(q, 0.0) for m in per_query] for q in query_ids], dtype=np.float64)
    assert table.values.dtype == np.float64
    assert np.array_equal(table.values.view(np.uint64), expected.reshape(table.values.shape).view(np.uint64))


@PROPERTY
@given(st.data())
@example(data=None)
def test_per_query_reader_parses_or_refuses_broken_files(scratch: Path, data: st.DataObject | None) -> None:
    if data is None:
        raw = b"query_id\tAP\nq1\tnan\n"
    else:
        valid = per_query_bytes(data.draw(PER_QUERY))
        raw = data.draw(st.one_of(st.binary(max_size=200), mutated(valid)))
    table = parses_or_refuses(read_per_query_table, fresh(scratch, "per-query.tsv", raw))
    if table is not None:
        assert np.isfinite(table.values).all(), "a per-query table holds only finite scores"
        assert len(set(table.query_ids)) == len(table.query_ids), "query ids are unique"
        assert table.values.shape == (len(table.query_ids), len(table.measures))


# --- meta.json of a submission folder (Submission.load, validate_path) --------------------------

@pytest.fixture(scope="module")
def submission_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A valid stored submission of run B on xquad-r/de-en and xquad-r/en-de (tiny data), made through harness.api."""
    from harness import api
    from tests.fixtures.cli.tree import RUN_B, SUBMITTED, TOY
    from tests.test_datasets_lareqa import paragraph, write_language

    root = tmp_path_factory.mktemp("submission")
    for lang, paragraphs in TOY.items():
        write_language(root / "data" / "lareqa" / "xquad-r", lang, [paragraph(s, q) for s, q in paragraphs])
    for langs in SUBMITTED:
        run = root / f"{langs}.trec"
        run.write_text(RUN_B.format(d=langs.split("-")[1]), encoding="utf-8")
        api.evaluate_run(run, dataset=f"xquad-r/{langs}", data_dir=root / "data", name="sys-b", submissions_dir=root / "submissions")
    return root / "submissions" / "sys-b"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def json_mutation(draw: st.DrawFn, document: Any) -> Any:
    """``document`` with one node replaced by another JSON value, or deleted."""
    copy = json.loads(json.dumps(document))
    path = draw(st.sampled_from(list(_json_paths(copy))))
    if not path:
        return draw(JSON_VALUES)
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    if isinstance(parent, dict) and draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES | st.sampled_from(["x", -1, 1e308, "../../etc", "xquad-r/de-en", [], {}]))
    return copy


def _json_paths(node: Any, prefix: tuple = ()):
    yield prefix
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield from _json_paths(child, (*prefix, key))


def read_submission(meta: Path) -> Any:
    """Everything a reader of a submission does: validate, load, records, per-query tables."""
    from harness.datasets.pairs import PairId

    findings, submission = validate_path(meta.parent), Submission.load(meta.parent)
    records = submission.records()
    tables = [submission.per_query_table(PairId.parse(record.pair)) for record in records]
    return findings, records, tables


@PROPERTY
@given(st.data())
@example(data=None)
def test_meta_json_parses_or_refuses(scratch: Path, submission_folder: Path, data: st.DataObject | None) -> None:
    valid = json.loads((submission_folder / "meta.json").read_text(encoding="utf-8"))
    if data is None:
        raw = b"[" * 100_000  # deeper than Python's recursion limit
    else:
        text = json.dumps(valid, indent=2).encode()
        raw = data.draw(st.one_of(
            st.binary(max_size=200),
            mutated(text),
            json_mutation(valid).map(lambda doc: json.dumps(doc).encode()),
            st.just(text.replace(b'"name"', b'"name": "x", "name"', 1)),  # a duplicate key
            st.just(text.replace(b'"num_queries": 4', b'"num_queries": NaN')),
        ))
    folder = scratch / str(next(_counter)) / "sys-b"
    shutil.copytree(submission_folder, folder)
    (folder / "meta.json").write_bytes(raw)
    outcome = parses_or_refuses(read_submission, folder / "meta.json")
    if outcome is not None:
        findings, records, _ = outcome
        assert all(f.severity in ("problem", "note") and "\n" not in f.text for f in findings)


def test_validate_path_reads_the_valid_submission_clean(submission_folder: Path) -> None:
    findings, records, tables = read_submission(submission_folder / "meta.json")
    assert [f for f in findings if f.severity == "problem"] == []
    assert [r.pair for r in records] == ["xquad-r/de-en", "xquad-r/en-de"]
    assert all(t.values.shape == (4, 3) for t in tables)


# --- lexicons (MUSE dictionaries, parallel titles) ----------------------------------------------

MUSE_PAIRS = st.lists(st.tuples(WORD, WORD), min_size=1, max_size=8)
TITLE_PAIRS = st.lists(st.tuples(FIELD, FIELD), min_size=1, max_size=6)


def lexicon_bytes(pairs: list[tuple[str, str]], gz: bool) -> bytes:
    text = "".join(f"{a}\t{b}\n" for a, b in pairs).encode()
    return gzip.compress(text, mtime=0) if gz else text


@PROPERTY
@given(MUSE_PAIRS, st.booleans(), st.booleans())
def test_muse_files_round_trip(scratch: Path, pairs: list[tuple[str, str]], gz: bool, bom: bool) -> None:
    raw = lexicon_bytes(pairs, False)
    raw = gzip.compress(BOM + raw if bom else raw, mtime=0) if gz else (BOM + raw if bom else raw)
    lexicon = read_muse(fresh(scratch, "en-de.txt.gz" if gz else "en-de.txt", raw))
    assert (lexicon.source, lexicon.target) == ("en", "de")
    assert lexicon.entries == group_entries((a.lower(), b) for a, b in pairs)


@PROPERTY
@given(TITLE_PAIRS, st.booleans(), st.booleans())
def test_title_files_round_trip(scratch: Path, pairs: list[tuple[str, str]], gz: bool, bom: bool) -> None:
    raw = lexicon_bytes(pairs, False)
    raw = gzip.compress(BOM + raw if bom else raw, mtime=0) if gz else (BOM + raw if bom else raw)
    lexicon = read_titles(fresh(scratch, "en-de.titles.tsv.gz" if gz else "en-de.titles.tsv", raw))
    cleaned = [(clean_title(a), clean_title(b)) for a, b in pairs]
    assert lexicon.target == "de"
    assert lexicon.entries == group_entries((a, b) for a, b in cleaned if a and b)


@PROPERTY
@given(st.data(), st.sampled_from(["muse", "titles"]), st.booleans())
def test_lexicon_readers_parse_or_refuse(scratch: Path, data: st.DataObject, kind: str, gz: bool) -> None:
    valid = lexicon_bytes(data.draw(MUSE_PAIRS if kind == "muse" else TITLE_PAIRS), False)
    raw = data.draw(st.one_of(st.binary(max_size=200), mutated(valid, gz=gz)))
    name = ("en-de.txt" if kind == "muse" else "en-de.titles.tsv") + (".gz" if gz else "")
    if gz and not raw.startswith(b"\x1f\x8b"):
        raw = gzip.compress(raw, mtime=0)
    read = read_muse if kind == "muse" else read_titles
    lexicon = parses_or_refuses(read, fresh(scratch, name, raw))
    if lexicon is not None:
        assert all(word == word.lower() and translations for word, translations in lexicon.entries.items())


# --- code-switching training files (harness codeswitch IN) --------------------------------------

EXAMPLES = st.lists(
    st.builds(TrainingExample, FIELD, FIELD, st.lists(FIELD, max_size=2).map(tuple)), min_size=1, max_size=6
)


def training_bytes(examples: list[TrainingExample]) -> bytes:
    return "".join("\t".join([e.query, e.positive, *e.negatives]) + "\n" for e in examples).encode()


@PROPERTY
@given(EXAMPLES, st.booleans(), st.booleans())
def test_training_files_round_trip(scratch: Path, examples: list[TrainingExample], bom: bool, crlf: bool) -> None:
    raw = training_bytes(examples)
    raw = (BOM if bom else b"") + (raw.replace(b"\n", b"\r\n") if crlf else raw)
    assert read_training_file(fresh(scratch, "train.tsv", raw)) == examples


@PROPERTY
@given(st.data(), st.booleans())
def test_training_file_reader_parses_or_refuses(scratch: Path, data: st.DataObject, gz: bool) -> None:
    valid = training_bytes(data.draw(EXAMPLES))
    raw = data.draw(st.one_of(st.binary(max_size=200), mutated(valid, gz=gz)))
    if gz and not raw.startswith(b"\x1f\x8b"):
        raw = gzip.compress(raw, mtime=0)
    examples = parses_or_refuses(read_training_file, fresh(scratch, "train.tsv.gz" if gz else "train.tsv", raw))
    if examples is not None:
        assert all(e.query and e.positive and "\t" not in e.query + e.positive for e in examples)


CORRUPT_DEFLATE = bytes.fromhex("1f8b0800000000000203d4c948e54cc94ce5cac82f2d4ee5cc482c2de60200e7a892c213000000")
"""A gzip member whose deflate stream is broken (zlib.error, which is not an OSError)."""


@pytest.mark.parametrize("read, name", [(read_muse, "en-de.txt.gz"), (read_titles, "en-de.titles.tsv.gz"),
                                        (read_training_file, "train.tsv.gz")])
def test_a_corrupt_deflate_stream_is_one_line(scratch: Path, read: Callable[[Path], Any], name: str) -> None:
    path = fresh(scratch, name, CORRUPT_DEFLATE)
    with pytest.raises(HarnessError, match="not a readable UTF-8"):
        read(path)


# --- SQuAD training files (harness.training.data.squad) -----------------------------------------

SQUAD = {"version": "1.1", "data": [{"title": "T", "paragraphs": [
    {"context": "Rome is in Italy. It is old.", "qas": [
        {"id": "s1", "question": "Where is Rome?", "answers": [{"answer_start": 11, "text": "Italy"}]},
        {"id": "s2", "question": "Is Rome old?", "answers": [{"answer_start": 24, "text": "old"}]}]},
    {"context": "Paris is the capital of France. It has many museums. The Louvre is the largest.", "qas": [
        {"id": "q1", "question": "Capital of France?", "answers": [{"answer_start": 0, "text": "Paris"}]}]},
]}]}


def squad_dir(scratch: Path, raw: bytes) -> Path:
    """A data directory with ``raw`` as SQuAD dev and the toy XQuAD-R English file beside it."""
    from tests.fixtures.cli.tree import TOY
    from tests.test_datasets_lareqa import paragraph, write_language

    folder = scratch / str(next(_counter))
    (folder / "squad").mkdir(parents=True)
    (folder / "squad" / "dev-v1.1.json.gz").write_bytes(raw)
    write_language(folder / "lareqa" / "xquad-r", "en", [paragraph(s, q) for s, q in TOY["en"]])
    return folder


def test_the_valid_squad_file_gives_the_non_xquad_pairs(scratch: Path) -> None:
    from harness.training.data.squad import squad_pairs

    training = squad_pairs(squad_dir(scratch, gzip.compress(json.dumps(SQUAD).encode(), mtime=0)))
    assert [(e.query, e.positive) for e in training.examples] == [("Where is Rome?", "Rome is in Italy."), ("Is Rome old?", "It is old.")]


@PROPERTY
@given(st.data())
def test_squad_reader_parses_or_refuses(scratch: Path, data: st.DataObject) -> None:
    from harness.training.data.squad import squad_pairs

    text = json.dumps(SQUAD).encode()
    raw = data.draw(st.one_of(
        st.binary(max_size=200),
        st.binary(max_size=200).map(lambda b: gzip.compress(b, mtime=0)),
        mutated(text).map(lambda b: gzip.compress(b, mtime=0)),
        mutated(text, gz=True).filter(lambda b: b.startswith(b"\x1f\x8b")),
        json_mutation(SQUAD).map(lambda doc: gzip.compress(json.dumps(doc).encode(), mtime=0)),
    ))
    folder = squad_dir(scratch, raw)
    training = parses_or_refuses(lambda path: squad_pairs(folder), folder / "squad" / "dev-v1.1.json.gz")
    if training is not None:
        assert all(isinstance(e.query, str) and isinstance(e.positive, str) for e in training.examples)


# --- LAReQA dataset files (XQuAD-R, MLQA-R: harness.datasets.lareqa) ----------------------------

def lareqa_document() -> dict:
    from tests.fixtures.cli.tree import TOY
    from tests.test_datasets_lareqa import paragraph

    return {"version": "1.1", "data": [{"title": "toy", "paragraphs": [paragraph(s, q) for s, q in TOY["en"]]}]}


@PROPERTY
@given(st.data())
@example(data=None)
def test_lareqa_reader_parses_or_refuses(scratch: Path, data: st.DataObject | None) -> None:
    from harness.datasets.lareqa import read_language

    document = lareqa_document()
    raw = b"-0" if data is None else data.draw(st.one_of(
        st.binary(max_size=200),
        mutated(json.dumps(document).encode()),
        json_mutation(document).map(lambda doc: json.dumps(doc).encode()),
    ))
    parsed = parses_or_refuses(lambda path: read_language(path, "en"), fresh(scratch, "en.json", raw))
    if parsed is not None:
        assert all(isinstance(text, str) for _, text, _ in parsed.sentences)
        assert all(isinstance(qid, str) and isinstance(q, str) for qid, q in parsed.questions.items())
