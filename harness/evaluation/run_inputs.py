"""What ``evaluate_run`` and ``submit`` take as a run: a TREC run file, a pandas DataFrame or a nested dict.

The accepted shapes:

- a path (``str`` or ``os.PathLike``) to a TREC run file, read by :func:`~harness.evaluation.read_run`
  (text after the sixth column ignored, as trec_eval ignores it);
- a ``pandas.DataFrame`` with ir-measures' columns ``query_id, doc_id, score`` or PyTerrier's
  ``qid, docno, score``. A ``rank`` column, where there is one, is what a file's rank column is
  (``tie_break="rank"`` orders by it; PyTerrier's ranks from 0 order as well as a file's from 1);
  every other column (PyTerrier's ``docid`` and ``query``, ir-measures' ``iteration``) is ignored;
- a dict ``{query_id: {doc_id: score}}``, as pytrec_eval and ir-measures take it; it holds no ranks.

Each becomes the :class:`~harness.evaluation.Run` that the equivalent file reads as: rows in
the frame's or the dict's order, ids as ``str``, scores as float64. An id is a string, or an
integer (PyTerrier and ir_datasets frames sometimes hold int64 ids), spelled in decimal as a
file spells it: ``7`` becomes ``"7"``. A float id (``7.0``, what a column of integers with a
missing value holds) has no single spelling and is refused, as are an empty id and one holding
whitespace (no run file can spell them). A score is a finite number (not a bool); a rank an
integer (a float holding a whole number counts). A document twice for one query is refused, as
the file reader refuses it, and so is a run without rows. Each refusal is one
:class:`~harness.errors.HarnessError` naming the row: ``DataFrame row 4 (qid 'q1', docno 'd7')``
counts rows from 0 as ``frame.iloc`` does; ``dict['q1']['d7']`` names the keys.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from harness.errors import HarnessError
from harness.evaluation.coded_rows import CodedRows, factorize_sorted
from harness.evaluation.ranking import first_duplicate
from harness.evaluation.run import Run, string_array
from harness.evaluation.trec import RANK_MAX, RANK_MIN, first_line_of_query, first_unwritable, read_run

if TYPE_CHECKING:
    import pandas

RunLike = Union[str, "os.PathLike[str]", "pandas.DataFrame", Mapping[Any, Mapping[Any, float]]]
# ir-measures' id columns, then PyTerrier's; both name the score "score"
ID_COLUMNS = (("query_id", "doc_id"), ("qid", "docno"))
SCORE_COLUMN = "score"
RANK_COLUMN = "rank"
FRAME_COLUMNS = "ir-measures' query_id, doc_id, score or PyTerrier's qid, docno, score"
RowName = Callable[[int], str]


@dataclass(frozen=True)
class RunInput:
    """A run as it was given, read into a :class:`Run`: its kind (``file``, ``DataFrame`` or ``dict``) and its label in messages (a file's path, else the kind)."""

    run: Run
    kind: str
    label: str

    def where(self, query_id: str) -> str:
        """Where ``query_id`` first appears, to start a message: ``file:line``, ``DataFrame row i`` or ``dict``."""
        if self.kind == "file":
            return f"{self.label}:{first_line_of_query(self.label, query_id)}"
        if self.kind == "DataFrame":
            return f"DataFrame row {int(np.flatnonzero(self.run.query_ids == query_id)[0])}"
        return self.label

    def record_fields(self) -> dict[str, str]:
        """What a stored pair records of the run's origin: ``run_file`` (the file's name) or ``run_source`` (``DataFrame``, ``dict``)."""
        return {"run_file": Path(self.label).name} if self.kind == "file" else {"run_source": self.kind}


def run_kind(run: object) -> str:
    """``"file"``, ``"DataFrame"`` or ``"dict"``: which of the accepted shapes ``run`` is; any other object is refused."""
    if isinstance(run, (str, os.PathLike)):
        return "file"
    kind = _in_memory_kind(run)
    if kind is not None:
        return kind
    raise HarnessError(
        f"run: a {type(run).__name__} is not a run; expected a TREC run file path, a pandas DataFrame "
        f"({FRAME_COLUMNS}) or a dict {{query_id: {{doc_id: score}}}}"
    )


def read_run_input(run: RunLike, *, tie_break: str = "trec_eval") -> RunInput:
    """``run`` (any accepted shape) read and checked; ``tie_break="rank"`` also needs its ranks."""
    kind = run_kind(run)
    if kind == "file":
        return RunInput(read_run(run, allow_extra_columns=True), kind, str(run))
    parsed = run_in_memory(run, kind)
    if tie_break == "rank" and parsed.ranks is None:
        remedy = "add a 'rank' column" if kind == "DataFrame" else "give a DataFrame with a 'rank' column"
        raise HarnessError(f"{kind}: tie_break='rank' orders each query by the run's ranks and this {kind} has none; {remedy}, or use tie_break='trec_eval'")
    return RunInput(parsed, kind, kind)


def run_in_memory(value: Any, name: str) -> Run:
    """The checked :class:`Run` of a DataFrame or a dict ``{query_id: {doc_id: score}}``; ``name`` names it in
    messages, and any other object is refused naming the shapes expected."""
    kind = _in_memory_kind(value)
    if kind is None:
        raise HarnessError(f"{name}: a {type(value).__name__}, where {{query_id: {{doc_id: score}}}} or a DataFrame ({FRAME_COLUMNS}) was expected")
    return run_from_frame(value, name) if kind == "DataFrame" else run_from_dict(value, name)


def _in_memory_kind(value: object) -> str | None:
    """``"DataFrame"``, ``"dict"`` (any mapping), or None for anything else."""
    # a DataFrame exists only where pandas was imported: `eval --run FILE` must not import it
    pandas_module = sys.modules.get("pandas")
    if pandas_module is not None and isinstance(value, pandas_module.DataFrame):
        return "DataFrame"
    return "dict" if isinstance(value, Mapping) else None


def run_from_frame(frame: pandas.DataFrame, name: str = "DataFrame") -> Run:
    """A checked :class:`Run` from a DataFrame with ir-measures' or PyTerrier's columns (see the module's notes)."""
    query_column, doc_column = _id_columns(frame)
    raw_queries = frame[query_column].to_numpy(dtype=object)
    raw_docs = frame[doc_column].to_numpy(dtype=object)

    def row_name(row: int) -> str:
        return f"{name} row {row} ({query_column} {raw_queries[row]!r}, {doc_column} {raw_docs[row]!r})"

    score_column = frame[SCORE_COLUMN]
    # numeric columns, nullable ones included, convert at once (a missing value as NaN, refused below as not finite)
    scores = score_column.to_numpy(dtype=np.float64, na_value=np.nan) if score_column.dtype.kind in "iuf" else score_column.to_numpy(dtype=object)
    ranks = _ranks(frame[RANK_COLUMN], row_name) if RANK_COLUMN in frame.columns else None
    return _checked_run(raw_queries, raw_docs, scores, ranks, name, row_name)


def run_from_dict(mapping: Mapping[Any, Mapping[Any, float]], name: str = "dict") -> Run:
    """A checked :class:`Run` from ``{query_id: {doc_id: score}}`` (see the module's notes); it has no ranks."""
    queries: list[Any] = []
    docs: list[Any] = []
    scores: list[Any] = []
    for query, ranking in mapping.items():
        if not isinstance(ranking, Mapping):
            raise HarnessError(f"{name}[{query!r}]: a {type(ranking).__name__}, where a dict {{doc_id: score}} was expected")
        queries.extend([query] * len(ranking))
        docs.extend(ranking.keys())
        scores.extend(ranking.values())

    def row_name(row: int) -> str:
        return f"{name}[{queries[row]!r}][{docs[row]!r}]"

    return _checked_run(string_array(queries), string_array(docs), string_array(scores), None, name, row_name)


def _id_columns(frame: pandas.DataFrame) -> tuple[str, str]:
    """The frame's query and document id columns, after checking it has them and a score column, each once."""
    columns = list(frame.columns)
    complete = [pair for pair in ID_COLUMNS if all(column in columns for column in pair)]
    if len(complete) > 1:
        raise HarnessError("DataFrame: it has both ir-measures' query_id, doc_id and PyTerrier's qid, docno columns; keep one pair")
    chosen = complete[0] if complete else max(ID_COLUMNS, key=lambda pair: sum(column in columns for column in pair))
    missing = [column for column in (*chosen, SCORE_COLUMN) if column not in columns]
    if missing:
        found = ", ".join(map(str, columns)) or "none"
        raise HarnessError(f"DataFrame: no column {', '.join(missing)}; expected {FRAME_COLUMNS} (its columns: {found})")
    twice = next((column for column in (*chosen, SCORE_COLUMN, RANK_COLUMN) if columns.count(column) > 1), None)
    if twice is not None:
        raise HarnessError(f"DataFrame: column {twice!r} appears twice; a run has one of each")
    return chosen


def _checked_run(raw_queries: np.ndarray, raw_docs: np.ndarray, scores: np.ndarray, ranks: np.ndarray | None, name: str, row_name: RowName) -> Run:
    """The :class:`Run` of rows given column-wise, checked as the file reader checks a file's lines."""
    if not len(raw_queries):
        raise HarnessError(f"{name}: no rows; a run has one row per query and document")
    query_ids = _ids(raw_queries, "query id", row_name)
    doc_ids = _ids(raw_docs, "document id", row_name)
    scores = _scores(scores, row_name)
    duplicate = first_duplicate(CodedRows(*factorize_sorted(query_ids), doc_ids, scores))
    if duplicate is not None:
        query, doc = duplicate
        second = int(np.flatnonzero((query_ids == query) & (doc_ids == doc))[1])
        raise HarnessError(f"{row_name(second)}: document {doc!r} appears twice for query {query!r}")
    return Run(query_ids, doc_ids, scores, ranks, name, {"source": name})


def _ids(values: np.ndarray, what: str, row_name: RowName) -> np.ndarray:
    """Ids as an object array of str: strings as they are, integers in decimal; anything else refused."""
    listed = values.tolist()
    kinds = set(map(type, listed))
    if int in kinds and kinds <= {str, int}:  # plain str and int (not bool): str() is C speed
        listed = list(map(str, listed))
    elif not kinds <= {str}:  # numpy scalars, bools, floats, None: one by one, naming the first that is no id
        bad = next((row for row, value in enumerate(listed) if not _is_id(value)), None)
        if bad is not None:
            raise HarnessError(f"{row_name(bad)}: {what} {listed[bad]!r} is not an id; expected a string or an integer")
        listed = [str(value) if isinstance(value, str) else str(int(value)) for value in listed]
    ids = string_array(listed)
    bad = first_unwritable(ids)
    if bad is not None:
        raise HarnessError(f"{row_name(bad)}: {what} {listed[bad]!r} is empty or holds whitespace, which a run file cannot spell")
    return ids


def _scores(values: np.ndarray, row_name: RowName) -> np.ndarray:
    """Scores as float64; a value that is not a number, or not finite, is refused."""
    if values.dtype == object:
        listed = values.tolist()
        if not set(map(type, listed)) <= {float, int}:
            bad = next((row for row, value in enumerate(listed) if not _is_number(value)), None)
            if bad is not None:
                raise HarnessError(f"{row_name(bad)}: score {listed[bad]!r} is not a number")
        values = np.asarray(listed, dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise HarnessError(f"{row_name(bad)}: score {float(values[bad])!r} is not a finite number")
    return values


def _ranks(column: pandas.Series, row_name: RowName) -> np.ndarray:
    """A rank column as int64: integers of 64 bits, or floats holding such whole numbers."""
    if column.dtype.kind == "i" and not column.hasnans:  # every signed integer fits in int64
        return column.to_numpy(dtype=np.int64)
    listed = column.to_numpy(dtype=object).tolist()
    for row, value in enumerate(listed):
        whole = _is_number(value) and (not isinstance(value, (float, np.floating)) or float(value).is_integer())
        if not whole or not RANK_MIN <= value <= RANK_MAX:
            raise HarnessError(f"{row_name(row)}: rank {value!r} is not an integer of 64 bits")
    return np.asarray([int(value) for value in listed], dtype=np.int64)


def _is_id(value: object) -> bool:
    return isinstance(value, (str, int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
