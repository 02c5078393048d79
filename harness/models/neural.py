"""The shared base of the neural adapters: backbone, architecture, training, caching and ranking.

:class:`EncoderRanker` ranks with an encoder from ``backbone`` (the ``dense`` adapter uses it as
published); :class:`NeuralRanker` adds training. A training adapter says only what it trains on:
:meth:`NeuralRanker.training_set` builds the training set for a pair (adapters with one model for
all pairs ignore the pair). Everything else is here and identical for every adapter:

- the model: a bi-encoder (ranks the whole pool, or a protocol's candidate list) or a
  cross-encoder (re-ranks the protocol's candidates, else BM25's top ``first_stage_depth``);
- training through :func:`harness.training.loop.train`, once: the weights are cached under a
  content hash of (adapter, training parameters, backbone weights, training data, seed), and
  the entry's metadata records the data and the languages it saw;
- embeddings cached per (model, text set), one set per document language, so the MLIR pool
  reuses the monolingual collections' embeddings;
- the parameters (:mod:`.neural_params`), unset ones filled from the ``preset``: ``cpu`` (the
  harness's defaults) or ``paper`` (the code-switching paper's official cross-encoder training);
- the encoder's settings: each parameter given (``pooling``, ``query_prefix``,
  ``document_prefix``, ``max_length``), else what a sentence-transformers checkpoint declares,
  else the harness's default; they are part of the system's description, of the model-cache and
  embedding-cache keys, and of every run's metadata;
- each run's metadata: the model's cache key, the backbone (with an offline copy's provenance),
  the encoder's settings, its training data, and which of the pair's languages it never saw in
  training (zero-shot).

``epochs=0`` ranks with the backbone as it is (no training, nothing cached but embeddings), as
``dense`` does; only the records differ.
"""
from __future__ import annotations

import time
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from harness.errors import HarnessError
from harness.models.backbone import Backbone, resolve_backbone
from harness.models.neural_params import (  # noqa: F401 (COMMON_PARAMS, ENCODER_PARAMS: the adapters import them from here)
    COMMON_PARAMS,
    CROSS_SAMPLINGS,
    DEFAULT_MAX_LENGTH,
    ENCODER_PARAMS,
    OFFICIAL_NEGATIVES,
    TRAINING_PRESETS,
)
from harness.models.registry import Ranker

if TYPE_CHECKING:
    from harness.datasets.pairs import PairId
    from harness.datasets.records import Document, PairTask
    from harness.evaluation.run import Run
    from harness.evaluation.score_matrix import ScoreMatrix
    from harness.models.embedding_cache import EmbeddingCache
    from harness.models.saved import NeuralModel
    from harness.training.examples import TrainingSet
    from harness.training.loop import TrainingConfig, TrainingLog
    from harness.training.presets import PresetFamily

ARCHITECTURES = ("bi", "cross")
ENGLISH = "en"
# The training data of each dataset's track (SPEC 4): LAReQA datasets train on SQuAD, the rest on MS MARCO.
TRACK_SOURCES = {"xquad-r": "squad", "mlqa-r": "squad"}
DEFAULT_SOURCE = "msmarco"
# Parameters that change how a trained model is used, not what is trained: left out of its cache key.
RANKING_ONLY = ("device", "encode_batch_size", "first_stage_depth")


class EncoderRanker(Ranker):
    """Ranks with an encoder from ``backbone``: resolves it, builds the model with the encoder's
    settings, ranks (bi: the pool or a protocol's candidates; cross: a first stage re-ranked) and
    records the run. Subclasses say which model ranks a pair and what its training was."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._models: dict[str, tuple[NeuralModel, str, dict[str, Any]]] = {}
        self._backbone: Backbone | None = None
        self._embeddings: EmbeddingCache | None = None

    # -- what subclasses define -----------------------------------------------------------------
    @abstractmethod
    def model_for(self, pair: PairId, document_langs: Sequence[str], progress: bool) -> tuple[NeuralModel, str, dict[str, Any]]:
        """``(model, identity, training metadata)`` that ranks ``pair``."""

    @abstractmethod
    def training_record(self, metadata: Mapping[str, Any], pair_langs: Sequence[str]) -> dict[str, Any]:
        """What a run's metadata says of the model's training (``metadata`` from :meth:`model_for`)."""

    def architecture(self) -> str:
        return "bi"

    # -- shared machinery ---------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described.update({"backbone": self.params["backbone"], "encoder": {"backbone": self.backbone.describe(), **self.encoder_settings()}})
        return described

    @property
    def backbone(self) -> Backbone:
        if self._backbone is None:
            self._backbone = resolve_backbone(self.params["backbone"])
        return self._backbone

    def encoder_settings(self) -> dict[str, Any]:
        """The model's settings: each parameter given, else what the checkpoint declares, else the
        harness's default (a cross-encoder has a token limit only)."""
        p, declared = self.params, self.backbone
        max_length = p["max_length"] or declared.max_length or DEFAULT_MAX_LENGTH
        if self.architecture() == "cross":
            return {"max_length": max_length}
        return {
            "pooling": p["pooling"] or declared.pooling or "mean",
            "similarity": p["similarity"],
            "normalize": declared.normalize or p["similarity"] == "cosine",
            "max_length": max_length,
            "query_prefix": declared.query_prompt if p["query_prefix"] is None else p["query_prefix"],
            "document_prefix": declared.document_prompt if p["document_prefix"] is None else p["document_prefix"],
            "include_prompt": declared.include_prompt,
        }

    def device(self):
        import torch

        wanted = self.params["device"]
        if wanted == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        try:
            device = torch.device(wanted)
        except RuntimeError:
            raise HarnessError(f"model {self.name!r}: device={wanted!r} is not a torch device (auto, cpu, cuda, cuda:N)") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise HarnessError(f"model {self.name!r}: device={wanted} but torch sees no CUDA device")
        return device

    def build(self) -> NeuralModel:
        """A fresh bi-encoder from the backbone with the encoder's settings."""
        from harness.models.bi_encoder import BiEncoder

        if self.backbone.unsupported:
            raise HarnessError(
                f"model {self.name!r}: backbone {self.backbone.name} declares sentence-transformers modules that the bi-encoder does not run "
                f"({', '.join(self.backbone.unsupported)}); it runs Transformer, Pooling and Normalize"
            )
        try:
            return BiEncoder.from_backbone(self.backbone, **self.encoder_settings(), **self.bi_training_settings())
        except ValueError as error:
            raise HarnessError(f"model {self.name!r}: {error}") from None

    def bi_training_settings(self) -> dict[str, Any]:
        """Bi-encoder settings that only training uses."""
        return {}

    def untrained(self) -> tuple[NeuralModel, str, dict[str, Any]]:
        """The backbone as it is, built once (its embeddings' cache keys add the model's settings)."""
        identity = f"untrained:{self.backbone.fingerprint()}"
        if identity not in self._models:
            self._models[identity] = (self.build().to(self.device()), identity, {})
        return self._models[identity]

    def rank(self, task: PairTask, *, depth: int | None = None, progress: bool = True) -> Run | ScoreMatrix:
        """Rank ``task`` with the pair's model (trained first where a subclass trains and has none cached)."""
        document_langs = list(task.documents.languages)
        model, identity, metadata = self.model_for(task.pair, document_langs, progress)
        if model.architecture == "cross":
            run, first_stage = self._rerank(model, task, progress)
            encoder = {"max_length": model.max_length}
        else:
            run, first_stage = self._rank_dense(model, identity, task, depth, progress)
            encoder = model.encoding()
        run.name = self.name
        run.metadata = {
            "model_key": identity, "architecture": model.architecture, "first_stage": first_stage,
            "backbone": self.backbone.describe(), "encoder": encoder,
            **self.training_record(metadata, sorted({task.pair.query_lang, *document_langs})),
        }
        return run

    def _rank_dense(self, model, identity: str, task: PairTask, depth: int | None, progress: bool) -> tuple[Run | ScoreMatrix, str]:
        import numpy as np

        from harness.models.dense_ranking import rank_candidates, rank_pool
        from harness.models.embedding_cache import EmbeddingCache

        if self._embeddings is None:  # one per ranker: each text of a run over many pairs is encoded once
            self._embeddings = EmbeddingCache()
        cache = self._embeddings
        settings = f"{identity}:{sorted(model.encoding().items())}"
        batch = self.params["encode_batch_size"]

        def embed(texts: Sequence[str], side: str, label: str) -> np.ndarray:
            return cache.get(f"{settings}:{side}", texts, lambda t: model.encode(t, side, batch_size=batch, progress=progress, label=label))

        query_ids = [q.query_id for q in task.queries]
        queries = embed([q.text for q in task.queries], "query", f"encode {task.pair.query_lang} queries")
        if task.candidates is not None:
            kept, documents = _held_candidates(task, task.candidates)
            ids = sorted(documents)
            vectors = dict(zip(ids, embed([documents[i].text for i in ids], "document", "encode candidates")))
            row = {qid: i for i, qid in enumerate(query_ids)}
            scores = {qid: np.array([vectors[d] for d in docs]).reshape(len(docs), -1) @ queries[row[qid]] for qid, docs in kept.items()}
            return rank_candidates(kept, scores), "the protocol's candidates"
        by_lang: dict[str, list] = {}
        for document in task.documents:
            by_lang.setdefault(document.lang, []).append(document)
        doc_ids, parts = [], []
        for lang in sorted(by_lang):
            doc_ids.extend(d.doc_id for d in by_lang[lang])
            parts.append(embed([d.text for d in by_lang[lang]], "document", f"encode {lang} documents"))
        return rank_pool(query_ids, queries, doc_ids, np.concatenate(parts), depth), "none (whole collection)"

    def _rerank(self, model, task: PairTask, progress: bool) -> tuple[Run, str]:
        from harness.models.dense_ranking import rank_candidates

        if task.candidates is not None:
            candidates, first_stage = task.candidates, "the protocol's candidates"
        else:
            from harness.models import get_model

            depth = self.params["first_stage_depth"]
            bm25 = get_model("bm25").rank(task, depth=depth, progress=progress).to_dict()
            candidates = {qid: sorted(docs, key=lambda d: (-docs[d], d)) for qid, docs in bm25.items()}
            first_stage = f"bm25 top {depth}"
        texts = {q.query_id: q.text for q in task.queries}
        kept, documents = _held_candidates(task, candidates)
        pairs = [(texts[qid], documents[d].text) for qid, ids in kept.items() for d in ids]
        flat = model.score(pairs, batch_size=self.params["encode_batch_size"], progress=progress)
        scores, start = {}, 0
        for qid, ids in kept.items():
            scores[qid] = flat[start : start + len(ids)]
            start += len(ids)
        return rank_candidates(kept, scores), first_stage


class NeuralRanker(EncoderRanker):
    """A trained (or zero-epoch) bi- or cross-encoder; subclasses define :meth:`training_set`."""

    scope: ClassVar[str]
    """``pair``: one model per language pair; ``all``: one model for every pair."""
    presets: ClassVar[PresetFamily] = TRAINING_PRESETS
    """What ``preset`` names: parameters left unset (``None``) take the chosen preset's values."""

    def __init__(self, **params: Any) -> None:
        super().__init__(**self.presets.resolve(self.name, params))
        architecture, sampling = self.params["architecture"], self.params.get("cross_sampling")
        if architecture not in ARCHITECTURES:
            raise HarnessError(f"model {self.name!r}: architecture must be one of {', '.join(ARCHITECTURES)}, not {architecture!r}")
        if sampling not in (None, *CROSS_SAMPLINGS):
            raise HarnessError(f"model {self.name!r}: cross_sampling must be one of {', '.join(CROSS_SAMPLINGS)}, not {sampling!r}")
        if sampling == "official" and (architecture != "cross" or self.negatives() < 1):
            raise HarnessError(
                f"model {self.name!r}: cross_sampling=official trains a cross-encoder pointwise on 1 positive to negatives >= 1 "
                f"(here architecture={architecture}, negatives={self.negatives()}); give architecture=cross or cross_sampling=batch"
            )

    # -- what adapters define -------------------------------------------------------------
    @abstractmethod
    def training_set(self, pair: PairId, document_langs: Sequence[str]) -> TrainingSet:
        """The training set for ``pair`` (whose documents are in ``document_langs``)."""

    def training_description(self) -> dict[str, Any]:
        """How the adapter builds its training data, independent of any pair (for ``describe``)."""
        return {"scope": self.scope}

    # -- training -----------------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        described = super().describe()
        described.update({"seed": self.params["seed"], "training_data": self.training_description()})
        if "preset" in self.params:
            described["preset"] = self.presets.describe(self.name, self.params["preset"], self.params)
        return described

    def architecture(self) -> str:
        return self.params["architecture"]

    def source(self, pair: PairId) -> str:
        """The training source for ``pair``'s dataset: the parameter, else the dataset's track."""
        return self.params["train_data"] or TRACK_SOURCES.get(pair.dataset, DEFAULT_SOURCE)

    def cross_sampling(self) -> str:
        """How a cross-encoder's training pairs are drawn: batch or official (see COMMON_PARAMS)."""
        return self.params.get("cross_sampling") or "batch"

    def negatives(self) -> int:
        given = self.params["negatives"]
        if given is not None:
            return given
        if self.cross_sampling() == "official":
            return OFFICIAL_NEGATIVES
        return 3 if self.params["architecture"] == "cross" else 0

    def training_data_dir(self) -> Path:
        from harness.paths import data_dir

        return self.data_dir if self.data_dir is not None else data_dir()

    def load_source(self, pair: PairId, query_lang: str = ENGLISH, doc_lang: str = ENGLISH) -> TrainingSet:
        """``query_lang``->``doc_lang`` examples of this pair's training source, cut to ``train_limit``;
        with ``cross_sampling=official`` made pointwise from one negative each, as the paper's code does."""
        from harness.training.data import load_training_set
        from harness.training.data.pointwise import pointwise

        official = self.cross_sampling() == "official"
        training = load_training_set(
            self.source(pair), self.training_data_dir(), query_lang=query_lang, doc_lang=doc_lang,
            negatives=1 if official else self.negatives(), seed=self.params["seed"], limit=self.params["train_limit"],
        )
        return pointwise(training, self.negatives()) if official else training

    def build(self) -> NeuralModel:
        """A fresh model from the backbone with this adapter's architecture settings; a head the
        checkpoint lacks (the cross-encoder's logit) is initialised from ``seed``."""
        import torch

        from harness.models.cross_encoder import CrossEncoder

        torch.manual_seed(self.params["seed"])
        if self.params["architecture"] == "cross":
            return CrossEncoder.from_backbone(self.backbone, **self.encoder_settings(), negatives=self.negatives(), sampling=self.cross_sampling())
        return super().build()

    def bi_training_settings(self) -> dict[str, Any]:
        return {"temperature": self.params["temperature"]}

    def training_parameters(self) -> dict[str, Any]:
        """What determines the trained weights besides backbone, data and seed: the parameters and
        the encoder's settings they resolve to (a checkpoint's prompts and pooling among them)."""
        return {**{k: v for k, v in self.params.items() if k not in RANKING_ONLY}, "encoder": self.encoder_settings()}

    def model_for(self, pair: PairId, document_langs: Sequence[str], progress: bool) -> tuple[NeuralModel, str, dict[str, Any]]:
        return self.trained(pair, document_langs, progress)

    def training_config(self) -> TrainingConfig:
        from harness.training.loop import TrainingConfig

        fields = ("epochs", "max_steps", "batch_size", "learning_rate", "weight_decay", "warmup", "warmup_steps", "grad_accumulation",
                  "mixed_precision", "seed")
        # unset: a step count in place of its alternative (max_steps for epochs...), or a parameter this adapter lacks
        return TrainingConfig(**{name: self.params[name] for name in fields if self.params.get(name) is not None})

    def weights_fingerprint(self) -> str:
        """What the trained weights start from, for the model's cache key (the backbone's weights)."""
        return self.backbone.fingerprint()

    def data_fingerprint(self, pair: PairId, training: TrainingSet) -> str:
        """The data the model learns from, for its cache key (the training set's content)."""
        return training.fingerprint()

    def fit(self, model: NeuralModel, pair: PairId, training: TrainingSet, config: TrainingConfig, progress: bool) -> tuple[TrainingLog, dict[str, Any]]:
        """Train ``model`` in place; returns the log and what the model's metadata adds."""
        from harness.training.loop import train

        return train(model, training.examples, config, progress=progress), {}

    def trained(self, pair: PairId, document_langs: Sequence[str], progress: bool = True) -> tuple[NeuralModel, str, dict[str, Any]]:
        """``(model, identity, metadata)`` for ``pair``: from this process, the cache, or trained now."""
        from harness.models.saved import load_model, save_model
        from harness.training.model_cache import ModelCache, model_key

        config = self.training_config()
        if config.epochs == 0:
            return self.untrained()
        training = self.training_set(pair, document_langs)
        key = model_key(self.name, self.training_parameters(), self.weights_fingerprint(), self.data_fingerprint(pair, training), config.seed)
        if key in self._models:
            return self._models[key]
        cache = ModelCache()
        metadata = cache.metadata(key)
        if metadata is None:
            model = self.build().to(self.device())
            log, extra = self.fit(model, pair, training, config, progress)
            metadata = {
                "adapter": self.name, "key": key, "parameters": self.training_parameters(), "backbone": self.backbone.describe(),
                "training_data": training.describe(), "languages": list(training.languages), "config": config.as_dict(),
                "log": log.as_dict(), "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **extra,
            }
            cache.store(key, lambda folder: save_model(model, folder), metadata)
        else:
            model = load_model(cache.folder(key)).to(self.device())
        self._models[key] = (model, key, metadata)
        return self._models[key]

    def training_record(self, metadata: Mapping[str, Any], pair_langs: Sequence[str]) -> dict[str, Any]:
        """The training data, the languages it held, the pair's languages it lacked (zero-shot) and
        the training log; all ``None`` for the untrained backbone (``epochs=0``); the preset where the adapter has one."""
        seen = metadata.get("languages")
        return {
            **({"preset": self.params["preset"]} if "preset" in self.params else {}),
            "training_data": metadata.get("training_data"),
            "training_languages": seen,
            "zero_shot_languages": None if seen is None else [lang for lang in pair_langs if lang not in seen],
            "training_log": {k: metadata["log"][k] for k in ("steps", "examples_seen", "seconds", "examples_per_second", "device", "precision")}
            if "log" in metadata else None,
        }


def _held_candidates(task: PairTask, candidates: Mapping[str, Sequence[str]]) -> tuple[dict[str, list[str]], dict[str, Document]]:
    """Each of the task's queries' candidates that its collection holds (in candidate order), and
    those documents, fetched once."""
    asked = {q.query_id for q in task.queries}
    documents = task.documents.get_many({d for qid, ids in candidates.items() if qid in asked for d in ids})
    return {qid: [d for d in ids if d in documents] for qid, ids in candidates.items() if qid in asked}, documents
