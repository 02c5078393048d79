"""Parallel Wikipedia page titles as a lexicon (Wiki-CS): ``english title<TAB>target title`` a line.

Titles are cleaned as SPEC section 4 says: lowercased, a prefix up to ``:`` removed
(``Category:``), and a parenthesised suffix removed (``Mercury (planet)``).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon, group_entries, numbered_lines

_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


def clean_title(title: str) -> str:
    """``Category:Mercury (planet)`` -> ``mercury``."""
    text = title.strip()
    if ":" in text:
        text = text.split(":", 1)[1]
    text = _SUFFIX.sub("", text)
    return " ".join(text.lower().split())


def read_titles(path: str | os.PathLike[str], source: str | None = None, target: str | None = None) -> Lexicon:
    """Read a title-pair file (English titles first unless ``source`` says otherwise); ``target``
    defaults to the name's ``en-XX`` part where there is one."""
    path = Path(path)
    source = source or "en"
    if target is None:
        match = re.match(r"^[a-z]{2,3}-([a-z]{2,3})\b", path.name)
        if match is None:
            raise HarnessError(f"{path}: cannot tell the target language from the name (expected en-XX...); give it")
        target = match.group(1)
    pairs = []
    for number, line in numbered_lines(path, "title"):
        if not line.strip():
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) != 2:
            raise HarnessError(f"{path}:{number}: expected 'english title<TAB>{target} title', found {len(fields)} field(s)")
        english, foreign = clean_title(fields[0]), clean_title(fields[1])
        if english and foreign:
            pairs.append((english, foreign))
    return Lexicon(source, target, group_entries(pairs), str(path))
