"""One training loop for every training-time adapter.

AdamW without weight decay on biases and LayerNorm parameters, a linear warm-up then linear
decay schedule, gradient accumulation, gradient clipping, mixed precision where the device has
it (bf16, else fp16 with loss scaling, on CUDA; full precision on CPU), and one seed for the
shuffling and every other random choice. The model brings its loss: ``model.training_loss(examples)``.
Examples are shuffled into batches each epoch, unless they come as :class:`PlannedBatches` (a
sampler that composes its batches itself, e.g. hybrid batching): then they are visited as planned.
Training lasts ``epochs`` epochs, or ``max_steps`` optimizer steps (a fresh shuffle each epoch, as
many as the steps need, the last one cut short); warm-up is a share of the steps, or
``warmup_steps`` steps, as the code-switching paper's trainer counts both (Hugging Face
``max_steps``/``warmup_steps``).
"""
from __future__ import annotations

import itertools
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from harness.errors import HarnessError
from harness.progress import progress_counter
from harness.training.examples import TrainingExample

PRECISIONS = ("auto", "no", "bf16", "fp16")


class Trainable(Protocol):
    def training_loss(self, examples: Sequence[TrainingExample]) -> torch.Tensor: ...
    def named_modules(self): ...
    def named_parameters(self): ...
    def train(self, mode: bool = True): ...


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation settings. ``batch_size`` examples go through one forward pass (the in-batch
    negatives of InfoNCE); an optimizer step sees ``batch_size * grad_accumulation`` examples."""

    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 2e-5
    weight_decay: float = 0.01
    warmup: float = 0.1
    """Share of the optimizer steps spent warming the learning rate up from 0."""
    grad_accumulation: int = 1
    max_grad_norm: float = 1.0
    mixed_precision: str = "auto"
    seed: int = 0
    max_steps: int | None = None
    """Optimizer steps to take, in place of ``epochs``."""
    warmup_steps: int | None = None
    """Warm-up steps, in place of the share ``warmup``."""

    def __post_init__(self) -> None:
        if self.mixed_precision not in PRECISIONS:
            raise HarnessError(f"mixed_precision must be one of {', '.join(PRECISIONS)}, not {self.mixed_precision!r}")
        for name in ("epochs", "batch_size", "grad_accumulation"):
            if getattr(self, name) < (0 if name == "epochs" else 1):
                raise HarnessError(f"training parameter {name} must be {'>= 0' if name == 'epochs' else '>= 1'}, got {getattr(self, name)}")
        if not 0.0 <= self.warmup <= 1.0:
            raise HarnessError(f"warmup is a share of the steps in [0, 1], got {self.warmup}")
        for name, least in (("max_steps", 1), ("warmup_steps", 0)):
            if getattr(self, name) is not None and getattr(self, name) < least:
                raise HarnessError(f"training parameter {name} must be >= {least}, got {getattr(self, name)}")
        if self.max_steps is not None and self.epochs == 0:
            raise HarnessError("max_steps replaces epochs: epochs=0 (no training) and max_steps contradict each other")

    def steps(self, examples: int) -> int:
        """Optimizer steps for ``examples`` training examples."""
        if self.max_steps is not None:
            return self.max_steps
        return self.epochs * math.ceil(math.ceil(examples / self.batch_size) / self.grad_accumulation)

    def warmup_for(self, total: int) -> int:
        """Warm-up steps of a run of ``total`` optimizer steps."""
        return self.warmup_steps if self.warmup_steps is not None else round(self.warmup * total)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainingLog:
    """What a training run did, for the model's metadata."""

    device: str
    precision: str
    steps: int = 0
    examples_seen: int = 0
    seconds: float = 0.0
    losses: list[float] = field(default_factory=list)
    """Mean loss of each optimizer step."""

    @property
    def examples_per_second(self) -> float:
        return self.examples_seen / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "examples_per_second": self.examples_per_second}


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's generators (CUDA included)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def parameter_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """Two AdamW groups: decay for weight matrices; none for biases and normalisation layers."""
    exempt: set[int] = set()
    for module in model.modules():
        if isinstance(module, (torch.nn.LayerNorm, torch.nn.GroupNorm)) or "norm" in type(module).__name__.lower():
            exempt.update(id(p) for p in module.parameters(recurse=False))
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        (no_decay if id(parameter) in exempt or name.endswith("bias") else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def resolve_precision(requested: str, device: torch.device) -> str:
    """``auto``: bf16 on CUDA devices that have it, else fp16 on CUDA, else full precision."""
    if requested != "auto":
        if requested != "no" and device.type != "cuda":
            raise HarnessError(f"mixed_precision={requested} needs a CUDA device; this one is {device.type}")
        return requested
    if device.type != "cuda":
        return "no"
    return "bf16" if torch.cuda.is_bf16_supported() else "fp16"


class PlannedBatches(tuple):
    """Training examples whose batches a sampler built, every epoch's in visiting order (so a
    training set's fingerprint covers what the model sees); :func:`train` visits them as planned."""

    epochs: tuple[tuple[int, ...], ...]
    """Each epoch's batch sizes."""

    @classmethod
    def of(cls, epochs: Sequence[Sequence[Sequence[TrainingExample]]]) -> PlannedBatches:
        """The plan of ``epochs``, each a sequence of batches of examples."""
        plan = cls(example for epoch in epochs for batch in epoch for example in batch)
        plan.epochs = tuple(tuple(len(batch) for batch in epoch) for epoch in epochs)
        return plan

    def batches(self) -> Iterator[list[list[TrainingExample]]]:
        """Each epoch's batches."""
        start = 0
        for sizes in self.epochs:
            epoch = []
            for size in sizes:
                epoch.append(list(self[start : start + size]))
                start += size
            yield epoch


def epoch_orders(count: int, seed: int) -> Iterator[np.ndarray]:
    """The order :func:`train` visits ``count`` examples in, one permutation per epoch, from ``seed``."""
    rng = np.random.default_rng(seed)
    while True:
        yield rng.permutation(count)


def epoch_batches(examples: Sequence[TrainingExample], config: TrainingConfig) -> tuple[int, Iterator[list[list[TrainingExample]]]]:
    """The optimizer steps :func:`train` takes and each epoch's batches (``config.epochs`` of them,
    or endless under ``max_steps``): a plan's as planned, else a fresh permutation of ``examples``
    cut into ``batch_size`` runs."""
    if isinstance(examples, PlannedBatches):
        if config.max_steps is not None:
            raise HarnessError("planned batches fix their own steps; max_steps does not apply to them")
        if len(examples.epochs) != config.epochs:
            raise HarnessError(f"the planned batches cover {len(examples.epochs)} epochs; the training asks for {config.epochs}")
        return sum(math.ceil(len(sizes) / config.grad_accumulation) for sizes in examples.epochs), examples.batches()

    def shuffled() -> Iterator[list[list[TrainingExample]]]:
        for order in itertools.islice(epoch_orders(len(examples), config.seed), None if config.max_steps else config.epochs):
            yield [[examples[i] for i in order[first : first + config.batch_size].tolist()] for first in range(0, len(order), config.batch_size)]

    return config.steps(len(examples)), shuffled()


def train(model: Trainable, examples: Sequence[TrainingExample], config: TrainingConfig, *, progress: bool = True) -> TrainingLog:
    """Fine-tune ``model`` in place on ``examples`` (shuffled each epoch, or :class:`PlannedBatches`
    visited as planned); returns the log (losses, speed, precision)."""
    if not examples:
        raise HarnessError("no training examples")
    seed_everything(config.seed)
    device = next(model.parameters()).device
    precision = resolve_precision(config.mixed_precision, device)
    log = TrainingLog(str(device), precision)
    from transformers import get_linear_schedule_with_warmup

    total, per_epoch = epoch_batches(examples, config)
    optimizer = torch.optim.AdamW(parameter_groups(model, config.weight_decay), lr=config.learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, config.warmup_for(total), total)
    scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    model.train()
    started = time.perf_counter()
    bar = progress_counter(total, progress, "train", unit="step")
    for batches in per_epoch:
        for first in range(0, len(batches), config.grad_accumulation):
            if log.steps == total:  # max_steps reached within this epoch (without it, epochs end on their own)
                break
            group = batches[first : first + config.grad_accumulation]
            step_loss = 0.0
            for batch in group:
                with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
                    loss = model.training_loss(batch) / len(group)
                scaler.scale(loss).backward()
                step_loss += float(loss.detach())
                log.examples_seen += len(batch)
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
            scaler.step(optimizer)
            scaler.update()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            log.losses.append(step_loss)
            log.steps += 1
            bar.set_postfix(loss=f"{step_loss:.4f}", refresh=False)  # before update: the step's line shows its loss
            bar.update()
        if log.steps == total:
            break
    bar.close()
    log.seconds = time.perf_counter() - started
    model.train(False)
    return log
