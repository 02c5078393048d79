"""Pooling token states into one text embedding (the two sentence-transformers modes in use)."""
from __future__ import annotations

import torch

POOLINGS = ("mean", "cls")


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, mode: str) -> torch.Tensor:
    """``mean``: average of the non-padding token states; ``cls``: the first token's state."""
    if mode == "cls":
        return hidden[:, 0]
    if mode == "mean":
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {mode!r}")
