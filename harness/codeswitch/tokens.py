"""The substitution of words that keeps everything else (spaces, punctuation) unchanged."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from harness.lexicons.words import WORD, words


@dataclass(frozen=True)
class Switched:
    """A switched text and what happened to it."""

    text: str
    words: int
    switched: int


def substitute_words(text: str, replacement: Callable[[str], str | None]) -> Switched:
    """``text`` with each word ``w`` replaced by ``replacement(w)`` where that is not None."""
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


def unchanged(text: str) -> Switched:
    """``text`` as it is, its words counted (the English side of a switched instance)."""
    return Switched(text, len(words(text)), 0)
