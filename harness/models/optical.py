"""optical (Huang, Yu, Allan, WSDM 2023, arXiv 2301.12566; SPEC 4): distil a frozen English
teacher into a multilingual student with optimal transport between token representations of
bitext (:mod:`harness.training.distill`), then rank with the student as the teacher ranks.

From the paper (its abstract, as SPEC 4 states it): teacher frozen and English, student
multilingual, bitext only, cost between every student token of the foreign sentence and every
teacher token of the English one, entropy-regularised OT with uniform marginals by Sinkhorn
iterations, loss ``<T, C>``, the student ranking as the teacher does. The paper's body could not
be read here, so everything else is ours and unconfirmed: cosine distance as the cost, the
layers (last), epsilon (0.1), the iterations (50), the plan held fixed, the optional ranking loss
and its weight (off), the data (Tatoeba, FLORES-200, TICO-19), the teacher and student
checkpoints, and the student's encoder settings: the teacher's pooling, normalisation and token
limit, and no query/document prefixes unless given (the student's own e5 prompts are not used).

The default teacher and student were trained apart, so their token spaces start unrelated
(cosine near 0, a loss near 1 on real bitext): the loss has to carry the student's token states
into the teacher's space before it aligns tokens. A teacher fine-tuned from the student's own
checkpoint (a folder, e.g. a zero-shot model trained on that backbone) starts in the same space.

Scope: one model per pair, distilled on the bitext of the pair's non-English languages (an MLIR
pool: every document language), unless ``bitext_langs`` names the languages (one model for all
pairs). The cache key covers student, teacher, the bitext (and ranking pairs) by content, the
parameters and the seed.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from harness.errors import HarnessError
from harness.models.backbone import DEFAULT_BACKBONE, Backbone, resolve_backbone
from harness.models.neural import COMMON_PARAMS, DEFAULT_MAX_LENGTH, ENGLISH, TRAINING_PRESETS, NeuralRanker
from harness.models.registry import ModelSpec, Param

STUDENT = "intfloat/multilingual-e5-small"
TEACHER = DEFAULT_BACKBONE
GUESS = "ours (paper body not available)"
UNCONFIRMED = (
    "OPTICAL (Huang, Yu, Allan, WSDM 2023) as its abstract describes it; the paper's body was not available, so its layers, "
    "epsilon, iterations, mixing with a ranking loss, data and checkpoints are not confirmed: every default here is ours"
)

# inherited parameters: origin, and what differs from the shared declaration
_INHERITED: dict[str, tuple[str, dict[str, Any]]] = {
    "backbone": (GUESS, {"default": STUDENT, "description": "the student: a multilingual Hugging Face encoder (hub id or folder) with the teacher's width"}),
    "pooling": (GUESS, {"description": "pooling of the student's embeddings (default: the teacher's, so the student ranks as the teacher does)"}),
    "query_prefix": ("ours", {"description": "text put before every query (default: none, as the teacher has none; not the student's own prompts)"}),
    "document_prefix": ("ours", {"description": "text put before every document (default: none, as the teacher has none)"}),
    "similarity": (GUESS, {}),
    "max_length": ("ours", {"description": f"tokens per text in distillation and ranking (default: the teacher's max_seq_length, else {DEFAULT_MAX_LENGTH})"}),
    "encode_batch_size": ("ours", {}),
    "device": ("ours", {}),
    "train_data": (GUESS, {"description": "source of the English pairs of the ranking loss (rank_weight > 0): squad or msmarco (default: the dataset's track)"}),
    "train_limit": ("ours", {"description": "use only N English pairs in the ranking loss (drawn by seed)"}),
    "negatives": ("ours", {"description": "hard negatives per English pair in the ranking loss (default 0: in-batch negatives only)"}),
    "epochs": (GUESS, {"description": "passes over the bitext; 0 ranks with the undistilled student"}),
    "batch_size": (GUESS, {"description": "bitext pairs per forward pass (and English pairs per ranking-loss batch)"}),
    "learning_rate": (GUESS, {}),
    "weight_decay": (GUESS, {}),
    "warmup": (GUESS, {}),
    "grad_accumulation": ("ours", {}),
    "temperature": (GUESS, {"description": "InfoNCE temperature of the ranking loss"}),
    "mixed_precision": ("ours", {}),
    "seed": ("ours", {"description": "seed of the bitext limit, the shuffling and the ranking batches"}),
}
# the shared training parameters default to "the preset's"; optical has no preset: the CPU one's values, stated
_CPU = TRAINING_PRESETS.get("optical", "cpu").values
PARAMS: tuple[Param, ...] = tuple(
    replace(p, origin=_INHERITED[p.name][0], **{"default": _CPU.get(p.name, p.default), "description": p.description.split(" (default: the preset")[0],
                                                  **_INHERITED[p.name][1]})
    for p in COMMON_PARAMS if p.name in _INHERITED
) + (
    Param("teacher", "str", TEACHER, "the frozen English retrieval model (hub id or folder); the student takes its ranking settings", GUESS),
    Param("teacher_layer", "int", -1, "teacher hidden state whose tokens are transported: 0 embeddings, k the k-th layer, -1 the last", GUESS),
    Param("student_layer", "int", -1, "student hidden state whose tokens are transported (as teacher_layer)", GUESS),
    Param("epsilon", "float", 0.1, "entropy regularisation of the transport (Sinkhorn's epsilon; cost 1 - cosine is in [0, 2])", GUESS),
    Param("sinkhorn_iterations", "int", 50, "Sinkhorn iterations (log domain) per batch", GUESS),
    Param("rank_weight", "float", 0.0, "weight of the ranking loss on English pairs added to the OT loss (0: off)", GUESS),
    Param("bitext_langs", "str", None, "comma-separated languages to distil on: one model for every pair (default: the pair's non-English languages, one model per pair)", "ours"),
    Param("bitext_sources", "str", "tatoeba,flores200,tico19", "bitext sources (Tatoeba = LASER's and v2021's, de-duplicated)", GUESS),
    Param("bitext_limit", "int", None, "use only N pairs per language, drawn by seed (default: every pair)", "ours"),
)


class Optical(NeuralRanker):
    name = "optical"

    def __init__(self, **params: Any) -> None:
        super().__init__(architecture="bi", **params)  # token-level distillation yields a bi-encoder only
        limit = params["bitext_limit"]
        for name, ok, wanted in (("epsilon", params["epsilon"] > 0, "> 0"), ("sinkhorn_iterations", params["sinkhorn_iterations"] >= 1, ">= 1"),
                                 ("rank_weight", params["rank_weight"] >= 0, ">= 0"), ("bitext_limit", limit is None or limit >= 1, ">= 1")):
            if not ok:
                raise HarnessError(f"model 'optical': {name} must be {wanted}, got {params[name]}")
        self._teacher: Backbone | None = None
        self._ranking_sets: dict[str, Any] = {}

    @property
    def scope(self) -> str:  # type: ignore[override]
        return "all" if self.params["bitext_langs"] else "pair"

    @property
    def teacher(self) -> Backbone:
        if self._teacher is None:
            self._teacher = resolve_backbone(self.params["teacher"])
        return self._teacher

    def sources(self) -> tuple[str, ...]:
        return tuple(s.strip() for s in self.params["bitext_sources"].split(",") if s.strip())

    def encoder_settings(self) -> dict[str, Any]:
        """The teacher's ranking settings (pooling, normalisation, token limit), each parameter
        given overriding; prefixes only where given."""
        p, teacher = self.params, self.teacher
        return {
            "pooling": p["pooling"] or teacher.pooling or "mean",
            "similarity": p["similarity"],
            "normalize": teacher.normalize or p["similarity"] == "cosine",
            "max_length": p["max_length"] or teacher.max_length or DEFAULT_MAX_LENGTH,
            "query_prefix": p["query_prefix"] or "",
            "document_prefix": p["document_prefix"] or "",
            "include_prompt": True,
        }

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "teacher": self.teacher.describe(), "method": UNCONFIRMED}

    def training_description(self) -> dict[str, Any]:
        return {"scope": self.scope, "bitext": f"English-X pairs of {'+'.join(self.sources())} for the pair's non-English languages "
                "(or bitext_langs), de-duplicated", "ranking": "English pairs of the track source, where rank_weight > 0"}

    def training_set(self, pair, document_langs: Sequence[str]):
        from harness.training.data.bitext import bitext_pairs
        from harness.training.examples import merge

        given = self.params["bitext_langs"]
        langs = sorted({s.strip() for s in given.split(",") if s.strip()} if given else {pair.query_lang, *document_langs} - {ENGLISH})
        if not langs:
            raise HarnessError(f"optical distils on bitext of a foreign language, and {pair} has none: name them with bitext_langs=de,es")
        p = self.params
        sets = [bitext_pairs(self.training_data_dir(), lang, sources=self.sources(), limit=p["bitext_limit"], seed=p["seed"]) for lang in langs]
        return sets[0] if len(sets) == 1 else merge(sets, f"bitext/{'+'.join(langs)}-{ENGLISH}")

    def weights_fingerprint(self) -> str:
        return f"student:{self.backbone.fingerprint()}+teacher:{self.teacher.fingerprint()}"

    def data_fingerprint(self, pair, training) -> str:
        ranking = self._ranking(pair)
        return training.fingerprint() + (f"+ranking:{ranking.fingerprint()}" if ranking is not None else "")

    def fit(self, model, pair, training, config, progress: bool):
        """:func:`~harness.training.distill.distil` from the teacher, with the ranking loss where weighted."""
        from harness.models.bi_encoder import BiEncoder
        from harness.training.distill import distil

        distillation = self._distillation()
        ranking = self._ranking(pair)
        teacher = BiEncoder.from_backbone(self.teacher, max_length=model.max_length).to(self.device())
        _check(model, teacher, distillation)
        log = distil(model, teacher, training.examples, config, distillation, ranking=ranking.examples if ranking else (), progress=progress)
        return log, {
            "teacher": self.teacher.describe(), "distillation": distillation.as_dict(), "method": UNCONFIRMED,
            "ranking_data": ranking.describe() if ranking else None,
            "languages": sorted(set(training.languages) | set(ranking.languages if ranking else ())),
        }

    def _distillation(self):
        from harness.training.distill import Distillation

        p = self.params
        return Distillation(p["epsilon"], p["sinkhorn_iterations"], p["teacher_layer"], p["student_layer"], p["rank_weight"])

    def _ranking(self, pair):
        """The track's English pairs of the ranking loss (None when it is off), loaded once per source."""
        if self.params["rank_weight"] == 0:
            return None
        source = self.source(pair)
        if source not in self._ranking_sets:
            self._ranking_sets[source] = self.load_source(pair)
        return self._ranking_sets[source]

    def training_record(self, metadata: Mapping[str, Any], pair_langs: Sequence[str]) -> dict[str, Any]:
        """The shared record plus the teacher, the distillation settings and the ranking pairs."""
        extra = {k: metadata.get(k) for k in ("teacher", "distillation", "ranking_data")}
        return {**super().training_record(metadata, pair_langs), **extra, "method": UNCONFIRMED}


def _check(student, teacher, distillation) -> None:
    """Equal widths (the cost compares the two models' states directly) and layers that exist."""
    widths = student.transformer.config.hidden_size, teacher.transformer.config.hidden_size
    if widths[0] != widths[1]:
        raise HarnessError(f"optical: the student's states are {widths[0]} wide and the teacher's {widths[1]}; OT compares them directly, so they must match")
    for side, model, layer in (("teacher", teacher, distillation.teacher_layer), ("student", student, distillation.student_layer)):
        states = model.transformer.config.num_hidden_layers + 1
        if not -states <= layer < states:
            raise HarnessError(f"optical: {side}_layer={layer} does not exist: the {side} has hidden states 0..{states - 1} (or -{states}..-1)")


MODEL = ModelSpec(
    "optical",
    "OPTICAL: a frozen English teacher distilled into a multilingual student by optimal transport over bitext token states",
    PARAMS,
    Optical,
    extra="neural",
)
