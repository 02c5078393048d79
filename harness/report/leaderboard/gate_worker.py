"""A worker process of :meth:`.gate_cache.GateCache.check_all`: checks the folders it is sent.

    python -m harness.report.leaderboard.gate_worker

One JSON line in a job (``folder``, ``data_dir``, ``scores``: the score cache's folder or null),
one JSON line out a verdict: its findings, coverage and metadata, and the score-cache entries
written from the tables it parsed (the tables stay in this process). A plain process rather than
:mod:`multiprocessing`: spawning would import the caller's main module again (a script building
the site at top level would build it again in every worker), and forking a process whose pyarrow
or BLAS threads run can hang.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def check_job(job: dict[str, Any]) -> dict[str, Any]:
    """The verdict on one folder, as plain data."""
    from harness.report.leaderboard.score_cache import ScoreCache
    from harness.validation import check_submission

    check = check_submission(Path(job["folder"]), data_dir=job["data_dir"], keep_tables=True)
    scores = ScoreCache(None if job["scores"] is None else Path(job["scores"]))
    written = scores.store(check.submission, check.tables) if check.valid and check.tables else []
    return {
        "findings": [[f.severity, f.text] for f in check.findings],
        "coverage": {pair: list(counts) for pair, counts in check.coverage.items()},
        "meta": check.submission.meta if check.submission is not None else None,
        "written": [str(path) for path in written],
    }


def main() -> None:
    for line in sys.stdin:
        print(json.dumps(check_job(json.loads(line)), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
