"""Evaluate a run against qrels with pinned, stated semantics (SPEC 5).

Every measure sees each query's rows in one order, fixed here: the pinned tie order (score
descending, then document id descending, as trec_eval) or, on request, the run file's ranks.
The common measures run as numpy kernels; any other ir-measures measure gets the rows with
strictly decreasing synthetic scores, so no provider ever breaks a tie its own way (the
msmarco provider behind ``RR@k`` would sort tied documents by id ascending).
"""
from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata

import ir_measures
import numpy as np

from harness.errors import HarnessError
from harness.evaluation.kernels import RankedJudgments, kernel_for
from harness.evaluation.measures import Measure, parse_measures
from harness.evaluation.rank_distance import DEFINITION as RANK_DISTANCE_DEFINITION
from harness.evaluation.rank_distance import rank_distance
from harness.evaluation.ranking import TIE_ORDERS, first_duplicate, offsets_from_lengths, rank_run, take_queries
from harness.evaluation.run import Run


@dataclass
class Evaluation:
    """What :func:`evaluate` found: mean and per-query values, which queries counted, ties, semantics.

    ``per_query`` maps measure name -> query id -> value for every evaluated query (including
    judged queries missing from the run, when they count). ``semantics`` states how the
    numbers were computed and belongs in every stored result.
    """

    measures: list[str]
    aggregate: dict[str, float]
    per_query: dict[str, dict[str, float]]
    num_queries: int
    unjudged_run_queries: list[str]
    missing_run_queries: list[str]
    ties: dict[str, object]
    semantics: dict[str, object]

    def to_dict(self) -> dict[str, object]:
        """A JSON-serialisable copy."""
        return dataclasses.asdict(self)


def evaluate(
    run: Run,
    qrels: Mapping[str, Mapping[str, int]],
    measures: str | Iterable[str | Measure],
    *,
    tie_break: str = "trec_eval",
    missing_as_zero: bool = True,
    pool: Iterable[str] | None = None,
) -> Evaluation:
    """Score ``run`` against ``qrels`` (``{qid: {docid: grade}}``) on ``measures``.

    ``tie_break="trec_eval"`` orders each query by score descending, then document id
    descending; ``"rank"`` keeps the run file's rank order (needs ranks). With
    ``missing_as_zero`` a judged query absent from the run is evaluated as an empty ranking
    and counts in the mean (trec_eval ``-c``: 0 for every ordinary measure); without, it is
    left out (plain trec_eval). Run queries without judgments are ignored and listed.
    ``pool`` (the collection's document ids) places unretrieved relevant documents for
    ``RankDistance``.
    """
    chosen = parse_measures(measures)
    ranking = rank_run(run, tie_break)
    doc_ids = np.asarray(run.doc_ids, dtype=object)
    duplicate = first_duplicate(doc_ids[ranking.order], ranking.offsets)
    if duplicate is not None:
        raise HarnessError(f"run {run.name!r}: document {duplicate[1]!r} appears twice for query {ranking.query_ids[duplicate[0]]!r}")

    judged = {qid: docs for qid, docs in qrels.items() if docs}
    run_index = {qid: i for i, qid in enumerate(ranking.query_ids.tolist())}
    missing = sorted(qid for qid in judged if qid not in run_index)
    query_ids = sorted(judged) if missing_as_zero else sorted(qid for qid in judged if qid in run_index)
    if not query_ids:
        raise HarnessError(
            f"nothing to evaluate: the qrels judge {len(judged)} queries and the run has {len(run_index)}, none in common"
        )
    groups = np.fromiter((run_index.get(qid, -1) for qid in query_ids), dtype=np.int64, count=len(query_ids))
    rows, offsets = take_queries(ranking.offsets, ranking.order, groups)
    ranked_docs = doc_ids[rows]
    judgments = _join(ranked_docs, offsets, query_ids, judged)

    values: dict[str, np.ndarray] = {}
    for measure in chosen:
        if measure.ir_measure is None:
            values[measure.name] = rank_distance(judgments, ranked_docs, query_ids, judged, pool)
        elif (kernel := kernel_for(measure.ir_measure)) is not None:
            values[measure.name] = kernel(judgments, measure.ir_measure)
    others = [measure for measure in chosen if measure.name not in values]
    if others:
        values.update(_ir_measures_values(others, ranked_docs, offsets, query_ids, judged))

    return Evaluation(
        measures=[measure.name for measure in chosen],
        aggregate={measure.name: measure.aggregate(values[measure.name]) for measure in chosen},
        per_query={measure.name: dict(zip(query_ids, values[measure.name].tolist())) for measure in chosen},
        num_queries=len(query_ids),
        unjudged_run_queries=[qid for qid in run_index if qid not in judged],
        missing_run_queries=missing,
        ties=ranking.ties,
        semantics=_semantics(chosen, tie_break, missing_as_zero),
    )


def _join(
    ranked_docs: np.ndarray, offsets: np.ndarray, query_ids: Sequence[str], judged: Mapping[str, Mapping[str, int]]
) -> RankedJudgments:
    """Attach grades to the ranked rows: a C-speed membership pass per query, then look-ups for the hits only."""
    grades = np.zeros(len(ranked_docs), dtype=np.int64)
    for i, qid in enumerate(query_ids):
        start, stop = int(offsets[i]), int(offsets[i + 1])
        if start == stop:
            continue
        judgments = judged[qid]
        docs = ranked_docs[start:stop].tolist()
        hits = np.flatnonzero(np.fromiter(map(judgments.__contains__, docs), dtype=bool, count=len(docs)))
        grades[start + hits] = [judgments[docs[k]] for k in hits.tolist()]
    per_query = [sorted(judged[qid].values(), reverse=True) for qid in query_ids]
    qrel_offsets = offsets_from_lengths(np.array([len(values) for values in per_query], dtype=np.int64))
    qrel_grades = np.fromiter(itertools.chain.from_iterable(per_query), dtype=np.int64, count=int(qrel_offsets[-1]))
    return RankedJudgments(offsets, grades, qrel_offsets, qrel_grades)


def _ir_measures_values(
    measures: Sequence[Measure],
    ranked_docs: np.ndarray,
    offsets: np.ndarray,
    query_ids: Sequence[str],
    judged: Mapping[str, Mapping[str, int]],
) -> dict[str, np.ndarray]:
    """Per-query values from ir-measures, fed strictly decreasing synthetic scores in our order."""
    run = {}
    for i, qid in enumerate(query_ids):
        docs = ranked_docs[offsets[i] : offsets[i + 1]].tolist()
        run[qid] = dict(zip(docs, np.arange(len(docs), 0, -1, dtype=np.float64).tolist()))
    qrels = {qid: dict(judged[qid]) for qid in query_ids}
    found: dict[str, dict[str, float]] = {measure.name: {} for measure in measures}
    for metric in ir_measures.evaluator([measure.ir_measure for measure in measures], qrels).iter_calc(run):
        found[str(metric.measure)][metric.query_id] = metric.value
    return {
        measure.name: np.array([found[measure.name].get(qid, measure.ir_measure.DEFAULT) for qid in query_ids], dtype=np.float64)
        for measure in measures
    }


def _semantics(measures: Sequence[Measure], tie_break: str, missing_as_zero: bool) -> dict[str, object]:
    semantics: dict[str, object] = {
        "tie_break": tie_break,
        "tie_order": TIE_ORDERS[tie_break],
        "providers": "every provider sees that order as strictly decreasing synthetic scores, so none breaks ties itself",
        "missing_queries": (
            "judged queries absent from the run are evaluated as empty rankings and count in the mean "
            "(trec_eval -c): 0 for every ordinary measure"
            if missing_as_zero
            else "judged queries absent from the run are left out (plain trec_eval)"
        ),
        "unjudged_run_queries": "ignored and listed",
        "relevance": "grade >= 1 is relevant unless the measure sets rel=; nDCG gains are the positive grades",
        "depth": "the whole run; no truncation other than each measure's own cutoff",
        "aggregate": "mean over evaluated queries (sum for counts such as NumRel)",
        "measures": {m.name: {"provider": m.provider, "higher_is_better": m.higher_is_better} for m in measures},
        "versions": _versions("harness", "ir-measures", "pytrec-eval-terrier", "numpy"),
    }
    if any(m.ir_measure is None for m in measures):
        semantics["rank_distance"] = RANK_DISTANCE_DEFINITION
    return semantics


def _versions(*packages: str) -> dict[str, str]:
    found = {}
    for package in packages:
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return found
