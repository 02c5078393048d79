"""Any run: a run file, a DataFrame (ir-measures' or PyTerrier's columns) or a dict scores as the equivalent file, or is refused in one line."""
from __future__ import annotations

import gzip
import json
import re

import numpy as np
import pandas as pd
import pytest

from harness import api
from harness.datasets import get_dataset
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.evaluation import read_run
from harness.evaluation.run_inputs import read_run_input

# (query, document, rank, score). q1's d2 and d3 tie: trec_eval's order puts d3 first, the ranks d2,
# so the two tie orders give q1 different values; q3 is unjudged and q4 (judged) is missing.
ROWS = [
    ("q1", "d1", 1, 3.0), ("q1", "d2", 2, 2.0), ("q1", "d3", 3, 2.0), ("q1", "d4", 4, 1.0),
    ("q2", "d5", 1, 1.5), ("q2", "d1", 2, 0.5),
    ("q3", "d9", 1, 1.0),
]
QRELS = "q1 0 d2 1\nq1 0 d4 0\nq2 0 d1 2\nq2 0 d5 0\nq4 0 d7 1\n"
MEASURES = "AP,nDCG@10,P@2,RR,R@100,NumRet"


def _file(rows, path):
    path.write_text("".join(f"{q} Q0 {d} {rank} {score!r} tag\n" for q, d, rank, score in rows))
    return path


def _ir_measures_frame(rows, ranks: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame({"query_id": [r[0] for r in rows], "doc_id": [r[1] for r in rows], "score": [r[3] for r in rows]})
    return frame.assign(rank=[r[2] for r in rows]) if ranks else frame


def _pyterrier_frame(rows) -> pd.DataFrame:
    """As PyTerrier's retrieval gives it: the query's text, Terrier's own integer docid, ranks from 0."""
    return pd.DataFrame({
        "qid": [r[0] for r in rows], "query": "some text", "docid": np.arange(len(rows)) * 11,
        "docno": [r[1] for r in rows], "rank": [r[2] - 1 for r in rows], "score": [r[3] for r in rows],
    })


def _dict(rows) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for q, d, _, score in rows:
        run.setdefault(q, {})[d] = score
    return run


def _shapes(rows, path):
    return {"file": _file(rows, path), "ir-measures": _ir_measures_frame(rows), "PyTerrier": _pyterrier_frame(rows), "dict": _dict(rows)}


def _values(evaluation):
    return evaluation.aggregate, evaluation.per_query, evaluation.num_queries, evaluation.missing_run_queries, evaluation.unjudged_run_queries


def test_every_shape_reads_as_the_file_reads(tmp_path):
    shapes = _shapes(ROWS, tmp_path / "run.trec")
    from_file = read_run(shapes["file"])
    for shape, run in shapes.items():
        read = read_run_input(run).run
        for column in ("query_ids", "doc_ids", "scores"):
            assert getattr(read, column).tolist() == getattr(from_file, column).tolist(), (shape, column)
    assert read_run_input(_ir_measures_frame(ROWS, ranks=True)).run.ranks.tolist() == from_file.ranks.tolist()


@pytest.mark.parametrize("tie_break", ["trec_eval", "rank"])
def test_every_shape_scores_as_the_file_against_a_qrels_file(tmp_path, tie_break):
    (tmp_path / "qrels").write_text(QRELS)
    shapes = _shapes(ROWS, tmp_path / "run.trec")
    if tie_break == "rank":  # a dict has no ranks; an ir-measures frame has them in a rank column
        shapes["ir-measures"] = _ir_measures_frame(ROWS, ranks=True)
        del shapes["dict"]
    results = {shape: api.evaluate_run(run, qrels=tmp_path / "qrels", measures=MEASURES, tie_break=tie_break) for shape, run in shapes.items()}
    expected = _values(results["file"])
    for shape, result in results.items():
        assert _values(result) == expected, shape  # bit-identical
    assert expected[2] == 3 and expected[3] == ["q4"] and expected[4] == ["q3"]


def test_the_rank_column_is_what_orders_ties_under_tie_break_rank(tmp_path):
    (tmp_path / "qrels").write_text(QRELS)
    frame = _pyterrier_frame(ROWS)
    by_score = api.evaluate_run(frame, qrels=tmp_path / "qrels", measures="AP")
    by_rank = api.evaluate_run(frame, qrels=tmp_path / "qrels", measures="AP", tie_break="rank")
    # q1's relevant d2 is third in trec_eval's order (d3 > d2 among the tied), second by rank
    assert by_score.per_query["AP"]["q1"] == pytest.approx(1 / 3, abs=1e-15)
    assert by_rank.per_query["AP"]["q1"] == pytest.approx(1 / 2, abs=1e-15)


@pytest.mark.parametrize("dtype", ["int64", "uint32", "Int64", "object"])
def test_integer_ids_are_spelled_in_decimal_as_a_file_spells_them(tmp_path, dtype):
    (tmp_path / "qrels").write_text("7 0 100 1\n7 0 2 1\n3 0 100 1\n")
    path = _file([("7", "2", 1, 2.5), ("7", "100", 2, 1.0), ("3", "100", 1, 0.25)], tmp_path / "run.trec")
    frame = pd.DataFrame({"qid": pd.array([7, 7, 3], dtype=dtype), "docno": [2, 100, 100], "score": [2.5, 1.0, 0.25]})
    if dtype == "object":  # ints, a numpy int and a str, as a concatenation of frames can leave a column
        frame["docno"] = pd.array([2, "100", np.int64(100)], dtype=object)
    as_dict = {7: {2: 2.5, np.int64(100): 1}, "3": {"100": np.float32(0.25)}}
    expected = api.evaluate_run(path, qrels=tmp_path / "qrels", measures="AP")
    assert expected.per_query["AP"] == {"7": 1.0, "3": 1.0}
    for run in (frame, as_dict):
        assert _values(api.evaluate_run(run, qrels=tmp_path / "qrels", measures="AP")) == _values(expected)
    assert read_run_input(frame).run.query_ids.tolist() == ["7", "7", "3"]


FRAME = {"qid": ["q1", "q1", "q2"], "docno": ["d1", "d2", "d5"], "score": [2.0, 1.0, 1.5]}
ROW1 = "DataFrame row 1 (qid 'q1', docno 'd2')"
REFUSED = {
    "no score column": (pd.DataFrame(FRAME).drop(columns="score"),
                        "DataFrame: no column score; expected ir-measures' query_id, doc_id, score or PyTerrier's qid, docno, score (its columns: qid, docno)"),
    "Terrier's docid is not docno": (pd.DataFrame(FRAME).rename(columns={"docno": "docid"}),
                                     "DataFrame: no column docno; expected ir-measures' query_id, doc_id, score or PyTerrier's qid, docno, score (its columns: qid, docid, score)"),
    "no run columns": (pd.DataFrame({"a": [1]}), "DataFrame: no column query_id, doc_id, score; expected ir-measures' query_id, doc_id, score or PyTerrier's qid, docno, score (its columns: a)"),
    "both conventions": (pd.DataFrame(FRAME).assign(query_id="q1", doc_id="d1"),
                         "DataFrame: it has both ir-measures' query_id, doc_id and PyTerrier's qid, docno columns; keep one pair"),
    "a column twice": (pd.concat([pd.DataFrame(FRAME), pd.DataFrame(FRAME)[["score"]]], axis=1), "DataFrame: column 'score' appears twice; a run has one of each"),
    "no rows": (pd.DataFrame(FRAME).iloc[:0], "DataFrame: no rows; a run has one row per query and document"),
    "NaN score": (pd.DataFrame(FRAME).assign(score=[2.0, np.nan, 1.0]), f"{ROW1}: score nan is not a finite number"),
    "infinite score": (pd.DataFrame(FRAME).assign(score=[2.0, -np.inf, 1.0]), f"{ROW1}: score -inf is not a finite number"),
    "text score": (pd.DataFrame(FRAME).assign(score=[2.0, "1.5", 1.0]), f"{ROW1}: score '1.5' is not a number"),
    "bool score": (pd.DataFrame(FRAME).assign(score=[True, False, True]), "DataFrame row 0 (qid 'q1', docno 'd1'): score True is not a number"),
    "document twice": (pd.DataFrame(FRAME).assign(docno=["d1", "d2", "d1"], qid="q1"),
                       "DataFrame row 2 (qid 'q1', docno 'd1'): document 'd1' appears twice for query 'q1'"),
    "empty id": (pd.DataFrame(FRAME).assign(docno=["d1", "", "d5"]),
                 "DataFrame row 1 (qid 'q1', docno ''): document id '' is empty or holds whitespace, which a run file cannot spell"),
    "id with a space": (pd.DataFrame(FRAME).assign(qid=["q1", "q 1", "q2"]),
                        "DataFrame row 1 (qid 'q 1', docno 'd2'): query id 'q 1' is empty or holds whitespace, which a run file cannot spell"),
    "missing id": (pd.DataFrame(FRAME).assign(docno=["d1", None, "d5"]),
                   "DataFrame row 1 (qid 'q1', docno nan): document id nan is not an id; expected a string or an integer"),
    "float id": (pd.DataFrame(FRAME).assign(qid=[1.0, 1.0, 2.0]),
                 "DataFrame row 0 (qid 1.0, docno 'd1'): query id 1.0 is not an id; expected a string or an integer"),
    "fractional rank": (pd.DataFrame(FRAME).assign(rank=[0, 1.5, 0]), f"{ROW1}: rank 1.5 is not an integer of 64 bits"),
    "dict: NaN score": ({"q1": {"d1": 1.0, "d2": float("nan")}}, "dict['q1']['d2']: score nan is not a finite number"),
    "dict: text score": ({"q1": {"d1": "1.0"}}, "dict['q1']['d1']: score '1.0' is not a number"),
    "dict: one document spelled twice": ({"q1": {7: 1.0, "7": 2.0}}, "dict['q1']['7']: document '7' appears twice for query 'q1'"),
    "dict: tuple id": ({("q", 1): {"d1": 1.0}}, "dict[('q', 1)]['d1']: query id ('q', 1) is not an id; expected a string or an integer"),
    "dict: not nested": ({"q1": [("d1", 1.0)]}, "dict['q1']: a list, where a dict {doc_id: score} was expected"),
    "dict: no rows": ({"q1": {}}, "dict: no rows; a run has one row per query and document"),
    "a list": ([("q1", "d1", 1.0)], "run: a list is not a run; expected a TREC run file path, a pandas DataFrame "
               "(ir-measures' query_id, doc_id, score or PyTerrier's qid, docno, score) or a dict {query_id: {doc_id: score}}"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_run_is_refused_in_one_line_naming_the_row(tmp_path, case):
    (tmp_path / "qrels").write_text(QRELS)
    run, message = REFUSED[case]
    with pytest.raises(HarnessError) as raised:
        api.evaluate_run(run, qrels=tmp_path / "qrels")
    assert str(raised.value) == message


@pytest.mark.parametrize(("run", "remedy"), [(_dict(ROWS), "give a DataFrame with a 'rank' column"), (_ir_measures_frame(ROWS), "add a 'rank' column")])
def test_tie_break_rank_needs_ranks(tmp_path, run, remedy):
    (tmp_path / "qrels").write_text(QRELS)
    kind = "dict" if isinstance(run, dict) else "DataFrame"
    with pytest.raises(HarnessError, match=re.escape(f"{kind}: tie_break='rank' orders each query by the run's ranks and this {kind} has none; {remedy}, or use tie_break='trec_eval'")):
        api.evaluate_run(run, qrels=tmp_path / "qrels", tie_break="rank")


def _pair_rows(task) -> list[tuple[str, str, int, float]]:
    """Per query: two other documents, the relevant ones, three more; scores tie in pairs, so the tie order matters."""
    docs = sorted(doc.doc_id for doc in task.documents)
    rows = []
    for i, query in enumerate(sorted(q.query_id for q in task.queries)):
        relevant = sorted(d for d, grade in task.qrels.get(query, {}).items() if grade > 0)
        others = [docs[(7 * i + k) % len(docs)] for k in range(5)]
        ranked = list(dict.fromkeys([*others[:2], *relevant, *others[2:]]))
        rows += [(query, doc, rank, float((len(ranked) - rank) // 2)) for rank, doc in enumerate(ranked, start=1)]
    return rows


@pytest.mark.realdata
def test_every_shape_scores_and_is_stored_as_the_file_on_a_registered_pair(real_data_dir, tmp_path):
    pair = "xquad-r/de-en"
    rows = _pair_rows(get_dataset("xquad-r").load(PairId.parse(pair), real_data_dir))
    shapes = _shapes(rows, tmp_path / "de-en.run")
    common = {"dataset": pair, "data_dir": real_data_dir, "measures": MEASURES}
    aggregates = {}
    for tie_break in ("trec_eval", "rank"):
        runs = {**shapes, "ir-measures": _ir_measures_frame(rows, ranks=True)} if tie_break == "rank" else shapes
        results = {shape: api.evaluate_run(run, tie_break=tie_break, **common).evaluations[pair] for shape, run in runs.items() if not (tie_break == "rank" and shape == "dict")}
        expected = _values(results["file"])
        for shape, result in results.items():
            assert _values(result) == expected, (tie_break, shape)  # bit-identical
        assert expected[2] == 1190
        aggregates[tie_break] = expected[0]
    assert aggregates["trec_eval"]["AP"] != aggregates["rank"]["AP"]  # the ties are real: each order counts
    stored = {}
    for shape, run in shapes.items():  # one name in separate folders: the stored runs' tags agree too
        folder = tmp_path / shape.lower()
        api.submit(run, name="sys", submissions_dir=folder, meta={"description": f"from a {shape}"}, **common)
        assert [str(f) for f in api.validate(folder / "sys", data_dir=real_data_dir) if f.severity == "problem"] == []
        meta = json.loads((folder / "sys" / "meta.json").read_text())
        files = folder / "sys" / "pairs" / "xquad-r" / "de-en"
        stored[shape] = (meta["pairs"][pair].pop("run_file", None) or meta["pairs"][pair].pop("run_source"), meta["command"],
                         meta["pairs"][pair]["measures"], (files / "per-query.tsv").read_bytes(), gzip.decompress((files / "run.trec.gz").read_bytes()))
    assert stored["file"][:2] == ("de-en.run", f"harness eval --run {shapes['file']} --dataset {pair} --name sys")
    assert stored["PyTerrier"][:2] == ("DataFrame", "harness.submit(<DataFrame>, dataset='xquad-r/de-en', name='sys')")
    assert stored["dict"][:2] == ("dict", "harness.submit(<dict>, dataset='xquad-r/de-en', name='sys')")
    for shape in shapes:
        assert stored[shape][2:] == stored["file"][2:], shape


@pytest.mark.realdata
def test_an_in_memory_run_for_another_pair_is_named_as_a_file_is(real_data_dir):
    rows = _pair_rows(get_dataset("xquad-r").load(PairId.parse("xquad-r/de-en"), real_data_dir))[:40]
    frame = _ir_measures_frame([*rows[:3], ("nope", "en-0-0-0", 1, 1.0), *rows[3:]])
    with pytest.raises(HarnessError, match=r"^DataFrame row 3: query id 'nope' is not a query of xquad-r/de-en \(expected ids like '[^']+'; 1 unknown query ids in all\)$"):
        api.evaluate_run(frame, dataset="xquad-r/de-en", data_dir=real_data_dir)
    foreign = _dict([(query, f"x-{doc}", rank, score) for query, doc, rank, score in rows])
    with pytest.raises(HarnessError, match=r"^dict: none of the run's document ids is in xquad-r/de-en's collection: a run for another pair\? \(--force"):
        api.evaluate_run(foreign, dataset="xquad-r/de-en", data_dir=real_data_dir)
