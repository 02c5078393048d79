"""Compatibility mode trec_eval-9.0.8: the numbers of trec_eval 9.0.8 and pytrec_eval (ir-measures).

pytrec_eval bundles trec_eval 9.0.x: it reads scores as float32 and cuts IPrec at
``(long)(r * num_rel + 0.9)``. Given the raw scores it is an independent reference for the
compatibility mode, to 1e-12, for the numpy kernels and for the measures other providers
compute (those get synthetic scores in our order, so the float32 rounding must come first).
"""
from __future__ import annotations

import math

import ir_measures
import numpy as np
import pytest

from harness.errors import HarnessError
from harness.evaluation import COMPAT_MODES, Run, evaluate, normalize_compat, parse_measures, read_qrels, read_run
from harness.evaluation.compat import relevant_needed

IPREC_LEVELS = [0.0, 0.1, 0.2, 0.25, 0.3, 0.33, 0.4, 0.45, 0.5, 0.6, 0.7, 0.75, 0.8, 0.9, 1.0]
IPREC = ",".join(f"IPrec@{level}" for level in IPREC_LEVELS)
# No RR@k: pytrec_eval has none, and ir-measures sends it to msmarco, which breaks ties its own way.
KERNELS = "AP,AP@10,AP(rel=2),RR,nDCG,nDCG@10,P@1,P@5,R@10,Success@1,AP(judged_only=True),nDCG(judged_only=True)@10,IPrec(judged_only=True)@0.4"
PROVIDED = "Bpref,infAP,Rprec,SetF,SetP,NumRelRet,NumRet"
OLD = "trec_eval-9.0.8"


def _pytrec_eval(run: Run, qrels: dict, measures) -> dict[str, dict[str, float]]:
    # One measure per call: asked for NumRet and NumRelRet (= NumRet(rel=1)) together, ir-measures
    # labels their values by set order, so which is which would depend on PYTHONHASHSEED.
    found: dict[str, dict[str, float]] = {m.name: {} for m in measures}
    as_dict = run.to_dict()
    for measure in measures:
        for metric in ir_measures.iter_calc([measure.ir_measure], qrels, as_dict):
            found[measure.name][metric.query_id] = metric.value
    return found


def _assert_agrees(ours: dict[str, dict[str, float]], reference: dict[str, dict[str, float]]) -> None:
    for name, values in ours.items():
        for qid, value in values.items():
            expected = reference[name].get(qid, 0.0)
            if math.isnan(expected):  # trec_eval's IPrec divides 0 by 0 for a ranking left empty by judged_only
                assert name.startswith("IPrec(judged_only=True)") and value == 0.0, (name, qid)
                continue
            assert value == pytest.approx(expected, abs=1e-12), (name, qid)


def test_the_modes_and_the_alias():
    assert COMPAT_MODES == ("trec_eval-10.0", "trec_eval-9.0.8")
    assert normalize_compat("pytrec_eval") == OLD and normalize_compat(OLD) == OLD
    with pytest.raises(HarnessError, match="unknown compatibility mode 'trec_eval-9'; choose one of trec_eval-10.0, trec_eval-9.0.8"):
        evaluate(Run.from_dict({"q": {"a": 1.0}}), {"q": {"a": 1}}, "AP", compat="trec_eval-9")


def test_the_mode_is_recorded_in_the_semantics():
    run, qrels = Run.from_dict({"q": {"a": 1.0}}), {"q": {"a": 1}}
    default = evaluate(run, qrels, "AP").semantics
    old = evaluate(run, qrels, "AP", compat="pytrec_eval").semantics
    assert default["compat"] == "trec_eval-10.0" and "64-bit floats" in default["compat_note"]
    assert old["compat"] == OLD and "32-bit floats" in old["compat_note"] and "+ 0.9" in old["compat_note"]


# Scores that collide in float32 ----------------------------------------------------------------


def test_scores_equal_in_float32_tie_and_fall_to_document_id_descending():
    # 1.00000012 and 1.0000001 differ as doubles, not as floats: 9.0.8 ranks b (the larger id) first.
    run = Run.from_dict({"q": {"a": 1.00000012, "b": 1.0000001, "c": 0.5}})
    qrels = {"q": {"a": 1}}
    assert np.float32(1.00000012) == np.float32(1.0000001) and 1.00000012 != 1.0000001
    measures = "RR,P@1,Bpref,Judged@1,ERR@1"  # the last two by the judged and gdeval providers
    default, old = evaluate(run, qrels, measures), evaluate(run, qrels, measures, compat=OLD)
    assert default.aggregate == {"RR": 1.0, "P@1": 1.0, "Bpref": 1.0, "Judged@1": 1.0, "ERR@1": 0.0625}
    assert old.aggregate == {"RR": 0.5, "P@1": 0.0, "Bpref": 1.0, "Judged@1": 0.0, "ERR@1": 0.0}
    assert (default.ties["tied_neighbours"], old.ties["tied_neighbours"]) == (0, 1)
    reference = _pytrec_eval(run, qrels, parse_measures("RR,P@1"))
    assert (reference["RR"]["q"], reference["P@1"]["q"]) == (0.5, 0.0)


def _colliding_case(seed: int) -> tuple[Run, dict[str, dict[str, int]]]:
    """Scores a few float64 steps apart around values of all sizes, so most neighbours collide in
    float32 but none in float64; graded qrels, missing and unjudged queries."""
    rng = np.random.default_rng(seed)
    rankings, qrels = {}, {}
    for q in range(40):
        depth = int(rng.integers(2, 30))
        docs = [f"d{i}" for i in rng.choice(100, depth, replace=False)]
        base = rng.choice([1.0, 3.5, 1e-3, 250.0, -7.25], depth)
        scores = base * (1 + rng.integers(0, 40, depth) * 1e-9) + rng.integers(0, 3, depth) * base * 1e-3
        _, first = np.unique(scores, return_index=True)
        keep = np.sort(first)
        if q % 8 != 0:
            rankings[f"q{q}"] = list(zip(np.array(docs)[keep].tolist(), scores[keep].tolist()))
        judged = rng.choice(100, int(rng.integers(1, 20)), replace=False)
        qrels[f"q{q}"] = {f"d{i}": int(g) for i, g in zip(judged, rng.choice([0, 0, 1, 1, 2, 3], len(judged)))}
    rankings["unjudged"] = [("d1", 1.0)]
    return Run.from_rankings((qid, [d for d, _ in rows], [s for _, s in rows]) for qid, rows in rankings.items()), qrels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compat_mode_agrees_with_pytrec_eval_where_float32_rounding_matters(seed):
    run, qrels = _colliding_case(seed)
    measures = parse_measures(f"{KERNELS},{IPREC},{PROVIDED}")
    old = evaluate(run, qrels, measures, compat=OLD, missing_as_zero=False)
    _assert_agrees(old.per_query, _pytrec_eval(run, qrels, measures))
    # The case is one where the modes part: the default mode ranks by the float64 scores.
    default = evaluate(run, qrels, parse_measures(KERNELS), missing_as_zero=False)
    assert old.ties["tied_neighbours"] > 50 and default.ties["tied_neighbours"] == 0
    assert any(default.per_query[name] != old.per_query[name] for name in default.per_query)


def test_a_score_beyond_float32_is_refused_in_compat_mode_only():
    run, qrels = Run.from_dict({"q": {"a": 1e39, "b": 1.0}}), {"q": {"a": 1}}
    assert evaluate(run, qrels, "RR").aggregate["RR"] == 1.0
    with pytest.raises(HarnessError, match="score 1e[+]?39 does not fit in a 32-bit float, which trec_eval 9.0.8 reads scores as"):
        evaluate(run, qrels, "RR", compat=OLD)


# IPrec's cut-off ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recall, new, old",
    [
        (0.4, 1.0, 2 / 3),  # 1.2 relevant: lround -> 1, (long)(1.2 + 0.9) -> 2
        (0.8, 2 / 3, 0.5),  # 2.4: lround -> 2, (long)3.3 -> 3
        (0.45, 1.0, 2 / 3),  # 1.35: 1 and 2
        (0.1, 1.0, 1.0),  # 0.3: 0 and 1, the same precision here
        (0.5, 2 / 3, 2 / 3),  # 1.5: lround rounds halves up -> 2; (long)2.4 -> 2
        (0.9, 0.5, 0.5),
        (1.0, 0.5, 0.5),
    ],
)
def test_iprec_cut_off_rounds_as_each_trec_eval_does(recall, new, old):
    # Three relevant documents at ranks 1, 3, 6: precision 1, 2/3, 1/2 when each is reached.
    run = Run.from_dict({"q": {f"d{i}": 10.0 - i for i in range(1, 7)}})
    qrels = {"q": {"d1": 1, "d3": 1, "d6": 2}}
    name = f"IPrec@{recall}"
    assert evaluate(run, qrels, name).aggregate[name] == pytest.approx(new, abs=1e-15)
    assert evaluate(run, qrels, name, compat=OLD).aggregate[name] == pytest.approx(old, abs=1e-15)
    assert _pytrec_eval(run, qrels, parse_measures(name))[name]["q"] == pytest.approx(old, abs=1e-15)


def test_the_10_0_cut_off_is_c_lround_not_floor_of_x_plus_a_half():
    # 0.49999999999999994 + 0.5 rounds up to 1.0 in floating point; lround gives 0.
    assert relevant_needed(0.49999999999999994, np.array([1]), "trec_eval-10.0").tolist() == [0]
    assert relevant_needed(0.5, np.array([1, 3, 5]), "trec_eval-10.0").tolist() == [1, 2, 3]
    assert relevant_needed(0.5, np.array([1, 3, 5]), OLD).tolist() == [1, 2, 3]
    assert relevant_needed(0.1, np.array([3, 10, 11]), OLD).tolist() == [1, 1, 2]


# Real runs ------------------------------------------------------------------------------------------

REAL_RUNS = [
    ("runs/miracl-dev-bm25/bm25.en.trec", "miracl/qrels.miracl-v1.0-en-dev.tsv"),
    ("runs/miracl-dev-bm25/bm25.zh.trec", "miracl/qrels.miracl-v1.0-zh-dev.tsv"),
    ("runs/neuclir24-bm25/bm25-translate.fa.trec", "runs/neuclir24-bm25/qrels.fa.txt"),  # graded 0/1/3
    ("runs/neuclir24-bm25/bm25-translate.ru.trec", "runs/neuclir24-bm25/qrels.ru.txt"),
]


@pytest.mark.realdata
@pytest.mark.parametrize("run_file, qrels_file", REAL_RUNS, ids=["miracl-en", "miracl-zh", "neuclir-fa", "neuclir-ru"])
def test_compat_mode_agrees_with_pytrec_eval_on_real_runs(run_file, qrels_file, real_data_dir):
    run, qrels = read_run(real_data_dir / run_file), read_qrels(real_data_dir / qrels_file)
    measures = parse_measures(f"{KERNELS},AP(rel=3),P(rel=3)@10,{IPREC},{PROVIDED}")
    reference = _pytrec_eval(run, qrels, measures)
    old = evaluate(run, qrels, measures, compat="pytrec_eval", missing_as_zero=False)
    _assert_agrees(old.per_query, reference)
    # The default mode is trec_eval 10.0's: the same but for IPrec, whose cut-off differs.
    default = evaluate(run, qrels, measures, missing_as_zero=False).per_query
    differing = {name for name in default if default[name] != old.per_query[name]}
    assert differing and all(name.startswith("IPrec") for name in differing), differing
