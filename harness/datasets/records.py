"""The plain records every layer exchanges: queries, documents, qrels and one evaluation task.

Models see only these records (never a dataset module); evaluation sees only qrels and runs.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Callable

from harness.datasets.pairs import PairId

Qrels = Mapping[str, Mapping[str, int]]
"""query id -> document id -> relevance grade (grade >= 1 is relevant)."""


@dataclass(frozen=True, slots=True)
class Query:
    query_id: str
    text: str
    lang: str


@dataclass(frozen=True, slots=True)
class Document:
    doc_id: str
    text: str
    lang: str


class DocumentCollection:
    """A re-iterable, lazily opened document collection with a stable name.

    ``collection_id`` names the collection for caches (e.g. one BM25 index per collection):
    ``xquad-r/de`` for XQuAD-R's German candidates, ``mmarco/v2/de`` for mMARCO's German
    passages. ``languages`` are the languages documents may be in.
    """

    def __init__(
        self,
        collection_id: str,
        languages: Sequence[str],
        open_docs: Callable[[], Iterable[Document]],
        size: int | None = None,
    ) -> None:
        self.collection_id = collection_id
        self.languages = tuple(languages)
        self._open_docs = open_docs
        self._size = size

    def __iter__(self) -> Iterator[Document]:
        return iter(self._open_docs())

    def __len__(self) -> int:
        if self._size is None:
            self._size = sum(1 for _ in self)
        return self._size

    @classmethod
    def from_documents(cls, collection_id: str, documents: Sequence[Document]) -> "DocumentCollection":
        """A collection over documents already in memory."""
        languages = sorted({doc.lang for doc in documents})
        return cls(collection_id, languages, lambda: documents, size=len(documents))


@dataclass
class PairTask:
    """Everything needed to rank and evaluate one (dataset, query language, document language) pair.

    ``candidates`` is the protocol's first-stage list per query (e.g. mMARCO's English BM25
    top-1000), for re-rankers; ``None`` where the protocol ranks the whole collection.
    ``notes`` records protocol facts worth stating with the result (e.g. how many query ids
    two MLQA-R languages share).
    """

    pair: PairId
    queries: Sequence[Query]
    documents: DocumentCollection
    qrels: Qrels
    measures: tuple[str, ...]
    candidates: Mapping[str, Sequence[str]] | None = None
    notes: dict[str, object] = field(default_factory=dict)

    @property
    def setting(self) -> str:
        return self.pair.setting
