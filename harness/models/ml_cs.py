"""ml-cs (multilingual code-switching, SPEC 4): one model for all pairs, trained on English pairs
whose query and document tokens are switched with probability p, each to a language drawn
uniformly from the seen languages, so one text mixes several languages (the official xx-xx
data, mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_clwe.py)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.errors import HarnessError
from harness.models.codeswitched import PAPER_LANGUAGES, SWITCH_PARAMS, CodeSwitchedRanker, split_languages
from harness.models.neural import COMMON_PARAMS
from harness.models.registry import ModelSpec, Param


class MultilingualCodeSwitching(CodeSwitchedRanker):
    name = "ml-cs"
    scope = "all"
    method = "ml-cs"

    def languages(self) -> list[str]:
        languages = split_languages(self.params["languages"])
        if not languages:
            raise HarnessError(f"model {self.name!r}: languages must name at least one non-English language, e.g. {PAPER_LANGUAGES}")
        return languages

    def training_set(self, pair, document_langs: Sequence[str]):
        languages = self.languages()
        seen = ["en", *languages]
        return self.switched(self.load_source(pair), self.muse(languages), seen, seen)

    def training_description(self) -> dict[str, Any]:
        return {
            "scope": self.scope, "pairs": "en-en of the track source; both sides switched, a language drawn per token",
            "languages": self.languages(), "tokenization": self.params["tokenization"], "lexicons": "MUSE en-X",
        }


MODEL = ModelSpec(
    "ml-cs",
    "multilingual code-switching: one model for all pairs, tokens switched to languages drawn per token",
    COMMON_PARAMS + SWITCH_PARAMS + (
        Param("languages", "str", PAPER_LANGUAGES, "the seen languages tokens are switched to (comma-separated)",
              "paper: mainlp/CodeSwitchCLIR@729dff8:src/utils/language_pairs.py (short2long's languages besides en)"),
    ),
    MultilingualCodeSwitching,
    extra="neural",
)
