"""What the code-switching adapters share: lexicons from the data directory, and switching a
training set on the sides SPEC 4 says while recording what was switched."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.codeswitch.tokens import TOKENIZATIONS
from harness.errors import HarnessError
from harness.lexicons.titles import MATCHINGS
from harness.models.neural import NeuralRanker
from harness.models.registry import Param

if TYPE_CHECKING:
    from harness.lexicons.lexicon import Lexicon
    from harness.training.examples import TrainingSet

CLWE_CODE = "paper: mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_clwe.py"
# the seen languages besides English (src/utils/language_pairs.py: short2long without en and xx),
# which the official code switches every xx side to
PAPER_LANGUAGES = "de,it,nl,ru,ar"

SWITCH_PARAMS = (
    Param("p", "float", 0.5, "probability of replacing a token that the lexicon translates",
          f"{CLWE_CODE} (its translation probability; 0.5 is the paper's main setting, SPEC 4)"),
    Param("policy", "str", "first", "translation of a word with several entries: first or all (drawn uniformly)",
          "ours (the paper's induced lexicon has one translation per word; a MUSE dictionary lists several)"),
    Param("lexicon_dir", "str", None, "folder of MUSE dictionaries en-X.txt.gz (default: DATA_DIR/muse)",
          "ours (the paper induced its lexicons as nearest neighbours in aligned MUSE embeddings; the MUSE dictionaries stand in)"),
    Param("tokenization", "str", "treebank", "treebank (NLTK's Treebank tokens, detokenized after switching) or regex "
          "(words replaced in place, spacing and punctuation kept)", CLWE_CODE),
)


def split_languages(text: str | None) -> list[str]:
    """The non-English languages of a comma-separated parameter, sorted and unique."""
    return sorted({lang.strip() for lang in (text or "").split(",") if lang.strip()} - {"en"})


class CodeSwitchedRanker(NeuralRanker):
    """A neural adapter that trains on code-switched copies of its English training set."""

    method: str

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        for key, allowed in (("tokenization", TOKENIZATIONS), ("matching", MATCHINGS)):
            if key in params and params[key] not in allowed:
                raise HarnessError(f"model {self.name!r}: {key} must be one of {', '.join(allowed)}, not {params[key]!r}")

    def muse(self, languages: Sequence[str]) -> dict[str, Lexicon]:
        """EN->X MUSE lexicons for ``languages`` (English itself needs none)."""
        from harness.lexicons.english_lexicons import muse_paths, read_english_lexicons

        folder = Path(self.params["lexicon_dir"]) if self.params["lexicon_dir"] else self.training_data_dir() / "muse"
        wanted = sorted(set(languages) - {"en"})
        return read_english_lexicons([f"{lang}={path}" for lang, path in zip(wanted, muse_paths(folder, wanted))], "muse")

    def switched(
        self, english: TrainingSet, lexicons: Mapping[str, Lexicon], query_langs: Sequence[str], doc_langs: Sequence[str], **sides: Any
    ) -> TrainingSet:
        """``english`` switched by this adapter's method; ``sides`` are BL-CS's query/doc languages
        and the languages its xx side draws from."""
        from harness.codeswitch.training_file import switch_examples

        if not lexicons:
            return english.with_examples(english.examples, notes={**english.notes, "code_switching": "none: every side is English"})
        p = self.params
        examples, report = switch_examples(
            english.examples, self.method, lexicons, p=p.get("p", 1.0), seed=p["seed"], policy=p.get("policy", "first"),
            tokenization=p.get("tokenization", "treebank"), matching=p.get("matching", "official"), source=english.source, **sides,
        )
        switching = {k: v for k, v in report.to_dict().items() if k not in ("source", "target")}
        switching["lexicons"] = [{**lexicon, "origin": self.recorded_origin(lexicon["origin"])} for lexicon in switching["lexicons"]]
        return english.with_examples(
            examples,
            source=f"{self.method}({english.source})",
            query_langs=tuple(query_langs),
            doc_langs=tuple(doc_langs),
            notes={**english.notes, "code_switching": switching},
        )

    def recorded_origin(self, origin: str) -> str:
        """A lexicon file as results record it, never a machine's folder: relative to the data
        directory when inside it (``muse/en-de.txt.gz``), else its file name (its folder is in the
        ``lexicon_dir`` or ``titles`` parameter)."""
        path, data = Path(origin).resolve(), self.training_data_dir().resolve()
        return path.relative_to(data).as_posix() if path.is_relative_to(data) else path.name
