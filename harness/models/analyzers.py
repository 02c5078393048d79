"""Which Lucene analyzer a document language gets, identically at indexing and at search time.

Anserini's indexer picks the analyzer from ``-language L`` (its ``AnalyzerMap``; English: its
Porter-stemming analyzer; ``ha so sw yo``: whitespace). Languages it has no analyzer for (Greek
and Vietnamese among the harness's) would silently get English stemming and stopwords there, and
``SimpleSearcher.set_language`` would leave the query side English too. The harness instead
gives them a language-neutral analysis (Unicode word tokens, lowercased, no stemming, no
stopwords), requested from the indexer with ``-stemmer none -keepStopwords``. The searcher is
always handed the same analyzer object explicitly (``set_analyzer``), so both sides agree by
construction rather than by two lookup tables that happen to match.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.models.java import start_jvm

# Names recorded with every result: stable identifiers, since a submission compares them.
ENGLISH = "io.anserini.analysis.DefaultEnglishAnalyzer(stemmer=porter, stopwords=english)"
NEUTRAL = "io.anserini.analysis.DefaultEnglishAnalyzer(stemmer=none, stopwords=none)"
WHITESPACE = "org.apache.lucene.analysis.core.WhitespaceAnalyzer"
# Anserini's own choice for these (MIRACL's official BM25 runs used it): no analyzer exists.
WHITESPACE_LANGUAGES = ("ha", "so", "sw", "yo")


@dataclass(frozen=True)
class Analysis:
    """How documents of ``language`` are analysed: the analyzer's name, the indexer options that
    select it, and whether it is the language-neutral fallback."""

    language: str
    analyzer: str
    index_options: tuple[str, ...]
    fallback: bool

    def java_analyzer(self) -> Any:
        """The Lucene Analyzer the indexer builds from ``index_options``, for the searcher."""
        from pyserini.pyclass import autoclass

        if self.analyzer == WHITESPACE:
            return autoclass(WHITESPACE)()
        english = autoclass("io.anserini.analysis.DefaultEnglishAnalyzer")
        if self.analyzer == ENGLISH:
            return english.fromArguments("porter", False, None)
        if self.fallback:
            return english.fromArguments("none", True, None)
        return autoclass("io.anserini.analysis.AnalyzerMap").getLanguageSpecificAnalyzer(self.language)


def analysis_for(language: str) -> Analysis:
    """The analysis of documents in ``language`` (an ISO 639-1 code)."""
    language = language.lower()
    specific = _language_specific()
    if language == "en":
        return Analysis(language, ENGLISH, ("-language", "en"), False)
    if language in specific:
        return Analysis(language, specific[language], ("-language", language), False)
    if language in WHITESPACE_LANGUAGES:
        return Analysis(language, WHITESPACE, ("-language", language), False)
    return Analysis(language, NEUTRAL, ("-language", language, "-stemmer", "none", "-keepStopwords"), True)


def analyzer_table() -> dict[str, str]:
    """Every language with its own analysis, plus ``*`` for all others (the neutral fallback)."""
    table = {"en": ENGLISH, **_language_specific(), **dict.fromkeys(WHITESPACE_LANGUAGES, WHITESPACE)}
    return {**dict(sorted(table.items())), "*": NEUTRAL}


_SPECIFIC: dict[str, str] | None = None


def _language_specific() -> dict[str, str]:
    """Anserini's ``AnalyzerMap`` (language -> Lucene analyzer class), read from the jar in use."""
    global _SPECIFIC
    if _SPECIFIC is None:
        start_jvm()
        from pyserini.pyclass import autoclass

        mapping = autoclass("io.anserini.analysis.AnalyzerMap").analyzerMap
        _SPECIFIC = {str(key): str(mapping.get(key)) for key in mapping.keySet().toArray()}
    return _SPECIFIC
