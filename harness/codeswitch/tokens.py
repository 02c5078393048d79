"""The substitution of tokens in a text, under one of two tokenizations.

- ``treebank`` (the paper's, mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_clwe.py):
  NLTK's Treebank tokens of the text, each offered for substitution (punctuation and clitics
  such as ``n't`` too), then the Treebank detokenizer joins them, so spacing may change even
  where nothing was replaced (as in the paper's switched data);
- ``regex`` (the harness's): the words of :data:`harness.lexicons.words.WORD`, replaced in
  place; spaces and punctuation stay exactly as they were.

Counts are of words either way: Treebank tokens with a letter or digit.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.errors import HarnessError
from harness.lexicons.words import WORD, words

TOKENIZATIONS = ("treebank", "regex")


@dataclass(frozen=True)
class Switched:
    """A switched text and what happened to it."""

    text: str
    words: int
    switched: int


def check_tokenization(tokenization: str) -> None:
    """Raise a one-line error unless ``tokenization`` is one of :data:`TOKENIZATIONS`."""
    if tokenization not in TOKENIZATIONS:
        raise HarnessError(f"unknown tokenization {tokenization!r}: expected one of {', '.join(TOKENIZATIONS)}")


def substitute_words(text: str, replacement: Callable[[str], str | None], tokenization: str = "treebank") -> Switched:
    """``text`` with each token ``t`` replaced by ``replacement(t)`` where that is not None;
    ``replacement`` is called once per token, in order."""
    check_tokenization(tokenization)
    if tokenization == "regex":
        return _substitute_in_place(text, replacement)
    from harness.lexicons.treebank import detokenize, tokenize

    out: list[str] = []
    count = switched = 0
    for token in tokenize(text):
        new = replacement(token)
        is_word = WORD.search(token) is not None
        count += is_word
        switched += new is not None and is_word
        out.append(token if new is None else new)
    return Switched(detokenize(out), count, switched)


def unchanged(text: str, tokenization: str = "treebank") -> Switched:
    """``text`` as it is, its words counted as ``tokenization`` counts them (the English side)."""
    check_tokenization(tokenization)
    if tokenization == "regex":
        return Switched(text, len(words(text)), 0)
    from harness.lexicons.treebank import tokenize

    return Switched(text, sum(WORD.search(token) is not None for token in tokenize(text)), 0)


def _substitute_in_place(text: str, replacement: Callable[[str], str | None]) -> Switched:
    parts: list[str] = []
    at = count = switched = 0
    for match in WORD.finditer(text):
        count += 1
        new = replacement(match.group(0))
        if new is not None:
            parts += [text[at : match.start()], new]
            at = match.end()
            switched += 1
    parts.append(text[at:])
    return Switched("".join(parts), count, switched)
