"""ML-CS: multilingual code-switching, the target language drawn per word."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from harness.codeswitch.tokens import Switched, substitute_words
from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon


def ml_cs(
    text: str, lexicons: Mapping[str, Lexicon], p: float = 0.5, *, rng: np.random.Generator, policy: str = "first"
) -> Switched:
    """As :func:`~harness.codeswitch.bilingual.bl_cs`, but each word's target language is drawn
    uniformly from ``lexicons`` (language -> EN->language lexicon). Two draws per word, always:
    the switch and the language."""
    if not lexicons:
        raise HarnessError("ML-CS needs at least one lexicon")
    languages = sorted(lexicons)

    def replace(word: str) -> str | None:
        switch = rng.random() < p
        language = languages[int(rng.integers(len(languages)))]
        return lexicons[language].translate(word, policy, rng) if switch else None

    return substitute_words(text, replace)
