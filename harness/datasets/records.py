"""The plain records every layer exchanges: queries, documents, qrels and one evaluation task.

Models see only these records (never a dataset module); evaluation sees only qrels and runs.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

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
        fetch: Callable[[Sequence[str]], Mapping[str, Document]] | None = None,
    ) -> None:
        self.collection_id = collection_id
        self.languages = tuple(languages)
        self._open_docs = open_docs
        self._size = size
        self._fetch = fetch

    def __iter__(self) -> Iterator[Document]:
        return iter(self._open_docs())

    def __len__(self) -> int:
        if self._size is None:
            self._size = sum(1 for _ in self)
        return self._size

    def get_many(self, doc_ids: Iterable[str]) -> dict[str, Document]:
        """The documents with these ids (unknown ids are left out), e.g. a re-ranker's candidates.

        Large collections pass ``fetch`` (an index lookup); otherwise this scans the collection once.
        """
        wanted = list(dict.fromkeys(doc_ids))
        if self._fetch is not None:
            return dict(self._fetch(wanted))
        keep = set(wanted)
        return {doc.doc_id: doc for doc in self if doc.doc_id in keep}

    @classmethod
    def from_documents(cls, collection_id: str, documents: Sequence[Document]) -> DocumentCollection:
        """A collection over documents already in memory."""
        languages = sorted({doc.lang for doc in documents})
        by_id = {doc.doc_id: doc for doc in documents}
        return cls(
            collection_id,
            languages,
            lambda: documents,
            size=len(documents),
            fetch=lambda ids: {i: by_id[i] for i in ids if i in by_id},
        )


class LazyMapping(Mapping[str, Sequence[str]]):
    """A read-only mapping built on first access, so a task can carry e.g. a first-stage candidate
    list that costs seconds to read without paying for it when only qrels are needed."""

    def __init__(self, build: Callable[[], Mapping[str, Sequence[str]]]) -> None:
        self._build = build
        self._data: Mapping[str, Sequence[str]] | None = None

    def _loaded(self) -> Mapping[str, Sequence[str]]:
        if self._data is None:
            self._data = self._build()
        return self._data

    def __getitem__(self, key: str) -> Sequence[str]:
        return self._loaded()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


@dataclass
class PairTask:
    """Everything needed to rank and evaluate one (dataset, query language, document language) pair.

    ``candidates`` is the protocol's first-stage list per query (e.g. mMARCO's English BM25
    top-1000), for re-rankers; ``None`` where the protocol ranks the whole collection.
    ``notes`` records protocol facts worth stating with the result (e.g. how many query ids
    two MLQA-R languages share). ``depth`` is how many documents per query the protocol ranks
    and evaluates: ``None`` for the whole collection (LAReQA's mAP), 1000 for MIRACL and mMARCO.
    """

    pair: PairId
    queries: Sequence[Query]
    documents: DocumentCollection
    qrels: Qrels
    measures: tuple[str, ...]
    candidates: Mapping[str, Sequence[str]] | None = None
    notes: dict[str, object] = field(default_factory=dict)
    depth: int | None = None

    @property
    def setting(self) -> str:
        return self.pair.setting
