"""hybrid-batch (Elmahdy et al. 2024, arXiv 2408.10536; SPEC 4): one bi-encoder for every pair,
trained on parallel data whose batches are monolingual with probability alpha and cross-lingual
otherwise (:mod:`harness.training.hybrid_sampler`), with the paper's Eq. 1 as the loss.

- Model (Sec. 2.1): one shared encoder, cosine similarity, prefixes "Query: " and "Passage: ".
  Pooling, temperature and the token limit are left open by the paper: E5's mean pooling and
  temperature 0.01 by default.
- Loss (Eq. 1): each query's positive against the batch's hard negatives
  (:func:`~harness.training.losses.hard_negative_nce`); ``in_batch_negatives`` adds the other
  queries' positives.
- Data: the paper's (mMARCO and in-house translations of six QA sets in ar zh en de es ru th tr
  hi) is not available offline. Here: translated SQuAD dev (es, it, zh) with English SQuAD dev,
  XQuAD's paragraphs removed, joined by SQuAD question id through
  :mod:`harness.training.data.squad`; an item is one question id that every training language
  holds, with its question, answer sentence and hard negatives (other sentences of its paragraph)
  in each.
- Presets: ``cpu`` (the harness's defaults) or ``paper`` (lr 3e-5, batch 100; AdamW with weight
  decay 0.01 in both); a learning rate or batch size given explicitly wins over the preset.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.models.neural import COMMON_PARAMS, NeuralRanker
from harness.models.registry import ModelSpec, Param
from harness.training.presets import Preset, PresetFamily

if TYPE_CHECKING:
    from pathlib import Path

    from harness.training.examples import TrainingExample, TrainingSet

PRESETS = PresetFamily(
    (Preset("cpu", {"learning_rate": 2e-5, "batch_size": 32}, "ours"), Preset("paper", {"learning_rate": 3e-5, "batch_size": 100}, "paper: training setup")),
    default="cpu",
)
PAPER_DATA = (
    "not available offline: the paper trains on mMARCO and in-house translations of six QA sets "
    "(ar zh en de es ru th tr hi); this model trains on translated SQuAD dev instead"
)
OURS = "ours"
PAPER_SETUP = "preset=paper: the paper's training setup; preset=cpu: ours"
# Changed defaults and each parameter's origin; cross-encoder parameters are left out (the paper's model is a bi-encoder).
_COMMON = {
    "backbone": ("intfloat/multilingual-e5-small", OURS),
    "pooling": ("mean", "ours (E5's mean pooling)"),
    "query_prefix": ("Query: ", "paper: Sec. 2.1"),
    "document_prefix": ("Passage: ", "paper: Sec. 2.1"),
    "similarity": ("cosine", "paper: Sec. 2.1"),
    "max_length": (None, OURS),
    "encode_batch_size": (128, OURS),
    "device": ("auto", OURS),
    "train_limit": (None, OURS),
    "negatives": (1, "ours (one, as in a query-positive-negative triplet)"),
    "epochs": (1, OURS),
    "batch_size": (None, PAPER_SETUP),
    "learning_rate": (None, PAPER_SETUP),
    "weight_decay": (0.01, "paper: training setup"),
    "warmup": (0.1, OURS),
    "grad_accumulation": (1, OURS),
    "temperature": (0.01, "ours (E5's)"),
    "mixed_precision": ("auto", OURS),
    "seed": (0, OURS),
}
_DESCRIPTIONS = {
    "pooling": "bi-encoder pooling: mean, cls, max or lasttoken, as sentence-transformers computes them",
    "query_prefix": "text put before every query (an empty value for none)",
    "document_prefix": "text put before every passage (an empty value for none)",
    "max_length": "tokens per query, and per passage unless document_max_length is given, prefix included "
                  "(default: the checkpoint's sentence-transformers max_seq_length, else 128)",
    "train_limit": "use only N parallel items (English question ids), drawn by seed",
    "negatives": "hard negatives per query (other sentences of the positive's paragraph, in the passage's language)",
    "batch_size": "triplets per batch (default: the preset's, cpu 32, paper 100)",
    "learning_rate": "AdamW peak learning rate (default: the preset's, cpu 2e-5, paper 3e-5)",
    "temperature": "temperature of Eq. 1 for unit-length embeddings",
    "seed": "seed of the item order, the batches' languages, the negatives, the subset and initialisation",
    # the shared descriptions name the code-switching presets; this adapter's defaults are its own
    "epochs": "training epochs; 0 ranks with the untrained backbone",
    "weight_decay": "AdamW weight decay (none on biases and LayerNorm)",
    "warmup": "share of steps of linear warm-up",
    "mixed_precision": "auto (bf16/fp16 on CUDA, none on CPU), no, bf16, fp16",
}
PARAMS: tuple[Param, ...] = tuple(
    replace(param, default=_COMMON[param.name][0], origin=_COMMON[param.name][1], description=_DESCRIPTIONS.get(param.name, param.description))
    for param in COMMON_PARAMS
    if param.name in _COMMON
) + (
    Param("batching", "str", "hybrid", "hybrid (monolingual with probability alpha, else cross-lingual), monolingual (X-X-mono) or cross (X-Y)", "paper: Sec. 2.2"),
    Param("alpha", "float", 0.5, "probability that a hybrid batch is monolingual", "paper: Sec. 2.2"),
    Param("in_batch_negatives", "bool", False, "add the other queries' positives to Eq. 1's negatives", "paper: Eq. 1 (without them)"),
    Param("languages", "str", None, "training languages, comma-separated (default: every language of the source: en, es, it, zh)",
          "ours (the paper's ar zh en de es ru th tr hi are not available offline)"),
    Param("document_max_length", "int", None, "tokens per passage, prefix included (default: max_length)", "ours (the paper leaves the lengths open)"),
    Param("preset", "str", "cpu", "training preset: cpu (the harness's defaults) or paper (lr 3e-5, batch 100, AdamW, weight decay 0.01)", OURS),
)


class HybridBatch(NeuralRanker):
    name = "hybrid-batch"
    scope = "all"
    presets = PRESETS

    def __init__(self, **params: Any) -> None:
        if params["negatives"] < 1 and not params["in_batch_negatives"]:
            raise HarnessError(f"model {self.name!r}: Eq. 1 needs hard negatives: set negatives >= 1 or in_batch_negatives=true")
        from harness.training.hybrid_sampler import monolingual_share

        monolingual_share(params["batching"], params["alpha"])
        super().__init__(**{**params, "architecture": "bi"})

    def languages(self) -> tuple[str, ...]:
        from harness.training.data import squad

        given = self.params["languages"]
        languages = squad.LANGUAGES if given is None else tuple(dict.fromkeys(lang.strip() for lang in given.split(",") if lang.strip()))
        missing = [lang for lang in languages if lang not in squad.LANGUAGES]
        if missing or not languages:
            raise HarnessError(f"model {self.name!r}: no parallel training data for {', '.join(missing) or 'no language'}: squad provides {', '.join(squad.LANGUAGES)}")
        return languages

    def encoder_settings(self) -> dict[str, Any]:
        """The shared settings, with a passage length of its own where ``document_max_length`` is given."""
        settings = super().encoder_settings()
        limit = self.params["document_max_length"]
        return settings if limit is None else {**settings, "document_max_length": limit}

    def bi_training_settings(self) -> dict[str, Any]:
        return {**super().bi_training_settings(), "in_batch_negatives": self.params["in_batch_negatives"]}

    def training_set(self, pair, document_langs: Sequence[str]) -> TrainingSet:
        from harness.training.examples import TrainingSet
        from harness.training.hybrid_sampler import monolingual_share, sample_batches, summary
        from harness.training.loop import PlannedBatches

        p, languages = self.params, self.languages()
        items, notes = parallel_items(self.training_data_dir(), languages, negatives=p["negatives"], seed=p["seed"], limit=p["train_limit"])
        plan = sample_batches(len(items), languages, batch_size=p["batch_size"], epochs=p["epochs"], batching=p["batching"], alpha=p["alpha"], seed=p["seed"])
        examples = PlannedBatches.of([[[_triplet(items[t.item], t.query_lang, t.doc_lang) for t in batch.triplets] for batch in epoch] for epoch in plan])
        triplets = [t for epoch in plan for batch in epoch for t in batch.triplets]
        sampler = {"batching": p["batching"], "alpha": p["alpha"], "monolingual_share": monolingual_share(p["batching"], p["alpha"]), "seed": p["seed"], **summary(plan)}
        return TrainingSet(
            f"hybrid-batch(squad: {','.join(languages)})",
            tuple(sorted({t.query_lang for t in triplets})),
            tuple(sorted({t.doc_lang for t in triplets})),
            examples,
            {**notes, "sampler": sampler, "preset": p["preset"], "paper_data": PAPER_DATA},
        )

    def training_description(self) -> dict[str, Any]:
        p = self.params
        return {
            "scope": self.scope, "preset": p["preset"], "batching": p["batching"], "alpha": p["alpha"], "languages": list(self.languages()),
            "data": "parallel items of SQuAD dev minus XQuAD and its translations (es, it, zh), joined by question id", "paper_data": PAPER_DATA,
        }


def parallel_items(
    data_dir: Path, languages: Sequence[str], *, negatives: int, seed: int, limit: int | None
) -> tuple[list[dict[str, TrainingExample]], dict[str, Any]]:
    """One item per SQuAD question id that every language of ``languages`` holds (in SQuAD's
    order): language -> that language's question, answer sentence and hard negatives. ``limit``
    items are drawn by ``seed`` where given. Returns the items and their notes."""
    import numpy as np

    from harness.training.data import squad

    by_lang, sets = {}, {}
    for lang in languages:
        sets[lang] = squad.squad_pairs(data_dir, query_lang=lang, doc_lang=lang, negatives=negatives, seed=seed)
        by_lang[lang] = dict(zip(squad.squad_question_ids(data_dir, query_lang=lang, doc_lang=lang), sets[lang].examples))
    first = by_lang[languages[0]]
    ids = [qid for qid in first if all(qid in by_lang[lang] for lang in languages)]
    notes: dict[str, Any] = {
        "aligned_by": "SQuAD question id; an item holds its question, answer sentence and negatives in every language",
        "languages": list(languages),
        "items_per_language": {lang: len(by_lang[lang]) for lang in languages},
        "parallel_items": len(ids),
        "dropped_per_language": {lang: sets[lang].notes["dropped"] for lang in languages},
        "english": sets[languages[0]].notes["english"],
        "negatives": {
            "per_example": negatives, "seed": seed, "from": "other sentences of the positive's paragraph, in the passage's language",
        },
        "caveat": squad.CAVEAT,
    }
    if limit is not None and limit < len(ids):
        chosen = np.sort(np.random.default_rng(seed).choice(len(ids), size=limit, replace=False))
        notes["subset"] = {"limit": limit, "available": len(ids), "seed": seed}
        ids = [ids[i] for i in chosen.tolist()]
    items = [{lang: by_lang[lang][qid] for lang in languages} for qid in ids]
    notes["negatives"]["items_with_fewer"] = {lang: sum(len(item[lang].negatives) < negatives for item in items) for lang in languages}
    return items, notes


def _triplet(item: dict[str, TrainingExample], query_lang: str, doc_lang: str) -> TrainingExample:
    """The query in ``query_lang``; positive and negatives in ``doc_lang``."""
    from harness.training.examples import TrainingExample

    passage = item[doc_lang]
    return TrainingExample(item[query_lang].query, passage.positive, passage.negatives)


MODEL = ModelSpec(
    "hybrid-batch",
    "hybrid batching (Elmahdy et al. 2024): one bi-encoder, monolingual and cross-lingual batches of parallel data, Eq. 1 loss",
    PARAMS,
    HybridBatch,
    extra="neural",
)
