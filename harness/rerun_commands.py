"""Re-run the commands behind a submission's stored pairs into a scratch store and compare: :func:`harness.api.reproduce`.

Each pair's command comes from :func:`harness.submission_commands.stored_command`. Pairs of one
command are re-run together: by the command as recorded where it ranks exactly them, else by it
narrowed to them (``--pairs``, in the order they were stored, which is the order the original
call ranked them; a later command that found a pair stored skipped it, so narrowing it to the
pairs it stored is also what it ranked). The command runs as a subprocess,
``python -m harness.cli eval ...`` with this interpreter, so it is parsed and executed exactly as
typed, by the harness installed now; only where results go and how much is printed change:
``--submissions`` (the scratch folder), ``--name`` (the stored name), ``--quiet``, and
``--data-dir`` where one is given (the recorded one is relative to where it was typed);
``--force`` and ``--format`` are dropped (the scratch store is empty; nothing is read from the
output but the stored submission).

The caches (indexes, embeddings, trained models, translations) are shared with every other run
unless ``fresh_cache``: then they are built again under the scratch folder, so nothing a previous
run computed is reused (the converted offline backbones, inputs rather than results, are still
shared).
"""
from __future__ import annotations

import math
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Sequence
from pathlib import Path

from harness.errors import HarnessError, did_you_mean
from harness.paths import CACHE_DIR_ENV, cache_dir, checked_data_dir
from harness.reproduction import PairCheck, Reproduction, Rerun, check_measure
from harness.source_revision import harness_source
from harness.submission_commands import EvalCommand, harness_pin, narrowed_command, pair_command, stored_command
from harness.submissions import META_FILE, Submission, read_meta

DEFAULT_TOLERANCE = 5e-4
_REPLACED_WITH_VALUE = ("--submissions", "--name", "--format", "--data-dir")
_REPLACED_FLAGS = ("--force", "--quiet")
_ERROR_LINES = 20


def reproduce_submission(
    submission: Submission,
    *,
    pairs: str | Sequence[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    scratch: str | os.PathLike[str] | None = None,
    fresh_cache: bool = False,
    strict: bool = False,
    progress: bool = False,
) -> Reproduction:
    """Re-run the commands of ``submission``'s ``pairs`` (default: all) and compare every stored measure.

    ``pairs`` are ``DATASET/Q-D`` ids, or ``Q-D`` for that pair in every dataset the submission
    holds. ``scratch`` is an existing folder to keep the re-runs in (it must not hold a submission
    of this name); by default a temporary one, removed afterwards. ``progress`` passes the re-runs'
    progress lines through to stderr.
    """
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance >= 0):
        raise HarnessError(f"--tolerance {tolerance}: expected a number >= 0 (an absolute difference, e.g. 5e-4)")
    if data_dir is not None:
        data_dir = checked_data_dir(data_dir).resolve()
    selected = select_pairs(submission, pairs)
    owned = scratch is None
    folder = Path(tempfile.mkdtemp(prefix="harness-reproduce-")) if owned else _checked_scratch(Path(scratch), submission)
    try:
        checks, reruns = _rerun(submission, selected, folder, data_dir, tolerance, fresh_cache, progress)
    finally:
        if owned:
            shutil.rmtree(folder, ignore_errors=True)
    pin = harness_source()
    return Reproduction(
        name=submission.name, tolerance=float(tolerance), pairs=checks, stored_by=harness_pin(submission.meta),
        rerun_by={"version": pin["harness_version"], "commit": pin["harness_commit"], "dirty": pin["harness_dirty"]},
        reruns=reruns, scratch=None if owned else str(folder), cache="fresh" if fresh_cache else "shared",
        data_dir=None if data_dir is None else str(data_dir), strict=strict,
    )


def select_pairs(submission: Submission, pairs: str | Sequence[str] | None) -> list[str]:
    """The stored pairs ``pairs`` names, in stored order; a name that matches none is a :class:`HarnessError`."""
    held = list(submission.meta["pairs"])
    if pairs is None:
        return held
    wanted = [p.strip() for p in (pairs.split(",") if isinstance(pairs, str) else pairs) if p.strip()]
    if not wanted:
        raise HarnessError("--pairs: empty; expected DATASET/Q-D or Q-D ids, e.g. xquad-r/de-en,mlqa-r/en-de")
    for name in wanted:
        if not any(_matches(pair, name) for pair in held):
            shown = ", ".join(held[:8]) + (f", ... ({len(held)} in all)" if len(held) > 8 else "")
            raise HarnessError(f"--pairs {name}: {submission.name!r} holds no such pair{did_you_mean(name, held)}; it holds {shown}")
    return [pair for pair in held if any(_matches(pair, name) for name in wanted)]


def _matches(pair: str, name: str) -> bool:
    return pair == name or ("/" not in name and pair.rpartition("/")[2] == name)


def _checked_scratch(folder: Path, submission: Submission) -> Path:
    if not folder.is_dir():
        raise HarnessError(f"--scratch {folder}: {'not a folder' if folder.exists() else 'no such folder'} (give an existing folder)")
    if (folder / submission.name).exists():
        raise HarnessError(f"--scratch {folder}: already holds {submission.name!r}; a re-run would find its pairs stored (give another folder)")
    if folder.resolve() == submission.root.resolve().parent:
        raise HarnessError(f"--scratch {folder}: that is the submissions folder itself; give a scratch folder")
    return folder


def _rerun(
    submission: Submission, selected: list[str], folder: Path, data_dir: Path | None, tolerance: float, fresh_cache: bool, progress: bool,
) -> tuple[list[PairCheck], list[Rerun]]:
    """Run each command once for its selected pairs, then check every selected pair."""
    commands = {pair: stored_command(submission.meta, pair) for pair in selected}
    groups: dict[str, list[str]] = {}
    for pair, command in commands.items():
        if command is not None:
            groups.setdefault(command, []).append(pair)
    environment = dict(os.environ)
    if fresh_cache:
        environment[CACHE_DIR_ENV] = str(_fresh_cache(folder))
    reruns = [_run(command, pairs, submission.name, folder, data_dir, environment, progress) for command, pairs in groups.items()]
    failed = {pair: run for run in reruns if run.returncode != 0 for pair in run.pairs}
    reproduced = read_meta(folder / submission.name)["pairs"] if (folder / submission.name / META_FILE).exists() else {}
    checks = []
    for pair in selected:
        command = commands[pair]
        shown = pair_command(submission.meta, pair)
        if command is None:
            checks.append(PairCheck(pair, None, reason="no command: " + _why_unknown(submission, pair)))
        elif pair not in reproduced:
            run = failed.get(pair)
            reason = f"the re-run exited {run.returncode}: {run.error}" if run else "the re-run stored no such pair"
            checks.append(PairCheck(pair, shown, reason=reason))
        else:
            checks.append(PairCheck(pair, shown, tuple(_compare(submission.meta["pairs"][pair], reproduced[pair], tolerance))))
    return checks, reruns


def _compare(stored: dict, reproduced: dict, tolerance: float) -> list:
    found = reproduced.get("measures", {})
    checks = [check_measure(measure, value, found.get(measure), tolerance) for measure, value in stored["measures"].items()]
    # another number of queries is another evaluation, whatever the scores: no tolerance
    checks.append(check_measure("num_queries", stored["num_queries"], reproduced.get("num_queries"), 0.0))
    return checks


def _why_unknown(submission: Submission, pair: str) -> str:
    model = submission.meta.get("system", {}).get("model")
    if model == "external-run":
        return "an external run (ranked outside the harness)"
    return "no recorded `harness eval --model` command selects this pair"


def _run(command: str, pairs: list[str], name: str, folder: Path, data_dir: Path | None, environment: dict, progress: bool) -> Rerun:
    """One re-run as a subprocess of this interpreter; its stderr passed through under ``progress``."""
    narrowed = _command_for(command, pairs)
    words = _rewritten(shlex.split(narrowed)[2:], name, folder, data_dir)
    argv = (sys.executable, "-m", "harness.cli", "eval", *words)
    started = time.perf_counter()
    tail: deque[str] = deque(maxlen=_ERROR_LINES)
    with subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment) as process:
        for line in process.stderr:
            tail.append(line.rstrip("\n"))
            if progress:
                print(line, end="", file=sys.stderr, flush=True)
    error = next((line for line in reversed(tail) if line.strip()), "no message") if process.returncode else None
    return Rerun(narrowed, argv, tuple(pairs), process.returncode, time.perf_counter() - started, error)


def _command_for(command: str, pairs: list[str]) -> str:
    """``command`` as recorded where it ranks exactly ``pairs`` in this order (per today's registry), else narrowed to them."""
    from harness.datasets import resolve_pairs

    parsed = EvalCommand.parse(command)
    try:
        ranked = [str(pair) for pair in resolve_pairs(parsed.spec, ",".join(parsed.pairs) if parsed.pairs else None, parsed.setting)]
    except HarnessError:  # a dataset not registered here: the re-run says so
        ranked = None
    return command if ranked == pairs else narrowed_command(command, pairs)


def _rewritten(words: list[str], name: str, folder: Path, data_dir: Path | None) -> list[str]:
    """The command's options with the scratch store, the stored name, no progress bars, and ``data_dir`` where given."""
    kept = []
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        option, eq, _ = word.partition("=")
        if option in _REPLACED_FLAGS:
            continue
        if option in _REPLACED_WITH_VALUE and (option != "--data-dir" or data_dir is not None):
            skip = not eq
            continue
        kept.append(word)
    kept += ["--name", name, "--submissions", str(folder.resolve()), "--quiet"]
    return kept + (["--data-dir", str(data_dir)] if data_dir is not None else [])


def _fresh_cache(folder: Path) -> Path:
    """An empty cache under ``folder``, sharing only the converted offline backbones of the usual one."""
    fresh = folder / ".cache"
    fresh.mkdir(exist_ok=True)
    backbones = cache_dir() / "backbones"
    if backbones.is_dir() and not (fresh / "backbones").exists():
        (fresh / "backbones").symlink_to(backbones.resolve(), target_is_directory=True)
    return fresh
