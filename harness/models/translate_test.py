"""translate-test (SPEC 4), the code-switching paper's baseline: at test time, translate
non-English queries and documents into English and rank with an English model.

The ranking is delegated to an inner adapter, ``ranker``: ``zero-shot`` (an English-trained
model, the paper's setup) or ``dense`` (an English encoder as published); its parameters
(backbone, training ...) pass through. It ranks an English view of the pair's task
(:mod:`harness.translation.english_view`), so its model cache and its embedding cache work as
for any English task, translated texts getting entries of their own.

Backends: ``lexicon`` (the paper's, term by term through MUSE X->en dictionaries; see
:mod:`harness.translation.lexicon_backend` for how and where it differs from the released
code, which put both sides of a pair through the query language's lexicon: not reproduced
here) and ``seq2seq`` (a Hugging Face translation checkpoint, translations cached on disk).
Each run records the translation: the lexicon files or checkpoints used, and per side and
source language the texts translated and, for lexicons, the share of tokens with an entry.
The inner ranker's record describes the English view: its training languages against ``en``.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.models.neural import COMMON_PARAMS, ENCODER_PARAMS, EncoderRanker
from harness.models.registry import ModelSpec, Param, Ranker

if TYPE_CHECKING:
    from harness.datasets.records import PairTask
    from harness.evaluation.run import Run
    from harness.evaluation.score_matrix import ScoreMatrix
    from harness.translation.base import Translator

PAPER = "paper: mainlp/CodeSwitchCLIR@729dff8:src/eval_data/create_translatetest.py"
RANKERS = ("zero-shot", "dense")
BACKENDS = ("lexicon", "seq2seq")
TRAINING_ONLY = tuple(p for p in COMMON_PARAMS if p not in ENCODER_PARAMS)

OWN_PARAMS = (
    Param("ranker", "str", "zero-shot", "the English ranker: zero-shot (English-trained, the paper's setup) or dense (the encoder as published)",
          "paper: its translate-test baseline ranks the translations with its zero-shot (English-trained) model (SPEC 4; mainlp/CodeSwitchCLIR@729dff8:README.md)"),
    Param("backend", "str", "lexicon", "translation: lexicon (term by term through MUSE X-en dictionaries) or seq2seq (a translation checkpoint)", PAPER),
    Param("lexicon_dir", "str", None, "lexicon: folder of MUSE dictionaries X-en.txt.gz (default: DATA_DIR/muse); "
          "the paper induced its lexicon from aligned MUSE embeddings instead", "ours"),
    Param("lexicon_choice", "str", "frequent", "lexicon: which translation of a word with several to take: frequent (the most frequent English word, "
          "by MUSE's en-en frequency order) or first (the first listed)", "ours"),
    Param("translation_model", "str", None, "seq2seq: hub id or folder of the checkpoint; {lang} is replaced by the source language "
          "(e.g. Helsinki-NLP/opus-mt-{lang}-en)", "ours"),
    Param("language_codes", "str", None, "seq2seq: the checkpoint's language codes: none (Marian), nllb (FLORES-200), iso (M2M100) "
          "or LANG=CODE,... with en", "ours"),
    Param("num_beams", "int", 4, "seq2seq: beam size", "ours"),
    Param("translation_max_length", "int", 256, "seq2seq: tokens per input (cut) and per translation (at most)", "ours"),
    Param("translation_batch_size", "int", 16, "seq2seq: texts per generation batch", "ours"),
)
# the inner ranker's parameters, passed through; those only training uses are for ranker=zero-shot
PARAMS = OWN_PARAMS + tuple(
    replace(p, origin="ours", description=f"ranker=zero-shot: {p.description}" if p in TRAINING_ONLY else p.description) for p in COMMON_PARAMS
)


class TranslateTest(Ranker):
    name = "translate-test"

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        for key, allowed in (("ranker", RANKERS), ("backend", BACKENDS)):
            if params[key] not in allowed:
                raise HarnessError(f"model {self.name!r}: {key} must be one of {', '.join(allowed)}, not {params[key]!r}")
        if params["ranker"] == "dense":
            trained = [f"{p.name}={params[p.name]}" for p in TRAINING_ONLY if params[p.name] != p.default]
            if trained:
                raise HarnessError(f"model {self.name!r}: ranker=dense ranks with the encoder as published; it takes no {', '.join(trained)}")
        if params["backend"] == "seq2seq" and not params["translation_model"]:
            raise HarnessError(f"model {self.name!r}: backend=seq2seq needs translation_model=HUB_ID_OR_FOLDER")
        from harness.models import get_model, get_spec

        inner = {p.name for p in get_spec(params["ranker"]).params}
        self.inner: EncoderRanker = get_model(params["ranker"], **{k: v for k, v in params.items() if k in inner})  # type: ignore[assignment]
        self._translators: dict[str, Translator] = {}

    def translator(self) -> Translator:
        """The backend, built once per lexicon folder (the data directory is known only when ranking)."""
        folder, shown = self._lexicon_folder()
        key = str(folder) if self.params["backend"] == "lexicon" else self.params["backend"]
        if key not in self._translators:
            self._translators[key] = self._build_translator(folder, shown)
        return self._translators[key]

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "model": self.name, "parameters": dict(self.params), "translation": self.translator().describe()}

    def rank(self, task: PairTask, *, depth: int | None = None, progress: bool = True) -> Run | ScoreMatrix:
        """Rank ``task``'s English view with the inner ranker; the run records the translation."""
        from harness.translation.english_view import TranslationLog, english_task

        translator = self.translator()
        log = TranslationLog()
        self.inner.data_dir = self.data_dir
        run = self.inner.rank(english_task(task, translator, log, progress=progress), depth=depth, progress=progress)
        run.name = self.name
        run.metadata = {**run.metadata, "ranker": self.inner.name, "translation": {"backend": translator.backend, **translator.record(), **log.record(translator)}}
        return run

    def _lexicon_folder(self) -> tuple[Path, str]:
        """Where the lexicons are, and how results name it: the parameter as given, else ``DATA_DIR/muse``."""
        from harness.paths import data_dir

        if self.params["lexicon_dir"]:
            return Path(self.params["lexicon_dir"]).expanduser(), self.params["lexicon_dir"]
        return (self.data_dir if self.data_dir is not None else data_dir()) / "muse", "DATA_DIR/muse"

    def _build_translator(self, folder: Path, shown: str) -> Translator:
        p = self.params
        if p["backend"] == "lexicon":
            from harness.translation.lexicon_backend import LexiconTranslator

            return LexiconTranslator(folder, shown, p["lexicon_choice"])
        from harness.translation.seq2seq_backend import Seq2SeqTranslator

        return Seq2SeqTranslator(
            p["translation_model"], device=self.inner.device, language_codes=p["language_codes"], num_beams=p["num_beams"],
            max_length=p["translation_max_length"], batch_size=p["translation_batch_size"],
        )


MODEL = ModelSpec(
    "translate-test",
    "translate queries and documents into English at test time (lexicon term by term, or a seq2seq checkpoint), rank with an English model",
    PARAMS,
    TranslateTest,
    extra="neural",
)
