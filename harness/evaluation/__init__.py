"""Run and qrels files, measures with pinned semantics, and language bias (SPEC 5).

    run = read_run("bm25.en.trec")
    result = evaluate(run, read_qrels("qrels.tsv"), parse_measures("AP,nDCG@10,RR@10,R@100"))
    result.aggregate["nDCG@10"], result.per_query["AP"]["q1"], result.ties, result.semantics

A file of any size, in bounded memory: ``evaluate_run_file("big.run.gz", qrels, "AP")``; a
dense ranker's scores without rows: ``evaluate(ScoreMatrix(query_ids, doc_ids, scores), qrels, "AP")``;
a pandas DataFrame (ir-measures' or PyTerrier's columns) or a dict ``{query_id: {doc_id: score}}``,
checked as a file is: ``evaluate(run_from_frame(frame), qrels, "AP")``, ``run_from_dict(scores)``.

The numbers are trec_eval 10.0's; ``evaluate(..., compat="trec_eval-9.0.8")`` gives those of
trec_eval 9.0.8 and pytrec_eval (ir-measures) instead (see :mod:`harness.evaluation.compat`).
"""
from harness.evaluation.compat import COMPAT_MODES, normalize_compat
from harness.evaluation.evaluator import Evaluation, evaluate
from harness.evaluation.measures import Measure, parse_measure, parse_measures
from harness.evaluation.run import Run
from harness.evaluation.run_inputs import run_from_dict, run_from_frame
from harness.evaluation.score_matrix import ScoreMatrix
from harness.evaluation.streaming import evaluate_run_file
from harness.evaluation.trec import read_qrels, read_run, write_run

__all__ = [
    "COMPAT_MODES",
    "Evaluation",
    "Measure",
    "Run",
    "ScoreMatrix",
    "evaluate",
    "evaluate_run_file",
    "normalize_compat",
    "parse_measure",
    "parse_measures",
    "read_qrels",
    "read_run",
    "run_from_dict",
    "run_from_frame",
    "write_run",
]
