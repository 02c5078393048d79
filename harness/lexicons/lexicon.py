"""A bilingual lexicon: lowercase source entries to their translations, in the file's order."""
from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.errors import HarnessError
from harness.lexicons.words import words

# first: the first translation listed (MUSE's order, which is not by frequency: en-de lists
# rotwein before rot for 'red');
# all: one of the translations, drawn uniformly each time a word is switched
TRANSLATION_POLICIES = ("first", "all")


@dataclass(frozen=True)
class Lexicon:
    """``entries`` maps a lowercase source word or phrase to its translations (at least one)."""

    source: str
    target: str
    entries: Mapping[str, tuple[str, ...]]
    origin: str

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, word: str) -> bool:
        return word.lower() in self.entries

    def translate(self, word: str, policy: str = "first", rng: np.random.Generator | None = None) -> str | None:
        """The translation of ``word`` (looked up lowercased), or None when it has no entry."""
        translations = self.entries.get(word.lower())
        if translations is None:
            return None
        if policy == "first" or len(translations) == 1:
            return translations[0]
        if policy != "all":
            raise HarnessError(f"unknown translation policy {policy!r}: expected one of {', '.join(TRANSLATION_POLICIES)}")
        if rng is None:
            raise HarnessError("the 'all' translation policy draws a translation: give it a seeded rng")
        return translations[int(rng.integers(len(translations)))]

    def describe(self) -> dict[str, object]:
        """What a trained model records about the lexicon it used."""
        return {"source": self.source, "target": self.target, "entries": len(self.entries), "origin": self.origin}


@dataclass(frozen=True)
class Coverage:
    """How much of a text collection a lexicon can translate (words as the code-switchers see them)."""

    tokens: int
    covered_tokens: int
    types: int
    covered_types: int

    @property
    def token_share(self) -> float:
        return self.covered_tokens / self.tokens if self.tokens else 0.0

    @property
    def type_share(self) -> float:
        return self.covered_types / self.types if self.types else 0.0


def coverage(lexicon: Lexicon, texts: Iterable[str]) -> Coverage:
    """Token and type coverage of ``lexicon`` over ``texts`` (lowercased words)."""
    counts: dict[str, int] = {}
    for text in texts:
        for word in words(text):
            key = word.lower()
            counts[key] = counts.get(key, 0) + 1
    covered = {w: n for w, n in counts.items() if w in lexicon.entries}
    return Coverage(sum(counts.values()), sum(covered.values()), len(counts), len(covered))


def group_entries(pairs: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """source -> translations in first-seen order, duplicates dropped."""
    grouped: dict[str, dict[str, None]] = {}
    for source, target in pairs:
        grouped.setdefault(source, {})[target] = None
    return {source: tuple(targets) for source, targets in grouped.items()}


def numbered_lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 text file, gzip or not; unreadable files are one clear error.

    A leading byte-order mark (editors on Windows write one) is not part of the first word.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as lines:
            yield from enumerate(lines, start=1)
    except FileNotFoundError:
        raise HarnessError(f"{path}: no such {what} file") from None
    except (UnicodeDecodeError, OSError, EOFError, zlib.error) as error:
        raise HarnessError(f"{path}: not a readable UTF-8 (or gzip) text file ({error})") from None
