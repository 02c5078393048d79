"""The training objectives: InfoNCE and Eq. 1 of the hybrid-batch paper for bi-encoders, binary
cross-entropy for cross-encoders."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def info_nce(queries: torch.Tensor, documents: torch.Tensor, temperature: float) -> torch.Tensor:
    """InfoNCE with in-batch negatives: query i's positive is document i; every other document
    (other queries' positives, and any hard negatives appended after the first ``len(queries)``
    rows) is a negative."""
    logits = queries @ documents.T / temperature
    return F.cross_entropy(logits, torch.arange(len(queries), device=queries.device))


def hard_negative_nce(queries: torch.Tensor, documents: torch.Tensor, temperature: float, *, in_batch_negatives: bool) -> torch.Tensor:
    """Elmahdy et al. 2024, Eq. 1: query i's positive (document i) against the batch's hard
    negatives (every row after the first ``len(queries)``: each query's own and the others').
    ``in_batch_negatives`` adds the other queries' positives, which makes it :func:`info_nce`. A
    batch without hard negatives gives 0 (the positive is its only candidate)."""
    if in_batch_negatives:
        return info_nce(queries, documents, temperature)
    count = len(queries)
    positives, negatives = documents[:count], documents[count:]
    logits = torch.cat([(queries * positives).sum(dim=-1, keepdim=True), queries @ negatives.T], dim=1) / temperature
    return F.cross_entropy(logits, torch.zeros(count, dtype=torch.long, device=queries.device))


def binary_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Pointwise BCE on one logit per (query, document) pair; labels are 1 for positives, 0 else."""
    return F.binary_cross_entropy_with_logits(logits.float(), labels.float())
