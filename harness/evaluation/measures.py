"""Evaluation measures as declarative objects whose names parse back.

Ordinary measures are ir-measures' (``AP``, ``RR@10``, ``nDCG@10``, ``R@100``,
``P(rel=2)@5``, ...); ``str(measure)`` is ir-measures' canonical name. The harness adds
``RankDistance``, the language-bias measure for multilingual pools (SPEC 3).
"""
from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import ir_measures
import numpy as np
from ir_measures.measures.base import SumAgg

from harness.errors import HarnessError, did_you_mean
from harness.evaluation.kernels import kernel_for

RANK_DISTANCE = "RankDistance"


@dataclass(frozen=True)
class Measure:
    """One measure: its canonical ``name``, its direction, and whether it needs the collection's doc ids.

    ``ir_measure`` is the ir-measures object behind an ordinary measure (``None`` for the
    harness's own). Tables read ``higher_is_better`` to mark the best value.
    """

    name: str
    higher_is_better: bool = True
    needs_pool: bool = False
    ir_measure: ir_measures.Measure | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.name

    @property
    def provider(self) -> str:
        """Which code computes it: ``harness`` (own measure or numpy kernel) or an ir-measures provider."""
        if self.ir_measure is None:
            return "harness"
        if kernel_for(self.ir_measure) is not None:
            return "harness-numpy (trec_eval definition)"
        return f"ir_measures:{_ir_provider(self.ir_measure)}"

    def aggregate(self, values: np.ndarray) -> float:
        """The over-queries value: a sum for counts (``NumRel``, ``NumQ``, ...), else the mean."""
        if self.ir_measure is not None and isinstance(self.ir_measure.aggregator(), SumAgg):
            return float(np.sum(values))
        return float(np.mean(values)) if len(values) else float("nan")


RANK_DISTANCE_MEASURE = Measure(RANK_DISTANCE, higher_is_better=False, needs_pool=True)


def parse_measures(spec: str | Iterable[str | Measure]) -> tuple[Measure, ...]:
    """Measures from ``"AP,R@1,nDCG@10,RankDistance"`` (or a list of names); duplicates dropped.

    Any ir-measures name is accepted (with parameters, e.g. ``nDCG(gains={0:0,1:1,2:3})@10``);
    an unknown or unsupported name raises :class:`HarnessError` with a did-you-mean.
    """
    names = _split(spec) if isinstance(spec, str) else list(spec)
    measures: dict[str, Measure] = {}
    for item in names:
        measure = item if isinstance(item, Measure) else parse_measure(item)
        measures.setdefault(measure.name, measure)
    if not measures:
        raise HarnessError("no measures given")
    return tuple(measures.values())


def parse_measure(name: str) -> Measure:
    """One measure from its name (see :func:`parse_measures`)."""
    name = name.strip()
    if name == RANK_DISTANCE:
        return RANK_DISTANCE_MEASURE
    try:
        ir_measure = ir_measures.parse_measure(name)
        ir_measure.validate_params()
    except (NameError, ValueError, SyntaxError, TypeError, AssertionError) as error:
        raise HarnessError(f"unknown measure {name!r}{_suggestion(name)} ({error})") from None
    if kernel_for(ir_measure) is None and _ir_provider(ir_measure) is None:
        raise HarnessError(f"measure {name!r}: no installed ir-measures provider computes it")
    return Measure(str(ir_measure), ir_measure=ir_measure)


def _split(spec: str) -> list[str]:
    """Split at commas outside parentheses and braces: ``nDCG(gains={0:0,1:1})@10,AP`` is two names."""
    names, depth, start = [], 0, 0
    for i, char in enumerate(spec):
        depth += (char in "({") - (char in ")}")
        if char == "," and depth == 0:
            names.append(spec[start:i])
            start = i + 1
    names.append(spec[start:])
    return [name.strip() for name in names if name.strip()]


def _ir_provider(measure: ir_measures.Measure) -> str | None:
    """The provider ir-measures' default pipeline would use for ``measure`` (its first available one)."""
    for provider in ir_measures.DefaultPipeline.providers:
        if provider.supports(measure) and provider.is_available():
            return provider.NAME
    return None


def _suggestion(name: str) -> str:
    """A did-you-mean: case-insensitive match first, then a trec_eval name's ir-measures form, then the closest name."""
    base, rest = re.match(r"([^@(]*)(.*)", name).groups()
    known = [*ir_measures.measures.registry, RANK_DISTANCE]
    for candidate in known:
        if candidate.lower() == base.lower():
            return f" (did you mean {candidate + rest!r}?)"
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # it prints what a trec_eval nickname skips
            converted = ir_measures.parse_trec_measure(name)
    except ValueError:
        converted = []
    if len(converted) == 1:
        return f" (did you mean {str(converted[0])!r}? {name!r} is trec_eval's name)"
    return did_you_mean(base, known)
