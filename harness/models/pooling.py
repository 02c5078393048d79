"""Pooling token states into one text embedding, each mode exactly as sentence-transformers'
``Pooling`` module computes it (padding on either side, prompt tokens left out on request)."""
from __future__ import annotations

import torch

POOLINGS = ("mean", "cls", "max", "lasttoken")


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, mode: str) -> torch.Tensor:
    """``mean``: average of the unmasked token states; ``cls``: the first unmasked token's state;
    ``max``: the element-wise maximum over unmasked tokens; ``lasttoken``: the last unmasked
    token's state (zeros for a row with none, as sentence-transformers gives)."""
    if mode == "cls":
        first = attention_mask.to(torch.int).argmax(dim=1)
        return hidden[torch.arange(hidden.size(0), device=hidden.device), first]
    if mode == "max":
        return hidden.masked_fill(attention_mask.unsqueeze(-1) == 0, float("-inf")).max(dim=1).values
    if mode == "mean":
        # half-precision states are summed in float32, as sentence-transformers does
        total = torch.float32 if hidden.dtype in (torch.float16, torch.bfloat16) else hidden.dtype
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        summed = (hidden * mask).sum(dim=1, dtype=total)
        return (summed / mask.sum(dim=1, dtype=total).clamp(min=1e-9)).to(hidden.dtype)
    if mode == "lasttoken":
        length = attention_mask.size(1)
        found, from_end = attention_mask.flip(1).max(dim=1)
        last = length - 1 - torch.where(found == 0, length - 1, from_end)
        masked = hidden * attention_mask.unsqueeze(-1).to(hidden.dtype)
        return masked[torch.arange(hidden.size(0), device=hidden.device), last]
    raise ValueError(f"pooling must be one of {', '.join(POOLINGS)}, not {mode!r}")


def without_prompt(attention_mask: torch.Tensor, prompt_length: int) -> torch.Tensor:
    """The mask with each row's first ``prompt_length`` real tokens (after any left padding) masked
    out: sentence-transformers' ``include_prompt=False``. The mask itself is left unchanged."""
    start = attention_mask.to(torch.int32).argmax(dim=1, keepdim=True)
    positions = torch.arange(attention_mask.size(1), device=attention_mask.device).unsqueeze(0)
    return attention_mask.masked_fill(positions < start + prompt_length, 0)
