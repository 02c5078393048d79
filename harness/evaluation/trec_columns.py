"""Fast columnar readers of TREC run files (pyarrow, then pandas' C parser).

They read ordinary files many times faster than the line parser of :mod:`harness.evaluation.trec`,
which defines the format. Each either returns exactly the columns the line parser would
return or raises :class:`Refused`, after which the line parser reads the file again and
either returns the columns or names the malformed line; a refusal is never an answer.
"""
from __future__ import annotations

import csv
import gzip
import warnings
import zlib
from pathlib import Path

import numpy as np

from harness.evaluation.arrow_arrays import DECIMAL_DIGITS, blank_strings, decimal_integers, empty_strings, numbers, string_buffers, string_lengths, system_allocator

RUN_NAMES = ["qid", "q0", "docid", "rank", "score", "tag"]
INTEGER_PATTERN = r"[+-]?[0-9]+"


class Refused(Exception):
    """A fast reader could not read the file as it is; the line parser will say why, or read it."""


Columns = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def open_binary(path: Path):
    """The file's bytes, decompressed when its name ends in ``.gz``."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def run_columns_arrow(path: Path, allow_extra_columns: bool = False) -> Columns:
    """pyarrow's multithreaded CSV reader; it needs one fixed separator, guessed from the first line.

    With ``allow_extra_columns`` it takes a tab-separated file whose last column carries
    space-separated extras (trec_eval's ``results.trunc``); other extras make it refuse.
    """
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        raise Refused from None
    separator = guess_separator(path)
    with system_allocator():
        try:
            table = pacsv.read_csv(path, **arrow_csv_options(separator))
            ranks = checked_ranks(table, separator, allow_extra_columns)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, UnicodeDecodeError, OSError, EOFError, zlib.error):
            raise Refused from None
        return (
            _decoded(table["qid"].combine_chunks()),
            table["docid"].to_numpy(zero_copy_only=False),
            ranks,
            table["score"].to_numpy(),
        )


def guess_separator(path: Path) -> str:
    """The one separator arrow will split on: tab if the first line has one, else space."""
    return "\t" if b"\t" in _first_line(path) else " "


def arrow_csv_options(separator: str, block_size: int | None = None, check_utf8: bool = True) -> dict[str, object]:
    """How arrow reads a run file: six named columns, nothing quoted or null, ranks as text
    (text known to be ASCII need not be checked as UTF-8: a sixth of the parse)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read = {"column_names": RUN_NAMES} if block_size is None else {"column_names": RUN_NAMES, "block_size": block_size}
    return {
        "read_options": pacsv.ReadOptions(**read),
        "parse_options": pacsv.ParseOptions(delimiter=separator, quote_char=False, ignore_empty_lines=True),
        # Ranks are read as text: arrow's integer parser also takes hexadecimal ("0x1"). Query ids
        # are few and are encoded as they are parsed; q0 and the tag are only checked, and plain
        # strings cost arrow a third less than encoding them (10k queries x 100: 51 ms, not 75).
        "convert_options": pacsv.ConvertOptions(
            column_types={"qid": pa.dictionary(pa.int32(), pa.string()), "q0": pa.string(), "docid": pa.string(), "rank": pa.string(), "score": pa.float64(), "tag": pa.string()},
            null_values=[],
            strings_can_be_null=False,
            check_utf8=check_utf8,
        ),
    }


def checked_ranks(table, separator: str, allow_extra_columns: bool, rank_values: bool = True) -> np.ndarray | None:
    """The rank column as integers, after the checks arrow's parse leaves open; :class:`Refused` where one fails.

    Without ``rank_values`` (only ``tie_break="rank"`` reads them) the ranks are checked, not read:
    ``None``, unless one is long enough that only reading it tells whether it fits in 64 bits.

    With one separator, an empty field or a field holding the other separator would pass the
    parse but not the format's "runs of spaces or tabs" rule. Scanning the string columns'
    bytes is zero-copy and far cheaper than a regex per value.
    """
    import pyarrow as pa

    text = _combined(table["rank"])
    if len(text) and not _integers(text):
        raise Refused
    ranks = None
    if int(string_lengths(text).max(initial=0)) > DECIMAL_DIGITS:  # arrow says whether a rank of 19 or more characters fits in 64 bits
        import pyarrow.compute as pc

        try:
            ranks = numbers(pc.cast(text, pa.int64()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise Refused from None
    elif rank_values:
        ranks = decimal_integers(text)
    other_separator = ord(" " if separator == "\t" else "\t")
    for name in ("qid", "q0", "docid", "tag"):
        values = _combined(table[name])
        if isinstance(values, pa.DictionaryArray):
            values = values.dictionary
        if name == "tag" and allow_extra_columns:  # the tag and the extras: something other than blanks
            if blank_strings(values):
                raise Refused
            continue
        if empty_strings(values):
            raise Refused
        data = values.buffers()[2]
        if data is not None and (np.frombuffer(data, dtype=np.uint8) == other_separator).any():
            raise Refused
    return ranks


def _integers(values) -> bool:
    """Whether every (non-empty) string is ``[+-]?[0-9]+``: a byte scan instead of a regex per value."""
    offsets, data = string_buffers(values)
    data = data[offsets[0] : offsets[-1]]
    digits = (data >= ord("0")) & (data <= ord("9"))
    if digits.all():
        return bool((np.diff(offsets) > 0).all())
    signs = np.flatnonzero(~digits)  # allowed only as a string's first byte, followed by a digit
    starts = offsets[:-1] - offsets[0]
    lengths = np.diff(offsets)
    first_byte = np.isin(signs, starts[lengths > 1])
    return bool(first_byte.all() and np.isin(data[signs], (ord("+"), ord("-"))).all() and (lengths > 0).all())


def _combined(column):
    """One array from a table's chunked column, or a record batch's column as it is."""
    return column.combine_chunks() if hasattr(column, "combine_chunks") else column


def run_columns_pandas(path: Path, allow_extra_columns: bool = False) -> Columns:
    """pandas' C parser: copes with runs of mixed spaces and tabs, which pyarrow cannot."""
    import pandas as pd

    # usecols makes the C parser drop fields past the sixth; without it, they are an error.
    layout = {"usecols": range(len(RUN_NAMES))} if allow_extra_columns else {"index_col": False}
    try:
        with warnings.catch_warnings():
            # A first line with extra columns only warns; it is an error here.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                sep=r"\s+",
                header=None,
                names=RUN_NAMES,
                # Ranks as text: the C parser would take "1.0", "1e3" and "True" as integers.
                dtype={"qid": object, "q0": "category", "docid": object, "rank": object, "score": np.float64, "tag": "category"},
                na_filter=False,
                quoting=csv.QUOTE_NONE,
                engine="c",
                **layout,
            )
        if "" in frame["tag"].cat.categories:  # a line with fewer than six columns
            raise Refused
        ranks = frame["rank"]
        if not ranks.str.fullmatch(INTEGER_PATTERN).all():
            raise Refused
        ranks = ranks.astype(np.int64)
    except (ValueError, OverflowError, pd.errors.ParserError, pd.errors.ParserWarning, UnicodeDecodeError, OSError, EOFError, zlib.error):
        raise Refused from None
    return (
        frame["qid"].to_numpy(dtype=object),
        frame["docid"].to_numpy(dtype=object),
        ranks.to_numpy(),
        frame["score"].to_numpy(),
    )


def _decoded(values) -> np.ndarray:
    """A dictionary-encoded arrow column as an object array sharing one str per distinct value."""
    return values.dictionary.to_numpy(zero_copy_only=False)[values.indices.to_numpy(zero_copy_only=False)]


def _first_line(path: Path) -> bytes:
    try:
        with open_binary(path) as lines:
            return lines.readline()
    except (OSError, EOFError, zlib.error):
        raise Refused from None
