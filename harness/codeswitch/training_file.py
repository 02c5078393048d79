"""Code-switch a training file on the sides SPEC section 4 says, and report what was switched.

A training file is UTF-8 TSV, one instance a line: ``query<TAB>positive[<TAB>negative...]``.

- ``bl-cs``: queries switched to the query language X (if X != en) with the EN->X lexicon,
  documents to the document language Y (if Y != en) with the EN->Y lexicon;
- ``ml-cs``: queries and documents switched, each word's language drawn from all lexicons;
- ``wiki-cs``: per instance, a query language and a document language drawn uniformly from
  English and the title lexicons' languages; English keeps the original text.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness.atomic import atomic_open
from harness.codeswitch.bilingual import bl_cs
from harness.codeswitch.multilingual import ml_cs
from harness.codeswitch.tokens import Switched, unchanged
from harness.codeswitch.wiki import wiki_cs
from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon, numbered_lines
from harness.training.examples import TrainingExample

METHODS = ("bl-cs", "ml-cs", "wiki-cs")
ENGLISH = "en"


@dataclass
class SwitchReport:
    """Counts of one switched file; shares are of words (Wiki-CS: words inside replaced titles)."""

    method: str
    source: str
    target: str
    p: float
    seed: int
    policy: str
    lexicons: list[dict[str, Any]]
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
        return (
            f"{self.method}: {self.instances:,} instances; switched {self.query_share:.1%} of query words "
            f"({self.query_switched:,}/{self.query_words:,}) and {self.document_share:.1%} of document words "
            f"({self.document_switched:,}/{self.document_words:,}); p={self.p}, seed={self.seed} -> {self.target}"
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
    source: str = "",
    target: str = "",
) -> tuple[list[TrainingExample], SwitchReport]:
    """Code-switched copies of ``examples`` and the report of what changed.

    ``lexicons`` maps a language to its EN->language lexicon (title lexicons for Wiki-CS). For
    BL-CS, ``query_lang``/``doc_lang`` default to the one lexicon's language.
    """
    if method not in METHODS:
        raise HarnessError(f"unknown code-switching method {method!r}: expected one of {', '.join(METHODS)}")
    if not 0.0 <= p <= 1.0:
        raise HarnessError(f"--p must be a probability in [0, 1], got {p}")
    if not lexicons:
        raise HarnessError(f"{method} needs at least one lexicon")
    switch_query, switch_document, languages = _sides(method, lexicons, p, policy, query_lang, doc_lang)
    rng = np.random.default_rng(seed)
    report = SwitchReport(
        method, source, target, p if method != "wiki-cs" else 1.0, seed, policy,
        [lexicons[lang].describe() for lang in sorted(lexicons)], languages=languages,
    )
    switched: list[TrainingExample] = []
    for example in examples:
        query_switch, document_switch = (switch_query, switch_document) if method != "wiki-cs" else _wiki_sides(lexicons, rng)
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


def _unchanged(text: str, rng: np.random.Generator) -> Switched:
    return unchanged(text)


def _sides(method: str, lexicons: Mapping[str, Lexicon], p: float, policy: str, query_lang: str | None, doc_lang: str | None):
    """(query switch, document switch, languages) of BL-CS and ML-CS; Wiki-CS draws per instance."""
    if method == "wiki-cs":
        return None, None, {"query": "drawn per instance", "document": "drawn per instance"}
    if method == "ml-cs":
        both = lambda text, rng: ml_cs(text, lexicons, p, rng=rng, policy=policy)  # noqa: E731
        mixed = "+".join(sorted(lexicons))
        return both, both, {"query": mixed, "document": mixed}
    default = next(iter(lexicons)) if len(lexicons) == 1 else None
    query_lang, doc_lang = query_lang or default, doc_lang or default
    if query_lang is None or doc_lang is None:
        raise HarnessError("bl-cs with several lexicons: say --query-lang and --doc-lang")
    for lang in (query_lang, doc_lang):
        if lang != ENGLISH and lang not in lexicons:
            raise HarnessError(f"bl-cs: no EN->{lang} lexicon given (have: {', '.join(sorted(lexicons))})")

    def side(lang: str):
        if lang == ENGLISH:
            return _unchanged
        return lambda text, rng: bl_cs(text, lexicons[lang], p, rng=rng, policy=policy)

    return side(query_lang), side(doc_lang), {"query": query_lang, "document": doc_lang}


def _wiki_sides(titles: Mapping[str, Lexicon], rng: np.random.Generator):
    """The query and document switches of one Wiki-CS instance: languages drawn uniformly from
    English and the title lexicons' languages."""
    languages = [ENGLISH, *sorted(titles)]
    chosen = [languages[int(rng.integers(len(languages)))] for _ in range(2)]
    return tuple((lambda text, rng, lexicon=titles.get(lang): wiki_cs(text, lexicon)) for lang in chosen)
