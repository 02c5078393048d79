"""Bi-encoder: one shared encoder, pooled embeddings, cosine or dot-product scores; queries and
documents each get their own prefix (a sentence-transformers prompt), as its ``encode_query`` and
``encode_document`` put them."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from harness.models.backbone import Backbone, load_encoder, load_tokenizer
from harness.models.pooling import POOLINGS, pool, without_prompt
from harness.models.transformer_ranker import TransformerRanker
from harness.training.examples import TrainingExample
from harness.training.losses import hard_negative_nce

SIMILARITIES = ("cosine", "dot")
SIDES = ("query", "document")


class BiEncoder(TransformerRanker):
    """Queries and documents through the same encoder; unit-length embeddings for cosine scores
    or where the checkpoint normalises (a sentence-transformers ``Normalize`` module)."""

    architecture = "bi"

    def __init__(
        self, transformer, tokenizer, *, pooling: str = "mean", similarity: str = "cosine", normalize: bool = False, max_length: int = 128,
        temperature: float = 0.05, query_prefix: str = "", document_prefix: str = "", include_prompt: bool = True,
        in_batch_negatives: bool = True, document_max_length: int | None = None,
    ) -> None:
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {pooling!r}")
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {', '.join(SIMILARITIES)}, not {similarity!r}")
        super().__init__(transformer, tokenizer, max_length)
        self.pooling = pooling
        self.similarity = similarity
        self.normalize = normalize or similarity == "cosine"
        self.temperature = temperature
        self.prefixes = {"query": query_prefix, "document": document_prefix}
        self.include_prompt = include_prompt
        self.in_batch_negatives = in_batch_negatives
        self.document_max_length = document_max_length
        """Tokens per document where it differs from ``max_length`` (which then limits queries only)."""

    @classmethod
    def from_backbone(cls, backbone: Backbone, **settings: Any) -> BiEncoder:
        return cls(load_encoder(backbone), load_tokenizer(backbone), **settings)

    def encoding(self) -> dict[str, Any]:
        """Everything besides the weights that determines the embeddings (cache keys, run metadata)."""
        encoding = {
            "pooling": self.pooling, "similarity": self.similarity, "normalize": self.normalize, "max_length": self.max_length,
            "query_prefix": self.prefixes["query"], "document_prefix": self.prefixes["document"], "include_prompt": self.include_prompt,
        }
        # only where set: a model with one limit keeps the cache keys it always had
        return encoding if self.document_max_length is None else {**encoding, "document_max_length": self.document_max_length}

    def side_max_length(self, side: str) -> int:
        """Tokens per text of ``side`` (query or document), prefix included."""
        return self.document_max_length if side == "document" and self.document_max_length is not None else self.max_length

    def settings(self) -> dict[str, Any]:
        """The constructor's settings, as the saved model stores them."""
        return {"architecture": self.architecture, **self.encoding(), "temperature": self.temperature, "in_batch_negatives": self.in_batch_negatives}

    def embed(self, features: dict[str, torch.Tensor], side: str) -> torch.Tensor:
        """Pooled (and, if normalising, unit-length) embeddings of a tokenised ``side`` batch, with gradients."""
        hidden = self.transformer(**features).last_hidden_state
        mask = features["attention_mask"]
        prompt_length = self.prompt_length(side)
        vectors = pool(hidden, without_prompt(mask, prompt_length) if prompt_length else mask, self.pooling)
        return torch.nn.functional.normalize(vectors, dim=-1) if self.normalize else vectors

    def prompt_length(self, side: str) -> int:
        """Tokens of ``side``'s prefix that pooling leaves out: none unless ``include_prompt`` is off;
        then the prefix's tokens with its leading special token, without a trailing one (as
        sentence-transformers counts a prompt's)."""
        prompt = self.prefixes[side]
        if self.include_prompt or not prompt:
            return 0
        ids = self.tokenizer(prompt, truncation=True, max_length=self.max_length)["input_ids"]
        return len(ids) - (ids[-1] in self.tokenizer.all_special_ids)

    def prompted(self, texts: Sequence[str], side: str) -> list[str]:
        prompt = self.prefixes[side]
        return [prompt + text for text in texts]

    def embed_texts(self, texts: Sequence[str], side: str) -> torch.Tensor:
        features = self.tokenizer(self.prompted(texts, side), truncation=True, max_length=self.side_max_length(side), padding=True, return_tensors="pt")
        return self.embed(self.on_device(features), side)

    def encode(self, texts: Sequence[str], side: str, *, batch_size: int = 128, progress: bool = False, label: str = "encode") -> np.ndarray:
        """float32 embeddings of ``texts`` as queries or documents (``side``), in their order
        (batched by length, no gradients)."""
        return self.infer(
            self.prompted(texts, side), lambda features: self.embed(features, side), (self.transformer.config.hidden_size,),
            batch_size=batch_size, progress=progress, label=label, max_length=self.side_max_length(side),
        )

    def training_loss(self, examples: Sequence[TrainingExample]) -> torch.Tensor:
        """InfoNCE over the batch: each query against every positive and every hard negative (without
        the other queries' positives where ``in_batch_negatives`` is off: hybrid batching's Eq. 1)."""
        queries = self.embed_texts([e.query for e in examples], "query")
        documents = self.embed_texts([e.positive for e in examples] + [n for e in examples for n in e.negatives], "document")
        temperature = self.temperature if self.normalize else 1.0
        return hard_negative_nce(queries, documents, temperature, in_batch_negatives=self.in_batch_negatives)
