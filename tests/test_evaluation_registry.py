"""Every measure ir-measures registers either evaluates or is refused when parsed, with one line.

The sweep tries each registered name bare, with its @ parameter, with ``rel=2`` and with
``judged_only=True`` where it takes them, and evaluates what parses on a tiny run that has
every awkward case at once: a judged query missing from the run, a run query without
judgments, tied scores, grades 0/1/2, a judged document the run did not retrieve.
"""
from __future__ import annotations

import math

import ir_measures
import pytest

from harness.errors import HarnessError
from harness.evaluation import COMPAT_MODES, Run, evaluate, parse_measure

RUN = Run.from_dict({"q1": {"a": 2.0, "b": 2.0, "c": 1.0, "x": 0.5}, "q2": {"a": 1.0, "b": 1.0}, "unjudged": {"a": 1.0}})
QRELS = {"q1": {"a": 2, "c": 1, "x": 0, "z": 1}, "q2": {"b": 1}, "missing": {"a": 1, "b": 2}}
_AT_VALUES = {"cutoff": "10", "recall": "0.5"}


def _variants(name: str) -> list[str]:
    measure = ir_measures.measures.registry[name]
    params = measure.SUPPORTED_PARAMS
    variants = [name]
    if measure.AT_PARAM in params:
        variants.append(f"{name}@{_AT_VALUES.get(measure.AT_PARAM, '1')}")
    if "rel" in params:
        variants.append(f"{name}(rel=2)")
    if "judged_only" in params:
        variants.append(f"{name}(judged_only=True)")
    return variants


SPECS = [spec for name in sorted(ir_measures.measures.registry) for spec in _variants(name)]


def test_the_sweep_covers_the_registry_and_evaluates_most_of_it():
    evaluated = [spec for spec in SPECS if _parses(spec)]
    assert len(ir_measures.measures.registry) >= 50 and len(SPECS) >= 130
    # the common families all evaluate in some form
    assert {"AP", "nDCG@10", "ERR@10", "Judged@10", "Bpref", "infAP", "IPrec@0.5", "Compat", "NumRel", "SetF"} <= set(evaluated)


@pytest.mark.parametrize("compat", COMPAT_MODES)
@pytest.mark.parametrize("spec", SPECS)
def test_every_registered_measure_evaluates_or_is_refused_at_parse_time(spec, compat):
    try:
        measure = parse_measure(spec)
    except HarnessError as refused:
        message = str(refused)
        assert "\n" not in message and spec in message
        return
    result = evaluate(RUN, QRELS, [measure], compat=compat)
    values = result.per_query[measure.name]
    assert set(values) == {"q1", "q2", "missing"}
    assert all(isinstance(value, float) and math.isfinite(value) for value in values.values()), values
    assert math.isfinite(result.aggregate[measure.name])
    assert result.unjudged_run_queries == ["unjudged"] and result.missing_run_queries == ["missing"]


def _parses(spec: str) -> bool:
    try:
        parse_measure(spec)
    except HarnessError:
        return False
    return True
