"""dense: a bi-encoder from ``backbone`` used as it is published, no training step.

It ranks as ``zero-shot`` with ``epochs=0`` does (same model, same settings, same embedding
cache), but its records say what it is: no training data, no training languages, and so no
zero-shot claim; a checkpoint's own pretraining languages are not known to the harness, so it
says nothing of them either.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.models.neural import ENCODER_PARAMS, EncoderRanker
from harness.models.registry import ModelSpec

AS_PUBLISHED = "none: the encoder as published"


class Dense(EncoderRanker):
    name = "dense"

    def model_for(self, pair, document_langs: Sequence[str], progress: bool):
        return self.untrained()

    def training_record(self, metadata: Mapping[str, Any], pair_langs: Sequence[str]) -> dict[str, Any]:
        return {"training": AS_PUBLISHED}

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "training": AS_PUBLISHED}


MODEL = ModelSpec(
    "dense", "bi-encoder from the backbone as published, no training (prompts, pooling, normalisation from its sentence-transformers files)",
    ENCODER_PARAMS, Dense,
    extra="neural",
)
