"""EN->X lexicons as the code-switching methods take them: ``{X: Lexicon}`` from paths or ``LANG=PATH``."""
from __future__ import annotations

import os
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from harness.errors import HarnessError
from harness.lexicons.lexicon import Lexicon
from harness.lexicons.muse import read_muse
from harness.lexicons.titles import read_titles

KINDS = ("muse", "titles")


def read_english_lexicons(specs: Iterable[str | os.PathLike[str]], kind: str, *, matching: str = "tokens") -> dict[str, Lexicon]:
    """One lexicon per target language from ``PATH`` or ``LANG=PATH`` items: MUSE dictionaries
    (languages from the ``en-LANG.txt[.gz]`` name unless given) or parallel-title files, read for
    Wiki-CS's ``matching``."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    read = partial(read_titles, matching=matching) if kind == "titles" else read_muse
    loaded: dict[str, Lexicon] = {}
    for item in specs:
        lang, _, path = str(item).rpartition("=") if "=" in str(item) else ("", "", str(item))
        lexicon = read(path, "en" if lang else None, lang or None)
        if lexicon.source != "en":
            raise HarnessError(f"{path}: a code-switching lexicon translates from English; this one is {lexicon.source}->{lexicon.target}")
        loaded[lexicon.target] = lexicon
    return loaded


def muse_path(muse_dir: str | os.PathLike[str], source: str, target: str) -> Path:
    """The MUSE dictionary ``SOURCE-TARGET.txt.gz`` (or ``.txt``) in ``muse_dir``."""
    candidates = [Path(muse_dir) / f"{source}-{target}.txt.gz", Path(muse_dir) / f"{source}-{target}.txt"]
    found = next((path for path in candidates if path.is_file()), None)
    if found is None:
        raise HarnessError(
            f"no MUSE dictionary for {source}->{target}: expected {candidates[0]} (the MUSE 'full' dictionary, one '{source}<TAB>{target}' pair a line)"
        )
    return found


def muse_paths(muse_dir: str | os.PathLike[str], languages: Iterable[str]) -> list[Path]:
    """The MUSE dictionaries ``en-X.txt.gz`` (or ``.txt``) of ``languages`` in ``muse_dir``."""
    return [muse_path(muse_dir, "en", lang) for lang in languages]
