"""Hybrid batching (Elmahdy et al. 2024, arXiv 2408.10536, Sec. 2.2) over parallel training items.

Each item exists in every training language (one query with its positive and hard negatives,
translated). An epoch visits every item once, in a fresh seeded order, cut into batches; each
batch is

- **monolingual** with probability ``alpha``: one language, drawn uniformly, for every query and
  passage of the batch;
- **cross-lingual** otherwise: per triplet, the query language drawn uniformly and the passage
  language uniformly among the other languages (positive and negatives share it).

``batching`` makes the paper's comparison runnable: ``hybrid`` (share ``alpha``), ``monolingual``
(every batch monolingual: X-X-mono in its tables) and ``cross`` (every batch cross-lingual: X-Y).
Only the item order and the languages are drawn here; which texts an item holds is the caller's.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import HarnessError

BATCHINGS = ("hybrid", "monolingual", "cross")


@dataclass(frozen=True)
class Triplet:
    """One training instance of a batch: an item with its query and passage languages."""

    item: int
    query_lang: str
    doc_lang: str


@dataclass(frozen=True)
class Batch:
    """One batch: its triplets, and whether one language was drawn for all of them."""

    monolingual: bool
    triplets: tuple[Triplet, ...]


def monolingual_share(batching: str, alpha: float) -> float:
    """The probability that a batch is monolingual under ``batching``."""
    if batching not in BATCHINGS:
        raise HarnessError(f"batching must be one of {', '.join(BATCHINGS)}, not {batching!r}")
    if not 0.0 <= alpha <= 1.0:
        raise HarnessError(f"alpha is a probability in [0, 1], got {alpha}")
    return {"hybrid": alpha, "monolingual": 1.0, "cross": 0.0}[batching]


def sample_batches(
    items: int, languages: Sequence[str], *, batch_size: int, epochs: int, batching: str = "hybrid", alpha: float = 0.5, seed: int = 0
) -> tuple[tuple[Batch, ...], ...]:
    """Each epoch's batches over ``items`` parallel items in ``languages``, drawn from ``seed``
    alone (the same arguments give the same batches)."""
    share = monolingual_share(batching, alpha)
    languages = tuple(languages)
    if len(set(languages)) != len(languages) or not languages:
        raise HarnessError(f"hybrid batching needs distinct languages, got {', '.join(languages) or 'none'}")
    if share < 1.0 and len(languages) < 2:
        raise HarnessError(f"cross-lingual batches need two languages or more, got {', '.join(languages)} (batching={batching})")
    if items < 1 or batch_size < 1:
        raise HarnessError(f"hybrid batching needs items and a batch size of 1 or more, got {items} items, batch size {batch_size}")
    rng = np.random.default_rng(seed)
    count = len(languages)
    plan = []
    for _ in range(epochs):
        order = rng.permutation(items).tolist()
        batches = []
        for first in range(0, items, batch_size):
            chunk = order[first : first + batch_size]
            if rng.random() < share:
                lang = languages[int(rng.integers(count))]
                batches.append(Batch(True, tuple(Triplet(i, lang, lang) for i in chunk)))
                continue
            queries = rng.integers(count, size=len(chunk))
            # an offset of 1..count-1 from the query's language: uniform over the other languages
            passages = (queries + 1 + rng.integers(count - 1, size=len(chunk))) % count
            batches.append(Batch(False, tuple(Triplet(i, languages[q], languages[d]) for i, q, d in zip(chunk, queries.tolist(), passages.tolist()))))
        plan.append(tuple(batches))
    return tuple(plan)


def summary(plan: Sequence[Sequence[Batch]]) -> dict[str, Any]:
    """What a plan drew, for a training set's notes: batch counts and language counts."""
    batches = [batch for epoch in plan for batch in epoch]
    return {
        "batches": len(batches),
        "monolingual_batches": sum(batch.monolingual for batch in batches),
        "monolingual_batch_languages": dict(sorted(Counter(batch.triplets[0].query_lang for batch in batches if batch.monolingual).items())),
        "cross_lingual_pairs": dict(sorted(Counter(f"{t.query_lang}-{t.doc_lang}" for b in batches if not b.monolingual for t in b.triplets).items())),
    }
