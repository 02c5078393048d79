"""Bi-encoder: one shared encoder, pooled (mean or CLS) embeddings, cosine or dot-product scores."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from harness.models.backbone import Backbone, load_encoder, load_tokenizer
from harness.models.pooling import POOLINGS, pool
from harness.models.transformer_ranker import TransformerRanker
from harness.training.examples import TrainingExample
from harness.training.losses import info_nce

SIMILARITIES = ("cosine", "dot")


class BiEncoder(TransformerRanker):
    """Queries and documents through the same encoder; cosine normalises the pooled vectors."""

    architecture = "bi"

    def __init__(self, transformer, tokenizer, *, pooling: str = "mean", similarity: str = "cosine", max_length: int = 128, temperature: float = 0.05) -> None:
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {', '.join(SIMILARITIES)}, not {similarity!r}")
        super().__init__(transformer, tokenizer, max_length)
        self.pooling = pooling
        self.similarity = similarity
        self.temperature = temperature

    @classmethod
    def from_backbone(cls, backbone: Backbone, **settings: Any) -> "BiEncoder":
        return cls(load_encoder(backbone), load_tokenizer(backbone), **settings)

    def settings(self) -> dict[str, Any]:
        """What, besides the weights, determines the embeddings (for cache keys and the saved model)."""
        return {"architecture": self.architecture, "pooling": self.pooling, "similarity": self.similarity, "max_length": self.max_length, "temperature": self.temperature}

    def embed(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """Pooled (and, for cosine, unit-length) embeddings of a tokenised batch, with gradients."""
        hidden = self.transformer(**features).last_hidden_state
        vectors = pool(hidden, features["attention_mask"], self.pooling)
        return torch.nn.functional.normalize(vectors, dim=-1) if self.similarity == "cosine" else vectors

    def embed_texts(self, texts: Sequence[str]) -> torch.Tensor:
        features = self.tokenizer(list(texts), truncation=True, max_length=self.max_length, padding=True, return_tensors="pt")
        return self.embed(self.on_device(features))

    def encode(self, texts: Sequence[str], *, batch_size: int = 128, progress: bool = False, label: str = "encode") -> np.ndarray:
        """float32 embeddings of ``texts`` in their order (batched by length, no gradients)."""
        return self.infer(texts, self.embed, (self.transformer.config.hidden_size,), batch_size=batch_size, progress=progress, label=label)

    def training_loss(self, examples: Sequence[TrainingExample]) -> torch.Tensor:
        """InfoNCE over the batch: each query against every positive and every hard negative."""
        queries = self.embed_texts([e.query for e in examples])
        documents = self.embed_texts([e.positive for e in examples] + [n for e in examples for n in e.negatives])
        return info_nce(queries, documents, self.temperature if self.similarity == "cosine" else 1.0)
