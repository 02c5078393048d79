"""Run and qrels files, measures with pinned semantics, and language bias (SPEC 5).

    run = read_run("bm25.en.trec")
    result = evaluate(run, read_qrels("qrels.tsv"), parse_measures("AP,nDCG@10,RR@10,R@100"))
    result.aggregate["nDCG@10"], result.per_query["AP"]["q1"], result.ties, result.semantics
"""
from harness.evaluation.evaluator import Evaluation, evaluate
from harness.evaluation.measures import Measure, parse_measure, parse_measures
from harness.evaluation.run import Run
from harness.evaluation.trec import read_qrels, read_run, write_run

__all__ = ["Evaluation", "Measure", "Run", "evaluate", "parse_measure", "parse_measures", "read_qrels", "read_run", "write_run"]
