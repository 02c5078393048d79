"""The harness's pairs as ir_datasets datasets: ``ir_datasets.load("harness/xquad-r/de-en")``.

After :func:`register_with_ir_datasets` (``harness.register_with_ir_datasets``), every pair
``DATASET/Q-D`` of every registered dataset is the ir_datasets id ``harness/DATASET/Q-D``, so
ir_datasets' API and PyTerrier's ``pt.get_dataset("irds:harness/xquad-r/de-en")`` (which calls
``ir_datasets.load``) read the very pairs ``harness eval`` ranks and ``harness export`` writes:

- documents: ``HarnessDoc(doc_id, text, lang)``; ``docs_lang()`` is the pair's document language,
  None for a multilingual pool (``xx``), where each document's ``lang`` says its own;
  ``docs_store()`` looks documents up by id;
- queries: ``HarnessQuery(query_id, text)``; ``queries_lang()`` is their language (one per pair);
- qrels: ``HarnessQrel(query_id, doc_id, relevance, iteration)`` (the fields of ir_datasets'
  ``TrecQrel``) in the queries' order, documents by id (:func:`ordered_qrels`, the order of the
  export's ``qrels.txt``).

Registration is explicit: importing a harness module registers nothing, because ir_datasets'
registry is global to the process and an id registered twice is an error there. The call is
idempotent. It registers the standard pairs by name (so ``ir_datasets.registry`` lists them) and
a pattern for ``harness/...``, so any other valid pair (e.g. ``harness/mmarco/ar-it``, not among
mMARCO's standard pairs) resolves when first loaded. Nothing is read until a
component is used: then the pair is loaded with the dataset's default options from the data
directory given to the latest call, else ``$HARNESS_DATA_DIR``, else ``./data`` (read at that moment).
"""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from harness.datasets.pairs import MULTILINGUAL, PairId
from harness.errors import HarnessError
from harness.paths import checked_data_dir
from harness.paths import data_dir as default_data_dir

if TYPE_CHECKING:
    from harness.datasets.records import PairTask

NAMESPACE = "harness"
_STATE: dict[str, Any] = {"data_dir": None, "registered": None}


class HarnessDoc(NamedTuple):
    doc_id: str
    text: str
    lang: str

    def default_text(self) -> str:
        return self.text


class HarnessQuery(NamedTuple):
    """A query; its language is the pair's, ``queries_lang()``. Two fields, so that PyTerrier's
    ``get_topics()`` takes ``text`` as its ``query`` column without being told."""

    query_id: str
    text: str

    def default_text(self) -> str:
        return self.text


class HarnessQrel(NamedTuple):
    """The fields of ir_datasets' ``TrecQrel``."""

    query_id: str
    doc_id: str
    relevance: int
    iteration: str


def register_with_ir_datasets(data_dir: str | os.PathLike[str] | None = None) -> list[str]:
    """Make every pair loadable as ``ir_datasets.load("harness/DATASET/Q-D")``; returns the ids
    registered by name (the standard pairs). ``data_dir`` is where the pairs' files are read from
    (default: ``$HARNESS_DATA_DIR``, else ``./data``, looked up when a pair is first read); calling
    again only changes it."""
    _STATE["data_dir"] = checked_data_dir(data_dir) if data_dir is not None else None
    if _STATE["registered"] is None:
        from harness.datasets import all_datasets

        ir_datasets = _ir_datasets()
        taken = set(ir_datasets.registry)
        pairs = [pair for dataset in all_datasets() for pair in dataset.standard_pairs()]
        for pair in pairs:
            if f"{NAMESPACE}/{pair}" not in taken:
                ir_datasets.registry.register(f"{NAMESPACE}/{pair}", _pair_dataset(pair))
        ir_datasets.registry.register_pattern(rf"^{NAMESPACE}/(.+)$", lambda key, groups: _pair_dataset(_one_pair(key, groups[0])))
        _STATE["registered"] = [f"{NAMESPACE}/{pair}" for pair in pairs]
    return list(_STATE["registered"])


def ordered_qrels(task: PairTask) -> Iterator[tuple[str, str, int]]:
    """(query id, document id, grade) in the queries' order (then any judged id without a query), documents by id."""
    order = [query.query_id for query in task.queries]
    order += sorted(task.qrels.keys() - set(order))
    for qid in order:
        for doc_id, grade in sorted(task.qrels.get(qid, {}).items()):
            yield qid, doc_id, grade


def _ir_datasets() -> ModuleType:
    """ir_datasets as imported; where it is not yet, with the harness's cache home for the data directory."""
    if "ir_datasets" in sys.modules:
        return sys.modules["ir_datasets"]
    from harness.datasets.irds import ir_datasets_for

    return ir_datasets_for(_STATE["data_dir"] or default_data_dir())


def _one_pair(key: str, spec: str) -> PairId:
    from harness.datasets import resolve_pairs

    pairs = resolve_pairs(spec)
    if len(pairs) != 1:
        raise HarnessError(f"{key}: names {len(pairs)} pairs; the harness's ir_datasets ids are {NAMESPACE}/DATASET/Q-D, e.g. {NAMESPACE}/xquad-r/de-en")
    return pairs[0]


class _PairSource:
    """One pair's task, loaded on first use (once per data directory)."""

    def __init__(self, pair: PairId) -> None:
        self.pair = pair
        self._tasks: dict[Path, PairTask] = {}

    def task(self) -> PairTask:
        from harness.datasets import get_dataset

        root = Path(_STATE["data_dir"] or default_data_dir())
        if root not in self._tasks:
            self._tasks[root] = get_dataset(self.pair.dataset).task(self.pair, root)
        return self._tasks[root]


def _stated(lang: str) -> str | None:
    """A side's language as ir_datasets states it: None for a multilingual pool (several languages)."""
    return None if lang == MULTILINGUAL else lang


def _pair_dataset(pair: PairId) -> Any:
    from ir_datasets.datasets.base import Dataset

    source = _PairSource(pair)
    return Dataset(_Docs(source), _Queries(source), _Qrels(source))


class _Component:
    """One part of a pair's ir_datasets dataset. ir_datasets finds a component by its methods
    (``docs_handler``...), not its class: these need not subclass ir_datasets' bases, whose import
    would fix ir_datasets' cache home when the harness is imported."""

    def __init__(self, source: _PairSource) -> None:
        self._source = source


class _Docs(_Component):
    def docs_handler(self) -> _Docs:
        return self

    def docs_iter(self) -> Iterator[HarnessDoc]:
        return (HarnessDoc(doc.doc_id, doc.text, doc.lang) for doc in self._source.task().documents)

    def docs_count(self) -> int:
        return len(self._source.task().documents)

    def docs_cls(self) -> type:
        return HarnessDoc

    def docs_lang(self) -> str | None:
        return _stated(self._source.pair.doc_lang)

    def docs_namespace(self) -> str:
        return f"{NAMESPACE}/{self._source.pair.dataset}/{self._source.pair.doc_lang}"

    def docs_store(self, field: str = "doc_id") -> _Store:
        return _Store(self._source)


class _Store(_Component):
    """ir_datasets' docstore interface: documents by id (unknown ids are left out, as ir_datasets does)."""

    def get(self, doc_id: str, field: str | None = None) -> Any:
        found = self.get_many([doc_id], field)
        if doc_id not in found:
            raise KeyError(f"doc_id={doc_id} not found")
        return found[doc_id]

    def get_many(self, doc_ids, field: str | None = None) -> dict[str, Any]:
        return {doc.doc_id: doc if field is None else getattr(doc, field) for doc in self.get_many_iter(doc_ids)}

    def get_many_iter(self, doc_ids) -> Iterator[HarnessDoc]:
        for doc in self._source.task().documents.get_many(doc_ids).values():
            yield HarnessDoc(doc.doc_id, doc.text, doc.lang)

    def clear_cache(self) -> None:
        pass


class _Queries(_Component):
    def queries_handler(self) -> _Queries:
        return self

    def queries_iter(self) -> Iterator[HarnessQuery]:
        return (HarnessQuery(query.query_id, query.text) for query in self._source.task().queries)

    def queries_cls(self) -> type:
        return HarnessQuery

    def queries_lang(self) -> str | None:
        return _stated(self._source.pair.query_lang)

    def queries_namespace(self) -> str:
        return f"{NAMESPACE}/{self._source.pair.dataset}"


class _Qrels(_Component):
    def qrels_handler(self) -> _Qrels:
        return self

    def qrels_iter(self) -> Iterator[HarnessQrel]:
        return (HarnessQrel(qid, doc_id, grade, "0") for qid, doc_id, grade in ordered_qrels(self._source.task()))

    def qrels_cls(self) -> type:
        return HarnessQrel

    def qrels_defs(self) -> dict[int, str]:
        return {0: "not relevant", 1: "relevant (grades above 1: more relevant, where the dataset grades)"}
