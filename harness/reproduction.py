"""What ``harness reproduce`` found: per pair and measure the stored and the reproduced score, and a verdict.

Verdicts follow pyserini's reproduction pages (2CR): ``OK`` when the re-run gives the stored
number bit for bit, ``OKish`` when it is within the stated tolerance (absolute), ``FAIL`` beyond it,
when the re-run computed no such measure or another number of queries, or when it did not finish.
A pair whose command cannot be known (an external run, a model given as a Python object) is
``SKIP``, which fails the check only under ``strict``.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

OK, OKISH, FAIL, SKIP = "OK", "OKish", "FAIL", "SKIP"


@dataclass(frozen=True)
class MeasureCheck:
    """One stored number against its re-run (``num_queries`` is checked as a measure is)."""

    measure: str
    stored: float | None
    reproduced: float | None
    verdict: str

    @property
    def diff(self) -> float | None:
        """``reproduced - stored``, where both exist."""
        return None if self.stored is None or self.reproduced is None else self.reproduced - self.stored

    def to_dict(self) -> dict[str, Any]:
        return {"measure": self.measure, "stored": self.stored, "reproduced": self.reproduced, "diff": self.diff, "verdict": self.verdict}


def check_measure(measure: str, stored: float, reproduced: float | None, tolerance: float) -> MeasureCheck:
    """The verdict on one number: identical, within ``tolerance``, or not."""
    if reproduced is None:
        verdict = FAIL
    elif reproduced == stored:
        verdict = OK
    else:
        verdict = OKISH if abs(reproduced - stored) <= tolerance else FAIL
    return MeasureCheck(measure, stored, reproduced, verdict)


@dataclass(frozen=True)
class PairCheck:
    """One stored pair: the command behind it, each measure's check, and the pair's verdict."""

    pair: str
    command: str | None
    checks: tuple[MeasureCheck, ...] = ()
    reason: str | None = None
    """Why the pair is SKIP or FAIL without numbers (no command; the re-run failed or lacks the pair)."""

    @property
    def verdict(self) -> str:
        if self.command is None:
            return SKIP
        if self.reason is not None or not self.checks:
            return FAIL
        verdicts = {check.verdict for check in self.checks}
        return FAIL if FAIL in verdicts else OKISH if OKISH in verdicts else OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "pair": self.pair, "verdict": self.verdict, "command": self.command, "reason": self.reason,
            "measures": [check.to_dict() for check in self.checks],
        }


@dataclass(frozen=True)
class Rerun:
    """One re-run command: what it ran, for which pairs, how it ended."""

    command: str
    argv: tuple[str, ...]
    pairs: tuple[str, ...]
    returncode: int
    seconds: float
    error: str | None = None
    """The re-run's last line of stderr where it failed."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command, "argv": list(self.argv), "pairs": list(self.pairs), "returncode": self.returncode,
            "seconds": round(self.seconds, 3), "error": self.error,
        }


@dataclass
class Reproduction:
    """The outcome of :func:`harness.api.reproduce`: one :class:`PairCheck` per selected pair."""

    name: str
    tolerance: float
    pairs: list[PairCheck]
    stored_by: Mapping[str, Any]
    """``{"version", "commit", "dirty"}`` of the harness that made the submission (``None`` where unrecorded)."""
    rerun_by: Mapping[str, Any]
    """The same of the harness that re-ran it (this one)."""
    reruns: list[Rerun] = field(default_factory=list)
    scratch: str | None = None
    """Where the re-runs were stored (``None``: a temporary folder, removed afterwards)."""
    cache: str = "shared"
    data_dir: str | None = None
    """The data directory given for the re-runs (``None``: each command's own)."""
    strict: bool = False

    def counts(self) -> dict[str, int]:
        """How many pairs got each verdict."""
        return {verdict: sum(p.verdict == verdict for p in self.pairs) for verdict in (OK, OKISH, FAIL, SKIP)}

    @property
    def failed(self) -> bool:
        """A FAIL anywhere (or, under ``strict``, a SKIP)."""
        counts = self.counts()
        return bool(counts[FAIL] or (self.strict and counts[SKIP]))

    def exit_status(self) -> int:
        """1 when :attr:`failed`, else 0 (the CLI's exit status)."""
        return 1 if self.failed else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "submission": self.name, "tolerance": self.tolerance, "counts": self.counts(), "failed": self.failed, "strict": self.strict,
            "stored_by": dict(self.stored_by), "rerun_by": dict(self.rerun_by), "cache": self.cache, "scratch": self.scratch, "data_dir": self.data_dir,
            "reruns": [run.to_dict() for run in self.reruns], "pairs": [pair.to_dict() for pair in self.pairs],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        """The commands re-run, a table (pair, measure, stored, reproduced, diff, verdict), and a summary line."""
        from tabulate import tabulate

        lines = [f"# {self.name}: stored by {_pin(self.stored_by)}; re-run by {_pin(self.rerun_by)}; {self.cache} cache"]
        lines += [f"# {label}: {value}" for label, value in (("data", self.data_dir), ("re-runs kept in", self.scratch)) if value is not None]
        for run in self.reruns:
            ended = "ok" if run.returncode == 0 else f"exit {run.returncode}: {run.error}"
            lines.append(f"$ {run.command}    # {len(run.pairs)} pair(s), {run.seconds:.1f} s, {ended}")
        rows = []
        for pair in self.pairs:
            if not pair.checks:
                rows.append([pair.pair, "", "", "", "", f"{pair.verdict} ({pair.reason})"])
            for check in pair.checks:
                rows.append([pair.pair, check.measure, _number(check.stored), _number(check.reproduced), _diff(check.diff), check.verdict])
        lines += ["", tabulate(rows, headers=["pair", "measure", "stored", "reproduced", "diff", "verdict"], disable_numparse=True)]
        counts = self.counts()
        summary = ", ".join(f"{verdict} {count}" for verdict, count in counts.items())
        lines.append(f"\npairs: {summary} (OKish: |diff| <= {self.tolerance:g}{'; SKIP fails under --strict' if self.strict else ''})")
        return "\n".join(lines)


def _pin(pin: Mapping[str, Any]) -> str:
    commit = pin.get("commit")
    shown = f"commit {commit[:12]}{' + local changes' if pin.get('dirty') else ''}" if commit else "commit unknown"
    return f"harness {pin.get('version') or '?'} ({shown})"


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    return str(int(value)) if isinstance(value, int) else repr(float(value))


def _diff(value: float | None) -> str:
    return "-" if value is None else "0" if value == 0 else f"{value:+.2e}"
