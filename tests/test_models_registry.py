"""The model registry: lookup with did-you-mean, declared and coerced parameters, a light import."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from harness.errors import HarnessError
from harness.models import all_models, get_model, get_spec
from harness.models.bm25 import BM25
from harness.models.registry import ModelSpec, Param, Ranker


def test_unknown_model_suggests_the_closest_name():
    with pytest.raises(HarnessError, match=r"unknown model 'bm52'.*did you mean 'bm25'"):
        get_model("bm52")


def test_unknown_parameter_suggests_the_closest_name():
    with pytest.raises(HarnessError, match=r"no parameter 'k'.*k1, b.*did you mean 'k1'"):
        get_model("bm25", k=1.2)


@pytest.mark.parametrize("value", ["abc", True, [1.0], "1.2.3"])
def test_ill_typed_parameters_are_refused(value):
    with pytest.raises(HarnessError, match=r"k1=.* is not a float"):
        get_model("bm25", k1=value)


def test_cli_strings_and_ints_are_coerced():
    model = get_model("BM25", k1="1.2", b=1)
    assert isinstance(model, BM25)
    assert model.params == {"k1": 1.2, "b": 1.0}
    assert get_model("bm25", k1="none").params == {"k1": None, "b": None}


@pytest.mark.parametrize("params", [{"k1": -0.1}, {"b": 1.5}])
def test_bm25_parameters_out_of_range_are_refused(params):
    with pytest.raises(HarnessError, match="out of range"):
        get_model("bm25", **params)


def test_listing_declares_parameters_with_types_and_defaults():
    (bm25,) = [row for row in all_models() if row["name"] == "bm25"]
    assert bm25["description"]
    assert [(p["name"], p["type"], p["default"]) for p in bm25["parameters"]] == [("k1", "float", None), ("b", "float", None)]
    json.dumps(all_models())


def test_a_spec_binds_every_declared_type():
    class Dummy(Ranker):
        name = "dummy"

        def rank(self, task, *, depth=None, progress=True):
            raise NotImplementedError

    spec = ModelSpec(
        "dummy",
        "for the test",
        (Param("n", "int", 3, ""), Param("flag", "bool", False, ""), Param("tag", "str", "x", ""), Param("p", "float", 0.5, "")),
        Dummy,
    )
    assert spec.bind({}) == {"n": 3, "flag": False, "tag": "x", "p": 0.5}
    assert spec.bind({"n": "7", "flag": "yes", "tag": "1", "p": "2"}) == {"n": 7, "flag": True, "tag": "1", "p": 2.0}
    for bad in ({"n": 1.5}, {"n": True}, {"flag": 1}, {"flag": "maybe"}, {"p": None}):
        with pytest.raises(HarnessError):
            spec.bind(bad)
    described = spec.factory(**spec.bind({})).describe()
    assert described == {"model": "dummy", "parameters": spec.bind({}), "backbone": None, "training_data": None, "seed": None}


def test_get_spec_is_case_insensitive():
    assert get_spec("BM25").name == "bm25"


def test_importing_the_models_package_starts_nothing_heavy():
    code = "import sys, harness.models; print([m for m in ('jnius', 'pyserini', 'torch', 'transformers', 'harness.evaluation') if m in sys.modules])"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_a_paper_method_lists_whose_choice_each_default_is():
    from harness.report.listings import model_text

    spec = ModelSpec(
        "from-a-paper", "for the test",
        (Param("temperature", "float", 0.01, "softmax temperature", "paper: Sec. 2.1"), Param("max_length", "int", 128, "tokens", "ours")),
        Ranker,
    )
    text = model_text(spec.as_dict())
    assert "default from" in text.splitlines()[2]
    assert [line.split()[-1] for line in text.splitlines()[-2:]] == ["2.1", "ours"]
    assert "default from" not in model_text(get_spec("bm25").as_dict())
