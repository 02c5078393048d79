"""MUSE bilingual dictionaries (Conneau et al. 2018): one ``source<TAB>target`` pair a line.

The official files separate the two words with a tab or a space; gzip is read transparently.
Languages come from the file name (``en-de.txt.gz``: English to German) unless given.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon, group_entries, numbered_lines

_NAME = re.compile(r"^([a-z]{2,3})-([a-z]{2,3})(?:\.\d+-\d+)?\.txt(?:\.gz)?$")


def languages_from_name(path: Path) -> tuple[str, str] | None:
    """(source, target) from a MUSE file name such as ``en-de.txt.gz`` or ``en-de.0-5000.txt``."""
    match = _NAME.match(path.name)
    return (match.group(1), match.group(2)) if match else None


def read_muse(path: str | os.PathLike[str], source: str | None = None, target: str | None = None) -> Lexicon:
    """Read a MUSE dictionary; a line that is not two words is one error naming file and line."""
    path = Path(path)
    named = languages_from_name(path)
    if source is None or target is None:
        if named is None:
            raise HarnessError(f"{path}: cannot tell the languages from the name (expected SRC-TGT.txt[.gz]); give them")
        source, target = source or named[0], target or named[1]
    pairs = []
    for number, line in numbered_lines(path, "lexicon"):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise HarnessError(f"{path}:{number}: expected 'source<TAB>target', found {len(fields)} field(s)")
        pairs.append((fields[0].lower(), fields[1]))
    return Lexicon(source, target, group_entries(pairs), str(path))
