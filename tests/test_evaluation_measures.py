"""Measure names: parsed with ir-measures, canonical names parse back, unknown names get a did-you-mean."""
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
    assert parse_measure("Bpref").provider == "ir_measures:pytrec_eval"
    assert parse_measure("nDCG(judged_only=True)@10").provider == "ir_measures:pytrec_eval"


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


def test_bad_parameters_and_empty_lists_are_harness_errors():
    with pytest.raises(HarnessError, match="unknown measure"):
        parse_measure("AP(depth=3)")
    with pytest.raises(HarnessError, match="unknown measure"):
        parse_measure("P")  # P needs a cutoff
    with pytest.raises(HarnessError, match="no measures"):
        parse_measures(" , ")
