"""An already-loaded ``sentence_transformers.SentenceTransformer`` as a ranker.

It ranks exactly as the ``dense`` adapter does (:class:`~harness.models.neural.EncoderRanker`:
the whole pool as a score matrix, or the protocol's candidates; embeddings cached per text set),
with the object's own encoding: queries through its ``encode_query`` and documents through its
``encode_document`` (sentence-transformers >= 5; before, ``encode`` with the same prompts), so its
prompts (``query``; ``document``, ``passage`` or ``corpus``; else its default prompt), pooling,
modules and ``max_seq_length`` are its own. Scores are its similarity: ``cosine`` (embeddings
normalised, then a dot product) or ``dot``; a distance (``euclidean``, ``manhattan``) is refused.
The model stays on its device.

A result records the model's name or path, its settings and a fingerprint of what it computes
(SHA-256 of its module structure, prompts, tokenizer and every weight, about 0.15 s for
all-MiniLM-L6-v2), so a model fine-tuned in memory is a different system, and the embedding
cache never serves another model's vectors. The harness cannot know how the object was trained:
the record says so.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import HarnessError
from harness.models.neural import EncoderRanker
from harness.models.registry import ModelSpec, Param

TRAINING = "not known to the harness (a model object given in memory)"
SIMILARITIES = ("cosine", "dot")
DOCUMENT_PROMPTS = ("document", "passage", "corpus")  # sentence-transformers' encode_document looks for these, in this order


@dataclass(frozen=True)
class ObjectSource:
    """Where the weights came from, as a backbone is described: the model's name or path, and its fingerprint."""

    name: str
    digest: str

    def fingerprint(self) -> str:
        return f"sha256:{self.digest}"

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "source": "sentence-transformers object", "fingerprint": self.fingerprint()}


class SentenceTransformerEncoder:
    """The object behind the interface the dense ranking path uses: ``encode(texts, side)`` and ``encoding()``."""

    architecture = "bi"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.similarity = getattr(model, "similarity_fn_name", None) or "cosine"  # sentence-transformers' own default
        if self.similarity not in SIMILARITIES:
            raise HarnessError(
                f"sentence-transformers model: similarity {self.similarity!r} is a distance; the harness ranks by "
                f"{' or '.join(SIMILARITIES)} (set model.similarity_fn_name)"
            )
        prompts = dict(getattr(model, "prompts", None) or {})
        default = prompts.get(getattr(model, "default_prompt_name", None) or "", "")
        document_name = next((name for name in DOCUMENT_PROMPTS if name in prompts), None)
        self.prompts = {"query": prompts.get("query", default), "document": prompts[document_name] if document_name else default}

    def encode(self, texts: Sequence[str], side: str, *, batch_size: int, progress: bool = False, label: str = "encode") -> np.ndarray:
        """float32 embeddings of ``texts`` as queries or documents (``side``), unit length for cosine."""
        options = {"batch_size": batch_size, "show_progress_bar": progress, "convert_to_numpy": True, "normalize_embeddings": self.similarity == "cosine"}
        method = getattr(self.model, f"encode_{side}", None)
        vectors = method(list(texts), **options) if method is not None else self.model.encode(list(texts), prompt=self.prompts[side] or None, **options)
        return np.asarray(vectors, dtype=np.float32)

    def encoding(self) -> dict[str, Any]:
        """What besides the weights determines the embeddings (run metadata, embedding-cache keys)."""
        return {
            "similarity": self.similarity, "normalize": self.similarity == "cosine", "max_length": getattr(self.model, "max_seq_length", None),
            "query_prefix": self.prompts["query"], "document_prefix": self.prompts["document"],
        }

    def name(self) -> str:
        """The name or folder the model was loaded from, where it says."""
        try:
            return str(self.model.transformers_model.config._name_or_path)
        except AttributeError:
            return type(self.model).__name__

    def digest(self) -> str:
        """SHA-256 of the module structure, prompts, tokenizer and weights."""
        import torch

        digest = hashlib.sha256(repr(self.model).encode("utf-8"))
        digest.update(json.dumps(self.encoding(), sort_keys=True).encode("utf-8"))
        digest.update(_tokenizer_state(getattr(self.model, "tokenizer", None)).encode("utf-8"))
        for key, tensor in self.model.state_dict().items():
            digest.update(key.encode("utf-8"))
            digest.update(tensor.detach().cpu().contiguous().view(-1).view(torch.uint8).numpy().tobytes())
        return digest.hexdigest()


def _tokenizer_state(tokenizer: Any) -> str:
    """A tokenizer's vocabulary and rules as text, without the truncation and padding that each call sets anew."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:  # a slow tokenizer: its vocabulary
        return json.dumps(sorted(getattr(tokenizer, "get_vocab", dict)().items()))
    state = json.loads(backend.to_str())
    return json.dumps({key: value for key, value in state.items() if key not in ("truncation", "padding")}, sort_keys=True)


class SentenceTransformerRanker(EncoderRanker):
    """Ranks with a loaded sentence-transformers model, on the ``dense`` adapter's path."""

    name = "sentence-transformers"

    def __init__(self, model: Any, **params: Any) -> None:
        super().__init__(**params)
        self.encoder = SentenceTransformerEncoder(model)
        self.source = ObjectSource(self.encoder.name(), self.encoder.digest())

    @property
    def backbone(self) -> ObjectSource:  # type: ignore[override] (the weights are the object's, not a checkpoint's)
        return self.source

    def model_for(self, pair, document_langs: Sequence[str], progress: bool):
        return self.encoder, f"sentence-transformers:{self.source.digest}", {}

    def training_record(self, metadata: Mapping[str, Any], pair_langs: Sequence[str]) -> dict[str, Any]:
        return {"training": TRAINING}

    def describe(self) -> dict[str, Any]:
        described = super(EncoderRanker, self).describe()  # the Ranker's keys: an object has no backbone parameter
        return {**described, "backbone": self.source.name, "encoder": {"backbone": self.source.describe(), **self.encoder.encoding()}, "training": TRAINING}


PARAMS = (Param("encode_batch_size", "int", 32, "texts per call of the model's encode (sentence-transformers' default); speed only, not scores"),)


def spec_for(model: Any) -> ModelSpec:
    """The spec ranking with the loaded ``model``."""
    return ModelSpec(
        "sentence-transformers", "a loaded sentence_transformers.SentenceTransformer, ranked as the dense adapter ranks", PARAMS,
        lambda **params: SentenceTransformerRanker(model, **params),
    )
