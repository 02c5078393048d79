"""LAReQA-style answer-sentence retrieval (XQuAD-R, MLQA-R): the shared reader and pair builder.

Each language is one SQuAD-format JSON file whose paragraphs carry ``sentence_breaks``
(``[start, end)`` character spans into ``context``) and ``sentences``. Every sentence of every
paragraph is a candidate, id ``{lang}-{article}-{paragraph}-{sentence}`` (0-based). A question's
answer sentence is the one whose span contains the answer's ``answer_start``; question ids are
shared across languages, which is what makes a question relevant to sentences in other languages.

Edge cases, none of which occurs in the official files (the counts go into ``PairTask.notes``):

- ``answer_start`` between two spans (on the whitespace that separates sentences): the answer
  text begins there and continues in the next sentence, so the next sentence is the answer.
- ``answer_start`` before the first span belongs to the first sentence, like any gap; past the
  last span (or negative): the question has no answer sentence in that language and is left
  out of every pair that needs one there.
- several answers: the first answer defines the answer sentence, as in LAReQA where each
  question has one; questions whose other answers start in a different sentence are counted.
- a question id twice in one file, or ``sentences`` and ``sentence_breaks`` of different
  lengths: the file is malformed and loading fails (relevance would be ambiguous).

Candidate text (the dataset option ``candidate_text``): ``sentence``, ``sentences[i]`` as
published (the default), or ``sentence+context``, the sentence followed by its whole paragraph with
newlines removed, as XTREME encodes LAReQA candidates for zero-shot retrieval
(``google-research/xtreme:third_party/evaluate_retrieval.py``: ``(sentence + context).replace("\\n", "")``,
no separator). LAReQA's published mAP (0.29-0.66) come from candidates read with their paragraph
(fine-tuned models read them as two segments, which a one-text document cannot carry). The spans are
used only to place answers: in XQuAD-R ``tr`` two spans of one paragraph do not match its
(mis-encoded) context text, but the published sentences are right, so both texts start from them.
"""
from __future__ import annotations

import bisect
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.datasets.base import Dataset
from harness.datasets.download import fetch_verified
from harness.datasets.options import DatasetOption, resolve
from harness.datasets.pairs import MULTILINGUAL, PairId
from harness.datasets.records import Document, DocumentCollection, PairTask, Query
from harness.errors import HarnessError, InputFormatError

CANDIDATE_TEXT = DatasetOption(
    "candidate_text",
    ("sentence", "sentence+context"),
    "sentence",
    "what a candidate's text is: the answer sentence alone, or followed by its paragraph without newlines (XTREME's zero-shot LAReQA input)",
    "ours (sentence+context: google-research/xtreme third_party/evaluate_retrieval.py)",
)


@dataclass(frozen=True)
class LareqaLanguage:
    """One parsed language file."""

    lang: str
    sentences: tuple[tuple[str, str, int], ...]
    """(candidate id, sentence, paragraph index) in file order."""
    paragraphs: tuple[str, ...]
    questions: Mapping[str, str]
    """question id -> question text, for every question in the file."""
    answers: Mapping[str, str]
    """question id -> candidate id of its answer sentence (questions without one are absent)."""
    issues: Mapping[str, int] = field(default_factory=dict)
    """Counts of the edge cases described in the module docstring (only non-zero ones)."""

    def documents(self, candidate_text: str = "sentence") -> list[Document]:
        """The candidates: the sentence alone, or (``sentence+context``) followed by its whole
        paragraph, newlines removed, as XTREME's ``(sentence + context).replace("\\n", "")``."""
        if candidate_text == "sentence+context":
            return [Document(cid, (text + self.paragraphs[p]).replace("\n", ""), self.lang) for cid, text, p in self.sentences]
        return [Document(cid, text, self.lang) for cid, text, _ in self.sentences]


def read_language(path: Path, lang: str) -> LareqaLanguage:
    """Parse one LAReQA language file (cached per file version: pairs share languages)."""
    stat = path.stat()
    return _read_cached(str(path), lang, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _read_cached(path: str, lang: str, _mtime_ns: int, _size: int) -> LareqaLanguage:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputFormatError(path, None, f"not a LAReQA JSON file ({error})") from None
    except RecursionError:
        raise InputFormatError(path, None, "not a LAReQA JSON file (nested too deeply)") from None
    try:
        return _parse_language(data, path, lang)
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as error:
        # the file is someone's download: a field of the wrong type or shape is a format error, not a crash
        raise InputFormatError(path, None, f"not a LAReQA JSON file: unexpected structure ({type(error).__name__}: {error})") from None


def _parse_language(data: dict, path: str, lang: str) -> LareqaLanguage:
    sentences: list[tuple[str, str, int]] = []
    paragraphs: list[str] = []
    questions: dict[str, str] = {}
    answers: dict[str, str] = {}
    issues = {"answers_between_sentences": 0, "answers_outside_sentences": 0, "extra_answers_in_other_sentences": 0}
    for a, article in enumerate(data.get("data", [])):
        for p, paragraph in enumerate(article.get("paragraphs", [])):
            breaks, texts = paragraph.get("sentence_breaks"), paragraph.get("sentences")
            if breaks is None or texts is None or len(breaks) != len(texts):
                raise InputFormatError(path, None, f"article {a} paragraph {p}: needs 'sentences' and 'sentence_breaks' of equal length")
            if not all(isinstance(text, str) for text in texts):
                raise TypeError(f"article {a} paragraph {p}: sentences must be strings")
            ids = [f"{lang}-{a}-{p}-{s}" for s in range(len(texts))]
            starts, stops = [begin for begin, _ in breaks], [end for _, end in breaks]
            sentences.extend((cid, text, len(paragraphs)) for cid, text in zip(ids, texts))
            paragraphs.append(paragraph.get("context", ""))
            for qa in paragraph.get("qas", []):
                qid = qa["id"]
                if not isinstance(qid, str) or not isinstance(qa["question"], str):
                    raise TypeError(f"article {a} paragraph {p}: question ids and questions must be strings")
                if qid in questions:
                    raise InputFormatError(path, None, f"question id {qid!r} occurs twice")
                questions[qid] = qa["question"]
                found = [sentence_at(starts, stops, answer["answer_start"]) for answer in qa.get("answers", [])]
                if not found or found[0][0] is None:
                    issues["answers_outside_sentences"] += 1
                    continue
                first, between = found[0]
                answers[qid] = ids[first]
                issues["answers_between_sentences"] += between
                issues["extra_answers_in_other_sentences"] += any(s != first for s, _ in found[1:])
    return LareqaLanguage(
        lang, tuple(sentences), tuple(paragraphs), questions, answers, {k: v for k, v in issues.items() if v}
    )


def sentence_at(starts: Sequence[int], stops: Sequence[int], offset: int) -> tuple[int | None, bool]:
    """(index of the sentence holding character ``offset``, whether ``offset`` lies in the gap
    before it) for sorted ``[starts[i], stops[i])`` spans. An offset before a sentence belongs to
    it (an answer starting there continues in it); one past the last span, or negative, to none."""
    if offset < 0 or not starts:
        return None, False
    index = max(bisect.bisect_right(starts, offset) - 1, 0)
    if offset < starts[index]:
        return index, True
    if offset < stops[index]:
        return index, False
    index += 1
    return (index, True) if index < len(starts) else (None, False)


@dataclass(frozen=True)
class LareqaDataset(Dataset):
    """An answer-sentence retrieval dataset in LAReQA's format; one instance per dataset.

    Pairs: X-X (candidates of X), X-Y (candidates of Y; questions of X whose id also exists
    in Y) and X-xx (the pool of every language's candidates; relevant: the answer sentence in
    every language where the question id exists).
    """

    id: str
    title: str
    description: str
    languages: tuple[str, ...]
    folder: str
    """Files are ``{data_dir}/lareqa/{folder}/{lang}.json``."""
    url_template: str
    """The official file of ``{lang}`` (a pinned commit), for ``download=True``."""
    sha256: Mapping[str, str]
    sizes: dict[str, Any] | None = None
    settings: tuple[str, ...] = ("moir", "clir", "mlir")
    options = (CANDIDATE_TEXT,)

    @property
    def query_sides(self) -> tuple[str, ...]:  # type: ignore[override]
        return self.languages

    @property
    def doc_sides(self) -> tuple[str, ...]:  # type: ignore[override]
        return (*self.languages, MULTILINGUAL)

    def standard_pairs(self) -> list[PairId]:
        """All X-X, all X-Y and all X-xx."""
        langs = self.languages
        return (
            [PairId(self.id, x, x) for x in langs]
            + [PairId(self.id, x, y) for x in langs for y in langs if x != y]
            + [PairId(self.id, x, MULTILINGUAL) for x in langs]
        )

    def default_measures(self, setting: str) -> tuple[str, ...]:
        base = ("AP", "R@1", "R@10")
        return (*base, "RankDistance") if setting == "mlir" else base

    def expected_location(self, data_dir: Path) -> str:
        return str(Path(data_dir) / "lareqa" / self.folder / f"{{{','.join(self.languages)}}}.json")

    def path(self, lang: str, data_dir: Path) -> Path:
        """Where the file of ``lang`` is expected."""
        return Path(data_dir) / "lareqa" / self.folder / f"{lang}.json"

    def language(self, lang: str, data_dir: Path, *, download: bool = False) -> LareqaLanguage:
        """The parsed file of ``lang``, downloaded first (and verified) if missing and ``download``."""
        path = self.path(lang, data_dir)
        url = self.url_template.format(lang=lang)
        if not path.exists():
            if not download:
                raise HarnessError(f"{self.id}: missing {path}; put the official {lang}.json there ({url}) or load with download=True")
            fetch_verified(url, path, self.sha256[lang])
        return read_language(path, lang)

    def queries_and_qrels(self, pair: PairId, data_dir: Path, *, download: bool = False) -> tuple[list[Query], dict[str, dict[str, int]]]:
        """The pair's questions that have an answer among its candidates, and those answers; no candidate list is built."""
        files, doc_langs = self._files(pair, data_dir, download)
        return self._judged_questions(pair, files, doc_langs)

    def _files(self, pair: PairId, data_dir: Path, download: bool) -> tuple[dict[str, LareqaLanguage], tuple[str, ...]]:
        """The parsed files the pair reads (query language first) and its candidates' languages."""
        self.check_pair(pair)
        doc_langs = tuple(self.languages) if pair.doc_lang == MULTILINGUAL else (pair.doc_lang,)
        return {lang: self.language(lang, data_dir, download=download) for lang in dict.fromkeys((pair.query_lang, *doc_langs))}, doc_langs

    @staticmethod
    def _judged_questions(pair: PairId, files: dict[str, LareqaLanguage], doc_langs: tuple[str, ...]) -> tuple[list[Query], dict[str, dict[str, int]]]:
        queries: list[Query] = []
        qrels: dict[str, dict[str, int]] = {}
        for qid, text in files[pair.query_lang].questions.items():
            relevant = {files[lang].answers[qid]: 1 for lang in doc_langs if qid in files[lang].answers}
            if relevant:
                queries.append(Query(qid, text, pair.query_lang))
                qrels[qid] = relevant
        return queries, qrels

    def load(self, pair: PairId, data_dir: Path, *, download: bool = False, candidate_text: str = CANDIDATE_TEXT.default) -> PairTask:
        """The task of ``pair``; ``candidate_text`` (sentence or sentence+context) is each candidate's text."""
        candidate_text = resolve(self, {CANDIDATE_TEXT.name: candidate_text})[CANDIDATE_TEXT.name]
        files, doc_langs = self._files(pair, data_dir, download)
        asked = files[pair.query_lang]
        queries, qrels = self._judged_questions(pair, files, doc_langs)
        documents = [doc for lang in doc_langs for doc in files[lang].documents(candidate_text)]
        suffix = "+context" if candidate_text == "sentence+context" else ""
        collection = DocumentCollection.from_documents(f"{self.id}/{pair.doc_lang}{suffix}", documents)
        notes: dict[str, object] = {
            "queries": len(queries),
            "candidates": len(documents),
            "candidate_text": candidate_text,
            "query_ids": "question ids, shared across languages",
        }
        if pair.setting == "clir":
            notes["query_language_questions"] = len(asked.questions)
            notes["shared_question_ids"] = sum(qid in files[pair.doc_lang].questions for qid in asked.questions)
        if pair.setting == "mlir":
            counts = [len(rel) for rel in qrels.values()]
            notes["relevant_per_query"] = [min(counts, default=0), max(counts, default=0)]
        issues = {f"{lang}:{k}": v for lang, parsed in files.items() for k, v in parsed.issues.items()}
        if issues:
            notes["edge_cases"] = issues
        return PairTask(pair, queries, collection, qrels, self.default_measures(pair.setting), notes=notes)
