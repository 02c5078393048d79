"""Cross-encoder: query and document in one input, one logit; re-ranks a first-stage list."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from harness.models.backbone import Backbone, load_scorer, load_tokenizer
from harness.models.transformer_ranker import TransformerRanker
from harness.training.examples import TrainingExample
from harness.training.losses import binary_cross_entropy


class CrossEncoder(TransformerRanker):
    """A sequence-classification head with one output over ``[CLS] query [SEP] document [SEP]``."""

    architecture = "cross"

    def __init__(self, transformer, tokenizer, *, max_length: int = 256, negatives: int = 3) -> None:
        super().__init__(transformer, tokenizer, max_length)
        self.negatives = negatives

    @classmethod
    def from_backbone(cls, backbone: Backbone, **settings: Any) -> "CrossEncoder":
        return cls(load_scorer(backbone), load_tokenizer(backbone), **settings)

    def settings(self) -> dict[str, Any]:
        return {"architecture": self.architecture, "max_length": self.max_length, "negatives": self.negatives}

    def logits(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.transformer(**self.on_device(features)).logits.squeeze(-1)

    def score(self, pairs: Sequence[tuple[str, str]], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """One float32 logit per (query, document) pair, in the pairs' order."""
        return self.infer(list(pairs), self.logits, (), batch_size=batch_size, progress=progress, label="re-rank")

    def training_loss(self, examples: Sequence[TrainingExample]) -> torch.Tensor:
        """BCE with one positive to ``negatives`` negatives per query: its hard negatives first,
        then other queries' positives from the batch (the next ones, cyclically: deterministic)."""
        queries, documents, labels = [], [], []
        positives = [e.positive for e in examples]
        for i, example in enumerate(examples):
            others = [positives[(i + j) % len(examples)] for j in range(1, len(examples))]
            chosen = (list(example.negatives) + [d for d in others if d != example.positive])[: self.negatives]
            for document, label in [(example.positive, 1.0)] + [(d, 0.0) for d in chosen]:
                queries.append(example.query)
                documents.append(document)
                labels.append(label)
        features = self.tokenizer(queries, documents, truncation="longest_first", max_length=self.max_length, padding=True, return_tensors="pt")
        logits = self.logits(features)
        return binary_cross_entropy(logits, torch.tensor(labels, device=logits.device))
