"""Per-query values as a mapping over arrays: the same behaviour as the plain dict they replace."""
from __future__ import annotations

import copy
import json
import pickle

import numpy as np
import pytest

from harness.evaluation import Run, evaluate
from harness.evaluation.query_values import per_query_values


def test_query_values_read_as_the_dict_they_replace() -> None:
    values = per_query_values(["a", "b", "c"], {"AP": np.array([0.5, 0.25, 1.0]), "RR": np.array([1.0, 0.0, 0.5])})
    plain = {"a": 0.5, "b": 0.25, "c": 1.0}
    ap = values["AP"]
    assert ap == plain and plain == ap and dict(ap) == plain
    assert list(ap) == ["a", "b", "c"] and list(ap.items()) == list(plain.items()) and list(ap.values()) == [0.5, 0.25, 1.0]
    assert len(ap) == 3 and "b" in ap and "z" not in ap
    assert ap["c"] == 1.0 and type(ap["c"]) is float
    assert ap.get("z", 0.0) == 0.0 and values["RR"].get("a") == 1.0
    with pytest.raises(KeyError):
        ap["z"]
    assert ap != {"a": 0.5, "b": 0.25, "c": 0.75}
    copied = copy.deepcopy(values)
    assert type(copied["AP"]) is dict and json.loads(json.dumps(copied)) == {"AP": plain, "RR": {"a": 1.0, "b": 0.0, "c": 0.5}}
    assert pickle.loads(pickle.dumps(ap)) == plain


def test_an_evaluation_serialises_its_per_query_values_as_plain_dicts() -> None:
    run = Run(np.array(["q1", "q1", "q2"], dtype=object), np.array(["d1", "d2", "d3"], dtype=object), np.array([2.0, 1.0, 1.0]))
    result = evaluate(run, {"q1": {"d2": 1}, "q2": {"d3": 1}}, "RR")
    assert result.per_query["RR"] == {"q1": 0.5, "q2": 1.0}
    assert json.loads(json.dumps(result.to_dict()))["per_query"] == {"RR": {"q1": 0.5, "q2": 1.0}}
