"""The gate's verdicts kept between builds, so a rebuild re-checks only submissions that changed.

Checking a submission parses every per-query file (about 0.6 s for BM25's 188 pairs); a
leaderboard of fifty systems would spend most of a rebuild there. A verdict is reused while the
folder's every entry keeps its kind, size, modification time and link target, and the harness
version and data directory are the same; anything else checks the folder again. (A dataset file
replaced in place under the same data directory is not noticed: delete ``OUT/.cache`` then.)
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from harness import __version__
from harness.atomic import atomic_write_text
from harness.submissions import Submission
from harness.validation import Finding, SubmissionCheck, check_submission

CACHE_FORMAT = 1


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
        target = None if self.folder is None else self.folder / f"{submission_folder.name}.json"
        cached = None if target is None else _load(target, manifest, submission_folder)
        if cached is not None:
            self.hits += 1
            return cached
        self.misses += 1
        check = check_submission(submission_folder, data_dir=self.data_dir, keep_tables=True)
        if target is not None:
            record = {
                "manifest": manifest,
                "findings": [[f.severity, f.text] for f in check.findings],
                "coverage": {pair: list(counts) for pair, counts in check.coverage.items()},
            }
            atomic_write_text(target, json.dumps(record))
        return check


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
    check = SubmissionCheck(folder, [Finding(severity, text) for severity, text in record["findings"]])
    check.coverage = {pair: (held, total) for pair, (held, total) in record["coverage"].items()}
    if not check.problems:
        check.submission = Submission.load(folder)
    return check
