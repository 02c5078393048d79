"""What every translation backend offers translate-test: texts of one language into English,
with per-text counts for the run's record, and a description that pins its results."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

ENGLISH = "en"

Counts = dict[str, int]
"""Per-text (or summed) integer counts, e.g. tokens and tokens with a lexicon entry."""


class Translator(ABC):
    """Translates texts of a language into English."""

    backend: ClassVar[str]

    @abstractmethod
    def translate(self, texts: Sequence[str], lang: str, *, progress: bool = False) -> tuple[list[str], list[Counts]]:
        """The English translations of ``texts`` (all in ``lang``, never English), in order, and
        each text's counts."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """Everything that determines the translations, independent of any task."""

    @abstractmethod
    def record(self) -> dict[str, Any]:
        """What this process translated with so far (files, checkpoints), for a run's metadata."""

    def summarize(self, counts: Mapping[str, int]) -> dict[str, Any]:
        """Counts summed over a side's texts of one language, with whatever shares they give."""
        return dict(counts)
