"""The public verbs of the harness; the CLI is a thin wrapper over these, and notebooks call them directly."""
from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.meta_fields import SUBMIT_FIELDS, nested_meta
from harness.naming import comma_joined
from harness.output_paths import check_output_dir, check_output_file
from harness.pair_results import check_outside_run, check_semantics, evaluate_task, pair_measures, pair_record
from harness.paths import checked_data_dir
from harness.report.evaluation_report import Report
from harness.report.listings import datasets_text, model_text, models_text, trec_eval_text  # noqa: F401 (the CLI prints with these)

if TYPE_CHECKING:
    from harness.evaluation.run_inputs import RunLike
    from harness.submissions import Submission

DEFAULT_SUBMISSIONS_DIR = "submissions"
# Each verb imports what it uses (evaluator, datasets, models, store, statistics) when it runs, so that a
# command loads only its own; public verbs implemented elsewhere are imported on first use.
_ELSEWHERE = {"codeswitch": "harness.codeswitch.command", "export_pair": "harness.pair_export", "register_with_ir_datasets": "harness.datasets.irds_registration"}


def __getattr__(name: str) -> Any:
    if name in _ELSEWHERE:
        import importlib

        return getattr(importlib.import_module(_ELSEWHERE[name]), name)
    raise AttributeError(f"module 'harness.api' has no attribute {name!r}")


def evaluate(
    model: Any,
    dataset: str,
    *,
    pairs: str | Sequence[str] | None = None,
    setting: str | None = None,
    model_params: Mapping[str, Any] | None = None,
    dataset_options: Mapping[str, str] | None = None,
    measures: str | Sequence[str] | None = None,
    tie_break: str = "trec_eval",
    compat: str = "trec_eval-10.0",
    data_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    force: bool = False,
    download: bool = False,
    progress: bool = True,
    command: str | None = None,
) -> Report:
    """Rank and evaluate every requested pair of ``dataset`` with ``model`` and store a submission.

    ``model`` is a registered adapter's name (``list_models()``, plugins' included),
    ``"package.module:object"``, or an object: a ``Ranker``, a function ``(queries, documents) ->
    {query_id: {doc_id: score}}`` (lists of ``Query``/``Document`` records, each with its ``lang``),
    a loaded sentence-transformers model or a PyTerrier transformer (:mod:`harness.models.resolve`);
    ``model_params`` are its parameters. An object given in memory needs ``name``.

    ``measures`` replaces the dataset's default measures (the submission then holds those);
    ``tie_break`` and ``compat`` choose the evaluation semantics (see :func:`evaluate_run`).
    Pairs already stored under the same name with these measures are skipped unless ``force``;
    each finished pair is saved at once (merged under the submission's lock, so concurrent
    writers lose nothing), so an interrupted call loses at most the pair in progress and raises
    :class:`~harness.errors.Interrupted` saying how many it kept. ``download`` lets loaders
    fetch missing official files (checksum-verified) into the data directory. ``dataset_options``
    (``{"candidate_text": "sentence+context"}``, see ``list_datasets``) choose how pairs are built:
    pairs record them, the default name includes them, and a submission holds one choice each.
    """
    from harness.model_evaluation import evaluate_model

    return evaluate_model(
        model, dataset, pairs=pairs, setting=setting, model_params=model_params, dataset_options=dataset_options, measures=measures,
        tie_break=tie_break, compat=compat, data_dir=data_dir, name=name, submissions_dir=submissions_dir, force=force, download=download,
        progress=progress, command=command,
    )


def evaluate_run(
    run: RunLike,
    *,
    qrels: str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    measures: str | Sequence[str] | None = None,
    tie_break: str = "trec_eval",
    compat: str = "trec_eval-10.0",
    data_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    submissions_dir: str | os.PathLike[str] | None = None,
    force: bool = False,
    download: bool = False,
    command: str | None = None,
    system_fields: Mapping[str, Any] | None = None,
):
    """Evaluate a run against a qrels file, or against one registered pair (``ID/Q-D``).

    ``run`` is a TREC run file's path, a pandas DataFrame with ir-measures' columns ``query_id,
    doc_id, score`` or PyTerrier's ``qid, docno, score`` (a ``rank`` column serves
    ``tie_break="rank"``; other columns are ignored), or a dict ``{query_id: {doc_id: score}}``;
    each is checked as a file is and scores as the equivalent file (integer ids are spelled in
    decimal; see :mod:`harness.evaluation.run_inputs`).

    Against a qrels file the result is an :class:`~harness.evaluation.Evaluation`, a file read
    and scored by blocks of whole queries (any size in bounded memory). Against a
    registered pair it is a :class:`Report`, and with ``name`` the run is stored as a submission
    (a pair it already holds is replaced only with ``force``), which records the run's file name
    (``run_file``) or ``run_source`` (``DataFrame``, ``dict``). Extra columns after the sixth of a file are
    ignored, as trec_eval does. ``compat="trec_eval-9.0.8"`` reproduces trec_eval 9.0.8 and
    pytrec_eval (float32 scores, their IPrec cut-off) instead of trec_eval 10.0. Against a pair,
    the share of the run's documents found in the pair's collection is reported; at 0% (a run of
    another pair) the run is refused unless ``force``.
    """
    from harness.evaluation import evaluate, evaluate_run_file, normalize_compat, parse_measures, read_qrels
    from harness.evaluation.run_inputs import read_run_input, run_kind

    if (qrels is None) == (dataset is None):
        raise HarnessError("give exactly one of --qrels FILE or --dataset ID/Q-D to evaluate a run against")
    kind = run_kind(run)  # a run of no accepted shape is refused before anything is read
    compat = normalize_compat(compat)  # an unknown mode is refused before anything is read or ranked
    if qrels is not None:
        parsed = parse_measures(comma_joined(measures) or "AP,nDCG@10,P@10,RR,R@100")
        if any(m.needs_pool for m in parsed):
            raise HarnessError("RankDistance needs the multilingual pool of a registered MLIR pair: evaluate against --dataset ID/X-xx")
        if isinstance(run, (str, os.PathLike)):  # a file: any size, in bounded memory
            # the qrels file is read while the run's first block is parsed
            return evaluate_run_file(run, qrels, parsed, tie_break=tie_break, compat=compat, allow_extra_columns=True)
        return evaluate(read_run_input(run, tie_break=tie_break).run, read_qrels(qrels), parsed, tie_break=tie_break, compat=compat)
    assert dataset is not None  # exactly one of qrels and dataset, checked above

    from harness.datasets import get_dataset, resolve_pairs
    from harness.datasets.irds_any import names_irds
    from harness.submissions import Submission

    resolved = resolve_pairs(dataset)
    # a registered dataset's bare id means all its pairs; an ir_datasets id (irds:ID or irds/ID) is one pair
    if len(resolved) != 1 or (resolved[0].dataset == dataset and not names_irds(dataset)):
        raise HarnessError(f"--dataset {dataset}: a run answers one pair; give ID/Q-D, e.g. xquad-r/de-en")
    pair = resolved[0]
    chosen = pair_measures([pair], comma_joined(measures), lambda p: get_dataset(p.dataset).default_measures(p.setting))[pair]
    submission = None
    if name is not None:
        # one system may submit a run file per pair: the file name is the pair's, not the system's identity
        system = {"model": "external-run", "tie_break": tie_break, **dict(system_fields or {})}
        check_output_dir(submissions_dir or DEFAULT_SUBMISSIONS_DIR, "--submissions")
        # an in-memory run has no command line: the call that stores it again is recorded instead
        default = f"harness eval --run {run} --dataset {dataset} --name {name}" if kind == "file" else f"harness.submit(<{kind}>, dataset={dataset!r}, name={name!r})"
        submission = Submission.open_or_create(Path(submissions_dir or DEFAULT_SUBMISSIONS_DIR), name, system, command or default)
        check_semantics(submission.meta, {"tie_break": tie_break, "compat": compat}, submission.root)
        if not force:
            submission.refuse_stored(pair)  # before the run is read; add_pair checks again under the lock
    given = read_run_input(run, tie_break=tie_break)
    parsed_run = given.run
    task = get_dataset(pair.dataset).load(pair, checked_data_dir(data_dir), download=download)
    checked, warning = check_outside_run(parsed_run, task, given.where, given.label, force)
    started = time.perf_counter()
    evaluation = evaluate_task(parsed_run, task, chosen, tie_break=tie_break, compat=compat)
    notes = {**task.notes, **checked}
    record = pair_record(pair, evaluation, notes, {"evaluate_s": time.perf_counter() - started})
    report = Report([record], evaluations={str(pair): evaluation}, warnings=[warning] if warning else [])
    if submission is not None:
        record.details.update(given.record_fields())
        submission.add_pair(
            pair, record, evaluation, parsed_run, replace=force,
            annotate=lambda meta: meta.setdefault("evaluation_semantics", evaluation.semantics),
        )
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
    common_pairs: bool = False,
    display_names: str | os.PathLike[str] | Mapping[str, str] | None = None,
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    data_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
):
    """Compare stored submissions with paired significance tests; returns a
    :class:`~harness.report.comparison_report.ComparisonReport` (a :class:`~harness.stats.Comparison` and its tables).

    Each submission is a name under ``submissions_dir`` or a path to a submission folder, and
    must pass :func:`validate`'s checks (an invalid one is refused with its reasons). With
    ``baseline`` every other system is tested against it; without, every unordered pair once.
    ``dataset`` keeps the pairs of these dataset ids or exact pair ids. Every pair any system holds
    is a column (empty where a system does not hold it); ``common_pairs`` keeps only the pairs all
    hold. ``display_names`` (``"a=Name A,b=Name B"``, a mapping, or a TSV file of SYSTEM<TAB>NAME
    lines) renames systems in every format. The result renders with ``to_markdown()``,
    ``to_latex(caption=, label=, siunitx=)``, ``to_html()``, ``to_csv()``, ``to_json()``,
    ``to_frame()`` and ``pair_matrix(system, measure, other)``.
    """
    from dataclasses import replace

    from harness.report.comparison_report import ComparisonReport
    from harness.report.display_names import check_display_names, parse_display_names
    from harness.stats import compare_submissions
    from harness.submissions import Submission

    shown = parse_display_names(display_names) if display_names is not None else {}
    data_dir = checked_data_dir(data_dir)
    loaded = [item if isinstance(item, Submission) else load_submission(item, submissions_dir, data_dir=data_dir) for item in submissions]
    check_display_names(shown, [s.name for s in loaded])
    comparison = compare_submissions(
        loaded,
        baseline=baseline,
        datasets=comma_joined(dataset).split(",") if dataset else None,
        measures=comma_joined(measures).split(",") if measures else None,
        test=test,
        correction=correction,
        alpha=alpha,
        family=comma_joined(family).split(","),
        resamples=resamples,
        seed=seed,
        confidence=confidence,
        margin=margin,
        average_test=average_test,
        common_pairs=common_pairs,
        progress=progress,
    )
    return ComparisonReport(replace(comparison, display_names=shown))


def load_submission(
    name_or_path: str | os.PathLike[str],
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    *,
    data_dir: str | os.PathLike[str] | None = None,
) -> Submission:
    """A valid submission by name (a folder of ``submissions_dir``) or by path to its folder;
    one that fails the gate (:func:`validate`) raises with its reasons."""
    from harness.errors import did_you_mean
    from harness.validation import check_submission

    path = Path(name_or_path)
    candidate = Path(submissions_dir) / str(name_or_path)
    folder = path if (path / "meta.json").exists() else candidate if (candidate / "meta.json").exists() else None
    if folder is None:
        known = sorted(p.parent.name for p in Path(submissions_dir).glob("*/meta.json"))
        listing = f"; known in {submissions_dir}: {', '.join(known)}" if known else f"; {submissions_dir} holds none"
        raise HarnessError(f"unknown submission {str(name_or_path)!r}: no folder with meta.json at {path} or {candidate}{did_you_mean(str(name_or_path), known)}{listing}")
    check = check_submission(folder, data_dir=data_dir)
    if not check.valid:
        raise HarnessError(f"{folder}: not a valid submission: {check.reasons()}")
    return check.submission


def submit(
    run: RunLike,
    *,
    dataset: str,
    name: str,
    meta: Mapping[str, Any] | None = None,
    measures: str | Sequence[str] | None = None,
    tie_break: str = "trec_eval",
    compat: str = "trec_eval-10.0",
    data_dir: str | os.PathLike[str] | None = None,
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    force: bool = False,
    download: bool = False,
    command: str | None = None,
) -> Report:
    """Store an external run for one registered pair as (part of) submission ``name``.

    ``run`` is a TREC run file's path, a pandas DataFrame or a dict ``{query_id: {doc_id: score}}``
    (the shapes :func:`evaluate_run` takes).
    ``meta`` adds documented fields (``description``, ``authors``, ``url``, ``paper``,
    ``training.languages``, ``training.data``; dotted keys nest) and ``system.*`` fields that
    identify the system. They are checked against the schema before anything is evaluated. A
    pair the submission already holds is replaced only with ``force`` (which also accepts a run
    none of whose documents is in the pair's collection).
    """
    from harness.submissions import check_name
    from harness.validation import meta_problems

    fields = nested_meta(meta or {})
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
        run, dataset=dataset, measures=measures, tie_break=tie_break, compat=compat, data_dir=data_dir, name=name,
        submissions_dir=submissions_dir, force=force, download=download, command=command, system_fields=system_fields,
    )
    if fields:
        report.submission.update_meta(fields)
    return report


def validate(path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None) -> list[Any]:
    """Every problem (and note) of a submission folder or a run file: :class:`~harness.validation.Finding` s.

    A submission's query ids are checked against its pairs' datasets when their data is found
    under ``data_dir`` (default: the usual data directory)."""
    from harness.validation import validate_path

    return validate_path(path, data_dir=checked_data_dir(data_dir))


def leaderboard(
    out_dir: str | os.PathLike[str] = "leaderboards",
    *,
    submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
    baseline: str | None = "bm25",
    correction: str = "holm",
    alpha: float = 0.05,
    confidence: float = 0.95,
    heatmap_png: bool = False,
    data_dir: str | os.PathLike[str] | None = None,
    progress: bool = False,
):
    """Write the static leaderboard site of every submission under ``submissions_dir`` to ``out_dir``.

    Returns a :class:`~harness.report.leaderboard.LeaderboardSite` (pages written, tests run,
    timings, notes); open ``site.index`` in a browser. ``baseline`` (default ``bm25`` where present)
    gets the ▲/▼ marks; ``None`` shows rank intervals only. Every submission passes
    :func:`validate`'s checks (query ids against the data under ``data_dir`` where found); an
    invalid one is left out, with its reasons in the notes and on the index page.
    """
    from harness.report.leaderboard import build_leaderboard

    return build_leaderboard(
        submissions_dir, out_dir, baseline=baseline, correction=correction, alpha=alpha, confidence=confidence,
        heatmap_png=heatmap_png, data_dir=checked_data_dir(data_dir), progress=progress,
    )


def list_datasets(data_dir: str | os.PathLike[str] | None = None) -> list[dict[str, Any]]:
    """One dict per registered dataset: id, languages, settings, default measures, sizes, options and
    where its files are expected under ``data_dir`` (default: $HARNESS_DATA_DIR, else ./data)."""
    from harness.datasets import all_datasets

    root = checked_data_dir(data_dir)
    return [dataset.describe(root) for dataset in all_datasets()]


def model_spec(name: str) -> dict[str, Any]:
    """One registered adapter: name, description, every parameter with type, default and meaning."""
    from harness.models import get_spec

    return get_spec(name).as_dict()


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a rendered table atomically (a trailing newline added where missing)."""
    from harness.atomic import atomic_write_text

    atomic_write_text(check_output_file(path), text if text.endswith("\n") else text + "\n")


def list_models() -> list[dict[str, Any]]:
    """One dict per registered model adapter: name, description, parameters with defaults."""
    from harness.models import all_models

    return all_models()


def reproduce(name: str | os.PathLike[str], *, pairs: str | Sequence[str] | None = None, submissions_dir: str | os.PathLike[str] = DEFAULT_SUBMISSIONS_DIR,
              data_dir: str | os.PathLike[str] | None = None, tolerance: float = 5e-4, scratch: str | os.PathLike[str] | None = None,
              fresh_cache: bool = False, strict: bool = False, progress: bool = False):
    """Re-run the commands behind submission ``name``'s stored pairs into a scratch store and check every stored
    measure: OK (identical), OKish (within ``tolerance``), FAIL; a :class:`~harness.reproduction.Reproduction` (:mod:`harness.rerun_commands`)."""
    from harness.rerun_commands import reproduce_submission

    return reproduce_submission(load_submission(name, submissions_dir), pairs=pairs, data_dir=data_dir, tolerance=tolerance, scratch=scratch,
                                fresh_cache=fresh_cache, strict=strict, progress=progress)
