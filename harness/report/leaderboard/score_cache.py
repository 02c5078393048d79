"""Parsed per-query scores kept between builds, keyed on the files' content: one entry per submission and dataset.

Parsing per-query files is most of a first build. An entry holds a submission's tables on one
dataset and is used only while every per-query file it was made from has the content digest it
records (:func:`harness.per_query.content_digest`, SHA-256 of the bytes): a file rewritten in
place, copied with its modification time or checked out again is read again, whatever its time
and size say. Checking an entry reads and hashes its files, about a twentieth of parsing them.

An entry is one file: a JSON head (per pair: digest, measures, rows; each distinct list of query
ids once) and then the values as little-endian float64. It is mapped, not read: a table's values
are a read-only view of the file's pages, and asking for a table hands back the pages of those
asked for before, so the tables of two hundred systems cost no memory while a board takes one
pair at a time. The lists of query ids are shared between entries (systems holding a pair mostly
have the same list).
"""
from __future__ import annotations

import json
import mmap
import os
import stat
import struct
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np

from harness.atomic import atomic_open
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.per_query import MAX_PER_QUERY_BYTES, content_digest
from harness.submissions import PER_QUERY_FILE, PerQueryTable, Submission

MAGIC = b"harness per-query scores 2\n"
_LENGTH = struct.Struct("<Q")


class CachedTables(Mapping[str, PerQueryTable]):
    """pair -> table of one cache entry, its values a read-only view of the mapped file."""

    def __init__(self, mapped: mmap.mmap, layout: dict[str, tuple[int, list[str], list[str], str]]) -> None:
        self._mapped = mapped
        self._layout = layout  # pair -> (offset of its values, query ids, measures, digest)

    def __getitem__(self, pair: str) -> PerQueryTable:
        offset, query_ids, measures, digest = self._layout[pair]
        if hasattr(self._mapped, "madvise"):
            # hand back the pages of the tables asked for before (they come back from the file if
            # read again), all of them: the kernel maps pages around each one read, up to 64 KiB
            self._mapped.madvise(mmap.MADV_DONTNEED)
        count = len(query_ids) * len(measures)
        values = np.frombuffer(self._mapped, dtype="<f8", count=count, offset=offset)  # read-only, on the file's pages
        if values.dtype != np.float64:  # (a big-endian machine)
            values = values.astype(np.float64)
        return PerQueryTable(query_ids, measures, values.reshape(len(query_ids), len(measures)), digest)

    def __contains__(self, pair: object) -> bool:  # (Mapping's would copy the table out)
        return pair in self._layout

    def __iter__(self) -> Iterator[str]:
        return iter(self._layout)

    def __len__(self) -> int:
        return len(self._layout)


class ScoreCache:
    """Per-query tables of (submission, dataset); ``folder=None`` reads the files every time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = self.misses = 0
        self._written: set[Path] = set()  # entries this build made from the gate's own parse: used unhashed
        self._lists: dict[str, list[str]] = {}

    def store(self, submission: Submission, tables: Mapping[str, PerQueryTable]) -> list[Path]:
        """Keep tables the gate has just parsed (pair -> table), so the first build parses each file
        once; the entries written."""
        written: list[Path] = []
        if self.folder is None:
            return written
        for dataset in sorted({PairId.parse(pair).dataset for pair in tables}):
            files, target = self._entry(submission, dataset)
            held = {pair: tables[pair] for pair in files if pair in tables}
            if len(held) == len(files) and all(t.digest is not None for t in held.values()):
                _save(target, held)
                written.append(target)
        self.written_elsewhere(written)
        return written

    def written_elsewhere(self, entries: list[Path]) -> None:
        """Entries stored from the gate's parse in this build (here or by a worker of :meth:`.GateCache.check_all`):
        read without hashing their files again, as the tables the gate checked."""
        self._written.update(entries)

    def read(self, submission: Submission, dataset: str, notes: list[str]) -> Mapping[str, PerQueryTable]:
        """pair -> table of one submission on one dataset; unreadable pairs are left out with a note."""
        files, target = self._entry(submission, dataset)
        if target is not None:
            cached = self._load(target, None if target in self._written else _digests(files))
            if cached is not None:
                self.hits += 1
                return cached
        self.misses += 1
        tables = {}
        for pair in files:
            try:
                tables[pair] = submission.per_query_table(PairId.parse(pair))
            except FileNotFoundError:
                notes.append(f"{submission.name}: {pair} has no {PER_QUERY_FILE}; left out")
            except HarnessError as error:
                notes.append(f"{submission.name}: {pair} left out ({error})")
        if target is not None and len(tables) == len(files):
            _save(target, tables)
        return tables

    def _entry(self, submission: Submission, dataset: str) -> tuple[dict[str, Path], Path | None]:
        """(pair -> per-query file, the cache file) of one entry."""
        pairs = sorted(p for p in submission.meta["pairs"] if PairId.parse(p).dataset == dataset)
        files = {pair: submission.pair_dir(PairId.parse(pair)) / PER_QUERY_FILE for pair in pairs}
        target = None if self.folder is None else self.folder / submission.name / f"{dataset.replace('/', '~')}.scores"
        return files, target

    def _load(self, target: Path, digests: dict[str, str | None] | None) -> CachedTables | None:
        """The entry's tables, or None when it is absent, unreadable, or made from other content
        than ``digests`` (pair -> digest of the file now; None: trust the entry)."""
        try:
            with open(target, "rb") as stream:
                mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):  # absent, or empty (an empty file cannot be mapped)
            return None
        try:
            layout = self._layout(mapped)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, struct.error):  # not an entry this harness wrote
            layout = None
        if layout is None or (digests is not None and digests != {pair: entry[3] for pair, entry in layout.items()}):
            mapped.close()
            return None
        return CachedTables(mapped, layout)

    def _layout(self, mapped: mmap.mmap) -> dict[str, tuple[int, list[str], list[str], str]] | None:
        """pair -> (offset, query ids, measures, digest) from an entry's head; None where the file is not one."""
        if mapped[: len(MAGIC)] != MAGIC:
            return None
        (length,) = _LENGTH.unpack_from(mapped, len(MAGIC))
        start = len(MAGIC) + _LENGTH.size
        head = json.loads(mapped[start : start + length].decode("utf-8"))
        lists = [self._lists.setdefault(text, text.split("\n")) for text in head["lists"]]
        offset, layout = _aligned(start + length), {}
        for pair, digest, measures, list_index in head["pairs"]:
            layout[pair] = (offset, lists[list_index], measures, digest)
            offset += len(lists[list_index]) * len(measures) * 8
        return layout if offset == len(mapped) else None


def _digests(files: Mapping[str, Path]) -> dict[str, str | None]:
    """pair -> the content digest of its per-query file now (None where it is no regular file of
    at most the reader's bound). Not confined to the folder as the reader is (that costs two path
    resolutions a file, as much as the hashing): a file elsewhere can only match an entry that the
    confined reader made from the same bytes."""
    out: dict[str, str | None] = {}
    for pair, path in files.items():
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO put there must not block the build
        except OSError:
            out[pair] = None
            continue
        try:
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_size <= MAX_PER_QUERY_BYTES:
                with os.fdopen(fd, "rb", closefd=False) as stream:
                    out[pair] = content_digest(stream.read(MAX_PER_QUERY_BYTES + 1))
            else:
                out[pair] = None
        except OSError:
            out[pair] = None
        finally:
            os.close(fd)
    return out


def _aligned(offset: int) -> int:
    return -(-offset // 8) * 8


def _save(target: Path, tables: Mapping[str, PerQueryTable]) -> None:
    """Head, padding to 8 bytes, then every pair's values (each distinct list of query ids once)."""
    lists: dict[tuple[str, ...], int] = {}
    pairs = []
    for pair, table in tables.items():
        index = lists.setdefault(tuple(table.query_ids), len(lists))
        pairs.append([pair, table.digest, list(table.measures), index])
    head = json.dumps({"pairs": pairs, "lists": ["\n".join(ids) for ids in lists]}, ensure_ascii=False).encode("utf-8")
    start = len(MAGIC) + _LENGTH.size
    with atomic_open(target, "wb") as out:
        out.write(MAGIC + _LENGTH.pack(len(head)) + head + b"\0" * (_aligned(start + len(head)) - start - len(head)))
        for table in tables.values():
            out.write(np.ascontiguousarray(table.values, dtype="<f8").tobytes())
