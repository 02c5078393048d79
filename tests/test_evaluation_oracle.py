"""Against trec_eval itself: its own test outputs, and what it prints for the real runs in data/runs/."""
from __future__ import annotations

import collections
import contextlib
import io
from pathlib import Path

import ir_measures
import pytest

from harness.errors import HarnessError
from harness.evaluation import evaluate, parse_measure, parse_measures, read_qrels, read_run, trec, trec_columns

pytestmark = pytest.mark.realdata


def _trec_eval_output(path: Path) -> dict[str, dict[str, str]]:
    """``{trec_eval measure name: {query id or 'all': printed value}}``."""
    printed: dict[str, dict[str, str]] = collections.defaultdict(dict)
    for line in path.read_text().splitlines():
        name, qid, value = line.split()
        printed[name][qid] = value
    return printed


def _as_ir_measure(trec_name: str, relevance_level: int):
    """The ir-measures measure for a trec_eval name (None where ir-measures has none), at ``-l`` level."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            (measure,) = ir_measures.parse_trec_measure(trec_name)
    except ValueError:
        return None
    threshold = measure.params.get("rel", measure.SUPPORTED_PARAMS["rel"].default) if "rel" in measure.SUPPORTED_PARAMS else None
    if relevance_level != 1 and threshold == 1:  # trec_eval -l moves every binary threshold
        measure = measure(rel=relevance_level)
    try:
        return parse_measure(str(measure))
    except HarnessError:  # e.g. NumRel(rel=2): no provider computes it
        return None


ORACLE_CASES = {
    # output file: (run file, qrels file, trec_eval -c, relevance level -l)
    "out.test": ("results.test", "qrels.test", False, 1),
    "out.test.a": ("results.test", "qrels.test", False, 1),
    "out.test.aq": ("results.test", "qrels.test", False, 1),
    "out.test.aqc": ("results.trunc", "qrels.test", True, 1),
    "out.test.aql": ("results.test", "qrels.rel_level", False, 2),
}


@pytest.mark.parametrize("output", list(ORACLE_CASES))
def test_trec_eval_test_outputs_are_reproduced_to_the_printed_decimals(output, real_data_dir):
    oracle = real_data_dir / "trec_eval-oracle"
    run_file, qrels_file, complete, level = ORACLE_CASES[output]
    printed = _trec_eval_output(oracle / output)
    mapped = {name: m for name in printed if (m := _as_ir_measure(name, level)) is not None}
    # Everything ir-measures computes is checked; the rest (gm_map, utility, Rprec_mult, ...) it has no form for.
    assert {"map", "P_10", "recip_rank", "Rprec", "bpref", "num_rel_ret", "iprec_at_recall_0.10"} <= mapped.keys()
    if output != "out.test":  # -m all_trec
        assert {"recall_100", "ndcg", "ndcg_cut_10", "success_10", "infAP", "set_F", "map_cut_100"} <= mapped.keys()
    run = read_run(oracle / run_file, allow_extra_columns=True)
    qrels = read_qrels(oracle / qrels_file)
    result = evaluate(run, qrels, list(mapped.values()), missing_as_zero=complete)
    assert not _differences(printed, mapped, result)
    assert result.num_queries == int(printed["num_q"]["all"])
    # These are trec_eval 10.0's numbers: 9.0.8 (and pytrec_eval) part from them on IPrec's cut-off alone.
    old = evaluate(run, qrels, list(mapped.values()), missing_as_zero=complete, compat="trec_eval-9.0.8")
    differing = {line.split()[0] for line in _differences(printed, mapped, old)}
    assert differing and all(name.startswith("iprec_at_recall_") for name in differing), differing


def _differences(printed: dict[str, dict[str, str]], mapped: dict, result) -> list[str]:
    """``name (measure) qid: ...`` for every printed value ``result`` misses by more than the printed rounding."""
    wrong = []
    for name, measure in mapped.items():
        for qid, value in printed[name].items():
            ours = result.aggregate[measure.name] if qid == "all" else result.per_query[measure.name][qid]
            if abs(ours - float(value)) > 0.5e-4 + 1e-9:
                wrong.append(f"{name} ({measure}) {qid}: trec_eval {value}, ours {ours:.6f}")
    return wrong


def test_results_trunc_is_read_fast_as_the_line_parser_reads_it(real_data_dir):
    # trec_eval's own results.trunc (extra text after the tag) goes through pyarrow, not line by line.
    path = real_data_dir / "trec_eval-oracle" / "results.trunc"
    fast = trec_columns.run_columns_arrow(path, allow_extra_columns=True)
    reference = trec._run_columns_lines(path, allow_extra_columns=True)
    assert [column.tolist() for column in fast] == [column.tolist() for column in reference]
    assert len(fast[0]) == 584


MIRACL = {
    # language: trec_eval's nDCG@10 and R@100 under its own tie-breaking, tied neighbours, queries
    "en": (0.3504, 0.8190, 6121, 799),
    "zh": (0.1801, 0.5599, 5100, 393),
}


@pytest.mark.parametrize("lang", list(MIRACL))
def test_miracl_bm25_runs_score_what_trec_eval_prints(lang, real_data_dir):
    data = real_data_dir
    ndcg, recall, tied, queries = MIRACL[lang]
    run = read_run(data / "runs" / "miracl-dev-bm25" / f"bm25.{lang}.trec")
    result = evaluate(run, read_qrels(data / "miracl" / f"qrels.miracl-v1.0-{lang}-dev.tsv"), "nDCG@10,R@100")
    assert (round(result.aggregate["nDCG@10"], 4), round(result.aggregate["R@100"], 4)) == (ndcg, recall)
    assert result.ties["tied_neighbours"] == tied and result.num_queries == queries


def test_the_rank_order_reproduces_the_published_miracl_english_number(real_data_dir):
    data = real_data_dir
    run = read_run(data / "runs" / "miracl-dev-bm25" / "bm25.en.trec")
    result = evaluate(run, read_qrels(data / "miracl" / "qrels.miracl-v1.0-en-dev.tsv"), "nDCG@10", tie_break="rank")
    assert round(result.aggregate["nDCG@10"], 4) == 0.3506
    assert result.semantics["tie_break"] == "rank"


REAL_RUNS = [
    ("runs/miracl-dev-bm25/bm25.en.trec", "miracl/qrels.miracl-v1.0-en-dev.tsv"),
    ("runs/miracl-dev-bm25/bm25.zh.trec", "miracl/qrels.miracl-v1.0-zh-dev.tsv"),
    ("runs/neuclir24-bm25/bm25-translate.fa.trec", "runs/neuclir24-bm25/qrels.fa.txt"),  # graded 0/1/3
]


@pytest.mark.parametrize("run_file, qrels_file", REAL_RUNS, ids=["miracl-en", "miracl-zh", "neuclir-fa"])
def test_kernels_agree_with_pytrec_eval_on_real_runs(run_file, qrels_file, real_data_dir):
    data = real_data_dir
    run, qrels = read_run(data / run_file), read_qrels(data / qrels_file)
    measures = parse_measures("AP,AP@100,AP(rel=3),nDCG,nDCG@10,nDCG@20,P@10,P(rel=3)@10,R@100,R(rel=3)@1000,Success@10,RR,RR(rel=3)")
    ours = evaluate(run, qrels, measures).per_query
    for metric in ir_measures.iter_calc([m.ir_measure for m in measures], qrels, run.to_dict()):
        assert ours[str(metric.measure)][metric.query_id] == pytest.approx(metric.value, abs=1e-12), (str(metric.measure), metric.query_id)
