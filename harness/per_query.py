"""Per-query score files: ``query_id<TAB>MEASURE...``, one row per query, ``repr`` floats.

Written by the harness and read back by ``compare``, ``validate`` and the leaderboard, possibly
from someone else's submission: reading checks everything a mean or a paired test relies on
(unique non-empty query ids, unique measure columns, finite numbers, UTF-8) and is bounded.

A leaderboard reads tens of thousands of these, and turning decimal text into floats is most of
it: pyarrow's CSV reader (C++, correctly rounded like Python's ``float``: the same bits) reads a
file first, with quoting, null values and empty lines off. A file it refuses, or one it would
split or trim otherwise (a carriage return, a byte order mark opening the rows), goes through
:func:`parse_per_query`, the reference, which accepts or names the first line that breaks the
format. pyarrow accepts a subset of what ``float`` does (no ``1_0``, no padding, no non-ASCII
digits), so both paths give the same table or the same error (tests/test_leaderboard_scale.py).
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from harness.atomic import atomic_write_text
from harness.confined import MEGABYTE, decode_utf8, read_confined
from harness.errors import HarnessError, InputFormatError

MAX_PER_QUERY_BYTES = 256 * MEGABYTE
QUERY_ID_COLUMN = "query_id"


@dataclass(frozen=True)
class PerQueryTable:
    """Per-query scores of one pair as arrays: query ids, measure names, queries x measures values."""

    query_ids: list[str]
    measures: list[str]
    values: np.ndarray
    digest: str | None = field(default=None, compare=False)  # of the file's bytes it was read from (:func:`content_digest`)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """measure -> query id -> value."""
        return {m: dict(zip(self.query_ids, self.values[:, j].tolist())) for j, m in enumerate(self.measures)}


def per_query_text(per_query: Mapping[str, Mapping[str, float]]) -> str:
    """The file's text: header, then queries in sorted id order (``repr`` floats: exact round trip)."""
    measures = list(per_query)
    query_ids = sorted({qid for values in per_query.values() for qid in values})
    lines = ["\t".join([QUERY_ID_COLUMN, *measures])]
    lines += ["\t".join([qid, *(repr(float(per_query[m].get(qid, 0.0))) for m in measures)]) for qid in query_ids]
    return "\n".join(lines) + "\n"


def write_per_query(path: Path, per_query: Mapping[str, Mapping[str, float]]) -> None:
    """Write :func:`per_query_text` atomically."""
    atomic_write_text(path, per_query_text(per_query))


def content_digest(data: bytes) -> str:
    """The key of a file's content in the leaderboard's caches: SHA-256 (hardware-accelerated on
    most CPUs: about 1.3 GB/s, a twentieth of parsing the bytes), first 128 bits, hex."""
    return hashlib.sha256(data).hexdigest()[:32]


def read_per_query_table(path: Path, root: Path | None = None) -> PerQueryTable:
    """Read and check a per-query file that lies in folder ``root`` (default: its own folder); the
    table carries the :func:`content_digest` of the bytes it was read from."""
    path = Path(path)
    outcome = read_per_query_tables([path], root or path.parent)[path]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def read_per_query_tables(paths: Sequence[Path], root: Path) -> dict[Path, PerQueryTable | OSError | HarnessError]:
    """:func:`read_per_query_table` of each of ``paths`` (all in folder ``root``): its table, or the
    error it would raise. Files of as many measures are parsed by arrow in one call, whose fixed
    cost is that of parsing about a thousand rows (a benchmark submission's 210 files: 0.18 ms a
    file instead of 0.30); should that call refuse, each file is read on its own."""
    outcomes: dict[Path, PerQueryTable | OSError | HarnessError] = {}
    batches: dict[object, list[_Rows]] = {}
    for path in map(Path, paths):
        try:
            data = read_confined(path, root, MAX_PER_QUERY_BYTES)
            text = decode_utf8(data, path)
            header, _, body = text.partition("\n")
            measures = _header_measures(header, path)
        except (HarnessError, OSError) as error:
            outcomes[path] = error
            continue
        rows = data[data.index(b"\n") + 1 :] if body else b""
        # pyarrow ends a line at a carriage return too, and skips a byte order mark opening its input
        if not rows or b"\r" in rows or rows.startswith(b"\xef\xbb\xbf"):
            outcomes[path] = _tabled(_Rows(path, data, text, measures, rows), None)
        else:  # a file whose last row does not end its line is parsed alone
            batches.setdefault(len(measures) if rows.endswith(b"\n") else path, []).append(_Rows(path, data, text, measures, rows))
    for files in batches.values():
        outcomes.update(_batch_outcomes(files))
    return {path: outcomes[path] for path in map(Path, paths)}


@dataclass(frozen=True)
class _Rows:
    """A per-query file read, its header checked: what is left to parse."""

    path: Path
    data: bytes
    text: str
    measures: list[str]
    rows: bytes


def _batch_outcomes(files: list[_Rows]) -> dict[Path, PerQueryTable | HarnessError]:
    """The outcome of each file, from one arrow call over their rows (files of as many measures)."""
    if len(files) == 1:
        return {files[0].path: _tabled(files[0], _read_with_arrow(files[0].rows, files[0].measures))}
    read = _read_with_arrow(b"".join(file.rows for file in files), files[0].measures)
    if read is None:  # some file is refused: each is read alone, and refused alone or named by the reference parser
        return {file.path: _tabled(file, _read_with_arrow(file.rows, file.measures)) for file in files}
    outcomes: dict[Path, PerQueryTable | HarnessError] = {}
    start = 0
    for file in files:
        stop = start + file.rows.count(b"\n")
        outcomes[file.path] = _tabled(file, (read[0].slice(start, stop - start), read[1][start:stop]))
        start = stop
    return outcomes


def _tabled(file: _Rows, read: tuple[Any, np.ndarray] | None) -> PerQueryTable | HarnessError:
    """The checked table of ``file`` from arrow's ``(ids, values)``, or from the reference parser where
    arrow did not read it; or the error that names the file's line."""
    try:
        if read is None:
            table = parse_per_query(file.text, file.path)
        else:
            table = _finite(_query_id_list(read[0], file.path), file.measures, read[1], file.path)
    except HarnessError as error:
        return error
    return PerQueryTable(table.query_ids, table.measures, table.values, content_digest(file.data))


def read_per_query(path: Path, root: Path | None = None) -> dict[str, dict[str, float]]:
    """Per-query scores as measure -> query id -> value (see :func:`read_per_query_table`)."""
    return read_per_query_table(path, root).as_dict()


def parse_per_query(text: str, path: Path) -> PerQueryTable:
    """The table in ``text``; an :class:`InputFormatError` at the first line that breaks the format."""
    header, _, body = text.partition("\n")
    measures = _header_measures(header, path)
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()
    tabs = len(measures)
    bad = next((number for number, line in enumerate(lines, start=2) if line.count("\t") != tabs), None)
    if bad is not None:
        found = lines[bad - 2].count("\t") + 1
        raise InputFormatError(path, bad, f"expected {tabs + 1} tab-separated fields, found {found}")
    fields = "\t".join(lines).split("\t") if lines else []
    query_ids = fields[:: tabs + 1]
    del fields[:: tabs + 1]
    _check_query_ids(query_ids, path)
    try:
        values = np.array(fields, dtype=np.float64).reshape(len(lines), tabs)
    except ValueError:
        number, value = next((n, v) for n, line in enumerate(lines, start=2) for v in line.split("\t")[1:] if not _is_number(v))
        raise InputFormatError(path, number, f"expected a number, found {value[:40]!r}") from None
    return _checked(query_ids, measures, values, path)


def _header_measures(header: str, path: Path) -> list[str]:
    """The measure names of a header line; an :class:`InputFormatError` where it breaks the format."""
    columns = header.rstrip("\r").split("\t")
    if columns[0] != QUERY_ID_COLUMN or len(columns) < 2:
        raise InputFormatError(path, 1, f"expected a header '{QUERY_ID_COLUMN}<TAB>MEASURE...', found {header[:80]!r}")
    measures = columns[1:]
    for j, name in enumerate(measures):
        if not name.strip() or name != name.strip():
            raise InputFormatError(path, 1, f"measure column {j + 2} has an empty or padded name {name!r}")
        if name in measures[:j]:
            raise InputFormatError(path, 1, f"measure {name!r} appears twice in the header")
    return measures


def _checked(query_ids: list[str], measures: list[str], values: np.ndarray, path: Path) -> PerQueryTable:
    """The table, once its query ids are unique and unpadded and its scores finite."""
    _check_query_ids(query_ids, path)
    return _finite(query_ids, measures, values, path)


def _finite(query_ids: list[str], measures: list[str], values: np.ndarray, path: Path) -> PerQueryTable:
    """The table, once its scores are finite."""
    finite = np.isfinite(values)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise InputFormatError(path, int(row) + 2, f"{measures[column]} is {float(values[row, column])!r}; scores must be finite numbers")
    return PerQueryTable(query_ids, measures, values)


def _read_with_arrow(body: bytes, measures: list[str]) -> tuple[Any, np.ndarray] | None:
    """The query ids (an arrow string array, unchecked) and values of rows after a header, read by
    pyarrow; None where it refuses them."""
    import pyarrow as pa
    from pyarrow import csv

    try:
        table = csv.read_csv(pa.py_buffer(body), **_arrow_options(len(measures)))
    except pa.ArrowInvalid:
        return None
    values = np.column_stack([_floats(table.column(j)) for j in range(1, len(measures) + 1)])
    return table.column(0).combine_chunks(), values


@lru_cache(maxsize=16)
def _arrow_options(measures: int) -> dict[str, Any]:
    """How arrow reads the lines after a header of ``measures`` measures (made once: a leaderboard reads thousands of files)."""
    import pyarrow as pa
    from pyarrow import csv

    names = [f"c{j}" for j in range(measures + 1)]  # the file's own names may be anything
    return {
        "read_options": csv.ReadOptions(column_names=names, use_threads=False),
        "parse_options": csv.ParseOptions(
            delimiter="\t", quote_char=False, escape_char=False, double_quote=False, newlines_in_values=False, ignore_empty_lines=False
        ),
        "convert_options": csv.ConvertOptions(
            column_types={name: pa.string() if j == 0 else pa.float64() for j, name in enumerate(names)},
            null_values=[], strings_can_be_null=False, quoted_strings_can_be_null=False, check_utf8=False,
        ),
    }


_RECENT_IDS: list[tuple[Any, list[str]]] = []  # (ids as arrow, the same ids checked, as a list), newest first


def _query_id_list(ids, path: Path) -> list[str]:
    """The checked list of query ids of an arrow column. Files of one dataset mostly hold the same
    ids: one equal to a list checked lately (compared in arrow, memcmp speed) is that list, so it
    is checked and held once (the benchmark's 200 systems on four datasets: 42,000 files, three lists)."""
    for known, listed in _RECENT_IDS:
        if known.equals(ids):
            return listed
    listed = ids.to_pylist()
    _check_query_ids(listed, path)
    _RECENT_IDS.insert(0, (ids, listed))
    del _RECENT_IDS[8:]
    return listed


def _floats(column) -> np.ndarray:
    """A float64 column without nulls as numpy, from its data buffers (pyarrow's to_numpy imports pandas: most of a second)."""
    return np.concatenate([np.frombuffer(chunk.buffers()[1], dtype=np.float64, count=len(chunk), offset=chunk.offset * 8) for chunk in column.chunks])


_PADDED_OR_EMPTY = re.compile(r"\n\s|\s\n")  # on "\n" + ids + "\n": an empty id is "\n\n"


def _check_query_ids(query_ids: list[str], path: Path) -> None:
    # one set and one regex pass over the joined ids (C speed); the loop below only names the culprit
    if len(set(query_ids)) == len(query_ids) and not _PADDED_OR_EMPTY.search("\n" + "\n".join(query_ids) + "\n"):
        return
    seen: set[str] = set()
    for number, qid in enumerate(query_ids, start=2):
        if not qid or qid.strip() != qid:
            raise InputFormatError(path, number, f"query id {qid!r} is empty or padded with spaces")
        if qid in seen:
            raise InputFormatError(path, number, f"query {qid!r} appears twice")
        seen.add(qid)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True

