"""bl-cs (bilingual code-switching, SPEC 4): one model per pair X->Y, trained on English pairs
whose queries are switched to X (if X != en) and documents to Y (if Y != en), token by token
with probability p, through EN->X / EN->Y MUSE lexicons.

A multilingual side (``xx``: en-xx, xx-en, xx-xx on mMARCO; X-xx on the LAReQA sets) is switched
as mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_clwe.py switches it: each switched
token's language drawn uniformly from the pool's languages besides English. A document pool's
languages are those of the collection ranked; an xx query side's, which no collection shows, are
the paper's seen languages (de, it, nl, ru, ar: the languages, with en, mMARCO's multilingual
queries are drawn from); ``xx_languages`` sets them for both sides.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.datasets.pairs import MULTILINGUAL
from harness.models.codeswitched import CLWE_CODE, PAPER_LANGUAGES, SWITCH_PARAMS, CodeSwitchedRanker, split_languages
from harness.models.neural import COMMON_PARAMS
from harness.models.registry import ModelSpec, Param


class BilingualCodeSwitching(CodeSwitchedRanker):
    name = "bl-cs"
    scope = "pair"
    method = "bl-cs"

    def pool(self, pair, document_langs: Sequence[str]) -> list[str]:
        """The languages the pair's xx side switches to (none for a pair without one)."""
        if MULTILINGUAL not in (pair.query_lang, pair.doc_lang):
            return []
        if self.params["xx_languages"]:
            return split_languages(self.params["xx_languages"])
        return split_languages(",".join(document_langs) if pair.doc_lang == MULTILINGUAL else PAPER_LANGUAGES)

    def training_set(self, pair, document_langs: Sequence[str]):
        pool = self.pool(pair, document_langs)
        lexicons = self.muse([*pool, *({pair.query_lang, pair.doc_lang} - {MULTILINGUAL})])

        def seen(lang: str) -> list[str]:
            return ["en", *pool] if lang == MULTILINGUAL else [lang]

        return self.switched(
            self.load_source(pair), lexicons, seen(pair.query_lang), seen(pair.doc_lang),
            query_lang=pair.query_lang, doc_lang=pair.doc_lang, xx_languages=pool,
        )

    def training_description(self) -> dict[str, Any]:
        return {
            "scope": self.scope,
            "pairs": "en-en of the track source; queries switched to X, documents to Y; an xx side per token to a language "
            "drawn from the pool's (documents: the collection's languages; queries: xx_languages, default the paper's seen ones)",
            "tokenization": self.params["tokenization"],
            "lexicons": "MUSE en-X",
        }


MODEL = ModelSpec(
    "bl-cs",
    "bilingual code-switching: one model per pair, English training data switched to its languages",
    COMMON_PARAMS + SWITCH_PARAMS + (
        Param("xx_languages", "str", None, "languages an xx side switches to, comma-separated (default: a document pool's "
              f"languages besides en; for an xx query side the paper's seen languages {PAPER_LANGUAGES})",
              f"{CLWE_CODE} (an xx side draws from the seen languages, which are mMARCO's pool)"),
    ),
    BilingualCodeSwitching,
    extra="neural",
)
