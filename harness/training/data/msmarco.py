"""MS MARCO training triples for the mMARCO track, through ir_datasets, in any query/document language pair.

The triples are MS MARCO's ``triples.train.small`` (query, positive passage, negative passage),
read in file order up to ``limit``. English-English reads them from
``msmarco-passage/train/triples-small``; a pair with a translated side from
``mmarco/v2/{lang}/train``, whose docpairs are mMARCO's id version of the same file
(``triples.train.ids.small.tsv``, one file shared by every language). Pair X-Y takes the query text
from X's train queries (``msmarco-passage/train`` for en, ``mmarco/v2/{X}/train`` otherwise) and
both passages from Y's collection by id through ir_datasets' docstore (``get_many``), so only the
passages the triples name are held in memory. The docstore is built on its first use, one pass over
the collection (ir_datasets' own cache, kept next to the collection).
"""
from __future__ import annotations

import itertools
import operator
from collections import Counter
from pathlib import Path

from harness.datasets.irds import Access, CacheFile, require
from harness.datasets.mmarco import IRDS_LANG, LANGUAGES, docs_source
from harness.errors import HarnessError
from harness.training.examples import TrainingExample, TrainingSet

SOURCE = "msmarco-train-triples-small"
DEFAULT_LIMIT = 100_000
_text = operator.attrgetter("text")


def msmarco_pairs(
    data_dir: Path,
    *,
    query_lang: str = "en",
    doc_lang: str = "en",
    limit: int = DEFAULT_LIMIT,
    negatives: int = 1,
    download: bool = False,
) -> TrainingSet:
    """The first ``limit`` training triples as examples: query in ``query_lang``, passages in ``doc_lang``.

    ``negatives``: 0 drops each triple's negative passage; any more keeps it, the only one a triple
    has (a cross-encoder asking for 3 fills the rest from its batch; the notes say what was asked).
    Missing cache files raise a one-line :class:`HarnessError` naming the file, unless ``download``.
    """
    for lang in (query_lang, doc_lang):
        if lang not in LANGUAGES:
            raise HarnessError(f"msmarco has no training data for {lang}: msmarco provides {', '.join(LANGUAGES)}")
    if limit < 1:
        raise HarnessError(f"msmarco: limit must be 1 or more, not {limit}")
    if negatives < 0:
        raise HarnessError(f"msmarco: negatives must be 0 or more, not {negatives}")
    asked, negatives = negatives, min(negatives, 1)
    what = f"msmarco training data {query_lang}-{doc_lang}"
    triples_id, triples_files = _triples(query_lang, doc_lang)
    queries_id, queries_files = _train_queries(query_lang)
    docs_id, docs_files = docs_source(doc_lang)
    if not download:
        # All at once, so the message counts every missing file, not only the first one read.
        require(what, [*triples_files, *queries_files, *docs_files], Path(data_dir))
    access = Access(what, Path(data_dir), download)
    with access.open(triples_id, triples_files) as ds:
        triples = list(itertools.islice(ds.docpairs_iter(), limit))
    queries = _read_queries(access, queries_id, queries_files, {triple.query_id for triple in triples})
    doc_ids = {triple.doc_id_a for triple in triples}
    if negatives:
        doc_ids |= {triple.doc_id_b for triple in triples}
    passages = access.get_documents(docs_id, docs_files, doc_lang, doc_ids, _text)
    examples: list[TrainingExample] = []
    dropped: Counter[str] = Counter()
    for triple in triples:
        query = queries.get(triple.query_id)
        positive = passages.get(triple.doc_id_a)
        negative = passages.get(triple.doc_id_b) if negatives else None
        if query is None:
            dropped[f"query_not_in_{query_lang}"] += 1
        elif positive is None or (negatives and negative is None):
            dropped[f"passage_not_in_{doc_lang}"] += 1
        else:
            examples.append(TrainingExample(query, positive.text, (negative.text,) if negative else ()))
    notes = {
        "examples": len(examples),
        "triples": triples_id,
        "triples_read": len(triples),
        "triples_limit": limit,
        "order": "file order of triples.train.small",
        "queries": queries_id,
        "passages": docs_id,
        "negatives": {"per_example": negatives, "asked": asked, "from": "the triple's negative passage (MS MARCO's BM25-based sampling)"},
        "dropped": dict(sorted(dropped.items())),
    }
    return TrainingSet(f"{SOURCE}/{query_lang}-{doc_lang}", (query_lang,), (doc_lang,), tuple(examples), notes)


def _triples(query_lang: str, doc_lang: str) -> tuple[str, list[CacheFile]]:
    """ir_datasets id and cache files of the docpairs a pair reads."""
    translated = [lang for lang in (query_lang, doc_lang) if lang != "en"]
    if not translated:
        return "msmarco-passage/train/triples-small", [
            CacheFile("msmarco-passage", "train/docpairs/small", "train/small.triples.qidpid.tsv")
        ]
    return f"mmarco/v2/{IRDS_LANG.get(translated[0], translated[0])}/train", [CacheFile("mmarco", "train/triples")]


def _train_queries(lang: str) -> tuple[str, list[CacheFile]]:
    """ir_datasets id and cache files of the train queries of ``lang``."""
    if lang == "en":
        return "msmarco-passage/train", [CacheFile("msmarco-passage", "queries", "train/queries.tsv")]
    name = IRDS_LANG.get(lang, lang)
    return f"mmarco/v2/{name}/train", [CacheFile("mmarco", f"v2/{name}/queries/train")]


def _read_queries(access: Access, dataset_id: str, files: list[CacheFile], wanted: set[str]) -> dict[str, str]:
    # One pass over the ~800k train queries, keeping only the ones the triples name.
    with access.open(dataset_id, files) as ds:
        return {query.query_id: query.text for query in ds.queries_iter() if query.query_id in wanted}
