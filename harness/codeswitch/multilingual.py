"""ML-CS: multilingual code-switching, the target language drawn per token."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from harness.codeswitch.tokens import Switched, substitute_words
from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon


def ml_cs(
    text: str,
    lexicons: Mapping[str, Lexicon],
    p: float = 0.5,
    *,
    rng: np.random.Generator,
    policy: str = "first",
    tokenization: str = "treebank",
) -> Switched:
    """As :func:`~harness.codeswitch.bilingual.bl_cs`, but a switched token's target language is
    drawn uniformly from ``lexicons`` (language -> EN->language lexicon), as
    mainlp/CodeSwitchCLIR@729dff8:src/train_data/codeswitch_clwe.py does: per token one uniform
    draw against ``p``, and only when it falls below, one draw of the language; a token the drawn
    language's lexicon lacks stays English (no second language is tried)."""
    if not lexicons:
        raise HarnessError("ML-CS needs at least one lexicon")
    languages = sorted(lexicons)

    def replace(word: str) -> str | None:
        if rng.random() >= p:
            return None
        return lexicons[languages[int(rng.integers(len(languages)))]].translate(word, policy, rng)

    return substitute_words(text, replace, tokenization)
