"""The one gate every submission passes before anything reads its numbers.

``validate``, ``compare`` and the leaderboard all call :func:`check_submission`, which checks
everything any of them reads: ``meta.json`` against the documented schema
(``harness/schemas/submission-meta.schema.json``) with no NaN or Infinity; the folder's name;
each pair's dataset and pair registered, its measures parsable, at least one query; its per-query
file a regular UTF-8 file inside the folder (bounded read), with unique query ids that belong to
the pair (when the dataset's data is found), finite values, the recorded measures and query count
and the recorded aggregates; leftovers of interrupted writes. Runs are not kept in git, so a
missing run is a note; a present run is parsed when ``check_runs``.
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from harness.datasets.pairs import PairId
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


@dataclass
class SubmissionCheck:
    """What the gate found in one folder; ``submission`` is set only when it is valid.

    ``coverage`` maps each pair to (queries held, queries of the pair), the second ``None``
    where the dataset's data was not found and the pair's query set is unknown.
    """

    root: Path
    findings: list[Finding] = field(default_factory=list)
    submission: Any = None
    coverage: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> list[str]:
        return [f.text for f in self.findings if f.severity == "problem"]

    @property
    def notes(self) -> list[str]:
        return [f.text for f in self.findings if f.severity == "note"]

    @property
    def valid(self) -> bool:
        return self.submission is not None and not self.problems

    def reasons(self, limit: int = 3) -> str:
        """The first problems on one line, for a note or an error."""
        shown = "; ".join(self.problems[:limit])
        more = len(self.problems) - limit
        return shown + (f"; and {more} more (harness validate {self.root})" if more > 0 else "")


def check_submission(
    root: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None, check_runs: bool = False, keep_tables: bool = False
) -> SubmissionCheck:
    """Check one submission folder; never raises for a bad folder (its problems are findings).

    ``data_dir`` (default: the usual data directory) lets each pair's query ids be checked
    against the dataset's; where its data is not found that check is a note. ``keep_tables``
    keeps a valid submission's parsed per-query tables in ``tables`` (pair -> table), for a
    caller that reads them next.
    """
    from harness.paths import data_dir as resolve_data_dir
    from harness.per_query import read_per_query_tables
    from harness.submissions import PER_QUERY_FILE, Submission, read_meta_json

    check = SubmissionCheck(Path(root))
    folder = check.root
    if not folder.is_dir():
        check.findings.append(Finding("problem", f"{folder}: not a folder (a submission is a folder with meta.json)"))
        return check
    try:
        meta = read_meta_json(folder)
    except HarnessError as error:
        check.findings.append(Finding("problem", str(error)))
        return check
    meta_path = folder / "meta.json"
    check.findings += [Finding("problem", line) for line in meta_problems(meta, meta_path)]
    if check.problems or not isinstance(meta, dict):
        return check  # the checks below rely on the structure the schema guarantees
    if meta["name"] != folder.name:
        check.findings.append(Finding("problem", f"{meta_path}: name {meta['name']!r} is not the folder's name {folder.name!r}"))
    if not meta["pairs"]:
        check.findings.append(Finding("problem", f"{meta_path}: holds no pairs"))
    data_root = resolve_data_dir(data_dir)
    pairs = sorted(meta["pairs"].items())
    tables = read_per_query_tables([folder / "pairs" / pair / PER_QUERY_FILE for pair, _ in pairs], folder)
    for pair, record in pairs:
        check.findings += _pair_findings(check, pair, record, _command_for(meta, pair), data_root, check_runs, tables)
    unchecked = sorted({PairId.parse(pair).dataset for pair, (_, total) in check.coverage.items() if total is None})
    if unchecked:
        check.findings.append(Finding("note", f"query ids of {', '.join(unchecked)} not checked: no data found under {data_root} (--data-dir)"))
    check.findings += _folder_findings(folder, meta)
    if not check.problems:
        check.submission = Submission(folder, meta)
    if not keep_tables or check.problems:
        check.tables = {}
    return check


def validate_path(path: str | os.PathLike[str], *, data_dir: str | os.PathLike[str] | None = None) -> list[Finding]:
    """Findings for a submission folder (runs parsed too) or a run file (plain or .gz)."""
    target = Path(path)
    if target.is_dir():
        return check_submission(target, data_dir=data_dir, check_runs=True).findings
    if target.is_file():
        from harness.evaluation.trec import run_problems

        return [Finding("problem", str(problem)) for problem in run_problems(target)]
    if target.exists():
        return [Finding("problem", f"{target}: not a regular file or a folder")]
    raise HarnessError(f"{target}: no such file or folder (expected a submission folder or a run file)")


def meta_problems(meta: Any, meta_path: Path) -> list[str]:
    """Every way ``meta`` breaks the schema, as ``meta.json: where: what`` lines."""
    from jsonschema import Draft202012Validator

    errors = sorted(Draft202012Validator(_schema()).iter_errors(meta), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{meta_path}: {_where(error.absolute_path)}: {_short(error.message)}" for error in errors]


def _pair_findings(
    check: SubmissionCheck, pair: str, record: dict[str, Any], command: str, data_root: Path, check_runs: bool, tables: Mapping[Path, Any]
) -> list[Finding]:
    """The findings on one pair; ``tables``: each per-query file's table or error, read beforehand."""
    from harness.submissions import PER_QUERY_FILE, RUN_FILE

    where = f"{check.root / 'meta.json'}: pairs[{pair!r}]"
    try:
        pair_id = _registered_pair(pair)
    except HarnessError as error:
        return [Finding("problem", f"{where}: {error}")]
    findings = []
    if pair_id.setting != record["setting"]:
        findings.append(Finding("problem", f"{where}.setting: {record['setting']!r}, but {pair} is a {pair_id.setting} pair"))
    if record["num_queries"] < 1:
        findings.append(Finding("problem", f"{where}.num_queries: {record['num_queries']}; a score needs at least one query"))
    for measure, value in record["measures"].items():
        problem = _measure_problem(measure, value, pair_id.setting)
        if problem:
            findings.append(Finding("problem", f"{where}.measures.{measure}: {problem}"))
    if any(f.severity == "problem" for f in findings):
        return findings
    folder = check.root / "pairs" / pair
    per_query_path = folder / PER_QUERY_FILE
    try:
        table = tables[per_query_path]
        if isinstance(table, Exception):
            raise table
    except FileNotFoundError:
        return findings + [Finding("problem", f"{per_query_path}: missing (per-query scores of {pair})")]
    except (HarnessError, OSError) as error:
        return findings + [Finding("problem", str(error) if isinstance(error, HarnessError) else f"{per_query_path}: unreadable ({error.strerror})")]
    check.tables[pair] = table
    if set(table.measures) != set(record["measures"]):
        findings.append(Finding("problem", f"{per_query_path}:1: measures {sorted(table.measures)} differ from meta.json's {sorted(record['measures'])}"))
    rows = len(table.query_ids)
    if rows != record["num_queries"]:
        findings.append(Finding("problem", f"{per_query_path}: {rows} queries, meta.json says num_queries {record['num_queries']}"))
    findings += _query_id_findings(check, pair_id, table.query_ids, per_query_path, data_root)
    for measure, recorded in record["measures"].items():
        if measure in table.measures and rows:
            found = _aggregate(measure, table.values[:, table.measures.index(measure)])
            if found is not None and not math.isclose(found, recorded, rel_tol=AGGREGATE_TOLERANCE, abs_tol=AGGREGATE_TOLERANCE):
                findings.append(Finding("problem", f"{where}.measures.{measure}: {recorded!r}, but its per-query scores give {found!r}"))
    run_path = folder / RUN_FILE
    if not (run_path.exists() or run_path.is_symlink()):
        findings.append(Finding("note", f"{run_path}: no run (runs are not kept in git; `{command}` writes it)"))
    elif check_runs:
        findings += _run_findings(run_path, check.root)
    return findings


def _command_for(meta: dict[str, Any], pair: str) -> str:
    """The recorded command that wrote ``pair``: the first naming its dataset (or the pair), else the first."""
    from harness.submissions import Submission

    commands = Submission(Path(), meta).commands()
    dataset = pair.rsplit("/", 1)[0]
    for command in commands:
        words = command.split()
        if pair in words or dataset in words:
            return command
    return commands[0] if commands else "the submission's command"


def _registered_pair(pair: str):
    from harness.datasets import get_dataset
    from harness.datasets.pairs import PairId

    pair_id = PairId.parse(pair)
    get_dataset(pair_id.dataset).check_pair(pair_id)
    return pair_id


def _query_id_findings(check: SubmissionCheck, pair, query_ids: list[str], path: Path, data_root: Path) -> list[Finding]:
    """Ids outside the pair's query set are a problem; coverage (n of N) is recorded for tables."""
    expected = expected_query_ids(str(pair), str(data_root))
    if expected is None:
        check.coverage[str(pair)] = (len(query_ids), None)
        return []
    check.coverage[str(pair)] = (len(query_ids), len(expected))
    unknown = [(number, qid) for number, qid in enumerate(query_ids, start=2) if qid not in expected]
    if not unknown:
        return []
    number, qid = unknown[0]
    return [Finding("problem", f"{path}:{number}: query {qid!r} is not a query of {pair} ({len(unknown)} unknown query ids in all)")]


@lru_cache(maxsize=1024)
def expected_query_ids(pair: str, data_root: str) -> frozenset[str] | None:
    """The query ids a registered pair evaluates (from the dataset's files), or None without its data."""
    from harness.datasets import get_dataset
    from harness.datasets.pairs import PairId

    pair_id = PairId.parse(pair)
    try:
        queries, qrels = get_dataset(pair_id.dataset).queries_and_qrels(pair_id, Path(data_root))
    except (HarnessError, OSError):
        return None
    return frozenset(query.query_id for query in queries)


@lru_cache(maxsize=4096)
def _parsed_measure(name: str):
    """The measure named ``name``, or the one-line reason it is not one (names repeat across pairs)."""
    from harness.evaluation.measures import parse_measure

    try:
        return parse_measure(name)
    except HarnessError as error:
        return str(error)


def _measure_problem(name: str, value: Any, setting: str) -> str | None:
    from harness.evaluation.measures import RANK_DISTANCE

    parsed = _parsed_measure(name)
    if isinstance(parsed, str):
        return parsed
    if parsed.name != name:
        return f"the harness writes this measure {parsed.name!r}"
    if name == RANK_DISTANCE and setting != "mlir":
        return f"{RANK_DISTANCE} is defined for multilingual (MLIR) pairs only, not {setting}"
    try:
        finite = math.isfinite(float(value))
    except OverflowError:
        finite = False
    return None if finite else f"{value!r} is not a finite number"


def _folder_findings(folder: Path, meta: dict[str, Any]) -> list[Finding]:
    from harness.atomic import stale_temporaries

    findings = [
        Finding("problem", f"{path}: left by an interrupted write (delete it; the next harness eval of this submission removes it)")
        for path in stale_temporaries(folder)
    ]
    recorded = {Path(*pair.split("/")) for pair in meta["pairs"]}
    pairs_root = folder / "pairs"
    if pairs_root.is_dir() and not pairs_root.is_symlink():
        for table in sorted(pairs_root.glob("**/per-query.tsv")):
            if table.parent.relative_to(pairs_root) not in recorded:
                findings.append(Finding("note", f"{table.parent}: not recorded in meta.json (ignored)"))
    return findings


def _run_findings(path: Path, root: Path) -> list[Finding]:
    from harness.confined import confined_path
    from harness.evaluation.trec import read_run, run_problems

    try:
        confined_path(path, root)
    except FileNotFoundError:
        return [Finding("problem", f"{path}: a link to nothing")]
    except HarnessError as error:
        return [Finding("problem", str(error))]
    try:
        read_run(path)  # the fast reader; only a file it refuses is read again line by line
    except HarnessError:
        return [Finding("problem", str(problem)) for problem in run_problems(path)]
    return []


def _aggregate(measure: str, values) -> float | None:
    parsed = _parsed_measure(measure)
    return None if isinstance(parsed, str) else parsed.aggregate(values)  # an unparsable one is reported already


def _short(message: str, limit: int = 200) -> str:
    """jsonschema quotes the offending value whole; a hostile value may be megabytes long."""
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _where(path) -> str:
    parts = "".join(f"[{p!r}]" if isinstance(p, str) and not p.isidentifier() else (f"[{p}]" if isinstance(p, int) else f".{p}") for p in path)
    return parts.lstrip(".") or "(top level)"


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
