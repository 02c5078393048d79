"""Parallel Wikipedia page titles as a lexicon (Wiki-CS): ``english title<TAB>target title`` a line.

Two readings, one for each of Wiki-CS's matchings (:mod:`harness.codeswitch.wiki`):

- ``tokens`` (the harness's, as SPEC section 4 words it): both titles cleaned by
  :func:`clean_title` (lowercased, a prefix up to ``:`` and a parenthesised suffix removed,
  spaces collapsed); a pair whose title cleans to nothing is dropped; an English title with
  several translations keeps them all in file order (the first is used);
- ``official`` (the paper's notebook, mainlp/CodeSwitchCLIR@729dff8:src/train_data/
  codeswitch_wiki_1.ipynb): the English title only lowercased, the foreign one cleaned by
  :func:`clean_title_official`, and the *last* pair of a repeated English title kept (its table
  is a dict built in file order). A foreign title that cleans to nothing stays, as there: the
  English n-gram is then deleted from the text.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon, group_entries, numbered_lines

MATCHINGS = ("official", "tokens")
_SUFFIX = re.compile(r"\s*\([^()]*\)\s*$")


def clean_title(title: str) -> str:
    """The tokens reading: ``Category:Mercury (planet)`` -> ``mercury``."""
    text = title.strip()
    if ":" in text:
        text = text.split(":", 1)[1]
    text = _SUFFIX.sub("", text)
    return " ".join(text.lower().split())


def clean_title_official(title: str) -> str:
    """The notebook's cleaning of a foreign title: lowercased; where there is a ``:``, only the
    part between the first and the second one; where there is a ``(``, only what precedes the
    first; stripped. ``Kategorie:Merkur (Planet)`` -> ``merkur``, ``a: b: c`` -> ``b``."""
    text = title.lower()
    if ":" in text:
        text = text.split(":")[1].strip()
    if "(" in text:
        text = text.split("(")[0].strip()
    return text.strip()


def read_titles(path: str | os.PathLike[str], source: str | None = None, target: str | None = None, *, matching: str = "tokens") -> Lexicon:
    """Read a title-pair file (English titles first unless ``source`` says otherwise) for Wiki-CS's
    ``matching``; ``target`` defaults to the name's ``en-XX`` part where there is one."""
    if matching not in MATCHINGS:
        raise HarnessError(f"unknown title matching {matching!r}: expected one of {', '.join(MATCHINGS)}")
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
        if matching == "tokens":
            english, foreign = clean_title(fields[0]), clean_title(fields[1])
            if english and foreign:
                pairs.append((english, foreign))
        elif fields[0]:  # an empty English title is no n-gram of any text
            pairs.append((fields[0].lower(), clean_title_official(fields[1])))
    entries = group_entries(pairs) if matching == "tokens" else {english: (foreign,) for english, foreign in pairs}
    return Lexicon(source, target, entries, str(path))
