"""BL-CS: bilingual code-switching of an English text into one language."""
from __future__ import annotations

import numpy as np

from harness.codeswitch.tokens import Switched, substitute_words
from harness.lexicons.lexicon import Lexicon

DEFAULT_P = 0.5


def bl_cs(text: str, lexicon: Lexicon, p: float = DEFAULT_P, *, rng: np.random.Generator, policy: str = "first") -> Switched:
    """Replace each word, with probability ``p`` and if its lowercase form is in ``lexicon``, by
    its translation. One uniform draw per word, in order, whether or not the word has an entry,
    so the same seed switches the same positions whatever the lexicon covers."""

    def replace(word: str) -> str | None:
        return lexicon.translate(word, policy, rng) if rng.random() < p else None

    return substitute_words(text, replace)
