"""A trained ranker on disk: transformers weights in safetensors, tokenizer, and its settings."""
from __future__ import annotations

import json
from pathlib import Path

from harness.models.backbone import quiet_transformers
from harness.models.bi_encoder import BiEncoder
from harness.models.cross_encoder import CrossEncoder

SETTINGS_FILE = "harness_encoder.json"
NeuralModel = BiEncoder | CrossEncoder


def save_model(model: NeuralModel, folder: Path) -> None:
    """Write ``model`` into ``folder`` so :func:`load_model` gives it back."""
    quiet_transformers()
    model.transformer.save_pretrained(folder, safe_serialization=True)
    model.tokenizer.save_pretrained(folder)
    (folder / SETTINGS_FILE).write_text(json.dumps(model.settings(), indent=2), encoding="utf-8")


def load_model(folder: Path) -> NeuralModel:
    """The bi- or cross-encoder saved in ``folder``."""
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    quiet_transformers()
    settings = json.loads((folder / SETTINGS_FILE).read_text(encoding="utf-8"))
    architecture = settings.pop("architecture")
    model_class, auto = (BiEncoder, AutoModel) if architecture == BiEncoder.architecture else (CrossEncoder, AutoModelForSequenceClassification)
    return model_class(auto.from_pretrained(folder), AutoTokenizer.from_pretrained(folder), **settings)
