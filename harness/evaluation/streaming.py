"""Evaluating a run file of any size in bounded memory: blocks of whole queries, one at a time.

The file is read by arrow in blocks of ``block_bytes``; the rows of the query a block ends in
wait for the next block, so every block handed on holds whole queries. Run files list a query's
rows together (trec_eval writes them so); where a query comes back after others, the rows are
first spread over temporary files by query, and each of those is evaluated whole. Every
measure is per query, so the values, and the means over them in query id order, are those of
:func:`~harness.evaluation.evaluate` on the whole run, bit for bit. A file arrow cannot take
as it is (mixed separators, a malformed line) goes to :func:`~harness.evaluation.read_run`,
which reads it line by line or names the line.
"""
from __future__ import annotations

import functools
import os
import tempfile
import zlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np

from harness.errors import HarnessError
from harness.evaluation.arrow_arrays import floats, integers, numbers, strings, system_allocator
from harness.evaluation.coded_rows import CodedRows, encode, factorize_sorted
from harness.evaluation.compat import DEFAULT_COMPAT, normalize_compat
from harness.evaluation.evaluator import DuplicateDocument, Evaluation, evaluate, evaluation_of, judge_rows, judged_queries, measure_values, semantics_of
from harness.evaluation.judged_rows import JudgedRanking
from harness.evaluation.measures import Measure, parse_measures
from harness.evaluation.prefetched import prefetching
from harness.evaluation.ranking import TIES_DEFINITION
from harness.evaluation.trec import SMALL_FILE_BYTES, read_qrels, read_run, run_name
from harness.evaluation.trec_columns import Refused, arrow_csv_options, checked_ranks, guess_separator, open_binary

BLOCK_BYTES = 16 << 20  # the largest block
MIN_BLOCK_BYTES = 2 << 20
PIPELINED_BLOCKS = 8  # a file of a few blocks parses and scores them one after the other: cut it finer
PARSE_BLOCK_BYTES = 1 << 20  # arrow parses a block's megabytes on every core
FIRST_BLOCK_BYTES = 1 << 20  # the blocks grow from this to block_bytes


class _Unsorted(Exception):
    """A query's rows are not all together in the file."""


def evaluate_run_file(
    path: str | os.PathLike[str],
    qrels: Mapping[str, Mapping[str, int]] | str | os.PathLike[str],
    measures: str | Iterable[str | Measure],
    *,
    tie_break: str = "trec_eval",
    missing_as_zero: bool = True,
    pool: Iterable[str] | None = None,
    compat: str = DEFAULT_COMPAT,
    allow_extra_columns: bool = False,
    block_bytes: int | None = None,
) -> Evaluation:
    """:func:`~harness.evaluation.evaluate` of the run file at ``path``, read and scored block by block.

    Peak memory follows ``block_bytes`` (and the number of queries), not the file's size; by default
    a block is an eighth of the file, between 2 and 16 MiB, so that the parse of the next block
    (:mod:`.prefetched`) runs while this one is scored (a 34 MB run of 10k queries, in process:
    0.25 s in 4 MiB blocks against 0.34 s in 16 MiB ones). ``qrels`` may be a qrels file's path
    (:func:`~harness.evaluation.read_qrels`), read while the run's first block is parsed. The
    file is checked as :func:`~harness.evaluation.read_run` checks it, with the same errors.
    """
    path = Path(path)
    if not path.is_file():
        raise HarnessError(f"{path}: no such run file")
    compat = normalize_compat(compat)
    chosen = parse_measures(measures)
    pool = list(pool) if pool is not None else None

    @functools.cache
    def judged() -> Mapping[str, Mapping[str, int]]:
        return judged_queries(read_qrels(qrels) if isinstance(qrels, (str, os.PathLike)) else qrels)

    def whole_file() -> Evaluation:
        run = read_run(path, allow_extra_columns=allow_extra_columns)
        return evaluate(run, judged(), chosen, tie_break=tie_break, missing_as_zero=missing_as_zero, pool=pool, compat=compat)

    size = path.stat().st_size
    if size <= SMALL_FILE_BYTES:
        return whole_file()
    if block_bytes is None:
        block_bytes = default_block_bytes(size)
    try:
        with system_allocator():
            try:
                with prefetching(_whole_query_blocks(path, allow_extra_columns, block_bytes, tie_break == "rank")) as blocks:
                    scorer = _BlockScorer(chosen, judged(), pool, tie_break, compat, run_name(path))
                    for rows in blocks:
                        scorer.add(rows)
            except _Unsorted:
                scorer = _BlockScorer(chosen, judged(), pool, tie_break, compat, run_name(path))
                with tempfile.TemporaryDirectory(prefix="harness-run-") as folder:
                    for rows in _partitioned_blocks(path, allow_extra_columns, block_bytes, Path(folder)):
                        scorer.add(rows)
    except (Refused, DuplicateDocument):  # read_run names the file's line
        return whole_file()
    return scorer.result(missing_as_zero)


def default_block_bytes(file_bytes: int) -> int:
    """An eighth of the file, between :data:`MIN_BLOCK_BYTES` and :data:`BLOCK_BYTES`."""
    return min(BLOCK_BYTES, max(MIN_BLOCK_BYTES, file_bytes // PIPELINED_BLOCKS))


class _BlockScorer:
    """Per-query values of blocks of whole queries, gathered into one :class:`Evaluation`."""

    def __init__(self, chosen: list[Measure], judged: Mapping[str, Mapping[str, int]], pool, tie_break: str, compat: str, name: str) -> None:
        self.chosen, self.judged, self.pool, self.tie_break, self.compat, self.name = chosen, judged, pool, tie_break, compat, name
        self.query_ids: list[str] = []
        self.values: dict[str, list[np.ndarray]] = {measure.name: [] for measure in chosen}
        self.unjudged: list[str] = []
        self.seen: set[str] = set()
        self.ties = {"tied_neighbours": 0, "queries_with_ties": 0, "tied_rows": 0}

    def add(self, rows: CodedRows) -> None:
        rows.name = self.name
        block_queries = rows.query_ids.tolist()
        self.seen.update(block_queries)
        judged = {qid: self.judged[qid] for qid in block_queries if qid in self.judged}
        self._score(judge_rows(rows, judged, self.tie_break, self.compat, missing_as_zero=False), judged)

    def _score(self, ranking: JudgedRanking, judged: Mapping[str, Mapping[str, int]]) -> None:
        values = measure_values(self.chosen, ranking, judged, self.pool, self.compat)
        self.query_ids.extend(ranking.query_ids)
        for name, found in values.items():
            self.values[name].append(found)
        self.unjudged.extend(ranking.unjudged_run_queries)
        for key in self.ties:
            self.ties[key] += ranking.ties[key]

    def result(self, missing_as_zero: bool) -> Evaluation:
        missing = sorted(qid for qid in self.judged if qid not in self.seen)
        if missing_as_zero and missing:
            no_ids = np.zeros(0, dtype=object)
            no_rows = np.zeros(0, dtype=np.int64)
            empty = CodedRows(no_rows, no_ids, no_ids, np.zeros(0), no_rows, self.name)
            absent = {qid: self.judged[qid] for qid in missing}
            self._score(judge_rows(empty, absent, self.tie_break, self.compat, missing_as_zero=True), absent)
        order = np.argsort(np.array(self.query_ids, dtype=object), kind="stable") if self.query_ids else np.zeros(0, dtype=np.int64)
        query_ids = [self.query_ids[i] for i in order.tolist()]
        values = {name: np.concatenate(parts)[order] if parts else np.zeros(0) for name, parts in self.values.items()}
        ranking = JudgedRanking(query_ids, None, {**self.ties, "definition": TIES_DEFINITION}, sorted(self.unjudged), missing, lambda: None)
        return evaluation_of(self.chosen, ranking, values, len(self.judged), semantics_of(self.chosen, self.tie_break, missing_as_zero, self.compat))


def _batches(path: Path, allow_extra_columns: bool, block_bytes: int, rank_values: bool = True) -> Iterator[tuple]:
    """``(query ids, document ids, scores, ranks)`` per block of whole lines, each checked; :class:`Refused` where arrow cannot tell.

    Query ids come as arrow's dictionary array (each distinct id once). Each block is parsed by
    arrow's multithreaded reader on its own (its streaming reader parses on one thread); a block
    of ASCII bytes alone (one scan) skips arrow's UTF-8 check. Without ``rank_values`` the ranks
    are checked but mostly not read (``None``: :func:`checked_ranks`).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    separator = guess_separator(path)
    options = arrow_csv_options(separator, PARSE_BLOCK_BYTES)
    ascii_options = arrow_csv_options(separator, PARSE_BLOCK_BYTES, check_utf8=False)
    rows = 0
    try:
        with open_binary(path) as lines:
            for block in _line_blocks(lines, block_bytes, FIRST_BLOCK_BYTES):
                ascii_only = np.frombuffer(block, dtype=np.uint8).max(initial=0) < 0x80
                table = pacsv.read_csv(pa.BufferReader(pa.py_buffer(block)), **(ascii_options if ascii_only else options))
                ranks = checked_ranks(table, separator, allow_extra_columns, rank_values)
                scores = numbers(table.column("score").combine_chunks())
                if not np.isfinite(scores).all():
                    raise Refused
                rows += len(scores)
                yield table.column("qid").combine_chunks(), table.column("docid").combine_chunks(), scores, ranks
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError, EOFError, zlib.error):
        raise Refused from None
    if not rows:
        raise Refused  # read_run names the empty file


def _line_blocks(stream, block_bytes: int, first_bytes: int | None = None) -> Iterator[memoryview]:
    """The stream's bytes in blocks of whole lines (all but the last end in a newline), about
    ``block_bytes`` each, read into one buffer that is used again: fresh pages for every block
    cost this machine's kernel more than the parse. A block is parsed before the next is asked
    for, and arrow copies what it parses (its reader threads may still hold the buffer a moment
    after: so it is never resized, but replaced).

    The first block holds about ``first_bytes`` and each next one twice the last, up to
    ``block_bytes``: nothing can be scored until the first block is parsed, so a small one starts
    the pipeline sooner (10k queries x 100: 25-30 ms of a 4 MiB parse waited on).
    """
    buffer = bytearray(block_bytes)
    size = min(first_bytes or block_bytes, block_bytes)  # bytes this block may fill
    held = 0  # bytes of an unfinished line, moved to the front
    while True:
        if held == size:  # a line longer than the block
            if size == len(buffer):
                buffer = buffer + bytes(len(buffer))
            size = min(2 * size, len(buffer))
        end = _filled(stream, buffer, held, size)
        if end < size:  # the end of the stream
            if end:
                yield memoryview(buffer)[:end]
            return
        cut = buffer.rfind(b"\n", held, end) + 1
        if cut == 0:
            held = end
            continue
        yield memoryview(buffer)[:cut]
        buffer[: end - cut] = buffer[cut:end]
        held = end - cut
        size = max(size, min(2 * size, len(buffer)))


def _filled(stream, buffer: bytearray, start: int, stop: int) -> int:
    """Read into ``buffer[start:stop]`` until it is full or the stream ends (a read may return
    less, as gzip's does); the end of what it holds."""
    end = start
    with memoryview(buffer) as view:
        while end < stop and (read := stream.readinto(view[end:stop])):
            end += read
    return end


def _whole_query_blocks(path: Path, allow_extra_columns: bool, block_bytes: int, rank_values: bool = True) -> Iterator[CodedRows]:
    """Blocks of whole queries, in file order; :class:`_Unsorted` when a query's rows are apart."""
    done: set[str] = set()
    waiting = None
    for columns in _batches(path, allow_extra_columns, block_bytes, rank_values):
        if waiting is not None:
            columns = tuple(_join(a, b) for a, b in zip(waiting, columns))
        codes, names = factorize_sorted(columns[0])
        starts = np.r_[0, np.flatnonzero(codes[1:] != codes[:-1]) + 1]
        if len(starts) != len(names):
            raise _Unsorted
        last = int(starts[-1])
        complete = names[codes[starts[:-1]]].tolist()
        last_name = names[codes[last]]
        if not done.isdisjoint(complete) or last_name in done:
            raise _Unsorted
        done.update(complete)
        # the last query waits for the next block, under a dictionary of its own id: a slice would
        # carry this block's whole dictionary into the next, and so on
        waiting = (_repeated(last_name, len(codes) - last), *(_slice(column, last, None) for column in columns[1:]))
        if last:
            kept = codes[:last]
            scores, ranks = (_slice(column, 0, last) for column in columns[2:])
            yield CodedRows(kept - (kept > codes[last]), np.delete(names, codes[last]), _slice(columns[1], 0, last), scores, ranks)
    if waiting is not None:
        yield _coded(*waiting)


def _repeated(name: str, count: int):
    """An arrow dictionary array of ``name``, ``count`` times."""
    import pyarrow as pa

    indices = pa.Array.from_buffers(pa.int32(), count, [None, pa.py_buffer(np.zeros(count, dtype=np.int32))])
    return pa.DictionaryArray.from_arrays(indices, strings([name]))


def _partitioned_blocks(path: Path, allow_extra_columns: bool, block_bytes: int, folder: Path) -> Iterator[CodedRows]:
    """The file's rows spread over temporary arrow files by query, each then read whole."""
    import pyarrow as pa
    import pyarrow.ipc as ipc

    size = path.stat().st_size * (4 if path.suffix == ".gz" else 1)
    parts = max(1, -(-size // block_bytes))
    writers: dict[int, object] = {}
    query_index: dict[str, int] = {}
    schema = pa.schema([("qid", pa.string()), ("docid", pa.string()), ("score", pa.float64()), ("rank", pa.int64())])
    try:
        for qids, docids, scores, ranks in _batches(path, allow_extra_columns, block_bytes):
            qids = qids.cast(pa.string())  # the parts' files hold plain strings, whatever each block's dictionary
            codes, names = encode(qids)
            index = np.array([query_index.setdefault(name, len(query_index)) for name in names.tolist()], dtype=np.int64)
            part_of_row = index[codes] % parts
            batch = pa.record_batch([qids, docids, floats(scores), integers(ranks)], schema=schema)
            for part in np.unique(part_of_row).tolist():
                if part not in writers:
                    writers[part] = ipc.new_file(str(folder / f"{part}.arrow"), schema)
                writers[part].write_batch(batch.take(integers(np.flatnonzero(part_of_row == part))))
    finally:
        for writer in writers.values():
            writer.close()
    for part in sorted(writers):
        table = ipc.open_file(str(folder / f"{part}.arrow")).read_all()
        yield _coded(*(table.column(name).combine_chunks() for name in ("qid", "docid", "score", "rank")))
        (folder / f"{part}.arrow").unlink()


def _coded(qids, docids, scores, ranks) -> CodedRows:
    """Coded rows of arrow columns (scores and ranks as numpy arrays or arrow arrays; ranks may be ``None``)."""
    scores, ranks = (column if column is None or isinstance(column, np.ndarray) else numbers(column) for column in (scores, ranks))
    query_codes, query_ids = factorize_sorted(qids)
    return CodedRows(query_codes, query_ids, docids, scores, ranks)


def _join(first, second):
    import pyarrow as pa

    if first is None:  # ranks not read
        return None
    if isinstance(first, np.ndarray):
        return np.concatenate([first, second])
    return pa.concat_arrays([first, second])


def _slice(column, start: int, stop: int | None):
    if column is None:  # ranks not read
        return None
    if isinstance(column, np.ndarray):
        return column[start:stop]
    return column.slice(start, None if stop is None else stop - start)
