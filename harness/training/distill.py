"""OPTICAL's distillation (Huang, Yu, Allan, WSDM 2023): a frozen English teacher taught to a
multilingual student through optimal transport between token representations of bitext.

For a pair (English ``e``, foreign ``f``) the teacher encodes ``e`` and the student ``f``; the
cost between every student token of ``f`` and every teacher token of ``e`` is ``1 - cosine``
(:mod:`harness.training.optimal_transport`), special tokens and padding excluded; the loss is
``<T, C>`` with the Sinkhorn plan ``T`` held fixed. Optionally, ``rank_weight`` times the
student's own ranking loss (the bi-encoder's InfoNCE) on English query-passage pairs is added,
one batch of those per bitext batch, drawn in seeded epochs of their own.

The loop is :func:`harness.training.loop.train` itself (AdamW groups, warm-up schedule, gradient
accumulation and clipping, precision, seeding): :class:`Distiller` is the model it trains, whose
``training_loss`` is the objective above and whose only trainable weights are the student's.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch

from harness.models.bi_encoder import BiEncoder
from harness.models.transformer_ranker import TransformerRanker
from harness.training.examples import TrainingExample
from harness.training.loop import TrainingConfig, TrainingLog, epoch_orders, train
from harness.training.optimal_transport import cosine_cost, transport_loss


@dataclass(frozen=True)
class Distillation:
    """The objective's settings. Layers index the hidden states as transformers returns them:
    0 the embeddings, ``k`` the k-th layer's output, -1 the last."""

    epsilon: float = 0.1
    iterations: int = 50
    teacher_layer: int = -1
    student_layer: int = -1
    rank_weight: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Distiller(torch.nn.Module):
    """The student (trained) beside the teacher (frozen, always in eval mode)."""

    def __init__(
        self, student: BiEncoder, teacher: TransformerRanker, distillation: Distillation, *,
        ranking: Sequence[TrainingExample] = (), seed: int = 0,
    ) -> None:
        if distillation.rank_weight > 0 and not ranking:
            raise ValueError("rank_weight > 0 needs English ranking pairs")
        super().__init__()
        self.student = student  # first: the loop takes the device from the first parameter
        self.teacher = teacher.requires_grad_(False).eval()
        self.distillation = distillation
        self.ranking = tuple(ranking)
        self._ranking_batches: Iterator[list[int]] | None = None
        self._seed = seed

    def train(self, mode: bool = True) -> Distiller:
        super().train(mode)
        self.teacher.eval()  # no dropout in the teacher: its states are the fixed target
        return self

    def training_loss(self, examples: Sequence[TrainingExample]) -> torch.Tensor:
        """OT loss of the bitext pairs (``query``: English, ``positive``: foreign), plus the
        weighted ranking loss of a batch of English pairs where ``rank_weight`` > 0."""
        d = self.distillation
        with torch.no_grad():
            teacher, teacher_mask = token_states(self.teacher, [e.query for e in examples], d.teacher_layer)
        student, student_mask = token_states(self.student, [e.positive for e in examples], d.student_layer)
        loss = transport_loss(cosine_cost(student, teacher.to(student.dtype)), student_mask, teacher_mask, epsilon=d.epsilon, iterations=d.iterations)
        if d.rank_weight > 0:
            if self._ranking_batches is None:
                self._ranking_batches = _batches(len(self.ranking), len(examples), self._seed)
            loss = loss + d.rank_weight * self.student.training_loss([self.ranking[i] for i in next(self._ranking_batches)])
        return loss


def distil(
    student: BiEncoder, teacher: TransformerRanker, bitext: Sequence[TrainingExample], config: TrainingConfig,
    distillation: Distillation, *, ranking: Sequence[TrainingExample] = (), progress: bool = True,
) -> TrainingLog:
    """Train ``student`` in place on ``bitext`` pairs (English ``query``, foreign ``positive``)
    with OPTICAL's objective; ``teacher`` stays as it is. Returns the loop's log."""
    return train(Distiller(student, teacher, distillation, ranking=ranking, seed=config.seed), bitext, config, progress=progress)


def token_states(model: TransformerRanker, texts: Sequence[str], layer: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``layer``'s token states of ``texts`` (``B x n x d``) and the mask of the real tokens:
    neither padding nor the tokenizer's special tokens ([CLS], [SEP], <s>, </s>)."""
    features = model.tokenizer(
        list(texts), truncation=True, max_length=model.max_length, padding=True, return_special_tokens_mask=True, return_tensors="pt"
    )
    special = features.pop("special_tokens_mask").bool()
    features = model.on_device(features)
    states = model.transformer(**features, output_hidden_states=True).hidden_states
    if not -len(states) <= layer < len(states):
        raise ValueError(f"layer {layer} does not exist: the model has hidden states 0..{len(states) - 1} (or -{len(states)}..-1)")
    return states[layer], features["attention_mask"].bool() & ~special.to(model.device)


def _batches(count: int, size: int, seed: int) -> Iterator[list[int]]:
    """Endless batches of ``size`` (at most ``count``) indices: seeded permutations, each cut into
    whole batches (a permutation's remainder is skipped, so no batch holds an example twice)."""
    size = min(size, count)
    for order in epoch_orders(count, seed):
        for start in range(0, count - size + 1, size):
            yield order[start : start + size].tolist()
