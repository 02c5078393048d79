"""What the code-switching adapters share: lexicons from the data directory, and switching a
training set on the sides SPEC 4 says while recording what was switched."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.models.neural import NeuralRanker
from harness.models.registry import Param

if TYPE_CHECKING:
    from harness.lexicons.lexicon import Lexicon
    from harness.training.examples import TrainingSet

SWITCH_PARAMS = (
    Param("p", "float", 0.5, "probability of replacing a word that the lexicon translates"),
    Param("policy", "str", "first", "translation of a word with several entries: first or all (drawn uniformly)"),
    Param("lexicon_dir", "str", None, "folder of MUSE dictionaries en-X.txt.gz (default: DATA_DIR/muse)"),
)


class CodeSwitchedRanker(NeuralRanker):
    """A neural adapter that trains on code-switched copies of its English training set."""

    method: str

    def muse(self, languages: Sequence[str]) -> dict[str, Lexicon]:
        """EN->X MUSE lexicons for ``languages`` (English itself needs none)."""
        from harness.lexicons.english_lexicons import muse_paths, read_english_lexicons

        folder = Path(self.params["lexicon_dir"]) if self.params["lexicon_dir"] else self.training_data_dir() / "muse"
        wanted = sorted(set(languages) - {"en"})
        return read_english_lexicons([f"{lang}={path}" for lang, path in zip(wanted, muse_paths(folder, wanted))], "muse")

    def switched(
        self, english: TrainingSet, lexicons: Mapping[str, Lexicon], query_langs: Sequence[str], doc_langs: Sequence[str], **sides: Any
    ) -> TrainingSet:
        """``english`` switched by this adapter's method; ``sides`` are BL-CS's query/doc languages."""
        from harness.codeswitch.training_file import switch_examples

        if not lexicons:
            return english.with_examples(english.examples, notes={**english.notes, "code_switching": "none: every side is English"})
        p = self.params
        examples, report = switch_examples(
            english.examples, self.method, lexicons, p=p.get("p", 1.0), seed=p["seed"], policy=p.get("policy", "first"),
            source=english.source, **sides,
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
