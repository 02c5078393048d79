"""Checks of submissions and run files that report every problem, one line each.

A submission folder is checked against the documented schema
(``harness/schemas/submission-meta.schema.json``) and against its own files: each pair's
per-query scores must exist, parse, have the recorded measures and query count, and average to
the recorded aggregates; a run, when present, must parse. Runs are not kept in git, so a missing
run is a note, not a problem.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.errors import HarnessError

SCHEMA_FILE = Path(__file__).parent / "schemas" / "submission-meta.schema.json"
AGGREGATE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Finding:
    """One line of a validation report: a ``problem`` (the submission is invalid) or a ``note``."""

    severity: str
    text: str

    def __str__(self) -> str:
        return self.text if self.severity == "problem" else f"note: {self.text}"


def validate_path(path: str | os.PathLike[str]) -> list[Finding]:
    """Findings for a submission folder or a run file (plain or .gz)."""
    target = Path(path)
    if target.is_dir():
        return validate_submission(target)
    if target.is_file():
        from harness.evaluation.trec import run_problems

        return [Finding("problem", str(problem)) for problem in run_problems(target)]
    raise HarnessError(f"{target}: no such file or folder (expected a submission folder or a run file)")


def meta_problems(meta: Any, meta_path: Path) -> list[str]:
    """Every way ``meta`` breaks the schema, as ``meta.json: where: what`` lines."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(_schema()).iter_errors(meta), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{meta_path}: {_where(error.absolute_path)}: {error.message}" for error in errors]


def validate_submission(root: Path) -> list[Finding]:
    """Findings for one submission folder."""
    meta_path = root / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [Finding("problem", f"{meta_path}: missing (a submission folder holds meta.json)")]
    except json.JSONDecodeError as error:
        return [Finding("problem", f"{meta_path}:{error.lineno}: not valid JSON ({error.msg})")]
    findings = [Finding("problem", line) for line in meta_problems(meta, meta_path)]
    if findings or not isinstance(meta, dict):
        return findings  # the file checks below rely on the structure the schema guarantees
    if meta["name"] != root.name:
        findings.append(Finding("problem", f"{meta_path}: name {meta['name']!r} is not the folder's name {root.name!r}"))
    for pair, record in sorted(meta["pairs"].items()):
        findings += _pair_findings(root, pair, record, meta.get("command") or "the submission's command")
    recorded = {Path(*pair.split("/")) for pair in meta["pairs"]}
    for folder in sorted((root / "pairs").glob("**/per-query.tsv")):
        relative = folder.parent.relative_to(root / "pairs")
        if relative not in recorded:
            findings.append(Finding("note", f"{folder.parent}: not recorded in meta.json (ignored)"))
    return findings


def _pair_findings(root: Path, pair: str, record: dict[str, Any], command: str) -> list[Finding]:
    from harness.datasets.pairs import PairId
    from harness.submissions import PER_QUERY_FILE, RUN_FILE, read_per_query

    where = f"{root / 'meta.json'}: pairs[{pair!r}]"
    pair_id = PairId.parse(pair)
    findings = []
    if pair_id.setting != record["setting"]:
        findings.append(Finding("problem", f"{where}.setting: {record['setting']!r}, but {pair} is a {pair_id.setting} pair"))
    folder = root / "pairs" / pair
    per_query_path = folder / PER_QUERY_FILE
    try:
        per_query = read_per_query(per_query_path)
    except FileNotFoundError:
        return findings + [Finding("problem", f"{per_query_path}: missing (per-query scores of {pair})")]
    except HarnessError as error:
        return findings + [Finding("problem", str(error))]
    if set(per_query) != set(record["measures"]):
        findings.append(
            Finding("problem", f"{per_query_path}:1: measures {sorted(per_query)} differ from meta.json's {sorted(record['measures'])}")
        )
    rows = len(next(iter(per_query.values()), {}))
    if rows != record["num_queries"]:
        findings.append(Finding("problem", f"{per_query_path}: {rows} queries, meta.json says num_queries {record['num_queries']}"))
    for measure, recorded in record["measures"].items():
        if measure in per_query and rows:
            found = _aggregate(measure, list(per_query[measure].values()))
            if found is not None and not math.isclose(found, recorded, rel_tol=AGGREGATE_TOLERANCE, abs_tol=AGGREGATE_TOLERANCE):
                findings.append(Finding("problem", f"{where}.measures.{measure}: {recorded!r}, but its per-query scores give {found!r}"))
    run_path = folder / RUN_FILE
    if not run_path.exists():
        findings.append(Finding("note", f"{run_path}: no run (runs are not kept in git; `{command}` writes it)"))
    else:
        findings += _run_findings(run_path)
    return findings


def _run_findings(path: Path) -> list[Finding]:
    from harness.evaluation.trec import read_run, run_problems

    try:
        read_run(path)  # the fast reader; only a file it refuses is read again line by line
    except HarnessError:
        return [Finding("problem", str(problem)) for problem in run_problems(path)]
    return []


def _aggregate(measure: str, values: list[float]) -> float | None:
    import numpy as np

    from harness.evaluation.measures import parse_measure

    try:
        return parse_measure(measure).aggregate(np.asarray(values, dtype=np.float64))
    except HarnessError:
        return None  # a measure this installation cannot parse: its aggregate cannot be recomputed


def _where(path) -> str:
    parts = "".join(f"[{p!r}]" if isinstance(p, str) and not p.isidentifier() else (f"[{p}]" if isinstance(p, int) else f".{p}") for p in path)
    return parts.lstrip(".") or "(top level)"


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
