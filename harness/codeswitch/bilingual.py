"""BL-CS: bilingual code-switching of an English text into one language."""
from __future__ import annotations

import numpy as np

from harness.codeswitch.tokens import Switched, substitute_words
from harness.lexicons.lexicon import Lexicon

DEFAULT_P = 0.5


def bl_cs(
    text: str, lexicon: Lexicon, p: float = DEFAULT_P, *, rng: np.random.Generator, policy: str = "first", tokenization: str = "treebank"
) -> Switched:
    """Replace each token, with probability ``p`` and if its lowercase form is in ``lexicon``, by
    its translation. One uniform draw per token, in order, whether or not the token has an entry
    (as mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_clwe.py does), so the same seed
    switches the same positions whatever the lexicon covers."""

    def replace(word: str) -> str | None:
        return lexicon.translate(word, policy, rng) if rng.random() < p else None

    return substitute_words(text, replace, tokenization)
