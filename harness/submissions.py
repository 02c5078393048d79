"""The on-disk record of results: one folder per system, a run and per-query scores per pair.

Layout (every file written atomically)::

    submissions/NAME/meta.json
    submissions/NAME/pairs/DATASET/Q-D/run.trec.gz
    submissions/NAME/pairs/DATASET/Q-D/per-query.tsv

Several processes may write one submission at once (different pairs of one system): each change
takes the folder's lock, reads ``meta.json`` again, merges its own pair and writes it back, so
nothing another writer stored is lost. A stored pair is replaced only when asked, and a re-run
that scores exactly as stored changes no file but the (untracked) run.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.atomic import atomic_write_text, stale_temporaries
from harness.confined import MEGABYTE, decode_utf8, read_confined
from harness.errors import HarnessError
from harness.folder_lock import folder_lock
from harness.per_query import PerQueryTable, per_query_text, read_per_query, read_per_query_table, write_per_query
from harness.source_revision import harness_source

if TYPE_CHECKING:  # importing the datasets package loads every dataset module: too slow for `harness eval --run`
    from harness.datasets.pairs import PairId

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
    def from_dict(cls, pair: str, data: Mapping[str, Any], source: object = "meta.json") -> PairRecord:
        """The record of ``pair`` as ``meta.json`` holds it; a record of the wrong shape is a
        :class:`HarnessError` (``harness validate`` names every problem of such a file)."""
        known = {"setting", "measures", "num_queries", "timings"}
        try:
            return cls(
                pair=pair,
                setting=str(data["setting"]),
                measures=dict(data["measures"]),
                num_queries=int(data["num_queries"]),
                timings=dict(data.get("timings", {})),
                details={k: v for k, v in data.items() if k not in known},
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise HarnessError(f"{source}: pairs[{pair!r}] is not a pair record ({type(error).__name__}: {error}); see harness validate") from None



class Submission:
    """A system's results on disk: ``meta.json`` plus per-pair runs and per-query scores."""

    def __init__(self, root: Path, meta: dict[str, Any], command: str | None = None) -> None:
        self.root = root
        self.meta = meta
        self.command = command
        self.removed_temporaries: list[Path] = []

    @property
    def name(self) -> str:
        return self.meta["name"]

    @classmethod
    def open_or_create(cls, submissions_dir: str | Path, name: str, system: Mapping[str, Any], command: str) -> Submission:
        """Open ``submissions_dir/name``, or start it; an existing one must describe the same system.

        Leftovers of an interrupted write (temporaries whose process is gone) are removed.
        ``command`` is recorded with the first pair this call adds or changes.
        """
        root = Path(submissions_dir) / check_name(name)
        meta = {
            "format_version": FORMAT_VERSION,
            "name": name,
            **harness_source(),
            "created": _now(),
            "command": command,
            "commands": [],
            "system": dict(system),
            "pairs": {},
        }
        submission = cls(root, meta, command)
        if (root / META_FILE).exists():
            stored = read_meta(root)
            submission._check_identity(stored)
            submission.meta = stored
        if root.is_dir():
            with folder_lock(root):
                submission.removed_temporaries = stale_temporaries(root)
                for path in submission.removed_temporaries:
                    path.unlink(missing_ok=True)
        return submission

    @classmethod
    def load(cls, root: str | Path) -> Submission:
        """Read a submission folder's ``meta.json`` (bounded, confined to the folder)."""
        root = Path(root)
        return cls(root, read_meta(root))

    def pair_dir(self, pair: PairId) -> Path:
        return self.root / "pairs" / pair.dataset / pair.langs

    def has_pair(self, pair: PairId) -> bool:
        """True when the pair is recorded and both its files are present (runs are not kept in git,
        so a fresh clone regenerates them)."""
        folder = self.pair_dir(pair)
        return str(pair) in self.meta["pairs"] and all((folder / f).exists() for f in (PER_QUERY_FILE, RUN_FILE))

    def pair_record(self, pair: PairId) -> PairRecord:
        return PairRecord.from_dict(str(pair), self.meta["pairs"][str(pair)], self.root / META_FILE)

    def records(self) -> list[PairRecord]:
        return [PairRecord.from_dict(pair, data, self.root / META_FILE) for pair, data in sorted(self.meta["pairs"].items())]

    def add_pair(
        self,
        pair: PairId,
        record: PairRecord,
        evaluation: Any,
        run: Any | None,
        *,
        replace: bool = True,
        annotate: Callable[[dict[str, Any]], None] | None = None,
    ) -> bool:
        """Store one pair's run and per-query scores and record it in ``meta.json``, under the lock.

        ``replace=False`` refuses a pair the submission already holds. ``annotate`` updates the
        merged metadata (semantics, training languages). A pair that scores exactly as stored keeps
        its record and per-query file (only the run, which git does not keep, is rewritten), so a
        re-run changes no tracked file. Returns whether the record changed.
        """
        from harness.evaluation import write_run

        folder = self.pair_dir(pair)
        text = per_query_text(evaluation.per_query)
        with folder_lock(self.root):
            meta = self._merged_meta()
            if not replace:
                self.refuse_stored(pair, meta)
            stored = meta["pairs"].get(str(pair))
            unchanged = stored is not None and _same_scores(stored, record) and _file_text(folder / PER_QUERY_FILE) == text
            if run is not None:
                write_run(run, folder / RUN_FILE, tag=self.name)
            if not unchanged:
                atomic_write_text(folder / PER_QUERY_FILE, text)
                meta["pairs"][str(pair)] = {**record.to_dict(), **self._provenance()}
                meta["updated"] = _now()
                self._note_command(meta)
            if annotate is not None:
                annotate(meta)
            self._save_if_changed(meta)
        return not unchanged

    def refuse_stored(self, pair: PairId, meta: Mapping[str, Any] | None = None) -> None:
        """A :class:`HarnessError` if the submission (``meta``: as just re-read) already holds ``pair``."""
        stored = (self.meta if meta is None else meta)["pairs"].get(str(pair))
        if stored is not None:
            raise HarnessError(f"{self.root / META_FILE}: {self.name!r} already holds {pair} ({_summary(stored)}); --force replaces it")

    def update_meta(self, fields: Mapping[str, Any]) -> None:
        """Merge top-level ``fields`` (description, authors, ...) into ``meta.json``, under the lock."""
        with folder_lock(self.root):
            meta = self._merged_meta()
            meta.update(fields)
            self._save_if_changed(meta)

    def commands(self) -> list[str]:
        """Every command that added pairs (one per dataset, typically), first one first."""
        listed = self.meta.get("commands")
        if isinstance(listed, list) and listed and all(isinstance(c, str) for c in listed):
            return list(listed)
        return [self.meta["command"]] if isinstance(self.meta.get("command"), str) else []

    def save(self) -> None:
        """Write ``meta.json`` as it is in memory (writers that merge use :meth:`add_pair`)."""
        atomic_write_text(self.root / META_FILE, _meta_text(self.meta))

    def per_query(self, pair: PairId) -> dict[str, dict[str, float]]:
        """Per-query scores of a pair: measure -> query id -> value."""
        return read_per_query(self.pair_dir(pair) / PER_QUERY_FILE, self.root)

    def per_query_table(self, pair: PairId) -> PerQueryTable:
        """Per-query scores of a pair as arrays (read confined to the submission folder)."""
        return read_per_query_table(self.pair_dir(pair) / PER_QUERY_FILE, self.root)

    def _merged_meta(self) -> dict[str, Any]:
        """What is on disk now (another writer may have added pairs), or the new submission's start."""
        if not (self.root / META_FILE).exists():
            return json.loads(json.dumps(self.meta))
        meta = read_meta(self.root)
        self._check_identity(meta)
        return meta

    def _check_identity(self, meta: Mapping[str, Any]) -> None:
        if _identity(meta.get("system")) != _identity(self.meta.get("system")):
            raise HarnessError(
                f"{self.root / META_FILE}: submission {self.name!r} was made by a different system or parameters; "
                "choose another --name, or delete that folder"
            )

    def _provenance(self) -> dict[str, Any]:
        """What a pair record says of the call that stored it: the command, and the harness's version and commit."""
        return {**({"command": self.command} if self.command is not None else {}), **harness_source()}

    def _note_command(self, meta: dict[str, Any]) -> None:
        if self.command is None:
            return
        known = Submission(self.root, meta).commands()
        if self.command not in known:
            meta["commands"] = known + [self.command]
        meta.setdefault("command", self.command)

    def _save_if_changed(self, meta: dict[str, Any]) -> None:
        text = _meta_text(meta)
        if _file_text(self.root / META_FILE) != text:
            atomic_write_text(self.root / META_FILE, text)
        self.meta = meta


MAX_META_BYTES = 64 * MEGABYTE


def read_meta(root: Path) -> dict[str, Any]:
    """``root/meta.json`` as a dict with ``name`` and ``pairs``, whose pair ids are safe paths."""
    meta = read_meta_json(root)
    meta_path = root / META_FILE
    if not isinstance(meta, dict) or not isinstance(meta.get("pairs"), dict) or "name" not in meta:
        raise HarnessError(f"{meta_path}: expected a JSON object with 'name' and 'pairs'")
    for pair in meta["pairs"]:
        if not _SAFE_PAIR.match(pair):
            # metadata is untrusted: a pair key becomes a path, so it may not climb out of the folder
            raise HarnessError(f"{meta_path}: bad pair id {pair!r} (expected DATASET/Q-D, e.g. xquad-r/de-en)")
    return meta


def read_meta_json(root: Path) -> Any:
    """The JSON value of ``root/meta.json``, read bounded and confined to ``root``; NaN and
    Infinity (which Python's json accepts) are refused."""
    meta_path = root / META_FILE
    try:
        text = decode_utf8(read_confined(meta_path, root, MAX_META_BYTES), meta_path)
    except FileNotFoundError:
        raise HarnessError(f"{meta_path}: no such submission (expected a folder with {META_FILE})") from None
    try:
        meta = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{meta_path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except ValueError as exc:
        raise HarnessError(f"{meta_path}: {exc}") from None
    except RecursionError:
        raise HarnessError(f"{meta_path}: nested too deeply to be a submission record") from None
    return meta


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a result may hold (JSON has no NaN or Infinity)")


def _meta_text(meta: Mapping[str, Any]) -> str:
    return json.dumps(meta, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def _file_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return None


def _same_scores(stored: Mapping[str, Any], record: PairRecord) -> bool:
    return stored.get("measures") == record.measures and stored.get("num_queries") == record.num_queries


def _summary(stored: Mapping[str, Any]) -> str:
    measures = stored.get("measures") if isinstance(stored.get("measures"), dict) else {}
    shown = ", ".join(f"{m} {v:.4f}" for m, v in list(measures.items())[:2] if isinstance(v, (int, float)))
    return f"{shown}, {stored.get('num_queries')} queries" if shown else f"{stored.get('num_queries')} queries"


def _identity(system: Any) -> str:
    """What makes two systems the same: everything they describe except software versions,
    which are recorded but may move (a new JDK) without changing the ranking model."""
    if isinstance(system, Mapping):
        system = {key: value for key, value in system.items() if key != "versions"}
    return json.dumps(system, sort_keys=True, default=str)


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


__all__ = [
    "FORMAT_VERSION", "META_FILE", "PER_QUERY_FILE", "RUN_FILE", "PairRecord", "PerQueryTable", "Submission", "check_name",
    "read_meta", "read_meta_json", "read_per_query", "read_per_query_table", "write_per_query",
]
