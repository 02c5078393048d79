"""Wiki-CS: replace the page titles found in a text by their parallel titles (p = 1).

Two matchings (read the title file with the same one, :func:`harness.lexicons.titles.read_titles`):

- ``official`` (mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_wiki_1.ipynb): the
  lowercased text split on whitespace; its 1..3-word n-grams (NLTK's ``everygrams`` order),
  minus NLTK's English stopwords, ordered by character length, longest first (ties in reverse
  ``everygrams`` order); each that is a title, in turn, replaced everywhere in the text as a
  *substring* (``str.replace``), so a title can match inside a longer word or inside an earlier
  replacement;
- ``tokens`` (the harness's): the lowercased text's words (:data:`~harness.lexicons.words.WORD`),
  n-grams separated by whitespace only, longest first and left to right, never overlapping;
  a single scikit-learn English stopword is never replaced.
"""
from __future__ import annotations

from harness.codeswitch.tokens import Switched, unchanged
from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon
from harness.lexicons.titles import MATCHINGS
from harness.lexicons.words import WORD, english_stopwords

MAX_NGRAM = 3


def wiki_cs(text: str, titles: Lexicon | None, *, max_ngram: int = MAX_NGRAM, matching: str = "official") -> Switched:
    """``text`` with its title n-grams replaced as ``matching`` says. ``words`` counts the words
    (whitespace tokens for ``official``), ``switched`` the words of replaced n-grams (``official``:
    each occurrence replaced, so at most ``words`` where titles match inside longer words).
    ``titles=None`` is English: the text as it is."""
    if matching not in MATCHINGS:
        raise HarnessError(f"unknown title matching {matching!r}: expected one of {', '.join(MATCHINGS)}")
    if titles is None:
        return Switched(text, len(text.split()), 0) if matching == "official" else unchanged(text, "regex")
    return _official(text, titles, max_ngram) if matching == "official" else _tokens(text, titles, max_ngram)


def _official(text: str, titles: Lexicon, max_ngram: int) -> Switched:
    from nltk.util import everygrams

    lowered = text.lower()
    tokens = lowered.split()
    stopwords = english_stopwords("nltk")
    grams = [" ".join(gram) for gram in everygrams(tokens, max_len=max_ngram)]
    # a stable sort by length, reversed: longest first, equal lengths in reverse everygrams order
    ordered = sorted((gram for gram in grams if gram not in stopwords), key=len)[::-1]
    switched = 0
    for gram in ordered:
        translation = titles.translate(gram)
        if translation is None:
            continue
        replaced = lowered.replace(gram, translation)
        if replaced != lowered:
            switched += lowered.count(gram) * len(gram.split())
            lowered = replaced
    return Switched(lowered, len(tokens), min(switched, len(tokens)))


def _tokens(text: str, titles: Lexicon, max_ngram: int) -> Switched:
    stopwords = english_stopwords("sklearn")
    lowered = text.lower()
    spans = [(m.start(), m.end()) for m in WORD.finditer(lowered)]
    parts: list[str] = []
    at = i = switched = 0
    while i < len(spans):
        for size in range(min(max_ngram, len(spans) - i), 0, -1):
            start, end = spans[i][0], spans[i + size - 1][1]
            if any(not lowered[a_end:b_start].isspace() for (_, a_end), (b_start, _) in zip(spans[i : i + size - 1], spans[i + 1 : i + size])):
                continue
            # the title file's cleaning joins words with single spaces
            phrase = " ".join(lowered[a:b] for a, b in spans[i : i + size])
            if size == 1 and phrase in stopwords:
                continue
            translation = titles.translate(phrase)
            if translation is not None:
                parts += [lowered[at:start], translation]
                at, switched = end, switched + size
                i += size
                break
        else:
            i += 1
    parts.append(lowered[at:])
    return Switched("".join(parts), len(spans), switched)
