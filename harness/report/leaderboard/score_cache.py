"""Parsed per-query scores kept between builds: one ``.npz`` per submission and dataset.

Parsing the per-query TSV files is most of a first build (11,700 files for 50 systems on 4
datasets: about 15 s, nearly all of it turning decimal text into floats). A cache entry holds a
submission's tables for one dataset in a few arrays and is used only while every file it was
made from keeps its size and modification time; anything else reads the TSV files again.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from harness.atomic import atomic_open
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.submissions import PER_QUERY_FILE, PerQueryTable, Submission

CACHE_FORMAT = 1


class ScoreCache:
    """Per-query tables of (submission, dataset); ``folder=None`` reads the TSV files every time."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = self.misses = 0

    def store(self, submission: Submission, tables: Mapping[str, PerQueryTable]) -> None:
        """Keep tables the gate has just parsed (pair -> table), so the first build parses each file once."""
        if self.folder is None:
            return
        for dataset in sorted({PairId.parse(pair).dataset for pair in tables}):
            files, manifest, target = self._entry(submission, dataset)
            held = {pair: tables[pair] for pair in files if pair in tables}
            if len(held) == len(files) and all(_joinable(t) for t in held.values()):
                _save(target, manifest, held)

    def read(self, submission: Submission, dataset: str, notes: list[str]) -> dict[str, PerQueryTable]:
        """pair -> table of one submission on one dataset; unreadable pairs are left out with a note."""
        files, manifest, target = self._entry(submission, dataset)
        cached = None if target is None else _load(target, manifest)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        tables = {}
        for pair, path in files.items():
            try:
                tables[pair] = submission.per_query_table(PairId.parse(pair))
            except FileNotFoundError:
                notes.append(f"{submission.name}: {pair} has no {PER_QUERY_FILE}; left out")
            except HarnessError as error:
                notes.append(f"{submission.name}: {pair} left out ({error})")
        if target is not None and all(_joinable(t) for t in tables.values()):
            _save(target, manifest, tables)
        return tables


    def _entry(self, submission: Submission, dataset: str) -> tuple[dict[str, Path], str, Path | None]:
        """(pair -> per-query file, the manifest of their stamps, the cache file) of one entry."""
        pairs = sorted(p for p in submission.meta["pairs"] if PairId.parse(p).dataset == dataset)
        files = {pair: submission.pair_dir(PairId.parse(pair)) / PER_QUERY_FILE for pair in pairs}
        manifest = "\n".join([str(CACHE_FORMAT), *(f"{pair}\t{_stamp(path)}" for pair, path in files.items())])
        target = None if self.folder is None else self.folder / submission.name / f"{dataset.replace('/', '~')}.npz"
        return files, manifest, target


def _joinable(table: PerQueryTable) -> bool:
    """Query ids the cache can join with newlines and split back (anything else is read every time)."""
    return bool(table.query_ids) and all(q and "\n" not in q for q in table.query_ids)


def _stamp(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        return "missing"
    return f"{stat.st_size}\t{stat.st_mtime_ns}"


def _text(array: np.ndarray) -> str:
    return array.tobytes().decode("utf-8")


def _encode(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


def _load(target: Path, manifest: str) -> dict[str, PerQueryTable] | None:
    """The cached tables, or None when the entry is absent, unreadable or stale."""
    try:
        with np.load(target, allow_pickle=False) as data:
            if _text(data["manifest"]) != manifest:
                return None
            pairs, measures, query_lists = (_text(data[key]) for key in ("pairs", "measures", "queries"))
            layout, values = data["layout"], data["values"]
    except (OSError, KeyError, ValueError):
        return None
    lists = [block.split("\n") for block in query_lists.split("\n\n")] if query_lists else []
    tables, at = {}, 0
    for pair, names, (rows, columns, list_index) in zip(pairs.split("\n"), measures.split("\n"), layout.tolist()):
        tables[pair] = PerQueryTable(lists[list_index], names.split("\t"), values[at : at + rows * columns].reshape(rows, columns))
        at += rows * columns
    return tables


def _save(target: Path, manifest: str, tables: dict[str, PerQueryTable]) -> None:
    """One file of a few arrays (hundreds of small arrays in an npz load ten times slower); each
    distinct list of query ids once (a dataset's pairs mostly share one)."""
    held = list(tables)
    lists: dict[tuple[str, ...], int] = {}
    layout = []
    for pair in held:
        table = tables[pair]
        index = lists.setdefault(tuple(table.query_ids), len(lists))
        layout.append((table.values.shape[0], table.values.shape[1], index))
    arrays = {
        "manifest": _encode(manifest),
        "pairs": _encode("\n".join(held)),
        "measures": _encode("\n".join("\t".join(tables[p].measures) for p in held)),
        "queries": _encode("\n\n".join("\n".join(ids) for ids in lists)),
        "layout": np.array(layout, dtype=np.int64).reshape(len(held), 3),
        "values": np.concatenate([tables[p].values.ravel() for p in held]) if held else np.zeros(0),
    }
    with atomic_open(target, "wb") as out:
        np.savez(out, **arrays)
