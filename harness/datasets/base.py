"""What every registered dataset offers: metadata for listings, pair validation and a lazy loader."""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.datasets.options import NOTES_KEY, DatasetOption, options_by_dataset
from harness.datasets.pairs import MULTILINGUAL, SETTINGS, PairId
from harness.datasets.records import PairTask, Qrels, Query
from harness.errors import HarnessError, did_you_mean

_SHAPES = {"moir": "X-X", "clir": "X-Y", "mlir": "X-xx"}


class Dataset(ABC):
    """A benchmark: languages, the pairs it defines, default measures, and a loader per pair.

    Subclasses set the class attributes (or instance attributes of the same names) and
    implement :meth:`standard_pairs`, :meth:`default_measures`, :meth:`expected_location`
    and :meth:`load`. ``query_sides`` / ``doc_sides`` say which languages (``xx`` included
    where the dataset has a multilingual side) may stand on each side of a pair. ``options``
    are the choices its loader offers in how pairs are built: :meth:`load` takes each as a
    keyword argument, and :meth:`task` checks, fills in and records them.
    """

    id: str
    title: str
    description: str
    languages: tuple[str, ...]
    settings: tuple[str, ...]
    query_sides: tuple[str, ...]
    doc_sides: tuple[str, ...]
    options: tuple[DatasetOption, ...] = ()

    @abstractmethod
    def standard_pairs(self) -> list[PairId]:
        """The pairs a plain ``--dataset ID`` evaluates (the dataset's published protocol)."""

    @abstractmethod
    def default_measures(self, setting: str) -> tuple[str, ...]:
        """ir-measures names (plus the harness's ``RankDistance``) reported for ``setting``."""

    @property
    def sizes(self) -> dict[str, Any] | None:
        """Counts for listings (questions, candidates, passages...), or None where unknown."""
        return None

    @abstractmethod
    def expected_location(self, data_dir: Path) -> str:
        """Where this dataset's files are expected under ``data_dir`` (for listings and errors)."""

    @abstractmethod
    def load(self, pair: PairId, data_dir: Path, *, download: bool = False) -> PairTask:
        """The task of one pair. Documents (and first-stage candidates) are read lazily, so a
        task serves to evaluate an existing run without the corpus. ``download`` allows fetching
        missing files; without it a missing file is a one-line :class:`HarnessError`."""

    def task(self, pair: PairId, data_dir: Path, *, download: bool = False, options: Mapping[str, str] | None = None) -> PairTask:
        """:meth:`load` with this dataset's ``options`` (given ones checked, the others at their
        defaults), recorded in the task's notes."""
        resolved = options_by_dataset([self], options)[self.id]
        task = self.load(pair, data_dir, download=download, **resolved)
        if resolved:
            task.notes[NOTES_KEY] = resolved
        return task

    def queries_and_qrels(self, pair: PairId, data_dir: Path, *, download: bool = False) -> tuple[Sequence[Query], Qrels]:
        """Just what evaluating a run needs; never opens the documents."""
        task = self.load(pair, data_dir, download=download)
        return task.queries, task.qrels

    def describe(self, data_dir: Path) -> dict[str, Any]:
        """Id, title, languages, settings, default measures, pair count, sizes, options and expected location."""
        return {
            "id": self.id,
            "title": self.title,
            "languages": list(self.languages),
            "settings": list(self.settings),
            "default_measures": {s: list(self.default_measures(s)) for s in self.settings},
            "pairs": len(self.standard_pairs()),
            "sizes": self.sizes,
            "options": [option.as_dict() for option in self.options],
            "expected_location": self.expected_location(data_dir),
        }

    def pair(self, langs: str) -> PairId:
        """Parse ``Q-D`` (or ``ID/Q-D``) into a checked pair of this dataset."""
        pair = PairId.parse(langs, self.id)
        if pair.dataset != self.id:
            raise HarnessError(f"pair {langs!r} belongs to {pair.dataset!r}, not {self.id!r}")
        self.check_pair(pair)
        return pair

    def check_pair(self, pair: PairId) -> None:
        """Raise a one-line :class:`HarnessError` unless ``pair`` is a valid pair of this dataset."""
        known = (*self.languages, MULTILINGUAL)
        for side, lang in (("query", pair.query_lang), ("document", pair.doc_lang)):
            if lang not in known:
                raise HarnessError(
                    f"{pair}: unknown {side} language {lang!r}; {self.id} languages: {' '.join(self.languages)}"
                    + did_you_mean(lang, self.languages)
                )
        shapes = ", ".join(_SHAPES[s] for s in self.settings)
        if pair.setting not in self.settings or pair.query_lang not in self.query_sides or pair.doc_lang not in self.doc_sides:
            raise HarnessError(f"{pair}: not a pair of {self.id}, which has {'/'.join(self.settings)} pairs ({shapes})")

    def check_setting(self, setting: str) -> None:
        """Raise unless ``setting`` is one of this dataset's settings."""
        if setting not in SETTINGS:
            raise HarnessError(f"unknown setting {setting!r}; settings: {', '.join(SETTINGS)}" + did_you_mean(setting, SETTINGS))
        if setting not in self.settings:
            raise HarnessError(f"{self.id} has no {setting} pairs; its settings: {', '.join(self.settings)}")


def judged_queries(
    texts: Mapping[str, tuple[str | None, str]], judged: Qrels
) -> tuple[list[Query], dict[str, dict[str, int]], dict[str, object]]:
    """The queries (id -> (text, language)) that have a relevant judgment (grade >= 1), their qrels,
    and notes counting what was left out: trec_eval ignores queries without relevant documents."""
    queries: list[Query] = []
    qrels: dict[str, dict[str, int]] = {}
    left_out = {"queries_without_relevant": 0, "queries_without_text": 0}
    for qid, (text, lang) in texts.items():
        grades = judged.get(qid, {})
        if not any(grade >= 1 for grade in grades.values()):
            left_out["queries_without_relevant"] += 1
        elif text is None:
            left_out["queries_without_text"] += 1
        else:
            queries.append(Query(qid, text, lang))
            qrels[qid] = dict(grades)
    left_out["judged_ids_without_query"] = len(judged.keys() - texts.keys())
    notes: dict[str, object] = {"queries": len(queries)}
    notes.update({key: value for key, value in left_out.items() if value})
    return queries, qrels, notes
