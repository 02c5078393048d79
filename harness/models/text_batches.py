"""Tokenise once, then batch by length: padding only to the longest text of each batch."""
from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np


def length_sorted_batches(tokenizer, texts: Sequence[str] | Sequence[tuple[str, str]], max_length: int, batch_size: int) -> Iterator[tuple[np.ndarray, dict]]:
    """``(positions, padded tensors)`` per batch, longest texts first; ``texts`` may be (a, b) pairs.

    Sorting by token count keeps padding, and so wasted compute, small (the order is undone by
    the caller through ``positions``).
    """
    if not texts:
        return
    if isinstance(texts[0], tuple):
        firsts, seconds = zip(*texts)
        encoded = tokenizer(list(firsts), list(seconds), truncation="longest_first", max_length=max_length)
    else:
        encoded = tokenizer(list(texts), truncation=True, max_length=max_length)
    features = {key: encoded[key] for key in encoded.keys()}
    lengths = np.fromiter((len(ids) for ids in features["input_ids"]), dtype=np.int64, count=len(texts))
    order = np.argsort(-lengths, kind="stable")
    for start in range(0, len(order), batch_size):
        positions = order[start : start + batch_size]
        batch = [{key: values[i] for key, values in features.items()} for i in positions.tolist()]
        yield positions, tokenizer.pad(batch, return_tensors="pt")
