"""wiki-cs (SPEC 4): one model for all pairs, trained on English pairs in which the 1-3-word
n-grams that are Wikipedia titles are replaced by their parallel titles (p = 1), the query and
document language drawn uniformly per instance from English and the title languages.

``matching=official`` (the default) reads the titles and replaces them as the paper's notebook
does (mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_wiki_1.ipynb: the foreign title
cleaned, the last duplicate kept, whitespace tokens, n-grams by character length, substring
replacement, NLTK's English stopwords); ``matching=tokens`` is the harness's word matching
(:mod:`harness.codeswitch.wiki`). No title dictionary ships offline: ``titles`` names the files
(``LANG=PATH``, comma-separated)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.errors import HarnessError
from harness.models.codeswitched import CodeSwitchedRanker
from harness.models.neural import COMMON_PARAMS
from harness.models.registry import ModelSpec, Param

NOTEBOOK = "paper: mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_wiki_1.ipynb"


class WikiCodeSwitching(CodeSwitchedRanker):
    name = "wiki-cs"
    scope = "all"
    method = "wiki-cs"

    def title_files(self) -> list[str]:
        files = [item.strip() for item in (self.params["titles"] or "").split(",") if item.strip()]
        if not files:
            raise HarnessError(f"model {self.name!r} needs titles=LANG=PATH[,LANG=PATH...]: parallel-title files (English title<TAB>title in LANG)")
        return files

    def training_set(self, pair, document_langs: Sequence[str]):
        from harness.lexicons.english_lexicons import read_english_lexicons

        titles = read_english_lexicons(self.title_files(), "titles", matching=self.params["matching"])
        seen = ["en", *sorted(titles)]
        return self.switched(self.load_source(pair), titles, seen, seen)

    def training_description(self) -> dict[str, Any]:
        return {
            "scope": self.scope, "pairs": "en-en of the track source; title n-grams replaced, languages drawn per instance",
            "titles": self.title_files(), "matching": self.params["matching"],
        }


MODEL = ModelSpec(
    "wiki-cs",
    "Wikipedia-title code-switching: one model for all pairs, title n-grams replaced by parallel titles",
    COMMON_PARAMS + (
        Param("titles", "str", None, "parallel-title files, LANG=PATH comma-separated (required)",
              "ours (the paper used the linguatools wikititles-2014 files, not available offline)"),
        Param("matching", "str", "official", "official (the notebook's: foreign title cleaned, last duplicate kept, whitespace "
              "n-grams longest first by characters, substring replacement, NLTK stopwords) or tokens (both titles cleaned, "
              "words, longest first left to right without overlap, scikit-learn stopwords)", NOTEBOOK),
    ),
    WikiCodeSwitching,
    extra="neural",
)
