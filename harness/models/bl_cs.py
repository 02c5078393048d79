"""bl-cs (bilingual code-switching, SPEC 4): one model per pair X->Y, trained on English pairs
whose queries are switched to X (if X != en) and documents to Y (if Y != en), word by word with
probability p, through EN->X / EN->Y MUSE lexicons.

For an MLIR pair X->xx there is no single document language: documents are switched to X as
well, so the model is the bilingual en/X one (recorded in the training data's notes).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.datasets.pairs import MULTILINGUAL
from harness.models.codeswitched import SWITCH_PARAMS, CodeSwitchedRanker
from harness.models.neural import COMMON_PARAMS
from harness.models.registry import ModelSpec


class BilingualCodeSwitching(CodeSwitchedRanker):
    name = "bl-cs"
    scope = "pair"
    method = "bl-cs"

    def training_set(self, pair, document_langs: Sequence[str]):
        query_lang = pair.query_lang
        doc_lang = query_lang if pair.doc_lang == MULTILINGUAL else pair.doc_lang
        lexicons = self.muse([query_lang, doc_lang])
        return self.switched(self.load_source(pair), lexicons, [query_lang], [doc_lang], query_lang=query_lang, doc_lang=doc_lang)

    def training_description(self) -> dict[str, Any]:
        return {"scope": self.scope, "pairs": "en-en of the track source; queries switched to X, documents to Y (X for an xx pool)", "lexicons": "MUSE en-X"}


MODEL = ModelSpec("bl-cs", "bilingual code-switching: one model per pair, English training data switched to its languages", COMMON_PARAMS + SWITCH_PARAMS, BilingualCodeSwitching)
