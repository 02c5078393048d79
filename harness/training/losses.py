"""The two training objectives: InfoNCE for bi-encoders, binary cross-entropy for cross-encoders."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(queries: torch.Tensor, documents: torch.Tensor, temperature: float) -> torch.Tensor:
    """InfoNCE with in-batch negatives: query i's positive is document i; every other document
    (other queries' positives, and any hard negatives appended after the first ``len(queries)``
    rows) is a negative."""
    logits = queries @ documents.T / temperature
    return F.cross_entropy(logits, torch.arange(len(queries), device=queries.device))


def binary_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Pointwise BCE on one logit per (query, document) pair; labels are 1 for positives, 0 else."""
    return F.binary_cross_entropy_with_logits(logits.float(), labels.float())
