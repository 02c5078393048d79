"""``harness codeswitch`` as a function: a code-switched copy of a training file, every option
checked against the method it applies to (one given where it does not apply is refused)."""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError
from harness.output_paths import check_output_file


def codeswitch(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    method: str,
    lexicons: Sequence[str | os.PathLike[str]],
    p: float | None = None,
    seed: int = 0,
    policy: str | None = None,
    query_lang: str | None = None,
    doc_lang: str | None = None,
    xx_languages: Sequence[str] | None = None,
    tokenization: str | None = None,
    matching: str | None = None,
):
    """Write a code-switched copy of a training file (``query<TAB>positive[<TAB>negative...]``).

    ``lexicons`` are paths, or ``LANG=PATH``: MUSE dictionaries named ``en-LANG.txt[.gz]`` for
    ``bl-cs``/``ml-cs``, parallel-title files for ``wiki-cs``.

    - bl-cs and ml-cs: ``p`` (default 0.5), ``policy`` (default ``first``) and ``tokenization``
      (default ``treebank``, the official code's; ``regex`` replaces words in place);
    - bl-cs only: ``query_lang`` and ``doc_lang`` (``xx``: each switched token into a language
      drawn from ``xx_languages``, default the lexicons' languages, as the official code does);
    - wiki-cs only: ``matching`` (default ``official``, the paper's notebook; ``tokens`` is ours).

    Returns a :class:`~harness.codeswitch.training_file.SwitchReport` (shares of words switched per side).
    """
    from harness.codeswitch.training_file import switch_file
    from harness.lexicons.english_lexicons import read_english_lexicons

    check_output_file(target, "OUT")
    if method != "bl-cs" and (query_lang is not None or doc_lang is not None or xx_languages is not None):
        raise HarnessError(f"--query-lang/--doc-lang/--xx-languages apply to bl-cs only ({method} draws the languages itself)")
    if xx_languages is not None and "xx" not in (query_lang, doc_lang):
        raise HarnessError("--xx-languages applies to an xx side only: give --query-lang xx or --doc-lang xx")
    if method == "wiki-cs" and (p is not None or policy is not None or tokenization is not None):
        raise HarnessError("--p/--policy/--tokenization do not apply to wiki-cs, which replaces every title match (p = 1, one title each)")
    if method != "wiki-cs" and matching is not None:
        raise HarnessError(f"--matching applies to wiki-cs only ({method} switches word by word through MUSE)")
    p = 0.5 if p is None else p
    if seed < 0:
        raise HarnessError(f"--seed {seed}: a seed is a non-negative integer")
    if Path(source).resolve() == Path(target).resolve():
        raise HarnessError(f"{target}: the output would overwrite the input; give another OUT")
    if not 0 <= p <= 1:
        raise HarnessError(f"--p {p}: a probability lies between 0 and 1")
    matching = matching or "official"
    loaded = read_english_lexicons(lexicons, "titles" if method == "wiki-cs" else "muse", matching=matching)
    return switch_file(
        source, target, method, loaded, p=p, seed=seed, policy=policy or "first", query_lang=query_lang, doc_lang=doc_lang,
        xx_languages=xx_languages, tokenization=tokenization or "treebank", matching=matching,
    )
