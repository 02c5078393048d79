"""Code-switch a training file on the sides SPEC section 4 says, and report what was switched.

A training file is UTF-8 TSV, one instance a line: ``query<TAB>positive[<TAB>negative...]``.

- ``bl-cs``: queries switched to the query language X (if X != en) with the EN->X lexicon,
  documents to the document language Y (if Y != en) with the EN->Y lexicon; a side whose
  language is ``xx`` (a multilingual pool) is switched as ML-CS switches, each switched token's
  language drawn from the pool's languages (``xx_languages``, default: every lexicon's), as
  mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_clwe.py does for its en-xx, xx-en
  and xx-xx data;
- ``ml-cs``: queries and documents switched, each token's language drawn from all lexicons
  (the official xx-xx data);
- ``wiki-cs``: per instance, a query language and a document language drawn uniformly from
  English and the title lexicons' languages; English keeps the original text.

BL-CS and ML-CS tokenize as ``tokenization`` says (:mod:`.tokens`); Wiki-CS matches titles as
``matching`` says (:mod:`.wiki`).
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.atomic import atomic_open
from harness.codeswitch.bilingual import bl_cs
from harness.codeswitch.multilingual import ml_cs
from harness.codeswitch.tokens import check_tokenization, unchanged
from harness.codeswitch.wiki import wiki_cs
from harness.datasets.pairs import MULTILINGUAL
from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon, numbered_lines
from harness.lexicons.titles import MATCHINGS
from harness.training.examples import TrainingExample

METHODS = ("bl-cs", "ml-cs", "wiki-cs")
ENGLISH = "en"


@dataclass
class SwitchReport:
    """Counts of one switched file; shares are of words (Wiki-CS: words inside replaced titles).
    ``tokenization`` is BL-CS's and ML-CS's, ``matching`` Wiki-CS's (None where it does not apply)."""

    method: str
    source: str
    target: str
    p: float
    seed: int
    policy: str
    lexicons: list[dict[str, Any]]
    tokenization: str | None = None
    matching: str | None = None
    instances: int = 0
    query_words: int = 0
    query_switched: int = 0
    document_words: int = 0
    document_switched: int = 0
    languages: dict[str, str] = field(default_factory=dict)

    @property
    def query_share(self) -> float:
        return self.query_switched / self.query_words if self.query_words else 0.0

    @property
    def document_share(self) -> float:
        return self.document_switched / self.document_words if self.document_words else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "query_share": self.query_share, "document_share": self.document_share}

    def summary(self) -> str:
        how = f"tokenization={self.tokenization}" if self.matching is None else f"matching={self.matching}"
        return (
            f"{self.method}: {self.instances:,} instances; switched {self.query_share:.1%} of query words "
            f"({self.query_switched:,}/{self.query_words:,}) and {self.document_share:.1%} of document words "
            f"({self.document_switched:,}/{self.document_words:,}); p={self.p}, seed={self.seed}, {how} -> {self.target}"
        )


def switch_examples(
    examples: Iterable[TrainingExample],
    method: str,
    lexicons: Mapping[str, Lexicon],
    *,
    p: float = 0.5,
    seed: int = 0,
    policy: str = "first",
    query_lang: str | None = None,
    doc_lang: str | None = None,
    xx_languages: Sequence[str] | None = None,
    tokenization: str = "treebank",
    matching: str = "official",
    source: str = "",
    target: str = "",
) -> tuple[list[TrainingExample], SwitchReport]:
    """Code-switched copies of ``examples`` and the report of what changed.

    ``lexicons`` maps a language to its EN->language lexicon (title lexicons for Wiki-CS). For
    BL-CS, ``query_lang``/``doc_lang`` default to the one lexicon's language; ``xx`` there is a
    multilingual side drawing from ``xx_languages`` (default: every lexicon's language).
    """
    if method not in METHODS:
        raise HarnessError(f"unknown code-switching method {method!r}: expected one of {', '.join(METHODS)}")
    if not 0.0 <= p <= 1.0:
        raise HarnessError(f"--p must be a probability in [0, 1], got {p}")
    if not lexicons:
        raise HarnessError(f"{method} needs at least one lexicon")
    wiki = method == "wiki-cs"
    if wiki:
        if matching not in MATCHINGS:
            raise HarnessError(f"unknown title matching {matching!r}: expected one of {', '.join(MATCHINGS)}")
        switch_query = switch_document = None
        languages = {"query": "drawn per instance", "document": "drawn per instance"}
    else:
        check_tokenization(tokenization)
        switch_query, switch_document, languages = _sides(method, lexicons, p, policy, tokenization, query_lang, doc_lang, xx_languages)
    rng = np.random.default_rng(seed)
    report = SwitchReport(
        method, source, target, 1.0 if wiki else p, seed, policy, [lexicons[lang].describe() for lang in sorted(lexicons)],
        tokenization=None if wiki else tokenization, matching=matching if wiki else None, languages=languages,
    )
    switched: list[TrainingExample] = []
    for example in examples:
        query_switch, document_switch = _wiki_sides(lexicons, matching, rng) if wiki else (switch_query, switch_document)
        query = query_switch(example.query, rng)
        documents = [document_switch(text, rng) for text in (example.positive, *example.negatives)]
        report.instances += 1
        report.query_words += query.words
        report.query_switched += query.switched
        report.document_words += sum(d.words for d in documents)
        report.document_switched += sum(d.switched for d in documents)
        switched.append(TrainingExample(query.text, documents[0].text, tuple(d.text for d in documents[1:])))
    return switched, report


def switch_file(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    method: str,
    lexicons: Mapping[str, Lexicon],
    **options: Any,
) -> SwitchReport:
    """Write a code-switched copy of the training file ``source`` to ``target`` (atomically);
    ``options`` are :func:`switch_examples`'."""
    switched, report = switch_examples(read_training_file(source), method, lexicons, source=str(source), target=str(target), **options)
    with atomic_open(target) as out:
        for example in switched:
            out.write("\t".join([example.query, example.positive, *example.negatives]) + "\n")
    return report


def read_training_file(path: str | os.PathLike[str]) -> list[TrainingExample]:
    """The instances of a training TSV; a line without a query and a positive is an error naming it."""
    examples = []
    for number, line in numbered_lines(Path(path), "training"):
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 2 or not all(fields[:2]):
            raise HarnessError(f"{path}:{number}: expected 'query<TAB>positive[<TAB>negative...]', found {len(fields)} field(s)")
        examples.append(TrainingExample(fields[0], fields[1], tuple(fields[2:])))
    return examples


def _sides(
    method: str, lexicons: Mapping[str, Lexicon], p: float, policy: str, tokenization: str,
    query_lang: str | None, doc_lang: str | None, xx_languages: Sequence[str] | None,
):
    """(query switch, document switch, languages) of BL-CS and ML-CS (ML-CS: both sides ``xx``)."""
    if method == "ml-cs":
        query_lang = doc_lang = MULTILINGUAL
    default = next(iter(lexicons)) if len(lexicons) == 1 else None
    query_lang, doc_lang = query_lang or default, doc_lang or default
    if query_lang is None or doc_lang is None:
        raise HarnessError("bl-cs with several lexicons: say --query-lang and --doc-lang")
    pool = sorted(set(xx_languages if xx_languages is not None else lexicons) - {ENGLISH})
    multilingual = MULTILINGUAL in (query_lang, doc_lang)
    if multilingual and not pool:
        raise HarnessError(f"{method}: an xx side needs at least one non-English language to switch to")
    for lang in sorted({query_lang, doc_lang, *(pool if multilingual else ())} - {ENGLISH, MULTILINGUAL}):
        if lang not in lexicons:
            raise HarnessError(f"{method}: no EN->{lang} lexicon given (have: {', '.join(sorted(lexicons))})")

    def side(lang: str):
        if lang == ENGLISH:
            return lambda text, rng: unchanged(text, tokenization)
        if lang == MULTILINGUAL:
            mixed = {pooled: lexicons[pooled] for pooled in pool}
            return lambda text, rng: ml_cs(text, mixed, p, rng=rng, policy=policy, tokenization=tokenization)
        return lambda text, rng: bl_cs(text, lexicons[lang], p, rng=rng, policy=policy, tokenization=tokenization)

    def named(lang: str) -> str:
        return "+".join(pool) if lang == MULTILINGUAL else lang

    return side(query_lang), side(doc_lang), {"query": named(query_lang), "document": named(doc_lang)}


def _wiki_sides(titles: Mapping[str, Lexicon], matching: str, rng: np.random.Generator):
    """The query and document switches of one Wiki-CS instance: languages drawn uniformly from
    English and the title lexicons' languages."""
    languages = [ENGLISH, *sorted(titles)]
    chosen = [languages[int(rng.integers(len(languages)))] for _ in range(2)]
    return tuple((lambda text, rng, lexicon=titles.get(lang): wiki_cs(text, lexicon, matching=matching)) for lang in chosen)
