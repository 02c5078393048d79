"""TREC run and qrels files: strict, fast reading and atomic writing.

A run file has six columns ``qid Q0 docid rank score tag`` separated by spaces or tabs, plain
or gzip (``.gz``), UTF-8, lines ending in LF, CRLF or CR. Reading tries fast columnar parsers
first (:mod:`harness.evaluation.trec_columns`) and checks the columns vectorised; whenever
they refuse the file or a check fails, a line-by-line parser reads it again. That parser is
the definition of the format: it either returns the same columns or raises
:class:`InputFormatError` naming ``file:line``. Numbers are ASCII: a rank is an integer of 64
bits, a score a finite decimal number (``1``, ``-2.5``, ``.5``, ``1e-3``), a grade an integer
of 32 bits.
"""
from __future__ import annotations

import math
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from harness.atomic import atomic_open
from harness.errors import HarnessError, InputFormatError
from harness.evaluation.coded_rows import CodedRows, factorize_sorted
from harness.evaluation.qrels_text import GRADE_MAX, GRADE_MIN, plain_qrels
from harness.evaluation.ranking import first_duplicate, rank_run
from harness.evaluation.run import Run
from harness.evaluation.score_matrix import ScoreMatrix
from harness.evaluation.trec_columns import INTEGER_PATTERN, Refused, open_binary, run_columns_arrow, run_columns_pandas

RUN_COLUMNS = "qid Q0 docid rank score tag"
RUN_FIELDS = 6
QRELS_COLUMNS = "qid iter docid rel"
RANK_MIN, RANK_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(INTEGER_PATTERN)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NON_FINITE = re.compile(r"[+-]?(?:inf(?:inity)?|nan)", re.IGNORECASE)
_FIELD_SEPARATOR = re.compile(r"[ \t]+")
_UNDECODED = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of bytes that are not UTF-8
_UNWRITABLE = re.compile(r"\s|\A\Z")
_ID_CHUNK = 100_000  # ids checked at once for whitespace
# Files up to this size go straight to the line parser: it reads them faster than the columnar
# readers start (arrow's conversions to numpy import pandas).
SMALL_FILE_BYTES = 256 << 10
_NAME_SUFFIXES = {".gz", ".trec", ".txt", ".run", ".tsv"}


def read_run(path: str | os.PathLike[str], name: str | None = None, *, allow_extra_columns: bool = False) -> Run:
    """Read a TREC run file (plain or ``.gz``) into a :class:`Run`, validating every line.

    Raises :class:`InputFormatError` (``file:line``) for a wrong column count, a rank that is
    not an integer of 64 bits, a score that is not a finite decimal number, a document listed
    twice for one query, bytes that are not UTF-8 or a damaged ``.gz``; and for a file with no
    rows at all (trec_eval would print nothing). ``allow_extra_columns`` accepts text after the
    sixth column, which trec_eval ignores (its own test file ``results.trunc`` has some), bytes
    that are not UTF-8 included. ``name`` defaults to the file name without its
    ``.trec``/``.gz``-style suffixes.
    """
    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"{path}: no such run file")
    columns = _run_columns_lines(path, allow_extra_columns) if path.stat().st_size <= SMALL_FILE_BYTES else None
    for parser in (run_columns_arrow, run_columns_pandas) if columns is None else ():
        try:
            columns = parser(path, allow_extra_columns)
        except Refused:
            continue
        if not _run_columns_valid(*columns):
            columns = None
        break
    if columns is None:
        columns = _run_columns_lines(path, allow_extra_columns)
    query_ids, doc_ids, ranks, scores = columns
    if not len(scores):
        raise InputFormatError(path, None, f"no rows: a run file has lines '{RUN_COLUMNS}'")
    return Run(query_ids, doc_ids, scores, ranks, name if name is not None else run_name(path), {"source": str(path)})


def write_run(run: Run | ScoreMatrix, path: str | os.PathLike[str], tag: str = "harness") -> None:
    """Write ``run`` (rows, or a score matrix laid out as rows) as a TREC run file, atomically; gzip when ``path`` ends in ``.gz``.

    Queries come in sorted id order; each query's rows in the pinned order (score descending,
    then document id descending) with ranks 1..n. Scores keep full precision (shortest
    round-trip form), so reading the file back gives the same scores.
    """
    if not tag or _UNWRITABLE.search(tag):
        raise HarnessError(f"run tag {tag!r} must be a non-empty word without spaces")
    if isinstance(run, ScoreMatrix):
        run = run.to_run()
    ranking = rank_run(run)
    query_ids = run.query_ids[ranking.order]
    doc_ids = run.doc_ids[ranking.order]
    for kind, ids in (("query", query_ids), ("document", doc_ids)):
        _check_writable(kind, ids, path)
    ranks = np.arange(1, len(doc_ids) + 1, dtype=np.int64) - np.repeat(ranking.offsets[:-1], np.diff(ranking.offsets))
    scores = run.scores[ranking.order]
    with atomic_open(path, "wb") as out:
        try:
            _write_arrow(out, query_ids, doc_ids, ranks, scores, tag)
        except ImportError:
            _write_lines(out, query_ids, doc_ids, ranks, scores, tag)


def read_qrels(path: str | os.PathLike[str]) -> dict[str, dict[str, int]]:
    """Read a TREC qrels file ``qid iter docid rel`` (plain or ``.gz``) as ``{qid: {docid: grade}}``.

    Raises :class:`InputFormatError` (``file:line``) for a wrong column count, a grade that is
    not an integer of 32 bits, a document judged twice for one query, bytes that are not UTF-8
    or a damaged ``.gz``; and for a file with no judgments at all.
    """
    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"{path}: no such qrels file")
    plain = plain_qrels(path)
    return plain if plain is not None else _qrels_lines(path)


def _qrels_lines(path: Path) -> dict[str, dict[str, int]]:
    """The reference reader of :func:`read_qrels`: one line at a time, naming the first wrong line."""
    qrels: dict[str, dict[str, int]] = {}
    for line_no, fields in _fields(path):
        if len(fields) != 4:
            raise InputFormatError(path, line_no, f"expected 4 columns '{QRELS_COLUMNS}', found {len(fields)}")
        qid, _, doc_id, grade = fields
        judged = qrels.setdefault(qid, {})
        if doc_id in judged:
            raise InputFormatError(path, line_no, f"document {doc_id!r} is judged twice for query {qid!r}")
        if not _INTEGER.fullmatch(grade):
            raise InputFormatError(path, line_no, f"relevance grade {grade!r} is not an integer")
        value = int(grade)
        if not GRADE_MIN <= value <= GRADE_MAX:
            raise InputFormatError(path, line_no, f"relevance grade {grade} is out of range: a grade lies between {GRADE_MIN} and {GRADE_MAX}")
        judged[doc_id] = value
    if not qrels:
        raise InputFormatError(path, None, f"no judgments: a qrels file has lines '{QRELS_COLUMNS}'")
    return qrels


def first_line_of_query(path: str | os.PathLike[str], query_id: str) -> int | None:
    """The number of the first line of a run or qrels file that belongs to ``query_id``, for error messages."""
    for line_no, fields in _fields(Path(path)):
        if fields and fields[0] == query_id:
            return line_no
    return None


def _run_columns_valid(query_ids: np.ndarray, doc_ids: np.ndarray, ranks: np.ndarray, scores: np.ndarray) -> bool:
    """The checks the fast parsers leave open: finite scores, no document twice per query."""
    if not np.isfinite(scores).all():
        return False
    return first_duplicate(CodedRows(*factorize_sorted(query_ids), doc_ids, scores)) is None


def _run_columns_lines(path: Path, allow_extra_columns: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The reference parser: one line at a time, stopping at the first malformed line."""
    query_ids: list[str] = []
    doc_ids: list[str] = []
    ranks: list[int] = []
    scores: list[float] = []
    for qid, doc_id, rank, score in _run_rows(path, allow_extra_columns, problems=None):
        query_ids.append(qid)
        doc_ids.append(doc_id)
        ranks.append(rank)
        scores.append(score)
    return _objects(query_ids), _objects(doc_ids), np.asarray(ranks, dtype=np.int64), np.asarray(scores, dtype=np.float64)


def run_problems(path: str | os.PathLike[str], *, allow_extra_columns: bool = False) -> list[InputFormatError]:
    """Every malformed line of a run file (one error each), not just the first; [] for a good file."""
    problems: list[InputFormatError] = []
    rows = 0
    try:
        for _ in _run_rows(Path(path), allow_extra_columns, problems):
            rows += 1
    except InputFormatError as unreadable:  # undecodable or truncated: nothing after it can be read
        problems.append(unreadable)
    except FileNotFoundError:
        problems.append(InputFormatError(path, None, "no such file"))
    if not rows and not problems:
        problems.append(InputFormatError(path, None, f"no rows: a run file has lines '{RUN_COLUMNS}'"))
    return problems


def _run_rows(path: Path, allow_extra_columns: bool, problems: list[InputFormatError] | None) -> Iterator[tuple[str, str, int, float]]:
    """``(query, doc, rank, score)`` per line; a malformed line raises, or is collected in ``problems`` and skipped."""
    seen: set[tuple[str, str]] = set()
    for line_no, fields in _fields(path, RUN_FIELDS if allow_extra_columns else None):
        try:
            row = _run_row(path, line_no, fields, allow_extra_columns, seen)
        except InputFormatError as problem:
            if problems is None:
                raise
            problems.append(problem)
            continue
        seen.add((row[0], row[1]))
        yield row


def _run_row(path: Path, line_no: int, fields: list[str], allow_extra_columns: bool, seen: set[tuple[str, str]]) -> tuple[str, str, int, float]:
    if len(fields) != RUN_FIELDS and not (allow_extra_columns and len(fields) > RUN_FIELDS):
        raise InputFormatError(path, line_no, f"expected 6 columns '{RUN_COLUMNS}', found {len(fields)}")
    qid, _, doc_id, rank, score = fields[:5]
    if not _INTEGER.fullmatch(rank):
        raise InputFormatError(path, line_no, f"rank {rank!r} is not an integer")
    rank_value = int(rank)
    if not RANK_MIN <= rank_value <= RANK_MAX:
        raise InputFormatError(path, line_no, f"rank {rank} does not fit in 64 bits")
    if not _DECIMAL.fullmatch(score):
        problem = "is not a finite number" if _NON_FINITE.fullmatch(score) else "is not a number"
        raise InputFormatError(path, line_no, f"score {score!r} {problem}")
    value = float(score)
    if not math.isfinite(value):
        raise InputFormatError(path, line_no, f"score {score!r} is not a finite number")
    if (qid, doc_id) in seen:
        raise InputFormatError(path, line_no, f"document {doc_id!r} appears twice for query {qid!r}")
    return qid, doc_id, rank_value, value


def _fields(path: Path, text_fields: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` for every non-blank line; fields split at runs of spaces and tabs.

    With ``text_fields``, only that many leading fields must be UTF-8: the rest of a line is
    ignored (as trec_eval ignores it), undecodable bytes included.
    """
    # Lines are decoded one by one (not through a text stream) so a bad byte is pinned to its line;
    # splitlines() also ends a line at a lone CR, as the fast parsers do.
    try:
        stream = open_binary(path)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise InputFormatError(path, None, f"cannot be read ({error.strerror or error})") from None
    with stream as chunks:
        line_no = 0
        try:
            for chunk in chunks:
                for raw in chunk.splitlines():
                    line_no += 1
                    encoding = "utf-8-sig" if line_no == 1 else "utf-8"
                    try:
                        line = raw.decode(encoding)
                    except UnicodeDecodeError:
                        line = raw.decode(encoding, "surrogateescape")
                        if text_fields is None or _UNDECODED.search(" ".join(_FIELD_SEPARATOR.split(line.strip(" \t"))[:text_fields])):
                            raise InputFormatError(path, line_no, "not UTF-8 text") from None
                    stripped = line.strip(" \t")
                    if stripped:
                        yield line_no, _FIELD_SEPARATOR.split(stripped)
        except (OSError, EOFError, zlib.error) as error:  # e.g. a truncated or corrupt .gz
            raise InputFormatError(path, line_no + 1, f"unreadable: {error}") from None


def run_name(path: Path) -> str:
    """A run's name from its file: the file name without ``.trec``/``.gz``-style suffixes."""
    name = path.name
    while Path(name).suffix in _NAME_SUFFIXES:
        name = name[: -len(Path(name).suffix)]
    return name


def _objects(values: list[str]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def first_unwritable(ids: np.ndarray) -> int | None:
    """The position of the first id (of a numpy array of str) that would not read back from a run
    file as one field (empty, or holding whitespace); ``None`` when every id would."""
    listed = ids.tolist()
    # The joined ids split at whitespace (str.isspace, as the regex's \s) come back unchanged only where
    # none is empty or holds any: C speed, three times faster than a regex over the joined text; by
    # chunks, to bound the memory the split's strings take. A per-id loop only runs to find the culprit.
    for start in range(0, len(listed), _ID_CHUNK):
        chunk = listed[start : start + _ID_CHUNK]
        if "\n".join(chunk).split() != chunk:
            return start + next(i for i, value in enumerate(chunk) if not value or _UNWRITABLE.search(value))
    return None


def _check_writable(kind: str, ids: np.ndarray, path: object) -> None:
    """Refuse ids that would not read back as one field (empty, or holding whitespace)."""
    bad = first_unwritable(ids)
    if bad is not None:
        raise HarnessError(f"cannot write {path}: {kind} id {ids[bad]!r} is empty or contains whitespace")


def _write_arrow(out, query_ids, doc_ids, ranks, scores, tag: str) -> None:
    """pyarrow writes shortest round-trip floats about five times faster than Python formatting."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    same_row = pa.array(np.zeros(len(scores), dtype=np.int32))
    table = pa.table(
        {
            "qid": pa.array(query_ids, type=pa.string()),
            "q0": pa.DictionaryArray.from_arrays(same_row, pa.array(["Q0"])),
            "docid": pa.array(doc_ids, type=pa.string()),
            "rank": pa.array(ranks),
            "score": pa.array(scores, type=pa.float64()),
            "tag": pa.DictionaryArray.from_arrays(same_row, pa.array([tag])),
        }
    )
    pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none"))


def _write_lines(out, query_ids, doc_ids, ranks, scores, tag: str) -> None:
    for start in range(0, len(scores), 100_000):
        stop = start + 100_000
        rows = zip(query_ids[start:stop].tolist(), doc_ids[start:stop].tolist(), ranks[start:stop].tolist(), scores[start:stop].tolist())
        out.write("".join(f"{q} Q0 {d} {r} {s!r} {tag}\n" for q, d, r, s in rows).encode("utf-8"))
