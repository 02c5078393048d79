"""The common measures, parsed without importing ir-measures.

``AP``, ``RR``, ``nDCG`` (each with or without a cutoff) and ``P@k``, ``R@k``, ``Success@k``,
written plainly, are what almost every evaluation asks for, and the harness's numpy kernels
compute them. Importing ir-measures (its providers, logging, subprocess, ...) costs 40-55 ms,
a fifth of a small ``harness eval``; so these names are read here, into objects that answer
the kernels' questions as ir-measures' own would (``NAME``, ``measure["cutoff"]``, ...), with
the same canonical names (tests hold both to it). Any other name, or one with parameters, goes
to ir-measures.
"""
from __future__ import annotations

import re

CUTOFF_MAX = 2**31 - 1  # trec_eval and pytrec_eval hold cutoffs in C ints
_COMMON = re.compile(r"(AP|RR|nDCG|P|R|Success)(?:@([1-9][0-9]{0,9}))?")
_NEED_CUTOFF = {"P", "R", "Success"}
# ir-measures' defaults of these measures' parameters; a cutoff left out is absent
_DEFAULTS = {"rel": 1, "judged_only": False, "dcg": "log2"}


class _Absent:
    """A parameter not given (ir-measures' ``_NOT_PROVIDED``): neither a number nor a mapping."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


class CommonMeasure:
    """One common measure: ``NAME`` and ``params`` as ir-measures has them, ``measure[key]`` with its defaults."""

    __slots__ = ("NAME", "params")

    def __init__(self, name: str, cutoff: int | None) -> None:
        self.NAME = name
        self.params = {} if cutoff is None else {"cutoff": cutoff}

    def __getitem__(self, key: str) -> object:
        return self.params.get(key, _DEFAULTS.get(key, ABSENT))

    def __str__(self) -> str:
        return self.NAME if "cutoff" not in self.params else f"{self.NAME}@{self.params['cutoff']}"

    def __repr__(self) -> str:
        return f"CommonMeasure({self})"


def parse_common(name: str) -> CommonMeasure | None:
    """The common measure ``name`` spells, or ``None`` where ir-measures must parse it (or refuse it)."""
    match = _COMMON.fullmatch(name)
    if match is None:
        return None
    base, cutoff = match.group(1), match.group(2)
    if cutoff is None and base in _NEED_CUTOFF:
        return None  # ir-measures says what is missing
    if cutoff is not None and int(cutoff) > CUTOFF_MAX:
        return None  # refused with the reason, there
    return CommonMeasure(base, None if cutoff is None else int(cutoff))
