"""Rank every requested pair with a model, evaluate it and store each pair as it finishes: :func:`harness.evaluate`.

The model is whatever :func:`harness.models.resolve.resolve_model` accepts: a registered
adapter's name (plugins' included), ``package.module:object``, or an object (a ``Ranker``, a
function, a sentence-transformers model, a PyTerrier transformer). A ranking made by code outside
the harness (a plugin's, a user's) is checked as a submitted run is: its queries must be the
pair's, and the share of its documents found in the pair's collection is reported and recorded
(a run with none of them is refused).
"""
from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from harness.errors import HarnessError, Interrupted
from harness.naming import api_command, comma_joined, default_name
from harness.output_paths import check_output_dir
from harness.pair_results import (
    check_outside_run,
    check_semantics,
    evaluate_task,
    holds_measures,
    note_training,
    pair_measures,
    pair_record,
)
from harness.paths import checked_data_dir
from harness.progress import progress as progress_bar
from harness.report.evaluation_report import Report


def evaluate_model(
    model: Any,
    dataset: str,
    *,
    pairs: str | Sequence[str] | None,
    setting: str | None,
    model_params: Mapping[str, Any] | None,
    dataset_options: Mapping[str, str] | None,
    measures: str | Sequence[str] | None,
    tie_break: str,
    compat: str,
    data_dir: str | os.PathLike[str] | None,
    name: str | None,
    submissions_dir: str | os.PathLike[str],
    force: bool,
    download: bool,
    progress: bool,
    command: str | None,
) -> Report:
    """:func:`harness.api.evaluate`'s work (see its docstring for the arguments)."""
    from harness.datasets import get_dataset, resolve_pairs
    from harness.datasets.options import check_stored, options_by_dataset
    from harness.evaluation.compat import normalize_compat
    from harness.models.resolve import resolve_model
    from harness.submissions import Submission

    pair_ids = resolve_pairs(dataset, comma_joined(pairs), setting)
    options = options_by_dataset([get_dataset(d) for d in dict.fromkeys(p.dataset for p in pair_ids)], dataset_options)
    root = checked_data_dir(data_dir)
    chosen = pair_measures(pair_ids, comma_joined(measures), lambda p: get_dataset(p.dataset).default_measures(p.setting))
    compat = normalize_compat(compat)  # an unknown mode is refused before anything is read or ranked
    resolved = resolve_model(model, model_params)
    ranker = resolved.ranker
    ranker.data_dir = root  # before describe(): an adapter may pin files of the data directory (translate-test's lexicons)
    check_output_dir(submissions_dir, "--submissions")
    if name is None and resolved.reference is None:
        raise HarnessError(
            f"model {resolved.label}: a model given as a Python object has no name the harness can give its submission; "
            "pass name='...' (a registered model or a package.module:object reference is named after itself)"
        )
    name = name or default_name(resolved.reference.replace(":", "."), {**(model_params or {}), **(dataset_options or {})})
    if command is None:  # an object given in memory has no command line: the call is recorded instead
        command = (
            api_command(resolved.reference, dataset, pairs, setting, model_params, dataset_options) if resolved.reference is not None
            else f"harness.evaluate({resolved.label}, {dataset!r}, pairs={comma_joined(pairs)!r}, name={name!r})"
        )
    submission = Submission.open_or_create(submissions_dir, name, resolved.system(), command)
    check_semantics(submission.meta, {"tie_break": tie_break, "compat": compat}, submission.root)
    report = Report([], submission)
    try:
        for pair in progress_bar(pair_ids, progress and len(pair_ids) > 1, "pairs", unit="pair"):
            check_stored(submission.meta, get_dataset(pair.dataset), options[pair.dataset], submission.root)
            if not force and submission.has_pair(pair) and holds_measures(submission, pair, chosen[pair]):
                report.skipped.append(str(pair))
                report.records.append(submission.pair_record(pair))
                continue
            task = get_dataset(pair.dataset).task(pair, root, download=download, options=options[pair.dataset])
            started = time.perf_counter()
            run = ranker.rank(task, depth=task.depth, progress=progress)
            ranked = time.perf_counter()
            notes = dict(task.notes)
            if resolved.external:  # ranked by code outside the harness: checked as a submitted run is
                checked, warning = check_outside_run(run, task, lambda query_id: resolved.label, resolved.label, force)
                report.warnings.extend([warning] if warning else [])
                notes.update(checked)
            evaluation = evaluate_task(run, task, chosen[pair], tie_break=tie_break, compat=compat)
            timings = {"rank_s": ranked - started, "evaluate_s": time.perf_counter() - ranked}
            record = pair_record(pair, evaluation, notes, timings, run.metadata)

            def annotate(meta: dict[str, Any], semantics=evaluation.semantics, metadata=run.metadata) -> None:
                meta.setdefault("evaluation_semantics", semantics)
                note_training(meta, metadata)

            submission.add_pair(pair, record, evaluation, run, annotate=annotate)
            report.records.append(record)
            report.evaluations[str(pair)] = evaluation
    except KeyboardInterrupt:
        raise Interrupted(len(report.evaluations), submission.root) from None
    return report
