"""Measure names: parsed with ir-measures, canonical names parse back, unknown names get a did-you-mean,
and parameters that make no sense are refused with one line saying why."""
from __future__ import annotations

import pytest

from harness.errors import HarnessError
from harness.evaluation import parse_measure, parse_measures


def test_the_usual_list_parses_in_order_with_canonical_names():
    measures = parse_measures("AP,R@1,R@10,RR@10,nDCG@10,P@10,RankDistance")
    assert [str(m) for m in measures] == ["AP", "R@1", "R@10", "RR@10", "nDCG@10", "P@10", "RankDistance"]


@pytest.mark.parametrize(
    "name", ["AP(rel=2)@100", "nDCG(gains={0:0,1:1,2:3})@10", "P(rel=2)@5", "Bpref", "IPrec@0.5", "Judged@10", "NumRel", "SetF(beta=2.0)"]
)
def test_canonical_names_parse_back_to_the_same_measure(name):
    measure = parse_measure(name)
    assert parse_measure(str(measure)) == measure
    assert parse_measure(str(measure)).ir_measure == measure.ir_measure


def test_aliases_become_the_canonical_name_and_duplicates_are_dropped():
    assert [str(m) for m in parse_measures(["MAP", "AP", " MRR@10 ", "RR@10", "Recall@100"])] == ["AP", "RR@10", "R@100"]


def test_commas_inside_parameters_do_not_split_names():
    measures = parse_measures("nDCG(gains={0:0,1:1,2:3})@10, AP(rel=2)")
    assert [m.ir_measure.NAME for m in measures] == ["nDCG", "AP"]


def test_rank_distance_is_lower_is_better_and_needs_the_pool():
    (rank_distance,) = parse_measures("RankDistance")
    assert not rank_distance.higher_is_better and rank_distance.needs_pool
    assert rank_distance.provider == "harness"
    ap = parse_measure("AP")
    assert ap.higher_is_better and not ap.needs_pool


def test_the_provider_says_which_code_computes_a_measure():
    assert parse_measure("nDCG@10").provider.startswith("harness-numpy")
    assert parse_measure("nDCG(judged_only=True)@10").provider.startswith("harness-numpy")
    assert parse_measure("Bpref").provider == "ir_measures:pytrec_eval"
    assert parse_measure("nDCG(gains={0:0,1:1,2:3})@10").provider == "ir_measures:pytrec_eval"
    assert parse_measure("Judged@10").provider == "ir_measures:judged"


@pytest.mark.parametrize(
    "name, suggestion",
    [
        ("ndcg@10", "'nDCG@10'"),
        ("ndcg_cut_10", "'nDCG@10'"),
        ("recip_rank", "'RR'"),
        ("RankDistanse", "'RankDistance'"),
        ("Precison@10", "'Precision'"),
    ],
)
def test_an_unknown_measure_is_a_harness_error_with_a_did_you_mean(name, suggestion):
    with pytest.raises(HarnessError, match=f"unknown measure .*did you mean {suggestion}"):
        parse_measures(f"AP,{name}")


def test_empty_lists_are_harness_errors():
    with pytest.raises(HarnessError, match="no measures"):
        parse_measures(" , ")


BAD_PARAMETERS = {
    # name: what the one-line message says
    "AP(depth=3)": "AP has no parameter 'depth' (it takes cutoff (AP@10), rel, judged_only)",
    "P": "P needs cutoff (P@10)",
    "IPrec": "IPrec needs recall (IPrec@0.5)",
    "nDCG@0": "cutoff 0 must be an integer from 1 to 2147483647",
    "RR@0": "cutoff 0 must be",
    "Judged@0": "cutoff 0 must be",
    "ERR@0": "cutoff 0 must be",
    "Accuracy@0": "cutoff 0 must be",
    "P@99999999999999999999": "cutoff 99999999999999999999 must be an integer from 1",
    "P@-1": "does not parse (values must be str, float, int, bool, etc.): write P(name=value, ...)@cutoff with plain, non-negative values",
    "R@1.5": "cutoff=1.5 must be an integer",
    "P@10.0": "cutoff=10.0 must be an integer",
    "P@True": "cutoff=True must be an integer",
    "AP(rel=0)": "rel=0: a relevance level is at least 1",
    "AP(rel=-1)": "does not parse",
    "P(rel=1.5)@5": "rel=1.5 must be an integer",
    "IPrec@1.5": "recall level 1.5 must lie between 0.0 and 1.0",
    "IPrec@1": "recall=1 must be a decimal number (such as 0.5 or 1.0)",
    "IPrec@-0.1": "does not parse",
    "SetF(beta=1)": "beta=1 must be a decimal number",
    "Compat(p=1.0)": "p=1.0: a persistence probability lies strictly between 0 and 1",
    "nDCG(judged_only=1)@10": "judged_only=1 must be True or False",
    "nDCG(dcg='foo')@10": "invalid param dcg='foo' (it takes cutoff (nDCG@10), dcg, gains, judged_only)",
    "nDCG(gains={1:0.5})@10": "gains={1: 0.5} must map integer grades to integer gains",
    "Bpref@10": "Bpref has no parameter 'cutoff' (it takes rel)",
    "NumQ@10": "NumQ has no parameter 'cutoff' (it takes no parameters)",
    "RankDistance@10": "RankDistance takes no parameters",
    "AP(": "does not parse ('(' was never closed",
    "P@@10": "does not parse (invalid syntax",
    "AP(rel=__import__('os').getpid())": "does not parse",
}


@pytest.mark.parametrize("name", list(BAD_PARAMETERS))
def test_parameters_that_make_no_sense_are_refused_with_one_line(name):
    with pytest.raises(HarnessError) as raised:
        parse_measure(name)
    message = str(raised.value)
    assert message.startswith(f"measure {name!r}") and "\n" not in message
    assert BAD_PARAMETERS[name] in message


COMMON_NAMES = ["AP", "RR", "nDCG", "AP@5", "RR@10", "nDCG@10", "P@10", "R@100", "R@1000", "Success@1", "P@2147483647"]
KERNEL_PARAMETERS = ("cutoff", "rel", "judged_only", "dcg", "gains")


@pytest.mark.parametrize("name", COMMON_NAMES)
def test_common_measures_read_without_ir_measures_answer_as_ir_measures_does(name):
    import ir_measures

    from harness.evaluation.common_measures import ABSENT, parse_common
    from harness.evaluation.kernels import kernel_for

    common, theirs = parse_common(name), ir_measures.parse_measure(name)
    assert str(common) == str(theirs) == parse_measure(name).name
    assert common.NAME == theirs.NAME and common.params == theirs.params
    for key in KERNEL_PARAMETERS:
        if key in theirs.SUPPORTED_PARAMS:
            expected = theirs[key]
            assert common[key] == expected if isinstance(expected, (int, str)) else common[key] is ABSENT
    assert kernel_for(common) is not None and kernel_for(theirs) is not None
    assert parse_measure(name).ir_measure == theirs  # what a user hands to ir-measures is its own object


@pytest.mark.parametrize("name", ["P", "R", "Success", "AP@0", "AP@010", "P@2147483648", "AP(rel=2)", "nDCG@10 ", "ap"])
def test_other_spellings_are_left_to_ir_measures(name):
    from harness.evaluation.common_measures import parse_common

    assert parse_common(name) is None


def test_common_measures_evaluate_as_ir_measures_objects_do():
    import ir_measures

    from harness.evaluation import Run, evaluate
    from harness.evaluation.measures import Measure

    run = Run(["q", "q", "q", "p", "p"], ["a", "b", "c", "a", "d"], [3.0, 2.0, 1.0, 2.0, 1.0])
    qrels = {"q": {"b": 2, "c": 1, "z": 1}, "p": {"d": 1}}
    for name in COMMON_NAMES:
        slow = Measure(name, definition=ir_measures.parse_measure(name))
        assert evaluate(run, qrels, [parse_measure(name)]).per_query == evaluate(run, qrels, [slow]).per_query
