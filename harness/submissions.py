"""The on-disk record of results: one folder per system, a run and per-query scores per pair.

Layout (every file written atomically; ``meta.json`` is rewritten after each finished pair, so an
interrupted evaluation keeps what it finished and never a half-written file)::

    submissions/NAME/meta.json
    submissions/NAME/pairs/DATASET/Q-D/run.trec.gz
    submissions/NAME/pairs/DATASET/Q-D/per-query.tsv
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from harness import __version__
from harness.atomic import atomic_open, atomic_write_text
from harness.datasets.pairs import PairId
from harness.errors import HarnessError

META_FILE = "meta.json"
RUN_FILE = "run.trec.gz"
PER_QUERY_FILE = "per-query.tsv"
FORMAT_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")
_SAFE_PAIR = re.compile(r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*/[a-z]{2,3}-[a-z]{2,3}$")


def check_name(name: str) -> str:
    """A submission name is one safe path component: letters, digits and ``._+-``."""
    if not _NAME.match(name) or name in {".", ".."}:
        raise HarnessError(
            f"bad submission name {name!r}: use 1-128 letters, digits, '.', '_', '+' or '-', starting with a letter or digit"
        )
    return name


@dataclass
class PairRecord:
    """What a submission holds for one pair: aggregate scores, counts, notes and timings."""

    pair: str
    setting: str
    measures: dict[str, float]
    num_queries: int
    timings: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "setting": self.setting,
            "measures": self.measures,
            "num_queries": self.num_queries,
            "timings": self.timings,
            **self.details,
        }

    @classmethod
    def from_dict(cls, pair: str, data: Mapping[str, Any]) -> "PairRecord":
        known = {"setting", "measures", "num_queries", "timings"}
        return cls(
            pair=pair,
            setting=data["setting"],
            measures=dict(data["measures"]),
            num_queries=int(data["num_queries"]),
            timings=dict(data.get("timings", {})),
            details={k: v for k, v in data.items() if k not in known},
        )


class Submission:
    """A system's results on disk: ``meta.json`` plus per-pair runs and per-query scores."""

    def __init__(self, root: Path, meta: dict[str, Any]) -> None:
        self.root = root
        self.meta = meta

    @property
    def name(self) -> str:
        return self.meta["name"]

    @classmethod
    def open_or_create(cls, submissions_dir: str | Path, name: str, system: Mapping[str, Any], command: str) -> "Submission":
        """Open ``submissions_dir/name``, or start it; an existing one must describe the same system."""
        root = Path(submissions_dir) / check_name(name)
        meta_path = root / META_FILE
        if meta_path.exists():
            submission = cls.load(root)
            if _identity(submission.meta.get("system")) != _identity(system):
                raise HarnessError(
                    f"{meta_path}: submission {name!r} was made by a different system or parameters; "
                    "choose another --name, or delete that folder"
                )
            submission.record_command(command)
            return submission
        meta = {
            "format_version": FORMAT_VERSION,
            "name": name,
            "harness_version": __version__,
            "created": _now(),
            "command": command,
            "commands": [command],
            "system": dict(system),
            "pairs": {},
        }
        return cls(root, meta)

    @classmethod
    def load(cls, root: str | Path) -> "Submission":
        """Read a submission folder."""
        root = Path(root)
        meta_path = root / META_FILE
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise HarnessError(f"{meta_path}: no such submission (expected a folder with {META_FILE})") from None
        except json.JSONDecodeError as exc:
            raise HarnessError(f"{meta_path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(meta, dict) or not isinstance(meta.get("pairs"), dict) or "name" not in meta:
            raise HarnessError(f"{meta_path}: expected a JSON object with 'name' and 'pairs'")
        for pair in meta["pairs"]:
            if not _SAFE_PAIR.match(pair):
                # metadata is untrusted: a pair key becomes a path, so it may not climb out of the folder
                raise HarnessError(f"{meta_path}: bad pair id {pair!r} (expected DATASET/Q-D, e.g. xquad-r/de-en)")
        return cls(root, meta)

    def pair_dir(self, pair: PairId) -> Path:
        return self.root / "pairs" / pair.dataset / pair.langs

    def has_pair(self, pair: PairId) -> bool:
        """True when the pair is recorded and both its files are present (runs are not kept in git,
        so a fresh clone regenerates them)."""
        folder = self.pair_dir(pair)
        return str(pair) in self.meta["pairs"] and all((folder / f).exists() for f in (PER_QUERY_FILE, RUN_FILE))

    def pair_record(self, pair: PairId) -> PairRecord:
        return PairRecord.from_dict(str(pair), self.meta["pairs"][str(pair)])

    def records(self) -> list[PairRecord]:
        return [PairRecord.from_dict(pair, data) for pair, data in sorted(self.meta["pairs"].items())]

    def add_pair(self, pair: PairId, record: PairRecord, evaluation: Any, run: Any | None) -> None:
        """Store one pair's run and per-query scores, then record it in ``meta.json``."""
        from harness.evaluation import write_run

        folder = self.pair_dir(pair)
        if run is not None:
            write_run(run, folder / RUN_FILE, tag=self.name)
        write_per_query(folder / PER_QUERY_FILE, evaluation.per_query)
        self.meta["pairs"][str(pair)] = record.to_dict()
        self.meta["updated"] = _now()
        self.save()

    def commands(self) -> list[str]:
        """Every command that added pairs (one per dataset, typically), first one first."""
        listed = self.meta.get("commands")
        if isinstance(listed, list) and all(isinstance(c, str) for c in listed):
            return list(listed)
        return [self.meta["command"]] if isinstance(self.meta.get("command"), str) else []

    def record_command(self, command: str) -> None:
        """Remember ``command`` among those that made this submission (saved with the next pair)."""
        known = self.commands()
        if command not in known:
            self.meta["commands"] = known + [command]

    def save(self) -> None:
        atomic_write_text(self.root / META_FILE, json.dumps(self.meta, indent=2, sort_keys=False, ensure_ascii=False) + "\n")

    def per_query(self, pair: PairId) -> dict[str, dict[str, float]]:
        """Per-query scores of a pair: measure -> query id -> value."""
        return read_per_query(self.pair_dir(pair) / PER_QUERY_FILE)

    def per_query_table(self, pair: PairId) -> PerQueryTable:
        """Per-query scores of a pair as arrays."""
        return read_per_query_table(self.pair_dir(pair) / PER_QUERY_FILE)


def write_per_query(path: Path, per_query: Mapping[str, Mapping[str, float]]) -> None:
    """A TSV with one row per query and one column per measure (``repr`` floats: exact round trip)."""
    measures = list(per_query)
    query_ids = sorted({qid for values in per_query.values() for qid in values})
    with atomic_open(path) as out:
        out.write("\t".join(["query_id", *measures]) + "\n")
        for qid in query_ids:
            out.write("\t".join([qid, *(repr(float(per_query[m].get(qid, 0.0))) for m in measures)]) + "\n")


@dataclass(frozen=True)
class PerQueryTable:
    """Per-query scores of one pair as arrays: query ids, measure names, queries x measures values."""

    query_ids: list[str]
    measures: list[str]
    values: np.ndarray

    def as_dict(self) -> dict[str, dict[str, float]]:
        """measure -> query id -> value."""
        return {m: dict(zip(self.query_ids, self.values[:, j].tolist())) for j, m in enumerate(self.measures)}


def read_per_query_table(path: Path) -> PerQueryTable:
    """Read what :func:`write_per_query` wrote (values parsed exactly: the bits ``repr`` wrote).

    One split of the whole text and one numpy conversion: a leaderboard reads thousands of these.
    """
    with open(path, encoding="utf-8") as source:
        header, _, body = source.read().partition("\n")
    if not header:
        raise HarnessError(f"{path}:1: empty file; expected a header 'query_id<TAB>MEASURE...'")
    columns = header.split("\t")
    lines = body.split("\n")
    if lines[-1] == "":
        lines.pop()
    tabs = len(columns) - 1
    bad = next((number for number, line in enumerate(lines, start=2) if line.count("\t") != tabs), None)
    if bad is not None:
        found = lines[bad - 2].count("\t") + 1
        raise HarnessError(f"{path}:{bad}: expected {len(columns)} tab-separated fields, found {found}")
    fields = "\t".join(lines).split("\t") if lines else []
    query_ids = fields[:: len(columns)]
    del fields[:: len(columns)]
    try:
        values = np.array(fields, dtype=np.float64).reshape(len(lines), tabs)
    except ValueError:
        number, bad_value = next(
            (n, v) for n, line in enumerate(lines, start=2) for v in line.split("\t")[1:] if not _is_number(v)
        )
        raise HarnessError(f"{path}:{number}: expected a number, found {bad_value!r}") from None
    return PerQueryTable(query_ids, columns[1:], values)


def read_per_query(path: Path) -> dict[str, dict[str, float]]:
    """Per-query scores as measure -> query id -> value (see :func:`read_per_query_table`)."""
    return read_per_query_table(path).as_dict()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _identity(system: Any) -> str:
    """What makes two systems the same: everything they describe except software versions,
    which are recorded but may move (a new JDK) without changing the ranking model."""
    if isinstance(system, Mapping):
        system = {key: value for key, value in system.items() if key != "versions"}
    return json.dumps(system, sort_keys=True, default=str)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
