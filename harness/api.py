"""The public verbs of the harness; the CLI is a thin wrapper over these, and notebooks call them directly."""
from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.progress import progress as progress_bar
from harness.submissions import PairRecord, Submission, check_name

DEFAULT_SUBMISSIONS_DIR = "submissions"


@dataclass
class Report:
    """What an evaluation produced: per-pair records (and the submission that stores them, if any)."""

    records: list[PairRecord]
    submission: Submission | None = None
    skipped: list[str] = field(default_factory=list)
    evaluations: dict[str, Any] = field(default_factory=dict)

    def to_frame(self):
        """A pandas DataFrame: pairs x measures, with macro averages per setting."""
        from harness.report.tables import results_frame

        return results_frame(self.records)

    def to_table(self) -> str:
        from harness.report.tables import render_table

        return render_table(self.records)

    def to_json(self) -> str:
        from harness.report.tables import render_json

        extra = {}
        if self.submission is not None:
            extra = {"submission": self.submission.name, "path": str(self.submission.root), "skipped": self.skipped}
        return render_json(self.records, extra)


def evaluate(
    model: str,
    dataset: str,
    *,
    pairs: str | Sequence[str] | None = None,
    setting: str | None = None,
    model_params: Mapping[str, Any] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    force: bool = False,
    download: bool = False,
    progress: bool = True,
    command: str | None = None,
) -> Report:
    """Rank and evaluate every requested pair of ``dataset`` with ``model`` and store a submission.

    Pairs already stored under the same name are skipped unless ``force``; each finished pair is
    saved at once, so an interrupted call loses at most the pair in progress. ``download`` lets
    loaders fetch missing official files (checksum-verified) into the data directory.
    """
    from harness.datasets import get_dataset, resolve_pairs
    from harness.models import get_model
    from harness.paths import data_dir as resolve_data_dir

    pair_ids = resolve_pairs(dataset, _comma(pairs), setting)
    ranker = get_model(model, **dict(model_params or {}))
    system = ranker.describe()
    submission = Submission.open_or_create(
        submissions_dir, name or _default_name(model, model_params), system, command or _api_command(model, dataset, pairs, setting)
    )
    root = resolve_data_dir(data_dir)
    ranker.data_dir = root
    report = Report([], submission)
    for pair in progress_bar(pair_ids, progress and len(pair_ids) > 1, "pairs", unit="pair"):
        if submission.has_pair(pair) and not force:
            report.skipped.append(str(pair))
            report.records.append(submission.pair_record(pair))
            continue
        task = get_dataset(pair.dataset).load(pair, root, download=download)
        started = time.perf_counter()
        run = ranker.rank(task, depth=task.depth, progress=progress)
        ranked = time.perf_counter()
        evaluation = _evaluate_task(run, task)
        timings = {"rank_s": ranked - started, "evaluate_s": time.perf_counter() - ranked}
        record = _record(pair, evaluation, task.notes, timings, run.metadata)
        submission.meta.setdefault("evaluation_semantics", evaluation.semantics)
        _note_training(submission.meta, run.metadata)
        submission.add_pair(pair, record, evaluation, run)
        report.records.append(record)
        report.evaluations[str(pair)] = evaluation
    return report


def evaluate_run(
    run: str | os.PathLike[str],
    *,
    qrels: str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    measures: str | Sequence[str] | None = None,
    tie_break: str = "trec_eval",
    data_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    submissions_dir: str | os.PathLike[str] | None = None,
    download: bool = False,
    command: str | None = None,
    system_fields: Mapping[str, Any] | None = None,
):
    """Evaluate a TREC run file against a qrels file, or against one registered pair (``ID/Q-D``).

    Against a qrels file the result is an :class:`~harness.evaluation.Evaluation`. Against a
    registered pair it is a :class:`Report`, and with ``name`` the run is stored as a submission.
    """
    from harness.evaluation import evaluate as score, parse_measures, read_qrels, read_run

    if (qrels is None) == (dataset is None):
        raise HarnessError("give exactly one of --qrels FILE or --dataset ID/Q-D to evaluate a run against")
    parsed_run = read_run(run)
    if qrels is not None:
        judgments = read_qrels(qrels)
        return score(parsed_run, judgments, parse_measures(_comma(measures) or "AP,nDCG@10,P@10,RR,R@100"), tie_break=tie_break)

    from harness.datasets import get_dataset
    from harness.paths import data_dir as resolve_data_dir

    pair = PairId.parse(dataset)
    task = get_dataset(pair.dataset).load(pair, resolve_data_dir(data_dir), download=download)
    _check_run_queries(parsed_run, task, run)
    started = time.perf_counter()
    evaluation = _evaluate_task(parsed_run, task, measures=_comma(measures), tie_break=tie_break)
    record = _record(pair, evaluation, task.notes, {"evaluate_s": time.perf_counter() - started})
    report = Report([record], evaluations={str(pair): evaluation})
    if name is not None:
        # one system may submit a run file per pair: the file name is the pair's, not the system's identity
        system = {"model": "external-run", "tie_break": tie_break, **dict(system_fields or {})}
        submission = Submission.open_or_create(
            submissions_dir or DEFAULT_SUBMISSIONS_DIR, name, system, command or f"harness eval --run {run} --dataset {dataset} --name {name}"
        )
        record.details["run_file"] = Path(run).name
        submission.meta.setdefault("evaluation_semantics", evaluation.semantics)
        submission.add_pair(pair, record, evaluation, parsed_run)
        report.submission = submission
    return report


def compare(
    submissions: Sequence[str | os.PathLike[str] | Submission],
    *,
    baseline: str | None = None,
    dataset: str | Sequence[str] | None = None,
    measures: str | Sequence[str] | None = None,
    test: str = "randomization",
    correction: str = "holm",
    alpha: float = 0.05,
    family: str | Sequence[str] = ("systems", "pairs", "measures"),
    resamples: int = 10_000,
    seed: int = 0,
    confidence: float = 0.95,
    margin: float | None = None,
    average_test: str = "pair-means",
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    progress: bool = False,
):
    """Compare stored submissions with paired significance tests; returns a :class:`~harness.stats.Comparison`.

    Each submission is a name under ``submissions_dir`` or a path to a submission folder. With
    ``baseline`` every other system is tested against it; without, every unordered pair once.
    ``dataset`` keeps the pairs of these dataset ids or exact pair ids. The result renders with
    ``to_markdown()``, ``to_latex()``, ``to_html()``, ``to_csv()``, ``to_json()``, ``to_frame()``
    and ``pair_matrix(system, measure, other)``.
    """
    from harness.stats import compare_submissions

    loaded = [item if isinstance(item, Submission) else load_submission(item, submissions_dir) for item in submissions]
    return compare_submissions(
        loaded,
        baseline=baseline,
        datasets=_comma(dataset).split(",") if dataset else None,
        measures=_comma(measures).split(",") if measures else None,
        test=test,
        correction=correction,
        alpha=alpha,
        family=_comma(family).split(","),
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        margin=margin,
        average_test=average_test,
        progress=progress,
    )


def load_submission(name_or_path: str | os.PathLike[str], submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR) -> Submission:
    """A submission by name (a folder of ``submissions_dir``) or by path to its folder."""
    from harness.errors import did_you_mean

    path = Path(name_or_path)
    if (path / "meta.json").is_file():
        return Submission.load(path)
    candidate = Path(submissions_dir) / str(name_or_path)
    if (candidate / "meta.json").is_file():
        return Submission.load(candidate)
    known = sorted(p.parent.name for p in Path(submissions_dir).glob("*/meta.json"))
    listing = f"; known in {submissions_dir}: {', '.join(known)}" if known else f"; {submissions_dir} holds none"
    raise HarnessError(f"unknown submission {str(name_or_path)!r}: no folder with meta.json at {path} or {candidate}{did_you_mean(str(name_or_path), known)}{listing}")


def submit(
    run: str | os.PathLike[str],
    *,
    dataset: str,
    name: str,
    meta: Mapping[str, Any] | None = None,
    measures: str | Sequence[str] | None = None,
    tie_break: str = "trec_eval",
    data_dir: str | os.PathLike[str] | None = None,
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    download: bool = False,
    command: str | None = None,
) -> Report:
    """Store an external run for one registered pair as (part of) submission ``name``.

    ``meta`` adds documented fields (``description``, ``authors``, ``url``, ``paper``,
    ``training.languages``, ``training.data``; dotted keys nest) and ``system.*`` fields that
    identify the system. They are checked against the schema before anything is evaluated.
    """
    from harness.validation import meta_problems

    fields = _nested(meta or {})
    system_fields = fields.pop("system", {})
    unknown = sorted(set(fields) - SUBMIT_FIELDS)
    if unknown:
        raise HarnessError(f"--meta {unknown[0]}: not a submission field (expected one of {', '.join(sorted(SUBMIT_FIELDS))}, or system.KEY)")
    check_name(name)
    probe = {"format_version": 1, "name": name, "system": {"model": "external-run", **system_fields}, "pairs": {}, **fields}
    problems = meta_problems(probe, Path("--meta"))
    if problems:
        raise HarnessError(problems[0])
    report = evaluate_run(
        run, dataset=dataset, measures=measures, tie_break=tie_break, data_dir=data_dir, name=name,
        submissions_dir=submissions_dir, download=download, command=command, system_fields=system_fields,
    )
    report.submission.meta.update(fields)
    report.submission.save()
    return report


def validate(path: str | os.PathLike[str]) -> list[Any]:
    """Every problem (and note) of a submission folder or a run file: :class:`~harness.validation.Finding` s."""
    from harness.validation import validate_path

    return validate_path(path)


def codeswitch(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str],
    *,
    method: str,
    lexicons: Sequence[str | os.PathLike[str]],
    p: float = 0.5,
    seed: int = 0,
    policy: str = "first",
    query_lang: str | None = None,
    doc_lang: str | None = None,
):
    """Write a code-switched copy of a training file (``query<TAB>positive[<TAB>negative...]``).

    ``lexicons`` are paths, or ``LANG=PATH``: MUSE dictionaries named ``en-LANG.txt[.gz]`` for
    ``bl-cs``/``ml-cs``, parallel-title files for ``wiki-cs``. Returns a
    :class:`~harness.codeswitch.training_file.SwitchReport` (shares of words switched per side).
    """
    from harness.codeswitch.training_file import switch_file
    from harness.lexicons.english_lexicons import read_english_lexicons

    loaded = read_english_lexicons(lexicons, "titles" if method == "wiki-cs" else "muse")
    return switch_file(
        source, target, method, loaded, p=p, seed=seed, policy=policy, query_lang=query_lang, doc_lang=doc_lang
    )


def leaderboard(
    out_dir: str | os.PathLike[str] = "leaderboards",
    *,
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    baseline: str | None = "bm25",
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
    heatmap_png: bool = False,
    progress: bool = False,
):
    """Write the static leaderboard site of every submission under ``submissions_dir`` to ``out_dir``.

    Returns a :class:`~harness.report.leaderboard.LeaderboardSite` (pages written, tests run,
    timings); open ``site.index`` in a browser. ``baseline`` (default ``bm25`` where present)
    gets the ▲/▼ marks; ``None`` shows rank intervals only.
    """
    from harness.report.leaderboard import build_leaderboard

    return build_leaderboard(
        submissions_dir, out_dir, baseline=baseline, correction=correction, alpha=alpha, confidence=confidence,
        heatmap_png=heatmap_png, progress=progress,
    )


SUBMIT_FIELDS = {"description", "authors", "url", "paper", "training"}


def _nested(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"training.languages": [...]}`` -> ``{"training": {"languages": [...]}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        target = out
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise HarnessError(f"--meta {key}: {parent!r} is already a value, not a group")
        target[leaf] = value
    return out


def list_datasets() -> list[dict[str, Any]]:
    """One dict per registered dataset: id, languages, settings, default measures, sizes, expected location."""
    from harness.datasets import all_datasets
    from harness.paths import data_dir

    root = data_dir()
    return [
        {
            "id": ds.id,
            "title": ds.title,
            "languages": list(ds.languages),
            "settings": list(ds.settings),
            "default_measures": {s: list(ds.default_measures(s)) for s in ds.settings},
            "pairs": len(ds.standard_pairs()),
            "sizes": ds.sizes,
            "expected_location": ds.expected_location(root),
        }
        for ds in all_datasets()
    ]


def list_models() -> list[dict[str, Any]]:
    """One dict per registered model adapter: name, description, parameters with defaults."""
    from harness.models import all_models

    return all_models()


def _evaluate_task(run, task, measures: str | None = None, tie_break: str = "trec_eval"):
    from harness.evaluation import evaluate as score, parse_measures

    chosen = parse_measures(measures or ",".join(task.measures))
    pool = [doc.doc_id for doc in task.documents] if any(m.needs_pool for m in chosen) else None
    return score(run, task.qrels, chosen, tie_break=tie_break, pool=pool)


def _record(
    pair: PairId, evaluation, notes: Mapping[str, Any], timings: dict[str, float], run_metadata: Mapping[str, Any] | None = None
) -> PairRecord:
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


def _check_run_queries(run, task, path) -> None:
    """A run for a registered pair must only hold that pair's queries: anything else is a wrong file."""
    import numpy as np

    from harness.evaluation.trec import first_line_of_query

    known = {query.query_id for query in task.queries}
    unknown = set(np.unique(run.query_ids).tolist()) - known
    if unknown:
        first = run.query_ids[int(np.flatnonzero(np.isin(run.query_ids, list(unknown)))[0])]
        example = min(known) if known else ""
        raise HarnessError(
            f"{path}:{first_line_of_query(path, first)}: query id {first!r} is not a query of {task.pair} "
            f"(expected ids like {example!r}; {len(unknown)} unknown query ids in all)"
        )


def _note_training(meta: dict[str, Any], run_metadata: Mapping[str, Any]) -> None:
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


def _default_name(model: str, params: Mapping[str, Any] | None) -> str:
    """``model-key1value1-...``, each value cut to a safe path component (a backbone to its last part)."""
    parts = [model]
    for key, value in sorted((params or {}).items()):
        text = Path(str(value).rstrip("/")).name if key == "backbone" else str(value)
        parts.append(key + re.sub(r"[^A-Za-z0-9._+]+", "_", text))
    name = "-".join(parts)
    if len(name) > 128:
        name = name[:111] + "-" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return name


def _api_command(model: str, dataset: str, pairs, setting) -> str:
    parts = ["harness", "eval", "--model", model, "--dataset", dataset]
    if pairs:
        parts += ["--pairs", ",".join(_comma(pairs).split(","))]
    if setting:
        parts += ["--setting", setting]
    return " ".join(parts)


def _comma(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)
