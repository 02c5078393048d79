"""Evaluate a run against qrels with pinned, stated semantics (SPEC 5).

Every measure sees each query's rows in one order, fixed here: the pinned tie order (score
descending, then document id descending, as trec_eval) or, on request, the run file's ranks.
Scores are compared as trec_eval 10.0 does, or as 9.0.8 and pytrec_eval do (float32) in that
compatibility mode. The common measures run as numpy kernels; any other ir-measures measure
gets the rows with strictly decreasing synthetic scores, so no provider ever breaks a tie its
own way (the msmarco provider behind ``RR@k`` would sort tied documents by id ascending) or
rounds scores again.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.errors import HarnessError
from harness.evaluation.coded_rows import CodedRows
from harness.evaluation.compat import COMPAT_NOTES, DEFAULT_COMPAT, normalize_compat, ranking_scores
from harness.evaluation.judged_rows import JudgedQueries, JudgedRanking, evaluated_queries, judge_ordered_rows
from harness.evaluation.kernels import kernel_for
from harness.evaluation.measures import Measure, ir_provider, parse_measures
from harness.evaluation.query_values import per_query_values
from harness.evaluation.rank_distance import DEFINITION as RANK_DISTANCE_DEFINITION
from harness.evaluation.rank_distance import rank_distance
from harness.evaluation.ranking import TIE_ORDERS, first_duplicate, rank_rows, take_queries
from harness.evaluation.run import Run
from harness.evaluation.score_matrix import ScoreMatrix
from harness.evaluation.trec import GRADE_MAX, GRADE_MIN

if TYPE_CHECKING:
    from ir_measures.providers.base import Provider

# Providers that divide by the ranking's length: an empty ranking (a judged query missing from
# the run) gets the measure's value for "no documents returned" instead of reaching them.
_NEED_DOCUMENTS = {"judged"}
# gdeval.pl dies on a grade above its MAX_JUDGMENT.
_GRADE_CEILINGS = {"gdeval": 4}
# Providers that read the run and qrels back from TREC files, where an id with whitespace breaks the line.
_READ_TREC_FILES = {"gdeval"}
_NOT_ONE_FIELD = re.compile(r"\s|\A\Z")
# The distribution each recorded module ships in, as pip names it.
_DISTRIBUTIONS = {"ir_measures": "ir-measures", "pytrec_eval": "pytrec-eval-terrier"}


@dataclass
class Evaluation:
    """What :func:`evaluate` found: mean and per-query values, which queries counted, ties, semantics.

    ``per_query`` maps measure name -> query id -> value for every evaluated query (including
    judged queries missing from the run, when they count), in query id order; each measure's
    values are a read-only mapping over an array (:class:`~harness.evaluation.query_values.QueryValues`). ``semantics`` states how the
    numbers were computed and belongs in every stored result.
    """

    measures: list[str]
    aggregate: dict[str, float]
    per_query: dict[str, Mapping[str, float]]
    num_queries: int
    unjudged_run_queries: list[str]
    missing_run_queries: list[str]
    ties: dict[str, object]
    semantics: dict[str, object]

    def to_dict(self, per_query: bool = True) -> dict[str, object]:
        """A JSON-serialisable copy; ``per_query=False`` leaves out the per-query values."""
        shallow = {field.name: getattr(self, field.name) for field in dataclasses.fields(self) if per_query or field.name != "per_query"}
        return copy.deepcopy(shallow)


def evaluate(
    run: Run | ScoreMatrix,
    qrels: Mapping[str, Mapping[str, int]],
    measures: str | Iterable[str | Measure],
    *,
    tie_break: str = "trec_eval",
    missing_as_zero: bool = True,
    pool: Iterable[str] | None = None,
    compat: str = DEFAULT_COMPAT,
) -> Evaluation:
    """Score ``run`` against ``qrels`` (``{qid: {docid: grade}}``) on ``measures``.

    ``run`` is a :class:`Run` or a :class:`ScoreMatrix` (a dense ranker's scores, evaluated
    without being turned into rows; same numbers).

    ``tie_break="trec_eval"`` orders each query by score descending, then document id
    descending; ``"rank"`` keeps the run file's rank order (needs ranks). With
    ``missing_as_zero`` a judged query absent from the run is evaluated as an empty ranking
    and counts in the mean (trec_eval ``-c``: 0 for every ordinary measure); without, it is
    left out (plain trec_eval). Run queries without judgments are ignored and listed.
    ``pool`` (the collection's document ids) places unretrieved relevant documents for
    ``RankDistance``. ``compat`` picks the trec_eval whose numbers to reproduce (one of
    ``COMPAT_MODES``; ``"pytrec_eval"`` means ``"trec_eval-9.0.8"``).
    """
    compat = normalize_compat(compat)
    chosen = parse_measures(measures)
    judged = judged_queries(qrels)
    if isinstance(run, ScoreMatrix):
        ranking = run.judged_ranking(judged, tie_break, compat, missing_as_zero)
    else:
        ranking = judge_rows(CodedRows.from_run(run), judged, tie_break, compat, missing_as_zero)
    values = measure_values(chosen, ranking, judged, pool, compat)
    return evaluation_of(chosen, ranking, values, len(judged), semantics_of(chosen, tie_break, missing_as_zero, compat))


def judged_queries(qrels: Mapping[str, Mapping[str, int]]) -> Mapping[str, Mapping[str, int]]:
    """The queries with at least one judgment, their grades checked."""
    # the qrels themselves where no query is without judgments: a copy costs 40 MB at 1M queries
    judged = qrels if all(qrels.values()) else {qid: docs for qid, docs in qrels.items() if docs}
    _check_grades(judged)
    return judged


def measure_values(
    chosen: Sequence[Measure], ranking: JudgedRanking, judged: Mapping[str, Mapping[str, int]], pool: Iterable[str] | None, compat: str
) -> dict[str, np.ndarray]:
    """Per-query values of every measure, for ``ranking.query_ids`` in order."""
    values: dict[str, np.ndarray] = {}
    for measure in chosen:
        if measure.definition is None:
            values[measure.name] = rank_distance(ranking.judgments, ranking.query_ids, judged, pool, ranking.ranked_documents)
        elif (kernel := kernel_for(measure.definition, compat)) is not None:
            values[measure.name] = kernel(ranking.judgments, measure.definition)
    others = [measure for measure in chosen if measure.name not in values]
    if others:
        values.update(_ir_measures_values(others, *ranking.ranked_documents(), ranking.query_ids, judged))
    return values


def evaluation_of(
    chosen: Sequence[Measure], ranking: JudgedRanking, values: Mapping[str, np.ndarray], judged_count: int, semantics: dict[str, object]
) -> Evaluation:
    """The :class:`Evaluation` of per-query ``values`` (for ``ranking.query_ids``, sorted); its
    ``judgments`` are not looked at."""
    query_ids = ranking.query_ids
    if not query_ids:
        raise HarnessError(
            f"nothing to evaluate: the qrels judge {judged_count} queries and the run has {len(ranking.unjudged_run_queries)}, none in common"
        )
    return Evaluation(
        measures=[measure.name for measure in chosen],
        aggregate={measure.name: measure.aggregate(values[measure.name]) for measure in chosen},
        per_query=per_query_values(query_ids, {measure.name: values[measure.name] for measure in chosen}),
        num_queries=len(query_ids),
        unjudged_run_queries=ranking.unjudged_run_queries,
        missing_run_queries=ranking.missing_run_queries,
        ties=ranking.ties,
        semantics=semantics,
    )


class DuplicateDocument(HarnessError):
    """A run lists a document twice for one query."""


def judge_rows(rows: CodedRows, judged: Mapping[str, Mapping[str, int]], tie_break: str, compat: str, missing_as_zero: bool) -> JudgedRanking:
    """Rows in the pinned order, checked for duplicates, and their judged rows."""
    rows = dataclasses.replace(rows, scores=ranking_scores(rows.scores, compat, rows.name))
    ranking = rank_rows(rows, tie_break)
    duplicate = first_duplicate(rows, ranking.order, ranking.offsets)
    if duplicate is not None:
        raise DuplicateDocument(f"run {rows.name!r}: document {duplicate[1]!r} appears twice for query {duplicate[0]!r}")
    run_query_ids = rows.query_ids.tolist()
    query_ids, missing, unjudged = evaluated_queries(run_query_ids, judged, missing_as_zero)
    run_index = {qid: i for i, qid in enumerate(run_query_ids)}
    groups = np.fromiter((run_index.get(qid, -1) for qid in query_ids), dtype=np.int64, count=len(query_ids))
    order, offsets = take_queries(ranking.offsets, ranking.order, groups)
    judgments = judge_ordered_rows(JudgedQueries(query_ids, judged), rows.doc_ids, order, offsets, rows.doc_fingerprints())
    return JudgedRanking(query_ids, judgments, ranking.ties, unjudged, missing, lambda: (rows.docs_at(order), offsets))


def _check_grades(qrels: Mapping[str, Mapping[str, int]]) -> None:
    """Grades are integers of 32 bits, as a qrels file holds them (the kernels and providers assume so)."""
    grades = [grade for docs in qrels.values() for grade in docs.values()]
    if not grades or (set(map(type, grades)) == {int} and GRADE_MIN <= min(grades) and max(grades) <= GRADE_MAX):
        return  # plain ints in range, seen in three passes of C; else the loop below names the first wrong one
    for qid, docs in qrels.items():
        for doc, grade in docs.items():
            if not (isinstance(grade, (int, np.integer)) and not isinstance(grade, bool) and GRADE_MIN <= grade <= GRADE_MAX):
                raise HarnessError(f"qrels: query {qid!r} document {doc!r} has grade {grade!r}; a grade is an integer from {GRADE_MIN} to {GRADE_MAX}")


def _ir_measures_values(
    measures: Sequence[Measure],
    ranked_docs: np.ndarray,
    offsets: np.ndarray,
    query_ids: Sequence[str],
    judged: Mapping[str, Mapping[str, int]],
) -> dict[str, np.ndarray]:
    """Per-query values from each measure's ir-measures provider, fed strictly decreasing synthetic scores in our order.

    Queries go to the providers numbered 1, 2, ... (gdeval reads only numeric topic ids); a
    query a provider does not report gets the measure's value for an empty ranking.
    """
    keys = [str(i + 1) for i in range(len(query_ids))]
    run = {}
    for i, key in enumerate(keys):
        docs = ranked_docs[offsets[i] : offsets[i + 1]].tolist()
        run[key] = dict(zip(docs, np.arange(len(docs), 0, -1, dtype=np.float64).tolist()))
    qrels = {key: dict(judged[qid]) for key, qid in zip(keys, query_ids)}
    found: dict[str, dict[str, float]] = {measure.name: {} for measure in measures}
    by_provider: dict[Provider, list[Measure]] = {}
    for measure in measures:
        by_provider.setdefault(ir_provider(measure.definition), []).append(measure)
    for provider, group in by_provider.items():
        _check_provider_input(provider.NAME, group, run, qrels, query_ids)
        given = {key: docs for key, docs in run.items() if docs} if provider.NAME in _NEED_DOCUMENTS else run
        for metric in provider.evaluator([measure.definition for measure in group], qrels).iter_calc(given):
            found[str(metric.measure)][metric.query_id] = metric.value
    return {
        measure.name: np.array([found[measure.name].get(key, measure.definition.DEFAULT) for key in keys], dtype=np.float64)
        for measure in measures
    }


def _check_provider_input(
    provider: str,
    measures: Sequence[Measure],
    run: Mapping[str, Mapping[str, float]],
    qrels: Mapping[str, Mapping[str, int]],
    query_ids: Sequence[str],
) -> None:
    """Refuse, naming the query, what a provider cannot take (rather than let it crash)."""
    ceiling = _GRADE_CEILINGS.get(provider)
    if ceiling is None and provider not in _READ_TREC_FILES:
        return
    names = ", ".join(measure.name for measure in measures)
    for i, (docs, judgments) in enumerate(zip(run.values(), qrels.values())):
        top = max(judgments.values())
        if ceiling is not None and top > ceiling:
            raise HarnessError(f"{names}: {provider}, which computes it, accepts grades up to {ceiling}; query {query_ids[i]!r} has grade {top}")
        if provider in _READ_TREC_FILES:
            bad = next((doc for doc in itertools.chain(docs, judgments) if _NOT_ONE_FIELD.search(doc)), None)
            if bad is not None:
                raise HarnessError(f"{names}: {provider}, which computes it, reads TREC files; document id {bad!r} of query {query_ids[i]!r} is empty or holds whitespace")


def semantics_of(measures: Sequence[Measure], tie_break: str, missing_as_zero: bool, compat: str) -> dict[str, object]:
    semantics: dict[str, object] = {
        "compat": compat,
        "compat_note": COMPAT_NOTES[compat],
        "tie_break": tie_break,
        "tie_order": TIE_ORDERS[tie_break],
        "providers": "every provider sees that order as strictly decreasing synthetic scores, so none breaks ties or rounds scores itself",
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
        "versions": _versions("harness", "ir_measures", "pytrec_eval", "numpy"),
    }
    if any(m.definition is None for m in measures):
        semantics["rank_distance"] = RANK_DISTANCE_DEFINITION
    return semantics


def _versions(*modules: str) -> dict[str, str]:
    """The installed version of each module found, without importing it where it is not loaded yet:
    its ``__version__`` once imported, else the version its wheel's ``.dist-info`` folder is named
    with (importing ir-measures costs 40-55 ms, ``importlib.metadata`` 15-30 ms)."""
    import importlib
    import importlib.util
    import sys
    from pathlib import Path

    found = {}
    for module in modules:
        distribution = _DISTRIBUTIONS.get(module, module)
        if module not in sys.modules:
            spec = importlib.util.find_spec(module)
            if spec is None:
                continue
            prefix = distribution.replace("-", "_") + "-"
            folders = list(Path(spec.origin or "").parent.parent.glob(prefix + "*.dist-info")) if spec.origin else []
            if len(folders) == 1:
                found[distribution] = folders[0].name[len(prefix) : -len(".dist-info")]
                continue
        found[distribution] = importlib.import_module(module).__version__
    return found
