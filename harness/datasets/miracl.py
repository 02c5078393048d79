"""MIRACL dev (Zhang et al. 2022): monolingual retrieval in 18 languages, through ir_datasets ``miracl/{lang}/dev``.

Topics and qrels come from ir_datasets' cache when it has them, else from the anserini-format
files ``{data_dir}/miracl/topics.miracl-v1.0-{lang}-dev.tsv`` and ``qrels.miracl-v1.0-{lang}-dev.tsv``
(the same files ir_datasets downloads), so a run can be evaluated without the corpus. Passages
come only from ir_datasets (every shard of ``miracl/v1.0/{lang}/docs/``), read lazily; a
passage's text is ``title + " " + text`` (ir_datasets' ``default_text``).
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.datasets.base import Dataset, judged_queries
from harness.datasets.irds import Access, CacheFile, count, download_entries, home_for, missing_message, qrels_of
from harness.datasets.pairs import PairId
from harness.datasets.records import Document, DocumentCollection, PairTask
from harness.errors import HarnessError, InputFormatError

# Official MIRACL runs and their nDCG@10 / R@100 are computed on the top 1000 hits.
RUN_DEPTH = 1000
LANGUAGES = ("ar", "bn", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th", "zh", "de", "yo")


def _topic_files(lang: str) -> list[CacheFile]:
    return [CacheFile("miracl", f"v1.0/{lang}/dev/topics"), CacheFile("miracl", f"v1.0/{lang}/dev/qrels")]


def _doc_files(lang: str) -> list[CacheFile]:
    # Every shard, named as downloads.json names it (its cache paths are not always docs-{i}: yo's one shard is docs-1).
    prefix = f"v1.0/{lang}/corpus/"
    keys = sorted((k for k in download_entries("miracl") if k.startswith(prefix)), key=lambda k: int(k[len(prefix):]))
    return [CacheFile("miracl", key) for key in keys]


def anserini_files(lang: str, data_dir: Path) -> tuple[Path, Path]:
    """The anserini-format topics and qrels of ``lang`` in the data directory."""
    folder = Path(data_dir) / "miracl"
    return folder / f"topics.miracl-v1.0-{lang}-dev.tsv", folder / f"qrels.miracl-v1.0-{lang}-dev.tsv"


class Miracl(Dataset):
    id = "miracl"
    title = "MIRACL"
    description = "Monolingual ad hoc retrieval over Wikipedia in 18 languages (dev topics)"
    languages = LANGUAGES
    settings = ("moir",)
    query_sides = LANGUAGES
    doc_sides = LANGUAGES

    def standard_pairs(self) -> list[PairId]:
        return [PairId(self.id, lang, lang) for lang in LANGUAGES]

    def default_measures(self, setting: str) -> tuple[str, ...]:
        return ("nDCG@10", "R@100")

    @property
    def sizes(self) -> dict[str, Any] | None:
        try:
            return {
                "queries": {lang: count(f"miracl/{lang}/dev", "queries") for lang in LANGUAGES},
                "passages": {lang: count(f"miracl/{lang}", "docs") for lang in LANGUAGES},
            }
        except HarnessError:
            return None

    def expected_location(self, data_dir: Path) -> str:
        return (
            f"ir_datasets cache {home_for(data_dir)}/miracl/v1.0/LANG/; "
            f"topics/qrels also from {Path(data_dir) / 'miracl'}/{{topics,qrels}}.miracl-v1.0-LANG-dev.tsv"
        )

    def load(self, pair: PairId, data_dir: Path, *, download: bool = False) -> PairTask:
        self.check_pair(pair)
        lang = pair.query_lang
        access = Access(str(pair), data_dir, download)
        topics, qrels_file = anserini_files(lang, data_dir)
        cached = missing_message(str(pair), _topic_files(lang), home_for(data_dir)) is None
        local = topics.exists() and qrels_file.exists()
        if cached or (download and not local):
            with access.open(f"miracl/{lang}/dev", _topic_files(lang)) as ds:
                texts = {q.query_id: q.text for q in ds.queries_iter()}
                judged = qrels_of(ds)
            source = "ir_datasets cache"
        elif local:
            from harness.evaluation.trec import read_qrels  # here only: it brings numpy, the fallback alone needs it

            texts, judged = read_topics(topics), read_qrels(qrels_file)
            source = f"{topics.name}, {qrels_file.name}"
        else:
            first = _topic_files(lang)[0].describe(home_for(data_dir))
            raise HarnessError(
                f"{pair}: no topics/qrels: {first} (and qrels.tsv beside it), or put {topics.name} and "
                f"{qrels_file.name} in {topics.parent}; or load with download=True"
            )
        queries, qrels, notes = judged_queries({qid: (text, lang) for qid, text in texts.items()}, judged)
        notes["topics_from"] = source
        documents = DocumentCollection(
            f"miracl/{lang}",
            [lang],
            lambda: _iter_docs(access, lang),
            size=count(f"miracl/{lang}", "docs"),
            fetch=lambda ids: _fetch(access, lang, ids),
        )
        return PairTask(pair, queries, documents, qrels, self.default_measures(pair.setting), notes=notes, depth=RUN_DEPTH)


def read_topics(path: Path) -> dict[str, str]:
    """``qid<TAB>query`` lines."""
    topics: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                qid, tab, text = line.rstrip("\n").partition("\t")
                if not tab:
                    raise InputFormatError(path, number, "expected 'qid<TAB>query'")
                topics[qid] = text
    return topics


def _iter_docs(access: Access, lang: str) -> Iterator[Document]:
    return access.iter_documents(f"miracl/{lang}", _doc_files(lang), lang, _text)


def _fetch(access: Access, lang: str, doc_ids: Sequence[str]) -> Mapping[str, Document]:
    return access.get_documents(f"miracl/{lang}", _doc_files(lang), lang, doc_ids, _text)


def _text(doc: Any) -> str:
    return doc.default_text()


DATASET = Miracl()
