"""Bi-encoder: one shared encoder, pooled (mean or CLS) embeddings, cosine or dot-product scores."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from harness.models.backbone import Backbone, load_encoder, load_tokenizer
from harness.models.pooling import POOLINGS, pool
from harness.models.text_batches import length_sorted_batches
from harness.progress import progress as progress_bar
from harness.training.examples import TrainingExample
from harness.training.losses import info_nce

SIMILARITIES = ("cosine", "dot")


class BiEncoder(torch.nn.Module):
    """Queries and documents through the same encoder; cosine normalises the pooled vectors."""

    architecture = "bi"

    def __init__(self, transformer, tokenizer, *, pooling: str = "mean", similarity: str = "cosine", max_length: int = 128, temperature: float = 0.05) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {', '.join(SIMILARITIES)}, not {similarity!r}")
        self.transformer = transformer
        self.tokenizer = tokenizer
        self.pooling = pooling
        self.similarity = similarity
        self.max_length = max_length
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
        return self.embed({k: v.to(self.device) for k, v in features.items()})

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    @torch.inference_mode()
    def encode(self, texts: Sequence[str], *, batch_size: int = 128, progress: bool = False, label: str = "encode") -> np.ndarray:
        """float32 embeddings of ``texts`` in their order (batched by length, no gradients)."""
        was_training = self.training
        self.eval()
        out = np.empty((len(texts), self.transformer.config.hidden_size), dtype=np.float32)
        batches = length_sorted_batches(self.tokenizer, texts, self.max_length, batch_size)
        total = -(-len(texts) // batch_size)
        for positions, features in progress_bar(batches, progress, label, total=total, unit="batch"):
            vectors = self.embed({k: v.to(self.device) for k, v in features.items()})
            out[positions] = vectors.float().cpu().numpy()
        self.train(was_training)
        return out

    def training_loss(self, examples: Sequence[TrainingExample]) -> torch.Tensor:
        """InfoNCE over the batch: each query against every positive and every hard negative."""
        queries = self.embed_texts([e.query for e in examples])
        documents = self.embed_texts([e.positive for e in examples] + [n for e in examples for n in e.negatives])
        return info_nce(queries, documents, self.temperature if self.similarity == "cosine" else 1.0)
