"""A score matrix evaluates to exactly the numbers of the same scores laid out as run rows."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import HarnessError
from harness.evaluation import Run, evaluate
from harness.evaluation.score_matrix import ScoreMatrix

MEASURES = "AP,RR,RR@3,nDCG,nDCG@5,P@3,R@5,Success@2,IPrec@0.5,AP(judged_only=True),nDCG(judged_only=True)@5,Bpref,RankDistance"


def as_rows(matrix: ScoreMatrix) -> Run:
    """The matrix's scores as unordered run rows, built independently of ScoreMatrix.to_run."""
    qids, dids, scores = [], [], []
    for i, qid in enumerate(matrix.query_ids.tolist()):
        columns = range(len(matrix.doc_ids)) if matrix.columns is None else matrix.columns[i].tolist()
        for j, column in enumerate(columns):
            qids.append(qid)
            dids.append(matrix.doc_ids[column])
            scores.append(float(matrix.scores[i, j]))
    rng = np.random.default_rng(len(qids))
    shuffle = rng.permutation(len(qids))
    return Run(np.array(qids, dtype=object)[shuffle], np.array(dids, dtype=object)[shuffle], np.array(scores)[shuffle])


@st.composite
def matrices(draw):
    num_queries = draw(st.integers(1, 5))
    num_docs = draw(st.integers(1, 9))
    doc_ids = draw(st.lists(st.text("abcXYZé0", min_size=1, max_size=3), min_size=num_docs, max_size=num_docs, unique=True))
    query_ids = [f"q{i}" for i in draw(st.permutations(range(num_queries)))]
    # few distinct values, so ties are common; float32 like an encoder's
    values = draw(st.lists(st.sampled_from([-1.5, -0.0, 0.0, 0.25, 0.5, 1e-8, 3.0]), min_size=num_queries * num_docs, max_size=num_queries * num_docs))
    scores = np.array(values, dtype=draw(st.sampled_from([np.float32, np.float64]))).reshape(num_queries, num_docs)
    columns = None
    if draw(st.booleans()) and num_docs > 1:
        k = draw(st.integers(1, num_docs))
        columns = np.stack([np.random.default_rng(draw(st.integers(0, 99))).permutation(num_docs)[:k] for _ in range(num_queries)])
        scores = scores[:, :k]
    pool = doc_ids + ["pool-only"]
    qrels = {}
    for qid in query_ids + ["q-missing"]:
        judged = draw(st.lists(st.sampled_from(pool), max_size=4, unique=True))
        qrels[qid] = {doc: draw(st.integers(-1, 3)) for doc in judged}
    return ScoreMatrix(query_ids, doc_ids, scores, columns, name="m"), qrels, pool


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(matrices(), st.booleans(), st.sampled_from(["trec_eval-10.0", "trec_eval-9.0.8"]))
def test_matrix_equals_its_rows(case, missing_as_zero, compat):
    matrix, qrels, pool = case
    try:
        expected = evaluate(as_rows(matrix), qrels, MEASURES, pool=pool, missing_as_zero=missing_as_zero, compat=compat)
    except HarnessError as error:
        with pytest.raises(HarnessError, match="nothing to evaluate"):
            evaluate(matrix, qrels, MEASURES, pool=pool, missing_as_zero=missing_as_zero, compat=compat)
        assert "nothing to evaluate" in str(error)
        return
    found = evaluate(matrix, qrels, MEASURES, pool=pool, missing_as_zero=missing_as_zero, compat=compat)
    assert found.per_query == expected.per_query  # bit for bit: the same kernels on the same ranks
    assert found.ties == expected.ties
    assert (found.missing_run_queries, found.unjudged_run_queries) == (expected.missing_run_queries, expected.unjudged_run_queries)


@settings(max_examples=100, deadline=None)
@given(matrices())
def test_to_run_is_the_pinned_order(case):
    matrix, _, _ = case
    run = matrix.to_run()
    rows = as_rows(matrix)
    assert sorted(zip(run.query_ids, run.doc_ids, run.scores)) == sorted(zip(rows.query_ids, rows.doc_ids, rows.scores))
    for qid in set(run.query_ids.tolist()):
        mine = [(s, d) for q, d, s in zip(run.query_ids, run.doc_ids, run.scores) if q == qid]
        assert mine == sorted(mine, reverse=True)  # score descending, then document id descending
    assert list(run.query_ids) == sorted(run.query_ids)


def test_ties_follow_document_ids_descending():
    matrix = ScoreMatrix(["q"], ["a", "c", "b", "d"], np.array([[0.5, 0.5, 0.5, 0.1]], dtype=np.float32))
    # pinned order: c, b, a, d
    result = evaluate(matrix, {"q": {"a": 1}}, "RR,AP")
    assert result.per_query["RR"]["q"] == pytest.approx(1 / 3, abs=0)
    assert result.ties["tied_neighbours"] == 2 and result.ties["tied_rows"] == 3


def test_refusals_name_the_problem():
    with pytest.raises(HarnessError, match="document id is listed twice"):
        ScoreMatrix(["q"], ["a", "a"], np.zeros((1, 2)))
    with pytest.raises(HarnessError, match="do not match"):
        ScoreMatrix(["q"], ["a", "b"], np.zeros((1, 3)))
    with pytest.raises(HarnessError, match="lists a document twice"):
        ScoreMatrix(["q"], ["a", "b"], np.zeros((1, 2)), np.array([[1, 1]]))
    with pytest.raises(HarnessError, match="document 'b' has score nan"):
        evaluate(ScoreMatrix(["q"], ["a", "b"], np.array([[0.0, np.nan]])), {"q": {"a": 1}}, "AP")
    with pytest.raises(HarnessError, match="has no ranks"):
        evaluate(ScoreMatrix(["q"], ["a"], np.zeros((1, 1))), {"q": {"a": 1}}, "AP", tie_break="rank")
