"""zero-shot: train on English-English pairs only, apply unchanged to every pair (SPEC 4)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.models.neural import COMMON_PARAMS, NeuralRanker
from harness.models.registry import ModelSpec


class ZeroShot(NeuralRanker):
    name = "zero-shot"
    scope = "all"

    def training_set(self, pair, document_langs: Sequence[str]):
        return self.load_source(pair)

    def training_description(self) -> dict[str, Any]:
        return {"scope": self.scope, "pairs": "en-en of the dataset's track source (squad or msmarco)"}


MODEL = ModelSpec("zero-shot", "neural ranker fine-tuned on English pairs only, applied to every pair", COMMON_PARAMS, ZeroShot, extra="neural")
