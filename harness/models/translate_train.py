"""translate-train (SPEC 4): fine-tune on translated pairs whose queries are in X and documents in Y.

The pairs come from the track source's translations (LAReQA track: the translated SQuAD dev
sets joined to English by question id; mMARCO track: mMARCO's translations). ``per_pair=true``
trains one model per pair X->Y (for an MLIR pool X->xx: X queries with documents in every pool
language the source has; for a multilingual query side xx->Y, as mMARCO's xx-en and xx-xx:
queries in every language the source has, since no collection shows which languages the
queries will be in; the training data's notes say so); ``per_pair=false`` trains one model on
every X->Y combination of the source's languages. A pair whose languages the source lacks fails
naming what it has.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.datasets.pairs import MULTILINGUAL
from harness.errors import HarnessError
from harness.models.neural import COMMON_PARAMS, NeuralRanker
from harness.models.registry import ModelSpec, Param


class TranslateTrain(NeuralRanker):
    name = "translate-train"

    @property
    def scope(self) -> str:  # type: ignore[override]
        return "pair" if self.params["per_pair"] else "all"

    def training_set(self, pair, document_langs: Sequence[str]):
        from harness.training.data import get_source
        from harness.training.examples import merge

        source = self.source(pair)
        have = get_source(source).languages
        if self.params["per_pair"]:
            query_langs = list(have) if pair.query_lang == MULTILINGUAL else [pair.query_lang]
            doc_langs = [lang for lang in document_langs if lang in have] if pair.doc_lang == MULTILINGUAL else [pair.doc_lang]
        else:
            query_langs = doc_langs = list(have)
        missing = sorted({*query_langs, *doc_langs} - set(have))
        if missing or not doc_langs:  # no doc_langs: none of an MLIR pool's languages has translations
            raise HarnessError(
                f"translate-train has no translated training data for {', '.join(missing or [pair.doc_lang])} ({pair}): "
                f"{source} provides {', '.join(sorted(have))}"
            )
        parts = [self.load_source(pair, q, d) for q in query_langs for d in doc_langs]
        training = parts[0] if len(parts) == 1 else merge(parts, f"translate-train({source}: {len(parts)} pairs)")
        if self.params["per_pair"] and pair.query_lang == MULTILINGUAL:
            note = f"xx query side: queries in every language of {source} ({', '.join(query_langs)})"
            training = training.with_examples(training.examples, notes={**training.notes, "query_side": note})
        return training

    def training_description(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "pairs": "translated pairs of the track source: X->Y per pair (an xx query side: queries in every language of the source; "
            "an xx document pool: documents in each pool language the source has), or every combination of its languages",
        }


MODEL = ModelSpec(
    "translate-train",
    "fine-tuning on translated training pairs (query in X, document in Y): one model per pair or one for all",
    COMMON_PARAMS + (Param("per_pair", "bool", True, "one model per pair (true) or one over every language combination (false)"),),
    TranslateTrain,
    extra="neural",
)
