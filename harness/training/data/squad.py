"""SQuAD v1.1 dev minus XQuAD: question → answer-sentence training pairs for the LAReQA track.

No SQuAD training split is available offline, so the English pairs come from SQuAD v1.1 dev
without the 240 paragraphs that XQuAD uses: 1,827 paragraphs, 9,380 questions. A paragraph is
XQuAD's if its context equals an XQuAD-R English context or it holds an XQuAD-R question id (on
the official files both rules pick the same 240 paragraphs, which hold exactly XQuAD's 1,190
questions). SQuAD has no sentence breaks: each context is split with :mod:`.sentences`, and the
positive is the sentence holding the first answer's ``answer_start``, as LAReQA defines relevance.

Translated SQuAD dev (it, es, zh) keeps the English question ids. Pair X-Y is built from the
English questions kept above whose id is in X's file (the query text) and in Y's file (the
positive: the sentence of Y's context holding Y's first ``answer_start``), so query and document
are translations of one English pair. Questions lost on the way, counted in the notes:

- zh is SQuAD 2.0: its unanswerable questions have ids that SQuAD 1.1 does not have.
- it holds 714 questions under ids ``d<N>`` instead of SQuAD ids, some of them from XQuAD's
  paragraphs (e.g. the first one of Amazon_rainforest); they cannot be checked against XQuAD.
- es has 1,194 questions whose first answer was not aligned (``answer_start`` -1). Their later
  answers are not used: they fall in the sentence of the English answer far less often (86%
  against 98% where both contexts split into as many sentences).

Caveat: SQuAD dev and XQuAD share their 48 articles (only the paragraphs differ), so a model
trained here has seen XQuAD's topics.
"""
from __future__ import annotations

import gzip
import json
import random
import zlib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.datasets.xquad_r import DATASET as XQUAD_R
from harness.errors import HarnessError, InputFormatError
from harness.training.data.sentences import SPLITTER, Sentences, split
from harness.training.examples import TrainingExample, TrainingSet

SOURCE = "squad-v1.1-dev-minus-xquad"
FILES = {
    "en": ("dev-v1.1.json.gz", "the official SQuAD v1.1 dev-v1.1.json (rajpurkar.github.io/SQuAD-explorer), gzipped"),
    "es": ("dev-v1.1-es.json.gz", "SQuAD-es v1.1 dev (github.com/ccasimiro88/TranslateAlignRetrieve), gzipped"),
    "it": ("dev-v1.1-it.json.gz", "SQuAD-it's test set, translated SQuAD v1.1 dev (github.com/crux82/squad-it), gzipped"),
    "zh": ("dev-v2.0-zh.json.gz", "the Chinese SQuAD 2.0 dev set (github.com/pluto-junzeng/ChineseSquad), gzipped"),
}
LANGUAGES = tuple(sorted(FILES))
CAVEAT = "SQuAD dev shares its 48 articles with XQuAD (other paragraphs of the same articles): XQuAD's topics are not unseen"


@dataclass(frozen=True)
class _Question:
    text: str
    paragraph: int
    answer: str | None
    """The first answer's text; None for an unanswerable (SQuAD 2.0) question."""
    sentence: int | None
    """Index of the sentence holding the first answer's start; None if it cannot be placed."""


@dataclass(frozen=True)
class _SquadFile:
    contexts: tuple[str, ...]
    sentences: tuple[Sentences, ...]
    questions: Mapping[str, _Question]
    """Question id -> question, in file order."""


def squad_pairs(
    data_dir: Path, *, query_lang: str = "en", doc_lang: str = "en", negatives: int = 0, seed: int = 0
) -> TrainingSet:
    """Question (in ``query_lang``) → answer sentence (in ``doc_lang``) pairs from SQuAD dev minus XQuAD.

    ``negatives``: that many other sentences of the positive's paragraph per example (fewer where
    the paragraph has fewer), drawn per question id with ``seed``, so independent of order.
    """
    return _pairs(data_dir, query_lang, doc_lang, negatives, seed)[1]


def squad_question_ids(data_dir: Path, *, query_lang: str = "en", doc_lang: str = "en") -> tuple[str, ...]:
    """The SQuAD question ids of :func:`squad_pairs`' examples, in the same order (to trace or check them)."""
    return _pairs(data_dir, query_lang, doc_lang, 0, 0)[0]


def _pairs(data_dir: Path, query_lang: str, doc_lang: str, negatives: int, seed: int) -> tuple[tuple[str, ...], TrainingSet]:
    for lang in (query_lang, doc_lang):
        if lang not in FILES:
            raise HarnessError(f"squad has no training data for {lang}: squad provides {', '.join(LANGUAGES)}")
    if negatives < 0:
        raise HarnessError(f"squad: negatives must be 0 or more, not {negatives}")
    english = _read(data_dir, "en")
    xquad_ids, kept, english_notes = _without_xquad(data_dir, english)
    asked, answered = _read(data_dir, query_lang), _read(data_dir, doc_lang)
    ids: list[str] = []
    examples: list[TrainingExample] = []
    dropped: Counter[str] = Counter()
    paragraphs: set[int] = set()
    with_answer = short_of_negatives = 0
    for qid in kept:
        query, target = asked.questions.get(qid), answered.questions.get(qid)
        if query is None or target is None:
            dropped[f"not_in_{query_lang if query is None else doc_lang}"] += 1
            continue
        if target.sentence is None:
            dropped[f"answer_not_placeable_in_{doc_lang}"] += 1
            continue
        sentences = answered.sentences[target.paragraph].texts
        positive = sentences[target.sentence]
        drawn = _negatives(sentences, target.sentence, negatives, random.Random(f"{seed}/{qid}")) if negatives else ()
        ids.append(qid)
        examples.append(TrainingExample(query.text, positive, drawn))
        paragraphs.add(target.paragraph)
        with_answer += target.answer is not None and target.answer in positive
        short_of_negatives += len(drawn) < negatives
    notes: dict[str, object] = {
        "examples": len(examples),
        "paragraphs": len(paragraphs),
        "english": english_notes,
        "dropped": dict(sorted(dropped.items())),
        "positive": f"the sentence of the {doc_lang} context holding the first answer's answer_start",
        "positive_contains_answer_text": with_answer,
        "splitter": SPLITTER,
        "negatives": {
            "per_example": negatives,
            "seed": seed,
            "from": "other sentences of the positive's paragraph",
            "examples_with_fewer": short_of_negatives,
        },
        "caveat": CAVEAT,
    }
    translated = sorted({query_lang, doc_lang} - {"en"})
    if translated:
        notes["translated_files"] = {lang: _file_counts(_read(data_dir, lang), english, xquad_ids) for lang in translated}
    return tuple(ids), TrainingSet(f"{SOURCE}/{query_lang}-{doc_lang}", (query_lang,), (doc_lang,), tuple(examples), notes)


def _negatives(sentences: tuple[str, ...], positive: int, count: int, rng: random.Random) -> tuple[str, ...]:
    others = [text for i, text in enumerate(sentences) if i != positive and text != sentences[positive]]
    return tuple(rng.sample(others, min(count, len(others))))


def _without_xquad(data_dir: Path, english: _SquadFile) -> tuple[frozenset[str], tuple[str, ...], dict[str, int]]:
    """XQuAD's question ids, the English question ids outside XQuAD's paragraphs, and counts."""
    path = XQUAD_R.path("en", data_dir)
    if not path.is_file():
        raise HarnessError(
            f"squad training data: missing {path}: XQuAD-R's en.json names the paragraphs to leave out; "
            f"put it there ({XQUAD_R.url_template.format(lang='en')})"
        )
    xquad = XQUAD_R.language("en", data_dir)
    xquad_ids = frozenset(xquad.questions)
    contexts = set(xquad.paragraphs)
    excluded = {i for i, context in enumerate(english.contexts) if context in contexts}
    excluded |= {english.questions[qid].paragraph for qid in xquad_ids if qid in english.questions}
    kept = tuple(qid for qid, question in english.questions.items() if question.paragraph not in excluded)
    notes = {
        "paragraphs": len(english.contexts),
        "questions": len(english.questions),
        "xquad_paragraphs_removed": len(excluded),
        "xquad_questions_removed": len(english.questions) - len(kept),
        "xquad_ids_not_in_squad": len(xquad_ids - english.questions.keys()),
        "kept_paragraphs": len(english.contexts) - len(excluded),
        "kept_questions": len(kept),
    }
    return xquad_ids, kept, notes


def _file_counts(translated: _SquadFile, english: _SquadFile, xquad_ids: frozenset[str]) -> dict[str, int]:
    """Why a translated file's questions are not all usable (each question counted once, first reason)."""
    counts = Counter({"questions": len(translated.questions)})
    for qid, question in translated.questions.items():
        if question.answer is None:
            counts["no_answer"] += 1
        elif qid not in english.questions:
            counts["not_in_squad_v1.1_dev"] += 1
        elif qid in xquad_ids:
            counts["xquad"] += 1
        elif question.sentence is None:
            counts["answer_not_placeable"] += 1
        else:
            counts["usable"] += 1
    return dict(counts)


def _read(data_dir: Path, lang: str) -> _SquadFile:
    name, origin = FILES[lang]
    path = Path(data_dir) / "squad" / name
    if not path.is_file():
        raise HarnessError(f"squad training data: missing {path}; put {origin} there")
    stat = path.stat()
    return _read_cached(str(path), lang, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_cached(path: str, lang: str, _mtime_ns: int, _size: int) -> _SquadFile:
    """Parse and split a file once per version: every pair of a language reuses it."""
    try:
        with gzip.open(path, "rt", encoding="utf-8-sig") as handle:
            data = json.load(handle)
    except (OSError, EOFError, zlib.error, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise InputFormatError(path, None, f"not a gzipped SQuAD JSON file ({type(error).__name__}: {error})") from None
    contexts: list[str] = []
    sentences: list[Sentences] = []
    questions: dict[str, _Question] = {}
    where = "top level"
    try:
        for a, article in enumerate(_field(data, "data", list)):
            for p, paragraph in enumerate(_field(article, "paragraphs", list)):
                where = f"article {a} paragraph {p}"
                context = _field(paragraph, "context", str)
                split_context = split(context, lang)
                index = len(contexts)
                contexts.append(context)
                sentences.append(split_context)
                for qa in _field(paragraph, "qas", list):
                    qid = _field(qa, "id", str)
                    if qid in questions:
                        raise InputFormatError(path, None, f"{where}: question id {qid!r} occurs twice")
                    answers = _field(qa, "answers", list, optional=True)
                    first = answers[0] if answers else None
                    text, start = (_field(first, "text", str), _field(first, "answer_start", int)) if first is not None else ("", -1)
                    placeable = text.strip() != "" and 0 <= start < len(context)
                    sentence = split_context.at(start) if placeable else None
                    questions[qid] = _Question(_field(qa, "question", str), index, text if first is not None else None, sentence)
    except (KeyError, TypeError) as error:
        raise InputFormatError(path, None, f"{where}: not in SQuAD format ({type(error).__name__}: {error})") from None
    return _SquadFile(tuple(contexts), tuple(sentences), questions)


def _field(record: object, key: str, kind: type, *, optional: bool = False) -> Any:
    """``record[key]`` checked to be a ``kind`` (a bool is no int); absent and ``optional``: an empty ``kind``."""
    if not isinstance(record, dict):
        raise TypeError(f"expected an object holding {key!r}, found {type(record).__name__}")
    if optional and record.get(key) is None:
        return kind()
    value = record[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"{key!r} is {type(value).__name__}, expected {kind.__name__}")
    return value
