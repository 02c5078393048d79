"""mMARCO (Bonifacio et al. 2021) dev/small, under the code-switching paper's protocol (Litschko et al. 2023).

Pair X-Y: the dev/small queries of X, the passages of Y, the shared MS MARCO qrels (queries with
at least one relevant passage). Every pair re-ranks the same first stage: the English BM25
top-1000 of ``msmarco-passage/dev/small`` (MS MARCO's ``top1000.dev``), with the passage texts
of Y swapped in by id. MLIR (``xx`` on either side): each passage's language, and each query's,
is drawn from the seen languages {en, de, it, nl, ru, ar}: by default exactly as the paper's code
drew them, so runs pair with its published ones query by query; the dataset option
``language_draw=hash`` keeps the harness's earlier order-free draw (:mod:`.language_draw`).

Through ir_datasets: ``mmarco/v2/{lang}`` (passages) and ``mmarco/v2/{lang}/dev/small`` (queries,
qrels); English is ``msmarco-passage`` and ``msmarco-passage/dev/small``. ir_datasets calls
Dutch ``dt``; the harness says ``nl``.
"""
from __future__ import annotations

import contextlib
import itertools
import operator
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.datasets import language_draw as draws
from harness.datasets.base import Dataset, judged_queries
from harness.datasets.irds import Access, CacheFile, count, home_for, qrels_of
from harness.datasets.language_draw import SEEN
from harness.datasets.options import DatasetOption, resolve
from harness.datasets.pairs import MULTILINGUAL, PairId
from harness.datasets.records import Document, DocumentCollection, LazyMapping, PairTask
from harness.errors import HarnessError

LANGUAGES = ("ar", "de", "en", "es", "fr", "hi", "id", "it", "ja", "nl", "pt", "ru", "vi", "zh")
CANDIDATES_ID = "msmarco-passage/dev/small"
RUN_DEPTH = 1000
# mMARCO's own BM25 runs used these (Bonifacio et al. 2021); a BM25 adapter takes them from the notes.
BM25_PARAMETERS = {"k1": 0.82, "b": 0.68}
IRDS_LANG = {"nl": "dt"}

_MOIR = ("en-en", "de-de", "it-it", "nl-nl", "ru-ru", "ar-ar")
_CLIR = ("en-de", "en-it", "en-ar", "en-ru", "de-it", "de-nl", "de-ru", "ar-it", "ar-ru")
_MLIR = ("xx-en", "en-xx", "xx-xx")
_UNSEEN_CLIR = ("fr-en", "id-nl", "es-fr", "en-pt", "de-vi", "it-zh", "fr-pt", "id-vi", "pt-zh")
_UNSEEN_MOIR = ("fr-fr", "es-es", "pt-pt", "zh-zh", "id-id")

LANGUAGE_DRAW = DatasetOption(
    "language_draw",
    draws.METHODS,
    "official",
    "MLIR pairs: which language each passage and query takes: official (the paper's random.seed(0) draw over ids in order) "
    "or hash (the harness's earlier order-free draw)",
    "paper: mainlp/CodeSwitchCLIR@729dff8:src/eval_data/create_multilingual.py",
)


def docs_source(lang: str) -> tuple[str, list[CacheFile]]:
    """ir_datasets id and cache files of the passages of ``lang``."""
    if lang == "en":
        return "msmarco-passage", [CacheFile("msmarco-passage", "collectionandqueries", "collection.tsv")]
    name = IRDS_LANG.get(lang, lang)
    return f"mmarco/v2/{name}", [CacheFile("mmarco", f"v2/{name}/docs")]


def _queries(lang: str) -> tuple[str, list[CacheFile]]:
    """ir_datasets id and cache files of the dev/small queries (and qrels) of ``lang``."""
    if lang == "en":
        return "msmarco-passage/dev/small", [
            CacheFile("msmarco-passage", "collectionandqueries", "dev/small/queries.tsv"),
            CacheFile("msmarco-passage", "collectionandqueries", "dev/small/qrels"),
        ]
    name = IRDS_LANG.get(lang, lang)
    return f"mmarco/v2/{name}/dev/small", [CacheFile("mmarco", f"v2/{name}/queries/dev"), CacheFile("mmarco", "dev/qrels-small")]


_CANDIDATE_FILES = [CacheFile("msmarco-passage", "dev/scoreddocs", "dev/ms.run")]
_text = operator.attrgetter("text")


class MMarco(Dataset):
    id = "mmarco"
    title = "mMARCO"
    description = (
        "MS MARCO passage dev/small translated into 13 languages; re-rank the English BM25 top-1000 "
        "with the passages of the document language (code-switching paper protocol)"
    )
    languages = LANGUAGES
    settings = ("moir", "clir", "mlir")
    query_sides = (*LANGUAGES, MULTILINGUAL)
    doc_sides = (*LANGUAGES, MULTILINGUAL)
    options = (LANGUAGE_DRAW,)

    def standard_pairs(self) -> list[PairId]:
        """The code-switching paper's pairs: MoIR, CLIR, MLIR, unseen CLIR, unseen MoIR."""
        return [self.pair(langs) for langs in (*_MOIR, *_CLIR, *_MLIR, *_UNSEEN_CLIR, *_UNSEEN_MOIR)]

    def default_measures(self, setting: str) -> tuple[str, ...]:
        return ("RR@10",)

    @property
    def sizes(self) -> dict[str, Any] | None:
        try:
            return {
                "queries": count(CANDIDATES_ID, "queries"),
                "qrels": count(CANDIDATES_ID, "qrels"),
                "passages_per_language": count("msmarco-passage", "docs"),
                "candidates": count(CANDIDATES_ID, "scoreddocs"),
            }
        except HarnessError:
            return None

    def expected_location(self, data_dir: Path) -> str:
        home = home_for(data_dir)
        return f"ir_datasets cache {home}/mmarco/v2/ and {home}/msmarco-passage/"

    def load(self, pair: PairId, data_dir: Path, *, download: bool = False, language_draw: str = LANGUAGE_DRAW.default) -> PairTask:
        """The task of ``pair``; ``language_draw`` (official or hash) places an ``xx`` side's texts."""
        self.check_pair(pair)
        access = Access(str(pair), data_dir, download)
        draw = resolve(self, {LANGUAGE_DRAW.name: language_draw})[LANGUAGE_DRAW.name]
        query_langs = SEEN if pair.query_lang == MULTILINGUAL else (pair.query_lang,)
        texts = {lang: _read_queries(access, lang) for lang in query_langs}
        with access.open(*_queries(query_langs[0])) as ds:
            judged = qrels_of(ds)
        if pair.query_lang == MULTILINGUAL:
            langs = draws.query_languages(draw, list(texts[query_langs[0]]))
        else:
            langs = dict.fromkeys(texts[pair.query_lang], pair.query_lang)
        queries, qrels, notes = judged_queries({qid: (texts[lang].get(qid), lang) for qid, lang in langs.items()}, judged)
        query_ids = [query.query_id for query in queries]
        notes["bm25"] = dict(BM25_PARAMETERS)
        notes["candidates"] = f"English BM25 top-1000 ({CANDIDATES_ID} scoreddocs, MS MARCO top1000.dev), same ids for every pair"
        if MULTILINGUAL in (pair.query_lang, pair.doc_lang):
            notes["language_draw"] = draws.describe(draw)
        if pair.query_lang == MULTILINGUAL:
            notes["query_languages"] = dict(sorted(Counter(query.lang for query in queries).items()))
        return PairTask(
            pair,
            queries,
            _collection(access, pair.doc_lang, draw),
            qrels,
            self.default_measures(pair.setting),
            candidates=LazyMapping(lambda: _read_candidates(access, query_ids)),
            notes=notes,
            depth=RUN_DEPTH,
        )


def _read_queries(access: Access, lang: str) -> dict[str, str]:
    with access.open(*_queries(lang)) as ds:
        return {q.query_id: q.text for q in ds.queries_iter()}


def _read_candidates(access: Access, query_ids: Sequence[str]) -> dict[str, list[str]]:
    candidates: dict[str, list[str]] = {qid: [] for qid in query_ids}
    with access.open(CANDIDATES_ID, _CANDIDATE_FILES) as ds:
        for scored in ds.scoreddocs_iter():
            bucket = candidates.get(scored.query_id)
            if bucket is not None:
                bucket.append(scored.doc_id)
    return candidates


def _collection(access: Access, doc_lang: str, draw: str) -> DocumentCollection:
    if doc_lang != MULTILINGUAL:
        docs_id, _ = docs_source(doc_lang)
        return DocumentCollection(
            f"mmarco/v2/{doc_lang}",
            [doc_lang],
            lambda: _iterdocs_source(access, doc_lang),
            size=count(docs_id, "docs"),
            fetch=lambda ids: _fetch(access, doc_lang, ids),
        )
    return DocumentCollection(
        f"mmarco/v2/xx-{draw}",
        SEEN,
        lambda: _iter_mixed(access, draw),
        size=count("msmarco-passage", "docs"),
        fetch=lambda ids: _fetch_mixed(access, draw, ids),
    )


def _iterdocs_source(access: Access, lang: str) -> Iterator[Document]:
    return access.iter_documents(*docs_source(lang), lang, _text)


def _iter_mixed(access: Access, draw: str) -> Iterator[Document]:
    # All translations list the passages in the same order, so one pass over the six corpora in
    # step gives every passage in its drawn language; a misaligned cache is an error, not a guess.
    with contextlib.ExitStack() as stack:
        streams = [stack.enter_context(access.open(*docs_source(lang))).docs_iter() for lang in SEEN]
        for docs in itertools.zip_longest(*streams):
            if None in docs or any(doc.doc_id != docs[0].doc_id for doc in docs):
                found = [doc.doc_id if doc else "end" for doc in docs]
                raise HarnessError(f"mMARCO collections {', '.join(SEEN)} are not aligned: passages {found}")
            lang = draws.passage_language(draw, docs[0].doc_id)
            yield Document(docs[0].doc_id, docs[SEEN.index(lang)].text, lang)


def _fetch(access: Access, lang: str, doc_ids: Sequence[str]) -> Mapping[str, Document]:
    return access.get_documents(*docs_source(lang), lang, doc_ids, _text)


def _fetch_mixed(access: Access, draw: str, doc_ids: Sequence[str]) -> Mapping[str, Document]:
    by_lang: dict[str, list[str]] = {}
    for doc_id in doc_ids:
        by_lang.setdefault(draws.passage_language(draw, doc_id), []).append(doc_id)
    found: dict[str, Document] = {}
    for lang, ids in by_lang.items():
        found.update(_fetch(access, lang, ids))
    return found


DATASET = MMarco()
