"""The gate's verdicts kept between builds, so a rebuild re-checks only submissions that changed.

Checking a submission parses every per-query file (about 0.2 s for a system holding the
benchmark's 210 pairs); a leaderboard of fifty systems would spend most of a rebuild there. A
verdict is reused while the folder's every entry keeps its kind, size, modification time and link
target, and the harness version and data directory are the same; anything else checks the folder
again. (A dataset file replaced in place under the same data directory is not noticed: delete
``OUT/.cache`` then. The scores themselves are keyed on content: see :mod:`.score_cache`.)

:meth:`GateCache.check_all` checks the folders it does not hold in worker processes, one per CPU
(:mod:`.gate_worker`): the gate is most of a first build, and each folder is checked on its own.
"""
from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness import __version__
from harness.atomic import atomic_write_text
from harness.report.leaderboard.score_cache import ScoreCache
from harness.submissions import Submission
from harness.validation import Finding, SubmissionCheck, check_submission

CACHE_FORMAT = 1
PARALLEL_FROM = 4  # folders to check before worker processes pay for starting (about a second each)


class GateCache:
    """Verdicts of :func:`~harness.validation.check_submission`; ``folder=None`` checks every time."""

    def __init__(self, folder: Path | None, data_dir: str | os.PathLike[str] | None) -> None:
        self.folder = folder
        self.data_dir = data_dir
        self.hits = self.misses = 0

    def check(self, submission_folder: Path) -> SubmissionCheck:
        """The gate's verdict on ``submission_folder``, from the cache while the folder is unchanged
        (a fresh verdict on a valid folder carries its parsed tables)."""
        manifest = _manifest(submission_folder, self.data_dir)
        cached = self._cached(submission_folder, manifest)
        if cached is not None:
            return cached
        check = check_submission(submission_folder, data_dir=self.data_dir, keep_tables=True)
        self._keep(submission_folder, manifest, check)
        return check

    def check_all(self, folders: Sequence[Path], scores: ScoreCache, workers: int | None = None) -> list[SubmissionCheck]:
        """The gate's verdict on every folder, in order; the tables of each fresh verdict go to
        ``scores`` (a first build parses each per-query file once) and are not kept in the verdict.
        From :data:`PARALLEL_FROM` folders to check, ``workers`` processes (default: one per CPU,
        :mod:`.gate_worker`) check them, each handing its tables to the score cache itself; a
        folder a worker could not answer for is checked here."""
        manifests = [_manifest(folder, self.data_dir) for folder in folders]
        checks: list[SubmissionCheck | None] = [self._cached(f, m) for f, m in zip(folders, manifests)]
        missing = [i for i, check in enumerate(checks) if check is None]
        workers = min(workers or _cpus(), len(missing)) if len(missing) >= PARALLEL_FROM else 0
        answers = _in_workers([folders[i] for i in missing], self.data_dir, scores.folder, workers) if workers > 1 else {}
        for i in missing:
            answer = answers.get(folders[i])
            if answer is not None:
                check = _from_record(folders[i], answer, answer["meta"])
                scores.written_elsewhere([Path(entry) for entry in answer["written"]])
            else:
                check = check_submission(folders[i], data_dir=self.data_dir, keep_tables=True)
                if check.valid and check.tables:
                    scores.store(check.submission, check.tables)
                check.tables = {}
            self._keep(folders[i], manifests[i], check)
            checks[i] = check
        return [check for check in checks if check is not None]  # (every one by now)

    def _cached(self, folder: Path, manifest: list[str]) -> SubmissionCheck | None:
        target = None if self.folder is None else self.folder / f"{folder.name}.json"
        cached = None if target is None else _load(target, manifest, folder)
        if cached is not None:
            self.hits += 1
        return cached

    def _keep(self, folder: Path, manifest: list[str], check: SubmissionCheck) -> None:
        """Count a fresh verdict and record it."""
        self.misses += 1
        if self.folder is not None:
            record = {
                "manifest": manifest,
                "findings": [[f.severity, f.text] for f in check.findings],
                "coverage": {pair: list(counts) for pair, counts in check.coverage.items()},
            }
            atomic_write_text(self.folder / f"{folder.name}.json", json.dumps(record))


def _in_workers(folders: list[Path], data_dir, score_folder: Path | None, workers: int) -> dict[Path, dict[str, Any]]:
    """folder -> the answer of a :mod:`.gate_worker` process, ``workers`` of them taking folders in
    turn; a folder whose worker died is missing (the caller checks it)."""
    import subprocess
    import threading

    pending = list(reversed(folders))
    answers: dict[Path, dict[str, Any]] = {}
    lock = threading.Lock()
    harness_root = Path(__file__).resolve().parents[3]  # the worker imports this very harness
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(harness_root), *filter(None, [os.environ.get("PYTHONPATH")])])}

    def serve() -> None:
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "harness.report.leaderboard.gate_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, text=True, encoding="utf-8", env=env,
            )
        except OSError:
            return
        try:
            while True:
                with lock:
                    if not pending:
                        return
                    folder = pending.pop()
                job = {"folder": str(folder), "data_dir": None if data_dir is None else str(data_dir),
                       "scores": None if score_folder is None else str(score_folder)}
                try:
                    process.stdin.write(json.dumps(job) + "\n")
                    process.stdin.flush()
                    line = process.stdout.readline()
                except OSError:
                    line = ""
                if not line:  # the worker died: what it held is checked by the caller
                    return
                answers[folder] = json.loads(line)
        finally:
            try:
                process.stdin.close()
            except OSError:  # (a worker gone with a job unread)
                pass
            process.wait()

    threads = [threading.Thread(target=serve) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _manifest(folder: Path, data_dir: str | os.PathLike[str] | None) -> list[str]:
    """Every entry under ``folder`` (links not followed) with its kind, size, time and link target."""
    lines = [f"{CACHE_FORMAT} {__version__} {os.path.realpath(data_dir) if data_dir is not None else ''}"]
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            path = os.path.join(root, name)
            info = os.lstat(path)
            target = os.readlink(path) if os.path.islink(path) else ""
            lines.append(f"{os.path.relpath(path, folder)}\t{info.st_mode}\t{info.st_size}\t{info.st_mtime_ns}\t{target}")
    return lines


def _load(target: Path, manifest: list[str], folder: Path) -> SubmissionCheck | None:
    try:
        record = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("manifest") != manifest:
        return None
    return _from_record(folder, record, None)


def _from_record(folder: Path, record: dict[str, Any], meta: dict[str, Any] | None) -> SubmissionCheck:
    """The verdict of a record (findings, coverage); a valid one's submission has ``meta`` (None: read it again)."""
    check = SubmissionCheck(folder, [Finding(severity, text) for severity, text in record["findings"]])
    check.coverage = {pair: (held, total) for pair, (held, total) in record["coverage"].items()}
    if not check.problems:
        check.submission = Submission.load(folder) if meta is None else Submission(folder, meta)
    return check
