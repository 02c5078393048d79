"""Training data sources: a registry an adapter loads from by name, and the language pairs each provides.

``load_training_set("squad", data_dir, query_lang="it", doc_lang="en")`` gives a
:class:`~harness.training.examples.TrainingSet`; :func:`require_pair` lets an adapter fail with a
clear message before any loading (``translate-train has no training data for de: squad provides
en, es, it, zh``).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError, did_you_mean
from harness.training.data import msmarco, squad
from harness.training.examples import TrainingSet


@dataclass(frozen=True)
class TrainingSource:
    """One source: its languages (every X-Y pair over them is available) and how to load a pair."""

    name: str
    description: str
    languages: tuple[str, ...]
    default_negatives: int
    load: Callable[[Path, str, str, int, int, int | None, bool], TrainingSet]
    """(data_dir, query_lang, doc_lang, negatives, seed, limit, download) -> set; ``limit`` None is
    the source's default: every example of squad, the first 100,000 triples of msmarco."""


def _squad(data_dir: Path, query_lang: str, doc_lang: str, negatives: int, seed: int, limit: int | None, download: bool) -> TrainingSet:
    # The SQuAD files are read from the data directory as they are; there is nothing to download.
    return squad.squad_pairs(data_dir, query_lang=query_lang, doc_lang=doc_lang, negatives=negatives, seed=seed).subset(limit, seed)


def _msmarco(data_dir: Path, query_lang: str, doc_lang: str, negatives: int, seed: int, limit: int | None, download: bool) -> TrainingSet:
    # The triples come in MS MARCO's own (already shuffled) order: no seed to apply.
    return msmarco.msmarco_pairs(
        data_dir,
        query_lang=query_lang,
        doc_lang=doc_lang,
        limit=msmarco.DEFAULT_LIMIT if limit is None else limit,
        negatives=negatives,
        download=download,
    )


SOURCES: dict[str, TrainingSource] = {
    source.name: source
    for source in (
        TrainingSource(
            "squad",
            "SQuAD v1.1 dev minus XQuAD's paragraphs (question -> answer sentence), with translated SQuAD dev (LAReQA track)",
            squad.LANGUAGES,
            default_negatives=0,
            load=_squad,
        ),
        TrainingSource(
            "msmarco",
            "MS MARCO triples.train.small through ir_datasets, mMARCO v2 translations (mMARCO track)",
            msmarco.LANGUAGES,
            default_negatives=1,
            load=_msmarco,
        ),
    )
}


def get_source(name: str) -> TrainingSource:
    """The source called ``name``; an unknown name is a one-line error listing the known ones."""
    try:
        return SOURCES[name]
    except KeyError:
        raise HarnessError(
            f"unknown training data source {name!r}{did_you_mean(name, SOURCES)}; known: {', '.join(sorted(SOURCES))}"
        ) from None


def available_pairs(name: str) -> tuple[tuple[str, str], ...]:
    """Every (query_lang, doc_lang) pair source ``name`` can provide."""
    langs = get_source(name).languages
    return tuple((x, y) for x in langs for y in langs)


def require_pair(name: str, query_lang: str, doc_lang: str, *, purpose: str | None = None) -> None:
    """Raise a one-line :class:`HarnessError` unless source ``name`` provides ``query_lang``-``doc_lang``.

    ``purpose`` names who asks, e.g. ``"translate-train"``; the message lists what the source has.
    """
    source = get_source(name)
    for lang in (query_lang, doc_lang):
        if lang not in source.languages:
            raise HarnessError(f"{purpose or name} has no training data for {lang}: {name} provides {', '.join(source.languages)}")


def load_training_set(
    name: str,
    data_dir: Path,
    *,
    query_lang: str = "en",
    doc_lang: str = "en",
    negatives: int | None = None,
    seed: int = 0,
    limit: int | None = None,
    download: bool = False,
) -> TrainingSet:
    """The training set of source ``name`` for queries in ``query_lang`` and documents in ``doc_lang``.

    ``negatives`` and ``limit`` default to the source's own (see :class:`TrainingSource`);
    ``download`` applies to sources read through ir_datasets.
    """
    source = get_source(name)
    require_pair(name, query_lang, doc_lang)
    chosen = source.default_negatives if negatives is None else negatives
    return source.load(Path(data_dir), query_lang, doc_lang, chosen, seed, limit, download)
