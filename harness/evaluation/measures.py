"""Evaluation measures as declarative objects whose names parse back.

Ordinary measures are ir-measures' (``AP``, ``RR@10``, ``nDCG@10``, ``R@100``,
``P(rel=2)@5``, ...); ``str(measure)`` is ir-measures' canonical name (the common ones are read
without importing it: :mod:`harness.evaluation.common_measures`). The harness adds
``RankDistance``, the language-bias measure for multilingual pools (SPEC 3). Parameters are
checked beyond ir-measures' own rules, so a measure that parses also evaluates: a cutoff is
an integer from 1 up, a relevance level at least 1, a recall level between 0 and 1.
"""
from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from harness.errors import HarnessError, did_you_mean
from harness.evaluation.common_measures import CUTOFF_MAX, CommonMeasure, parse_common
from harness.evaluation.kernels import kernel_for

if TYPE_CHECKING:
    import ir_measures
    from ir_measures.providers.base import Provider

RANK_DISTANCE = "RankDistance"
_KINDS = {int: "an integer", float: "a decimal number (such as 0.5 or 1.0)", bool: "True or False", str: "a quoted string", dict: "a mapping such as {1:1,2:3}"}
_AT_EXAMPLES = {"cutoff": "10", "recall": "0.5"}


@dataclass(frozen=True)
class Measure:
    """One measure: its canonical ``name``, its direction, and whether it needs the collection's doc ids.

    ``definition`` is what the evaluator reads: the ir-measures object behind an ordinary
    measure, or the light stand-in of a common one
    (:class:`~harness.evaluation.common_measures.CommonMeasure`); ``None`` for the harness's own.
    ``ir_measure`` is always ir-measures' own object (or ``None``), to hand to ir-measures.
    Tables read ``higher_is_better`` to mark the best value.
    """

    name: str
    higher_is_better: bool = True
    needs_pool: bool = False
    definition: ir_measures.Measure | CommonMeasure | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.name

    @property
    def ir_measure(self) -> ir_measures.Measure | None:
        """ir-measures' object for this measure (``None`` for the harness's own)."""
        if isinstance(self.definition, CommonMeasure):
            import ir_measures

            return ir_measures.parse_measure(self.name)
        return self.definition

    @property
    def provider(self) -> str:
        """Which code computes it: ``harness`` (own measure or numpy kernel) or an ir-measures provider."""
        if self.definition is None:
            return "harness"
        if kernel_for(self.definition) is not None:
            return "harness-numpy (trec_eval definition)"
        return f"ir_measures:{ir_provider(self.definition).NAME}"

    def aggregate(self, values: np.ndarray) -> float:
        """The over-queries value: a sum for counts (``NumRel``, ``NumQ``, ...), else the mean."""
        if self.definition is not None and not isinstance(self.definition, CommonMeasure) and _sums(self.definition):
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
    """One measure from its name (see :func:`parse_measures`); a name that does not parse, or
    whose parameters make no sense, raises :class:`HarnessError` saying why."""
    name = name.strip()
    if name == RANK_DISTANCE:
        return RANK_DISTANCE_MEASURE
    base = re.match(r"[^@(]*", name).group().strip()
    if base == RANK_DISTANCE:
        raise HarnessError(f"measure {name!r}: {RANK_DISTANCE} takes no parameters")
    common = parse_common(name)
    if common is not None:
        return Measure(str(common), definition=common)
    import ir_measures

    if base not in ir_measures.measures.registry:
        raise HarnessError(f"unknown measure {name!r}{_suggestion(name)}")
    try:
        ir_measure = ir_measures.parse_measure(name)
    except (NameError, ValueError, SyntaxError, TypeError, RecursionError, MemoryError) as error:
        at = ir_measures.measures.registry[base].AT_PARAM
        detail = re.sub(r"^problem parsing measure |; must be in format .*$", "", str(error))
        raise HarnessError(f"measure {name!r} does not parse ({detail}): write {base}(name=value, ...)@{at} with plain, non-negative values") from None
    problem = _parameter_problem(ir_measure)
    if problem:
        raise HarnessError(f"measure {name!r}: {problem}")
    if kernel_for(ir_measure) is None and ir_provider(ir_measure) is None:
        raise HarnessError(f"measure {name!r}: no installed ir-measures provider computes it")
    return Measure(str(ir_measure), definition=ir_measure)


def ir_provider(measure: ir_measures.Measure) -> Provider | None:
    """The provider ir-measures' default pipeline would use for ``measure`` (its first available one)."""
    import ir_measures

    for provider in ir_measures.DefaultPipeline.providers:
        if provider.supports(measure) and provider.is_available():
            return provider
    return None


def _sums(measure: ir_measures.Measure) -> bool:
    """Whether ir-measures aggregates ``measure`` by a sum (counts such as ``NumRel``), not a mean."""
    from ir_measures.measures.base import SumAgg

    return isinstance(measure.aggregator(), SumAgg)


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


def _parameter_problem(measure: ir_measures.Measure) -> str | None:
    """What is wrong with ``measure``'s parameters, in words, or ``None``."""
    from ir_measures.measures.base import _NOT_PROVIDED as NOT_PROVIDED

    supported = measure.SUPPORTED_PARAMS
    unknown = sorted(set(measure.params) - set(supported), key=str)
    if unknown:
        return f"{measure.NAME} has no parameter {unknown[0]!r} ({_takes(measure)})"
    for key, info in supported.items():
        value = measure.params.get(key, NOT_PROVIDED)
        if value is NOT_PROVIDED:
            if info.required:
                return f"{measure.NAME} needs {_spelled(measure, key)}"
            continue
        if info.dtype is not None and (not isinstance(value, info.dtype) or (info.dtype is not bool and isinstance(value, bool))):
            return f"{key}={value!r} must be {_KINDS.get(info.dtype, info.dtype.__name__)}"
        problem = _range_problem(key, value)
        if problem:
            return problem
    try:
        measure.validate_params()
    except AssertionError as error:  # a value outside the parameter's choices, e.g. dcg='foo'
        return f"{error} ({_takes(measure)})"
    return None


def _range_problem(key: str, value: object) -> str | None:
    """The harness's rules for values ir-measures lets through (``nDCG@0``, ``AP(rel=0)``, ``IPrec@1.5``)."""
    if key == "cutoff" and not 1 <= value <= CUTOFF_MAX:
        return f"cutoff {value} must be an integer from 1 to {CUTOFF_MAX}"
    if key == "rel" and value < 1:
        return f"rel={value}: a relevance level is at least 1 (grade 0 means judged non-relevant; pytrec_eval refuses lower levels)"
    if key == "recall" and not 0 <= value <= 1:
        return f"recall level {value} must lie between 0.0 and 1.0"
    if key == "p" and not 0 < value < 1:
        return f"p={value}: a persistence probability lies strictly between 0 and 1"
    if key == "gains" and not all(isinstance(v, int) and not isinstance(v, bool) for pair in value.items() for v in pair):
        return f"gains={value!r} must map integer grades to integer gains"
    return None


def _takes(measure: ir_measures.Measure) -> str:
    names = [_spelled(measure, key) for key in measure.SUPPORTED_PARAMS]
    return f"it takes {', '.join(names)}" if names else "it takes no parameters"


def _spelled(measure: ir_measures.Measure, key: str) -> str:
    """How a parameter is written: ``cutoff (P@10)`` for the @ parameter, else its name."""
    if key == measure.AT_PARAM:
        return f"{key} ({measure.NAME}@{_AT_EXAMPLES.get(key, 'value')})"
    return key


def _suggestion(name: str) -> str:
    """A did-you-mean: case-insensitive match first, then a trec_eval name's ir-measures form, then the closest name."""
    import ir_measures

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
