"""What the bi- and cross-encoder share: a transformer with its tokenizer and length limit, the
device it sits on, and inference over many texts in length-sorted batches."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

import numpy as np
import torch

from harness.models.text_batches import length_sorted_batches
from harness.progress import progress as progress_bar


class TransformerRanker(torch.nn.Module):
    """A transformer plus tokenizer; subclasses add the head, the scoring and the loss."""

    architecture: ClassVar[str]

    def __init__(self, transformer, tokenizer, max_length: int) -> None:
        super().__init__()
        self.transformer = transformer
        self.tokenizer = tokenizer
        self.max_length = max_length

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def on_device(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {key: value.to(self.device) for key, value in features.items()}

    @torch.inference_mode()
    def infer(
        self,
        texts: Sequence[str] | Sequence[tuple[str, str]],
        forward: Callable[[dict[str, torch.Tensor]], torch.Tensor],
        row_shape: tuple[int, ...],
        *,
        batch_size: int,
        progress: bool,
        label: str,
        max_length: int | None = None,
    ) -> np.ndarray:
        """float32 ``forward(batch)`` rows for ``texts`` (or (a, b) pairs) in their order: batched
        by token count, cut to ``max_length`` (default the model's), in eval mode without
        gradients (the training mode is restored after)."""
        was_training = self.training
        self.eval()
        try:
            out = np.empty((len(texts), *row_shape), dtype=np.float32)
            batches = length_sorted_batches(self.tokenizer, texts, max_length or self.max_length, batch_size)
            for positions, features in progress_bar(batches, progress, label, total=-(-len(texts) // batch_size), unit="batch"):
                out[positions] = forward(self.on_device(features)).float().cpu().numpy()
        finally:
            self.train(was_training)
        return out
