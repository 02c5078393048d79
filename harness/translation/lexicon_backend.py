"""Term-by-term translation into English through an X->en lexicon, as the code-switching paper
translated its test data (mainlp/CodeSwitchCLIR@729dff8:src/eval_data/create_translatetest.py):
the text is lowercased and split into NLTK Treebank tokens, every token with an entry is replaced
by its translation and every other token kept (p = 1), and the tokens are detokenized again.

Where this differs from the released code, on purpose:

- **Lexicon source.** The paper induced its lexicon as each source word's nearest English
  neighbour in aligned MUSE word embeddings (every word of the embeddings' vocabulary gets a
  translation). No embeddings are available offline: this backend reads MUSE's ready X-en
  dictionaries (``X-en.txt.gz``), which cover fewer words and list several translations of a
  word in no useful order (``hund``: hound, dog; ``rot``: rot, red). ``choice=frequent`` (the
  default) takes the most frequent English word among them, by its rank in MUSE's ``en-en``
  dictionary, whose lines follow English word frequency (so dog, red; that list lacks the
  commonest function words, of, in, to, is, which rank last there); ``choice=first`` takes the
  first listed. Results record the files with checksums and each run records the share of
  tokens that had an entry.
- **Each side through its own language.** The released script loads the *query* language's
  embeddings for both sides of a pair (``load_embs(qlang)`` in ``main``), so in CLIR the
  documents went through the wrong language's lexicon, and its table cache is named by the
  side's language only. Here queries go through the query language's lexicon and each document
  through its own language's (an MLIR pool through one lexicon per document language).

English text is left untouched, as the released code skips English.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import HarnessError
from harness.hashing import file_sha256
from harness.lexicons.english_lexicons import muse_path
from harness.lexicons.lexicon import Lexicon
from harness.lexicons.muse import read_muse
from harness.lexicons.treebank import detokenize, tokenize
from harness.lexicons.words import WORD
from harness.translation.base import ENGLISH, Counts, Translator

LEXICON_SOURCE = "MUSE X-en full dictionaries (facebookresearch/MUSE); the paper induced 1-nearest-neighbour lexicons from aligned MUSE embeddings"
METHOD = "lowercase, NLTK Treebank tokens, each token replaced by its lexicon entry or kept (p = 1), Treebank detokenization"
CHOICES = {
    "frequent": "the most frequent English word among a word's translations, by its line in MUSE's en-en dictionary (frequency order)",
    "first": "the first translation listed",
}
SUFFIXES = (".txt.gz", ".txt")


def translation_table(lexicon: Lexicon, ranks: Mapping[str, int] | None) -> dict[str, str]:
    """One translation per entry: the best-ranked (lowest rank; unranked last, then file order),
    or the first listed where ``ranks`` is ``None``."""
    if ranks is None:
        return {word: translations[0] for word, translations in lexicon.entries.items()}
    unranked = len(ranks)
    return {word: min(translations, key=lambda t: ranks.get(t.lower(), unranked)) for word, translations in lexicon.entries.items()}


class LexiconTranslator(Translator):
    """Term-by-term X->en translation with the MUSE dictionaries in ``folder``; ``shown`` is how
    results name the folder (never a machine's path for the data directory's own)."""

    backend = "lexicon"

    def __init__(self, folder: Path, shown: str, choice: str = "frequent") -> None:
        if choice not in CHOICES:
            raise HarnessError(f"lexicon choice must be one of {', '.join(CHOICES)}, not {choice!r}")
        self.folder = folder
        self.shown = shown
        self.choice = choice
        self._tables: dict[str, dict[str, str]] = {}
        self._used: dict[str, Lexicon] = {}
        self._ranks: dict[str, int] | None = None
        self._rank_source: Lexicon | None = None
        self._checksums: dict[str, str] | None = None
        self._file_sums: dict[Path, str] = {}

    def table(self, lang: str) -> dict[str, str]:
        """``lang``'s lowercase words to their chosen English translation, built once."""
        if lang not in self._tables:
            lexicon = read_muse(muse_path(self.folder, lang, ENGLISH), lang, ENGLISH)
            self._used[lang] = lexicon
            self._tables[lang] = translation_table(lexicon, self.english_ranks() if self.choice == "frequent" else None)
        return self._tables[lang]

    def english_ranks(self) -> dict[str, int]:
        """English words by frequency rank: their order in MUSE's en-en dictionary."""
        if self._ranks is None:
            self._rank_source = read_muse(muse_path(self.folder, ENGLISH, ENGLISH), ENGLISH, ENGLISH)
            self._ranks = {word: rank for rank, word in enumerate(self._rank_source.entries)}
        return self._ranks

    def translate(self, texts: Sequence[str], lang: str, *, progress: bool = False) -> tuple[list[str], list[Counts]]:
        table = self.table(lang)
        translated = [translate_text(text, table) for text in texts]
        return [text for text, _ in translated], [counts for _, counts in translated]

    def checksums(self) -> dict[str, str] | None:
        """SHA-256 of every X-en dictionary in the folder (any of them may be used, en-en for
        the ranks), or ``None`` when the folder is not there."""
        if self._checksums is None and self.folder.is_dir():
            paths = sorted(p for suffix in SUFFIXES for p in self.folder.glob(f"*-{ENGLISH}{suffix}"))
            self._checksums = {path.name: self._file_sum(path) for path in paths}
        return self._checksums

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.backend, "method": METHOD, "tokenizer": f"nltk {_nltk_version()} TreebankWordTokenizer/TreebankWordDetokenizer",
            "sides": "each side through its own language's lexicon; English untouched",
            "lexicons": {"source": LEXICON_SOURCE, "choice": f"{self.choice}: {CHOICES[self.choice]}", "folder": self.shown, "sha256": self.checksums()},
        }

    def record(self) -> dict[str, Any]:
        recorded: dict[str, Any] = {"lexicons": {lang: self._file_record(lexicon) for lang, lexicon in sorted(self._used.items())}}
        if self._rank_source is not None:
            recorded["english_ranks"] = self._file_record(self._rank_source)
        return recorded

    def _file_record(self, lexicon: Lexicon) -> dict[str, Any]:
        path = Path(lexicon.origin)
        return {"file": path.name, "sha256": self._file_sum(path), "entries": len(lexicon)}

    def summarize(self, counts: Mapping[str, int]) -> dict[str, Any]:
        """The counts with the shares of tokens, and of word tokens, that had an entry."""
        return {
            **counts,
            "token_share": counts["covered"] / counts["tokens"] if counts.get("tokens") else None,
            "word_share": counts["covered_words"] / counts["words"] if counts.get("words") else None,
        }

    def _file_sum(self, path: Path) -> str:
        if path not in self._file_sums:
            self._file_sums[path] = file_sha256(path)
        return self._file_sums[path]


def translate_text(text: str, table: Mapping[str, str]) -> tuple[str, Counts]:
    """``text`` translated token by token through ``table`` (lowercase word -> translation), and
    its counts: texts, tokens, tokens with an entry, and the same for word tokens (those with a
    letter or digit; punctuation is rarely an entry)."""
    tokens = tokenize(text.lower())
    out, covered, words, covered_words = [], 0, 0, 0
    for token in tokens:
        translation = table.get(token)
        is_word = WORD.search(token) is not None
        words += is_word
        if translation is not None:
            covered += 1
            covered_words += is_word
        out.append(token if translation is None else translation)
    return detokenize(out), {"texts": 1, "tokens": len(tokens), "covered": covered, "words": words, "covered_words": covered_words}


def _nltk_version() -> str:
    from importlib.metadata import version

    return version("nltk")
