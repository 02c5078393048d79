"""Wiki-CS: replace the page titles found in a text by their parallel titles."""
from __future__ import annotations

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from harness.codeswitch.tokens import Switched, unchanged
from harness.lexicons.lexicon import Lexicon
from harness.lexicons.words import WORD

MAX_NGRAM = 3


def wiki_cs(text: str, titles: Lexicon | None, *, max_ngram: int = MAX_NGRAM) -> Switched:
    """Lowercase ``text`` and replace every 1..``max_ngram``-word n-gram that is a title, longest
    first and left to right, never overlapping; an n-gram's words are separated by whitespace
    only (no match across punctuation), and a single English stopword is never replaced
    (scikit-learn's English list). ``switched`` counts the words replaced. ``titles=None`` is
    English: the text as it is."""
    if titles is None:
        return unchanged(text)
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
            if size == 1 and phrase in ENGLISH_STOP_WORDS:
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
