"""Cross-encoder: query and document in one input, one logit; re-ranks a first-stage list."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from harness.models.backbone import Backbone, load_scorer, load_tokenizer
from harness.models.transformer_ranker import TransformerRanker
from harness.training.data.pointwise import labelled_pairs
from harness.training.examples import TrainingExample
from harness.training.losses import binary_cross_entropy

SAMPLINGS = ("batch", "official")


class CrossEncoder(TransformerRanker):
    """A sequence-classification head with one output over ``[CLS] query [SEP] document [SEP]``.

    ``sampling`` says what its training examples are: ``batch`` (query, positive, hard negatives;
    the batch fills in negatives) or ``official`` (pointwise labelled pairs, :mod:`harness.training.data.pointwise`).
    """

    architecture = "cross"

    def __init__(self, transformer, tokenizer, *, max_length: int = 256, negatives: int = 3, sampling: str = "batch") -> None:
        super().__init__(transformer, tokenizer, max_length)
        if sampling not in SAMPLINGS:
            raise ValueError(f"sampling must be one of {', '.join(SAMPLINGS)}, not {sampling!r}")
        self.negatives = negatives
        self.sampling = sampling

    @classmethod
    def from_backbone(cls, backbone: Backbone, **settings: Any) -> CrossEncoder:
        return cls(load_scorer(backbone), load_tokenizer(backbone), **settings)

    def settings(self) -> dict[str, Any]:
        return {"architecture": self.architecture, "max_length": self.max_length, "negatives": self.negatives, "sampling": self.sampling}

    def logits(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.transformer(**self.on_device(features)).logits.squeeze(-1)

    def score(self, pairs: Sequence[tuple[str, str]], *, batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """One float32 logit per (query, document) pair, in the pairs' order."""
        return self.infer(list(pairs), self.logits, (), batch_size=batch_size, progress=progress, label="re-rank")

    def training_loss(self, examples: Sequence[TrainingExample]) -> torch.Tensor:
        """Pointwise BCE over the batch's labelled (query, document) pairs: ``official``, the
        examples' own labelled pairs; ``batch``, one positive to ``negatives`` negatives per query, its
        hard negatives first, then other queries' positives from the batch (the next ones,
        cyclically: deterministic)."""
        rows = [row for example in examples for row in labelled_pairs(example)] if self.sampling == "official" else self._batch_rows(examples)
        queries, documents, labels = (list(column) for column in zip(*rows))
        features = self.tokenizer(queries, documents, truncation="longest_first", max_length=self.max_length, padding=True, return_tensors="pt")
        logits = self.logits(features)
        return binary_cross_entropy(logits, torch.tensor(labels, device=logits.device))

    def _batch_rows(self, examples: Sequence[TrainingExample]) -> list[tuple[str, str, float]]:
        rows = []
        positives = [e.positive for e in examples]
        for i, example in enumerate(examples):
            others = [positives[(i + j) % len(examples)] for j in range(1, len(examples))]
            chosen = (list(example.negatives) + [d for d in others if d != example.positive])[: self.negatives]
            rows.extend([(example.query, example.positive, 1.0)] + [(example.query, d, 0.0) for d in chosen])
        return rows
