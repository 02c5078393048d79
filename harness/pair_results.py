"""From a ranked pair to a stored result: the measures a pair allows, the checks a run must pass
against the pair it claims to answer, the evaluation, and the record a submission keeps."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

# Every command imports this module (through harness.api): numpy, the evaluator, the datasets and the
# store are imported where they are used, so that `harness datasets` loads none of them and
# `eval --run --qrels` only the evaluator.
if TYPE_CHECKING:
    from harness.datasets.pairs import PairId
    from harness.submissions import PairRecord


def pair_measures(pairs: Sequence[PairId], measures: str | None, default_for) -> dict[PairId, tuple[str, ...]]:
    """The measures of each pair: ``measures`` (checked once, up front) or ``default_for(pair)``.

    RankDistance is a property of a multilingual pool: asked for on another pair, it is refused.
    """
    from harness.evaluation.measures import RANK_DISTANCE, parse_measures

    chosen = {}
    for pair in pairs:
        names = measures or ",".join(default_for(pair))
        parsed = parse_measures(names)
        if pair.setting != "mlir" and any(m.name == RANK_DISTANCE for m in parsed):
            raise HarnessError(f"{RANK_DISTANCE} measures language bias in a multilingual pool: {pair} is a {pair.setting} pair (use an X-xx pair)")
        chosen[pair] = tuple(m.name for m in parsed)
    return chosen


def evaluate_task(run, task, measures: Sequence[str], *, tie_break: str = "trec_eval", compat: str):
    """Evaluate ``run`` on ``task`` (the collection's ids go to measures that need the whole pool)."""
    from harness.evaluation import evaluate as score
    from harness.evaluation import parse_measures

    chosen = parse_measures(measures)
    pool = [doc.doc_id for doc in task.documents] if any(m.needs_pool for m in chosen) else None
    return score(run, task.qrels, chosen, tie_break=tie_break, pool=pool, compat=compat)


def pair_record(
    pair: PairId, evaluation, notes: Mapping[str, Any], timings: dict[str, float], run_metadata: Mapping[str, Any] | None = None
) -> PairRecord:
    """What a submission keeps for one evaluated pair."""
    from harness.submissions import PairRecord

    return PairRecord(
        pair=str(pair),
        setting=pair.setting,
        measures=dict(evaluation.aggregate),
        num_queries=evaluation.num_queries,
        timings={k: round(v, 3) for k, v in timings.items()},
        details={
            "notes": dict(notes),
            "ties": evaluation.ties,
            "unjudged_run_queries": len(evaluation.unjudged_run_queries),
            "missing_run_queries": len(evaluation.missing_run_queries),
            **({"run": dict(run_metadata)} if run_metadata else {}),
        },
    )


def check_run_queries(run, task, where: Callable[[str], str]) -> None:
    """A run for a registered pair must only hold that pair's queries: anything else is a wrong file.
    ``where(query_id)`` starts the message with where the query first appears (``file:line``)."""
    import numpy as np

    known = {query.query_id for query in task.queries}
    unknown = set(np.unique(run.query_ids).tolist()) - known
    if unknown:
        first = run.query_ids[int(np.flatnonzero(np.isin(run.query_ids, list(unknown)))[0])]
        example = min(known) if known else ""
        raise HarnessError(
            f"{where(first)}: query id {first!r} is not a query of {task.pair} "
            f"(expected ids like {example!r}; {len(unknown)} unknown query ids in all)"
        )


def document_share(run, task) -> float | None:
    """The share of the run's distinct document ids that the pair's collection holds; None when the
    collection cannot be read here (e.g. a corpus that is not available offline)."""
    import numpy as np

    doc_ids = np.unique(np.asarray(run.doc_ids, dtype=object)).tolist()
    if not doc_ids:
        return None
    try:
        found = task.documents.get_many(doc_ids)
    except (HarnessError, OSError):
        return None
    return len(found) / len(doc_ids)


def check_document_share(share: float | None, pair: PairId, path, force: bool) -> str | None:
    """A warning below 100% of the run's documents in the collection; an error at 0% unless ``force``."""
    if share is None or share >= 1.0:
        return None
    if share == 0.0 and not force:
        raise HarnessError(
            f"{path}: none of the run's document ids is in {pair}'s collection: a run for another pair? (--force evaluates it anyway)"
        )
    return f"{path}: {share:.1%} of the run's document ids are in {pair}'s collection; the others count as non-relevant"


def check_outside_run(run, task, where: Callable[[str], str], label: str, force: bool) -> tuple[dict[str, Any], str | None]:
    """Check a run the harness did not rank (a file, a frame, a plugin's or a user's ranking) against its pair:
    its queries must be the pair's, and the share of its documents in the collection is noted (none: refused
    unless ``force``). Returns the notes to add to the pair's record and the warning, if any."""
    check_run_queries(run, task, where)
    share = document_share(run, task)
    warning = check_document_share(share, task.pair, label, force)
    return {"documents_in_collection": share if share is not None else "not checked (collection not readable here)"}, warning


def note_training(meta: dict[str, Any], run_metadata: Mapping[str, Any]) -> None:
    """Unite the languages a trained model saw into the submission's ``training`` record, so the
    leaderboard can flag zero-shot languages (per-pair details stay in each pair's run metadata)."""
    seen = run_metadata.get("training_languages")
    if not isinstance(seen, list):
        return
    training = meta.setdefault("training", {})
    training["languages"] = sorted(set(training.get("languages", [])) | set(seen))
    data = run_metadata.get("training_data")
    if isinstance(data, Mapping) and data.get("source"):
        sources = set(filter(None, training.get("data", "").split("; "))) | {str(data["source"])}
        training["data"] = "; ".join(sorted(sources))[:500]


def check_semantics(meta: Mapping[str, Any], semantics: Mapping[str, Any], where) -> None:
    """One submission, one evaluation semantics: a tie order or compatibility mode other than the
    stored pairs' would make its numbers incomparable with each other."""
    from harness.evaluation.compat import DEFAULT_COMPAT

    stored = meta.get("evaluation_semantics")
    if not isinstance(stored, Mapping) or not meta.get("pairs"):
        return
    defaults = {"tie_break": "trec_eval", "compat": DEFAULT_COMPAT}
    for key in ("tie_break", "compat"):
        if key in semantics and stored.get(key, defaults.get(key)) != semantics[key]:
            raise HarnessError(
                f"{where}: its pairs were evaluated with {key}={stored.get(key, defaults.get(key))}, not {semantics[key]}; "
                "choose another --name"
            )


def holds_measures(submission, pair: PairId, measures: Sequence[str]) -> bool:
    """Whether the stored pair already has every requested measure (then it is not redone)."""
    return set(measures) <= set(submission.meta["pairs"][str(pair)].get("measures", {}))
