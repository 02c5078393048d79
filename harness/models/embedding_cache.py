"""Embeddings cached per (model, text set): a pool encoded once serves every pair that ranks it.

Entries are ``.npy`` files under ``$HARNESS_CACHE_DIR/embeddings``, keyed by the model's
identity and the SHA-256 of the texts in order, written atomically.
"""
from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from harness.atomic import atomic_open
from harness.paths import cache_dir


def texts_digest(texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\x1f")
    return digest.hexdigest()


class EmbeddingCache:
    """Get-or-compute of embedding matrices; ``root=None`` uses the harness cache directory."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir() / "embeddings"
        self.hits = 0
        self.misses = 0

    def path(self, model_identity: str, texts: Sequence[str]) -> Path:
        key = hashlib.sha256(f"{model_identity}\n{texts_digest(texts)}".encode()).hexdigest()[:32]
        return self.root / f"{key}.npy"

    def get(self, model_identity: str, texts: Sequence[str], encode: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
        """The cached matrix for these texts under this model, else ``encode(texts)`` stored."""
        path = self.path(model_identity, texts)
        if path.is_file():
            matrix = np.load(path)
            if matrix.shape[0] == len(texts):
                self.hits += 1
                return matrix
        self.misses += 1
        matrix = encode(texts)
        with atomic_open(path, "wb", encoding=None) as out:
            np.save(out, matrix)
        return matrix
