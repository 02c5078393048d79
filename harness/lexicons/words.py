"""Words as lexicons and code-switchers see them.

A word is a maximal run of letters and digits, with inner apostrophes or hyphens kept
(``don't``, ``well-known``); spaces and punctuation between words are not words.
"""
from __future__ import annotations

import re

WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")


def words(text: str) -> list[str]:
    """The words of ``text`` in order."""
    return WORD.findall(text)
