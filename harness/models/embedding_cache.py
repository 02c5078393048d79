"""Embeddings cached per (model, text set): a pool encoded once serves every pair that ranks it.

Entries are ``.npy`` files under ``$HARNESS_CACHE_DIR/embeddings``, keyed by the model's
identity and the SHA-256 of the texts in order, written atomically. Within one cache object,
every text is also remembered on its own: a text set that overlaps earlier ones (MLQA-R's
queries, a different subset of a language's questions for each pair) encodes only its new texts,
so a run over every pair encodes each text once.
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
        self.encoded = 0
        """Texts encoded by this object (a text seen before in the same model is not encoded again)."""
        self._rows: dict[str, dict[str, np.ndarray]] = {}

    def path(self, model_identity: str, texts: Sequence[str]) -> Path:
        key = hashlib.sha256(f"{model_identity}\n{texts_digest(texts)}".encode()).hexdigest()[:32]
        return self.root / f"{key}.npy"

    def get(self, model_identity: str, texts: Sequence[str], encode: Callable[[Sequence[str]], np.ndarray]) -> np.ndarray:
        """The cached matrix for these texts under this model, else one built from the rows this
        object already holds and ``encode`` of the texts it lacks (each once), then stored."""
        path = self.path(model_identity, texts)
        rows = self._rows.setdefault(model_identity, {})
        if path.is_file():
            matrix = np.load(path)
            if matrix.shape[0] == len(texts):
                self.hits += 1
                rows.update(zip(texts, matrix))
                return matrix
        self.misses += 1
        missing = list(dict.fromkeys(text for text in texts if text not in rows))
        if missing:
            rows.update(zip(missing, encode(missing)))
            self.encoded += len(missing)
        matrix = np.stack([rows[text] for text in texts]) if texts else encode(texts)
        with atomic_open(path, "wb", encoding=None) as out:
            np.save(out, matrix)
        return matrix
