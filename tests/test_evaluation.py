"""evaluate(): pinned tie-breaking, missing and unjudged queries, rank distance, kernels against pytrec_eval."""
from __future__ import annotations

import json

import ir_measures
import numpy as np
import pytest

from harness.errors import HarnessError
from harness.evaluation import Run, evaluate, parse_measures

KERNEL_MEASURES = (
    "AP,AP@5,AP(rel=2),RR,RR(rel=2),nDCG,nDCG@3,nDCG@10,P@1,P@5,P(rel=2)@5,R@3,R@10,R(rel=2)@10,Success@1,Success@5,"
    "AP(judged_only=True),RR(judged_only=True),nDCG(judged_only=True)@10,P(judged_only=True)@5,R(judged_only=True)@10,"
    "Success(judged_only=True)@5"
)


def _run(rankings: dict[str, list[tuple[str, float]]], ranks: bool = False) -> Run:
    run = Run.from_rankings((qid, [d for d, _ in rows], [s for _, s in rows]) for qid, rows in rankings.items())
    if ranks:
        run.ranks = np.concatenate([np.arange(1, len(rows) + 1) for rows in rankings.values()])
    return run


def test_rr_at_k_breaks_ties_by_document_id_descending_unlike_the_msmarco_provider():
    # a and b tie; only a is relevant. trec_eval's order puts b first: RR = 1/2.
    run = _run({"q": [("a", 1.0), ("b", 1.0), ("c", 0.5)]})
    qrels = {"q": {"a": 1}}
    result = evaluate(run, qrels, "RR@10,RR,P@1")
    assert result.aggregate == {"RR@10": 0.5, "RR": 0.5, "P@1": 0.0}
    # The case matters: ir-measures' msmarco provider (doc id ascending) would say 1.
    assert ir_measures.calc_aggregate([ir_measures.RR @ 10], qrels, run.to_dict())[ir_measures.RR @ 10] == 1.0


def test_row_order_never_matters():
    rows = [("d1", 3.0), ("d2", 2.0), ("d3", 2.0), ("d4", 2.0), ("d5", 1.0)]
    qrels = {"q": {"d2": 1, "d4": 2}, "p": {"d1": 1}}
    forward = _run({"q": rows, "p": rows[::-1]})
    backward = _run({"p": rows, "q": rows[::-1]})
    assert evaluate(forward, qrels, KERNEL_MEASURES).per_query == evaluate(backward, qrels, KERNEL_MEASURES).per_query


def test_rank_tie_break_keeps_the_file_order_and_needs_ranks():
    run = _run({"q": [("a", 1.0), ("b", 1.0)]}, ranks=True)
    assert evaluate(run, {"q": {"a": 1}}, "RR@10", tie_break="rank").aggregate["RR@10"] == 1.0
    assert evaluate(run, {"q": {"a": 1}}, "RR@10").aggregate["RR@10"] == 0.5
    with pytest.raises(HarnessError, match="has no ranks"):
        evaluate(_run({"q": [("a", 1.0)]}), {"q": {"a": 1}}, "AP", tie_break="rank")
    with pytest.raises(HarnessError, match="unknown tie_break"):
        evaluate(run, {"q": {"a": 1}}, "AP", tie_break="random")


def test_missing_queries_count_as_zero_and_unjudged_ones_are_ignored_and_listed():
    run = _run({"q1": [("a", 2.0), ("b", 1.0)], "extra": [("a", 1.0)]})
    qrels = {"q1": {"a": 1}, "q2": {"x": 1, "y": 1}, "empty": {}}
    result = evaluate(run, qrels, "AP,nDCG@10,NumRel,Bpref")
    assert result.num_queries == 2
    assert result.per_query["AP"] == {"q1": 1.0, "q2": 0.0}
    assert result.aggregate["AP"] == 0.5
    assert result.per_query["NumRel"] == {"q1": 1.0, "q2": 2.0}  # trec_eval -c: an empty ranking, not a blank
    assert result.aggregate["NumRel"] == 3.0  # counts add up over queries
    assert result.missing_run_queries == ["q2"] and result.unjudged_run_queries == ["extra"]
    plain = evaluate(run, qrels, "AP,nDCG@10", missing_as_zero=False)
    assert plain.num_queries == 1 and plain.aggregate["AP"] == 1.0 and plain.per_query["AP"] == {"q1": 1.0}
    assert "trec_eval -c" in result.semantics["missing_queries"] and "plain trec_eval" in plain.semantics["missing_queries"]


def test_nothing_to_evaluate_is_a_harness_error():
    with pytest.raises(HarnessError, match="nothing to evaluate"):
        evaluate(_run({"q1": [("a", 1.0)]}), {"q2": {"a": 1}}, "AP", missing_as_zero=False)


def test_malformed_in_memory_runs_are_refused():
    with pytest.raises(HarnessError, match="appears twice"):
        evaluate(_run({"q": [("a", 1.0), ("a", 0.5)]}), {"q": {"a": 1}}, "AP")
    with pytest.raises(HarnessError, match="has score nan"):
        evaluate(_run({"q": [("a", float("nan"))]}), {"q": {"a": 1}}, "AP")


def test_ties_are_counted_as_adjacent_equal_scores_within_a_query():
    run = _run({"q1": [("a", 3.0), ("b", 3.0), ("c", 3.0), ("d", 1.0)], "q2": [("a", 1.0), ("b", 2.0)], "q3": [("x", 0.0), ("y", 0.0)]})
    ties = evaluate(run, {"q1": {"a": 1}}, "AP").ties
    assert (ties["tied_neighbours"], ties["queries_with_ties"], ties["tied_rows"]) == (3, 2, 5)


def test_judged_only_drops_the_unjudged_rows_before_ranking():
    # x and y are unjudged: with judged_only the ranking is b, a.
    run = _run({"q": [("x", 4.0), ("b", 3.0), ("y", 2.0), ("a", 1.0)]})
    result = evaluate(run, {"q": {"a": 1, "b": 0}}, "RR,RR(judged_only=True),P@2,P(judged_only=True)@2")
    assert result.aggregate == {"RR": 0.25, "RR(judged_only=True)": 0.5, "P@2": 0.0, "P(judged_only=True)@2": 0.5}


def test_to_dict_can_leave_out_the_per_query_values():
    result = evaluate(_run({"q": [("a", 1.0)]}), {"q": {"a": 1}}, "AP")
    assert result.to_dict()["per_query"] == {"AP": {"q": 1.0}}
    brief = result.to_dict(per_query=False)
    assert "per_query" not in brief and brief["aggregate"] == {"AP": 1.0}
    assert json.loads(json.dumps(brief)) == brief


@pytest.mark.parametrize(
    "grade, shown",
    [(2**31, "2147483648"), (-(2**31) - 1, "-2147483649"), (10**23, "10" + "0" * 22), (1.5, "1.5"), ("1", "'1'"), (True, "True"), (None, "None")],
)
def test_in_memory_grades_must_be_integers_of_32_bits(grade, shown):
    with pytest.raises(HarnessError, match=f"qrels: query 'q' document 'a' has grade {shown}; a grade is an integer from -2147483648 to 2147483647"):
        evaluate(_run({"q": [("a", 1.0)]}), {"q": {"a": grade}}, "AP")
    assert evaluate(_run({"q": [("a", 1.0)]}), {"q": {"a": np.int64(2**31 - 1)}}, "AP").aggregate["AP"] == 1.0


def test_measures_of_other_providers_cope_with_missing_queries_and_any_query_ids():
    # Judged@k divided by an empty ranking's length; gdeval (ERR) read only numeric topic ids.
    run = _run({"query one": [("a", 2.0), ("b", 1.0)], "q-2": [("c", 1.0)]})
    qrels = {"query one": {"a": 1}, "q-2": {"c": 2, "d": 1}, "missing": {"e": 1}}
    result = evaluate(run, qrels, "Judged@10,Judged,ERR@10")
    assert result.per_query["Judged@10"] == {"missing": 0.0, "q-2": 1.0, "query one": 0.5}
    assert result.per_query["Judged"] == {"missing": 0.0, "q-2": 1.0, "query one": 0.5}
    # gdeval: ERR = sum over ranks of R_r / r * prod(1 - R_i), R = (2**grade - 1) / 16
    assert result.per_query["ERR@10"] == pytest.approx({"missing": 0.0, "q-2": 3 / 16, "query one": 1 / 16}, abs=1e-5)


def test_gdeval_measures_refuse_grades_above_four_and_ids_with_whitespace():
    run, qrels = _run({"q": [("a", 1.0)]}), {"q": {"a": 5}}
    with pytest.raises(HarnessError, match="ERR@10: gdeval, which computes it, accepts grades up to 4; query 'q' has grade 5"):
        evaluate(run, qrels, "ERR@10")
    assert evaluate(run, qrels, "nDCG@10").aggregate["nDCG@10"] == 1.0
    spaced = _run({"q": [("a b", 1.0), ("c", 0.5)]})
    with pytest.raises(HarnessError, match="gdeval, which computes it, reads TREC files; document id 'a b' of query 'q' is empty or holds whitespace"):
        evaluate(spaced, {"q": {"c": 1}}, "ERR@10")


def test_the_result_is_json_and_states_its_semantics():
    result = evaluate(_run({"q": [("a", 1.0), ("b", 0.5)]}), {"q": {"b": 1}}, "AP,RR@10,Bpref,RankDistance")
    data = json.loads(json.dumps(result.to_dict()))
    assert data["aggregate"]["RR@10"] == 0.5 and data["measures"] == ["AP", "RR@10", "Bpref", "RankDistance"]
    semantics = data["semantics"]
    assert semantics["tie_order"].startswith("score descending, then document id descending")
    assert semantics["measures"]["RankDistance"] == {"provider": "harness", "higher_is_better": False}
    assert semantics["measures"]["Bpref"]["provider"] == "ir_measures:pytrec_eval"
    assert "rank_distance" in semantics
    from importlib import metadata

    assert semantics["versions"] == {name: metadata.version(name) for name in ("harness", "ir-measures", "pytrec-eval-terrier", "numpy")}


# Rank distance -------------------------------------------------------------------------------


def test_rank_distance_is_the_spread_of_the_relevant_ranks():
    run = _run({"q": [("a", 5.0), ("x", 4.0), ("b", 3.0), ("y", 2.0), ("c", 1.0)], "p": [("a", 1.0), ("b", 1.0), ("c", 1.0)]})
    qrels = {"q": {"a": 1, "b": 2, "c": 1, "x": 0}, "p": {"a": 1, "c": 1}}
    result = evaluate(run, qrels, "RankDistance")
    # q: ranks 1, 3, 5 -> 4. p: all tied, so c (1) b (2) a (3) -> relevant at 1 and 3 -> 2.
    assert result.per_query["RankDistance"] == {"q": 4.0, "p": 2.0}
    assert result.aggregate["RankDistance"] == 3.0


def test_rank_distance_places_unretrieved_relevant_documents_after_the_run_by_pool_order():
    run = _run({"q": [("x", 2.0), ("a", 1.0)]})
    qrels = {"q": {"a": 1, "m": 1, "c": 1}}
    pool = iter(["a", "b", "c", "m", "x", "z"])  # any iterable will do
    # Retrieved: x 1, a 2. Unretrieved pool, id descending: z 3, m 4, c 5, b 6 -> relevant at 2, 4, 5.
    assert evaluate(run, qrels, "RankDistance", pool=pool).per_query["RankDistance"] == {"q": 3.0}


def test_rank_distance_of_a_missing_query_ranks_the_whole_pool_by_id():
    run = _run({"q": [("a", 1.0)]})
    qrels = {"q": {"a": 1}, "gone": {"c": 1, "m": 1}}
    pool = ["a", "b", "c", "m", "x", "z"]
    # Empty ranking: z 1, x 2, m 3, c 4, b 5, a 6 -> relevant at 3 and 4.
    assert evaluate(run, qrels, "RankDistance", pool=pool).per_query["RankDistance"] == {"q": 0.0, "gone": 1.0}
    assert evaluate(run, qrels, "RankDistance", pool=pool, missing_as_zero=False).per_query["RankDistance"] == {"q": 0.0}


def test_rank_distance_is_zero_with_fewer_than_two_relevant_documents():
    run = _run({"one": [("a", 2.0), ("b", 1.0)], "none": [("a", 1.0), ("b", 0.5)]})
    result = evaluate(run, {"one": {"b": 1}, "none": {"a": 0}}, "RankDistance")
    assert result.per_query["RankDistance"] == {"one": 0.0, "none": 0.0}


def test_rank_distance_needs_the_pool_for_unretrieved_relevant_documents():
    run = _run({"q": [("a", 1.0)]})
    with pytest.raises(HarnessError, match="pass pool="):
        evaluate(run, {"q": {"a": 1, "b": 1}}, "RankDistance")
    with pytest.raises(HarnessError, match="'b' of query 'q' is not in the pool"):
        evaluate(run, {"q": {"a": 1, "b": 1}}, "RankDistance", pool=["a", "c"])


def test_rank_distance_follows_the_chosen_tie_break():
    run = _run({"q": [("a", 1.0), ("b", 1.0), ("c", 1.0)]}, ranks=True)
    qrels = {"q": {"a": 1, "b": 1}}
    assert evaluate(run, qrels, "RankDistance").per_query["RankDistance"] == {"q": 1.0}  # c b a
    assert evaluate(run, qrels, "RankDistance", tie_break="rank").per_query["RankDistance"] == {"q": 1.0}  # a b c
    qrels = {"q": {"a": 1, "c": 1}}
    assert evaluate(run, qrels, "RankDistance", tie_break="rank").per_query["RankDistance"] == {"q": 2.0}


# The kernels against pytrec_eval ----------------------------------------------------------------


def _random_case(seed: int) -> tuple[Run, dict[str, dict[str, int]]]:
    """Runs with many ties (scores rounded to one decimal), graded qrels with unjudged, unretrieved,
    negative and all-non-relevant judgments, missing and unjudged queries."""
    rng = np.random.default_rng(seed)
    rankings, qrels = {}, {}
    for q in range(60):
        depth = int(rng.integers(1, 40))
        docs = [f"d{i}" for i in rng.choice(200, depth, replace=False)]
        if q % 10 != 0:  # every tenth judged query is missing from the run
            rankings[f"q{q}"] = list(zip(docs, np.round(rng.normal(size=depth), 1).tolist()))
        judged = rng.choice(200, int(rng.integers(1, 30)), replace=False)
        qrels[f"q{q}"] = {f"d{i}": int(g) for i, g in zip(judged, rng.choice([-1, 0, 0, 1, 1, 2, 3], len(judged)))}
    rankings["unjudged"] = [("d1", 1.0)]
    return _run(rankings), qrels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_kernels_agree_with_pytrec_eval_to_1e12(seed):
    """pytrec_eval breaks ties like trec_eval, so given the raw scores it is an independent reference."""
    run, qrels = _random_case(seed)
    measures = parse_measures(KERNEL_MEASURES)
    assert all(m.provider.startswith("harness-numpy") for m in measures)
    ours = evaluate(run, qrels, measures).per_query
    reference = {m.name: {} for m in measures}
    for metric in ir_measures.iter_calc([m.ir_measure for m in measures], qrels, run.to_dict()):
        reference[str(metric.measure)][metric.query_id] = metric.value
    for m in measures:
        assert ours[m.name].keys() == reference[m.name].keys()
        for qid, value in ours[m.name].items():
            assert value == pytest.approx(reference[m.name][qid], abs=1e-12), (m.name, qid)


@pytest.mark.parametrize("seed", [0, 1])
def test_rr_at_k_equals_pytrec_eval_recip_rank_on_the_run_cut_at_k(seed):
    run, qrels = _random_case(seed)
    ours = evaluate(run, qrels, "RR@5,RR(rel=2)@5").per_query
    # pytrec_eval has no RR@k; the top 5 in trec_eval's order, scored by its recip_rank, is one.
    top = {qid: dict(sorted(docs.items(), key=lambda item: (item[1], item[0]), reverse=True)[:5]) for qid, docs in run.to_dict().items()}
    for measure, name in ((ir_measures.RR, "RR@5"), (ir_measures.RR(rel=2), "RR(rel=2)@5")):
        reference = {m.query_id: m.value for m in ir_measures.pytrec_eval.iter_calc([measure], qrels, top)}
        for qid, value in ours[name].items():
            assert value == pytest.approx(reference.get(qid, 0.0), abs=1e-12), (name, qid)
