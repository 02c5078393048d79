"""Words as lexicons and code-switchers see them, and the English stopword lists they skip.

A word is a maximal run of letters and digits, with inner apostrophes or hyphens kept
(``don't``, ``well-known``); spaces and punctuation between words are not words.
"""
from __future__ import annotations

import functools
import json
import re
from importlib.resources import files

WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
STOPWORD_LISTS = ("nltk", "sklearn")


def words(text: str) -> list[str]:
    """The words of ``text`` in order."""
    return WORD.findall(text)


@functools.cache
def english_stopwords(name: str) -> frozenset[str]:
    """An English stopword list: ``nltk`` (NLTK's 179 words, vendored in
    ``nltk_english_stopwords.json`` with its provenance) or ``sklearn`` (scikit-learn's 318, which
    also hold content words such as "system", "fire", "interest")."""
    if name == "nltk":
        return frozenset(json.loads(files("harness.lexicons").joinpath("nltk_english_stopwords.json").read_text(encoding="utf-8"))["words"])
    if name == "sklearn":
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return frozenset(ENGLISH_STOP_WORDS)
    raise ValueError(f"unknown stopword list {name!r}: expected one of {', '.join(STOPWORD_LISTS)}")
