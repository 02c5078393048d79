"""Per-query score files: ``query_id<TAB>MEASURE...``, one row per query, ``repr`` floats.

Written by the harness and read back by ``compare``, ``validate`` and the leaderboard, possibly
from someone else's submission: reading checks everything a mean or a paired test relies on
(unique non-empty query ids, unique measure columns, finite numbers, UTF-8) and is bounded.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.atomic import atomic_write_text
from harness.confined import MEGABYTE, decode_utf8, read_confined
from harness.errors import InputFormatError

MAX_PER_QUERY_BYTES = 256 * MEGABYTE
QUERY_ID_COLUMN = "query_id"


@dataclass(frozen=True)
class PerQueryTable:
    """Per-query scores of one pair as arrays: query ids, measure names, queries x measures values."""

    query_ids: list[str]
    measures: list[str]
    values: np.ndarray

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


def read_per_query_table(path: Path, root: Path | None = None) -> PerQueryTable:
    """Read and check a per-query file that lies in folder ``root`` (default: its own folder).

    One split of the whole text and one numpy conversion: a leaderboard reads thousands of these.
    """
    path = Path(path)
    text = decode_utf8(read_confined(path, root or path.parent, MAX_PER_QUERY_BYTES), path)
    return parse_per_query(text, path)


def read_per_query(path: Path, root: Path | None = None) -> dict[str, dict[str, float]]:
    """Per-query scores as measure -> query id -> value (see :func:`read_per_query_table`)."""
    return read_per_query_table(path, root).as_dict()


def parse_per_query(text: str, path: Path) -> PerQueryTable:
    """The table in ``text``; an :class:`InputFormatError` at the first line that breaks the format."""
    header, _, body = text.partition("\n")
    columns = header.rstrip("\r").split("\t")
    if columns[0] != QUERY_ID_COLUMN or len(columns) < 2:
        raise InputFormatError(path, 1, f"expected a header '{QUERY_ID_COLUMN}<TAB>MEASURE...', found {header[:80]!r}")
    measures = columns[1:]
    for j, name in enumerate(measures):
        if not name.strip() or name != name.strip():
            raise InputFormatError(path, 1, f"measure column {j + 2} has an empty or padded name {name!r}")
        if name in measures[:j]:
            raise InputFormatError(path, 1, f"measure {name!r} appears twice in the header")
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
    finite = np.isfinite(values)
    if not finite.all():
        row, column = np.argwhere(~finite)[0]
        raise InputFormatError(path, int(row) + 2, f"{measures[column]} is {float(values[row, column])!r}; scores must be finite numbers")
    return PerQueryTable(query_ids, measures, values)


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

