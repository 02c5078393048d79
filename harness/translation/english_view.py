"""A pair's task seen in English: queries and documents translated, ids, qrels and candidates kept.

The view's texts are English, so its pair is ``en-en`` (``en-xx`` for a pool, whose documents
are translated each from its own language) and every record's language is ``en``: an inner
ranker then treats it as any English task (BM25 analyses it as English; embedding caches key
on the translated texts). Documents are translated lazily as the ranker reads them, so a
re-ranker that fetches its candidates translates only those. The :class:`TranslationLog`
counts each query and document once, however often the ranker reads it.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from harness.datasets.pairs import MULTILINGUAL, PairId
from harness.datasets.records import Document, DocumentCollection, PairTask, Query
from harness.progress import progress as progress_bar
from harness.translation.base import ENGLISH, Counts, Translator

CHUNK = 1024  # documents translated together while a ranker reads the collection
SIDES = ("queries", "documents")


class TranslationLog:
    """Counts per side and source language, each text id counted once."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], Counter] = {}
        self._seen: dict[str, set[str]] = {side: set() for side in SIDES}

    def add(self, side: str, lang: str, ids: Sequence[str], counts: Sequence[Counts]) -> None:
        total = self._counts.setdefault((side, lang), Counter())
        seen = self._seen[side]
        for text_id, text_counts in zip(ids, counts):
            if text_id not in seen:
                seen.add(text_id)
                total.update(text_counts)

    def record(self, translator: Translator) -> dict[str, dict[str, Any]]:
        """``{side: {lang: counts and shares}}``; English texts are counted as ``untouched``."""
        return {
            side: {lang: translator.summarize(dict(counts)) if lang != ENGLISH else {"texts": counts["texts"], "untouched": True}
                   for (counted_side, lang), counts in sorted(self._counts.items()) if counted_side == side}
            for side in SIDES
        }


def english_task(task: PairTask, translator: Translator, log: TranslationLog, *, progress: bool = False) -> PairTask:
    """``task`` with every non-English query and document translated into English."""
    queries = _translate_records(task.queries, "queries", translator, log, progress)
    original = task.documents

    def documents() -> Iterator[Document]:
        chunk: list[Document] = []
        for document in progress_bar(original, progress, "translate documents", unit="doc"):
            chunk.append(document)
            if len(chunk) == CHUNK:
                yield from _translate_records(chunk, "documents", translator, log, False)
                chunk = []
        yield from _translate_records(chunk, "documents", translator, log, False)

    def fetch(ids: Sequence[str]) -> Mapping[str, Document]:
        found = original.get_many(ids)
        return {d.doc_id: d for d in _translate_records(list(found.values()), "documents", translator, log, False)}

    view = DocumentCollection(f"{original.collection_id}+translated-{translator.backend}", (ENGLISH,), documents, fetch=fetch)
    pair = PairId(task.pair.dataset, ENGLISH, MULTILINGUAL if task.pair.doc_lang == MULTILINGUAL else ENGLISH)
    return replace(task, pair=pair, queries=queries, documents=view, notes=dict(task.notes))


def _translate_records(records: Iterable[Query | Document], side: str, translator: Translator, log: TranslationLog, progress: bool) -> list[Any]:
    """``records`` with their texts in English, in order; each language through its own translation."""
    records = list(records)
    by_lang: dict[str, list[int]] = {}
    for position, record in enumerate(records):
        by_lang.setdefault(record.lang, []).append(position)
    texts = [record.text for record in records]
    for lang, positions in sorted(by_lang.items()):
        ids = [_record_id(records[i]) for i in positions]
        if lang == ENGLISH:
            log.add(side, lang, ids, [{"texts": 1}] * len(ids))
            continue
        translated, counts = translator.translate([texts[i] for i in positions], lang, progress=progress)
        log.add(side, lang, ids, counts)
        for position, text in zip(positions, translated):
            texts[position] = text
    return [type(record)(_record_id(record), text, ENGLISH) for record, text in zip(records, texts)]


def _record_id(record: Query | Document) -> str:
    return record.query_id if isinstance(record, Query) else record.doc_id
