"""Training instances and the training set that carries them with its provenance.

A :class:`TrainingSet` is what an adapter trains on and what a trained model's metadata records:
its source, the languages of its queries and documents, its notes (caveats, counts) and a
content fingerprint that goes into the trained model's cache key.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True, slots=True)
class TrainingExample:
    """One query with its positive document and optional hard negatives."""

    query: str
    positive: str
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrainingSet:
    """Examples plus provenance. ``query_langs``/``doc_langs`` are the languages the texts are in
    (several after multilingual code-switching), so a result can be flagged zero-shot per language."""

    source: str
    query_langs: tuple[str, ...]
    doc_langs: tuple[str, ...]
    examples: tuple[TrainingExample, ...]
    notes: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.examples)

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language the set's texts are in, sorted."""
        return tuple(sorted(set(self.query_langs) | set(self.doc_langs)))

    def fingerprint(self) -> str:
        """SHA-256 of the examples' texts in order (what the model saw, not where it came from)."""
        digest = hashlib.sha256()
        for example in self.examples:
            for text in (example.query, example.positive, *example.negatives):
                digest.update(text.encode("utf-8"))
                digest.update(b"\x1f")
            digest.update(b"\x1e")
        return digest.hexdigest()

    def with_examples(self, examples: Iterable[TrainingExample], **changes: Any) -> TrainingSet:
        """A copy with other examples (e.g. code-switched), other fields changed by keyword."""
        return replace(self, examples=tuple(examples), **changes)

    def subset(self, limit: int | None, seed: int) -> TrainingSet:
        """``limit`` examples drawn without replacement by ``seed``, in their original order (all
        for ``None``): a cut that spans the whole set, not its first articles. The notes say so."""
        if limit is None or limit >= len(self.examples):
            return self
        import numpy as np

        chosen = np.sort(np.random.default_rng(seed).choice(len(self.examples), size=limit, replace=False))
        notes = {**self.notes, "subset": {"limit": limit, "available": len(self.examples), "seed": seed}}
        return replace(self, examples=tuple(self.examples[i] for i in chosen.tolist()), notes=notes)

    def describe(self) -> dict[str, Any]:
        """JSON-ready provenance for a model's metadata."""
        return {
            "source": self.source,
            "query_langs": list(self.query_langs),
            "doc_langs": list(self.doc_langs),
            "examples": len(self.examples),
            "fingerprint": self.fingerprint(),
            "notes": dict(self.notes),
        }


def merge(sets: Sequence[TrainingSet], source: str) -> TrainingSet:
    """One set of every example of ``sets`` in order, languages united, notes kept per part."""
    return TrainingSet(
        source,
        tuple(sorted({lang for s in sets for lang in s.query_langs})),
        tuple(sorted({lang for s in sets for lang in s.doc_langs})),
        tuple(example for s in sets for example in s.examples),
        {"parts": [s.describe() for s in sets]},
    )
