"""Translation into English with a Hugging Face sequence-to-sequence checkpoint (Marian/opus-mt,
NLLB, M2M100 ...), batched, every translation cached on disk.

``model`` is a hub id or a folder; a ``{lang}`` in it is replaced by the source language, so
one-pair checkpoints serve several languages (``Helsinki-NLP/opus-mt-{lang}-en``).
Many-to-many checkpoints need ``language_codes`` (see :mod:`harness.translation.language_codes`).
Texts are translated in length-sorted batches with beam search (``num_beams``), inputs cut and
outputs limited to ``max_length`` tokens. The cache (:mod:`harness.translation.cache`) is keyed
by the checkpoint's identity (config, weights and tokenizer files), the source and target codes
and the generation settings: the batch size is not part of it (padding may change the last
digits of a logit, rarely a word).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.models.backbone import Backbone, load_tokenizer, resolve_backbone
from harness.progress import progress as progress_bar
from harness.translation.base import ENGLISH, Counts, Translator
from harness.translation.cache import TranslationCache
from harness.translation.language_codes import LanguageCodes

TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "source.spm", "target.spm",
    "sentencepiece.bpe.model", "spiece.model", "generation_config.json",
)
SHARD_TEXTS = 1024  # texts per stored shard: an interrupted translation keeps what it finished


def checkpoint_identity(backbone: Backbone) -> str:
    """The weights' fingerprint, plus the tokenizer's files for a folder (a hub revision pins them)."""
    fingerprint = backbone.fingerprint()
    folder = Path(backbone.location)
    if backbone.revision or not folder.is_dir():
        return fingerprint
    digest = hashlib.sha256()
    for name in TOKENIZER_FILES:
        if (folder / name).is_file():
            digest.update(name.encode() + b"\0" + (folder / name).read_bytes())
    return f"{fingerprint}+{digest.hexdigest()[:16]}"


class Seq2SeqTranslator(Translator):
    """X->en with ``model``; ``device`` is called when a model is first loaded."""

    backend = "seq2seq"

    def __init__(
        self, model: str, *, device: Callable[[], Any], language_codes: str | None = None, num_beams: int = 4, max_length: int = 256,
        batch_size: int = 16, cache: TranslationCache | None = None,
    ) -> None:
        if num_beams < 1 or max_length < 1 or batch_size < 1:
            raise HarnessError(f"seq2seq translation: num_beams, max_length and batch size must be at least 1 (got {num_beams}, {max_length}, {batch_size})")
        self.model = model
        self.codes = LanguageCodes(language_codes)
        self.num_beams = num_beams
        self.max_length = max_length
        self.batch_size = batch_size
        self.device = device
        self.cache = cache if cache is not None else TranslationCache()
        self._checkpoints: dict[str, Backbone] = {}
        self._loaded: dict[str, tuple[Any, Any]] = {}

    def checkpoint(self, lang: str) -> Backbone:
        """The resolved checkpoint that translates ``lang``."""
        name = self.model.replace("{lang}", lang)
        if name not in self._checkpoints:
            self._checkpoints[name] = resolve_backbone(name)
        return self._checkpoints[name]

    def setup(self, lang: str) -> dict[str, Any]:
        """Everything that determines ``lang``'s translations: the cache entry's key."""
        return {
            "checkpoint": checkpoint_identity(self.checkpoint(lang)), "source": self.codes.code(lang) or lang,
            "target": self.codes.code(ENGLISH) or ENGLISH, "num_beams": self.num_beams, "max_length": self.max_length,
        }

    def translate(self, texts: Sequence[str], lang: str, *, progress: bool = False) -> tuple[list[str], list[Counts]]:
        setup = self.setup(lang)
        unique = list(dict.fromkeys(texts))
        known = self.cache.lookup(setup, unique)
        cached = set(known)
        missing = [text for text in unique if text not in known]
        for start in range(0, len(missing), SHARD_TEXTS):
            chunk = missing[start : start + SHARD_TEXTS]
            fresh = dict(zip(chunk, self._generate(lang, chunk, progress)))
            self.cache.store(setup, fresh)
            known.update(fresh)
        return [known[text] for text in texts], [{"texts": 1, "cached": int(text in cached)} for text in texts]

    def describe(self) -> dict[str, Any]:
        templated = "{lang}" in self.model
        return {
            "backend": self.backend, "model": self.model,
            "checkpoint": "one per source language (each run records its own)" if templated else self.checkpoint(ENGLISH).describe(),
            "language_codes": self.codes.describe(),
            "generation": {"num_beams": self.num_beams, "max_length": self.max_length, "batching": "length-sorted"},
            "cache": "on disk by (checkpoint identity, source and target code, generation settings, text)",
        }

    def record(self) -> dict[str, Any]:
        return {"checkpoints": {name: backbone.describe() for name, backbone in sorted(self._checkpoints.items())}}

    def _load(self, lang: str) -> tuple[Any, Any]:
        """(tokenizer, model) for ``lang``, loaded once, the model in eval mode on the device."""
        from harness.models.backbone import load_translator

        backbone = self.checkpoint(lang)
        if backbone.location not in self._loaded:
            model = load_translator(backbone)
            self._loaded[backbone.location] = (load_tokenizer(backbone), model.to(self.device()).eval())
        return self._loaded[backbone.location]

    def _generate(self, lang: str, texts: Sequence[str], progress: bool) -> list[str]:
        import torch

        from harness.models.text_batches import length_sorted_batches

        tokenizer, model = self._load(lang)
        options: dict[str, Any] = {"num_beams": self.num_beams, "max_new_tokens": self.max_length}
        if self.codes.used:
            if not hasattr(tokenizer, "src_lang"):
                raise HarnessError(f"language_codes={self.codes.spec}: the tokenizer of {self.checkpoint(lang).name} takes no source language (a Marian checkpoint needs none)")
            tokenizer.src_lang = self.codes.code(lang)
            options["forced_bos_token_id"] = _language_token(tokenizer, self.codes.code(ENGLISH), self.checkpoint(lang).name)
        out = [""] * len(texts)
        batches = length_sorted_batches(tokenizer, texts, self.max_length, self.batch_size)
        with torch.inference_mode():
            for positions, features in progress_bar(batches, progress, f"translate {lang}", unit="batch", total=-(-len(texts) // self.batch_size)):
                inputs = {key: features[key].to(model.device) for key in ("input_ids", "attention_mask")}
                decoded = tokenizer.batch_decode(model.generate(**inputs, **options), skip_special_tokens=True)
                for position, text in zip(positions.tolist(), decoded):
                    out[position] = text.strip()
        return out


def _language_token(tokenizer, code: str, name: str) -> int:
    """The id of the token that makes the checkpoint write ``code`` (M2M100 wraps codes as ``__en__``)."""
    token_id = tokenizer.get_lang_id(code) if hasattr(tokenizer, "get_lang_id") else tokenizer.convert_tokens_to_ids(code)
    if token_id is None or token_id == tokenizer.unk_token_id:
        raise HarnessError(f"{name}: its tokenizer has no language token {code!r}; check language_codes")
    return token_id
