"""Any ir_datasets id with queries and qrels, as a dataset of one pair: ``--dataset irds:ID``.

Ids and pairs. ``irds:neuclir/1/zh/trec-2022`` (PyTerrier's spelling) names the ir_datasets id
``neuclir/1/zh/trec-2022``. Each id is a dataset of its own, made on first use rather than
registered (ir_datasets has hundreds), whose one pair is the id's queries against its documents
in the languages ir_datasets states (``queries_lang()``, ``docs_lang()``; where it returns None,
:mod:`.irds_profiles`): ``irds/neuclir/1/zh/trec-2022/en-zh``. The dataset part of the pair id is
``irds/ID``, not ``irds:ID``, because pair ids become folders of a submission and a stored pair id
may hold only letters, digits, ``._-`` and ``/``; ``irds/ID`` is accepted wherever ``irds:ID`` is.
``irds:ID/Q-D`` (or ``--pairs Q-D``) names the pair: needed where neither ir_datasets nor a profile
states a language, refused when loading where it contradicts them. A last segment shaped ``Q-D``
is a pair unless the whole string is an id that ir_datasets lists.

Languages before the data directory is known. Resolving ``irds:ID`` to its pair needs ir_datasets
before the loader knows the data directory, and ir_datasets fixes its cache home at import
(:mod:`.irds`). Where ir_datasets is already imported (a notebook; an extension that registered
more ids) or ``$IR_DATASETS_HOME`` pins the home, they are read in this process; otherwise a short
``python`` subprocess reads them (about a second, once per id and process), so that this process
still imports ir_datasets with the home of the data directory it then loads from.

Reading. Queries are every ir_datasets query, by ``default_text()`` (NeuCLIR's and HC4's: the
English title), so that a run may rank unjudged topics; qrels keep the queries with a relevant
judgment, the ones trec_eval evaluates. Documents are ``default_text()`` too, read lazily (by id
through ir_datasets' docstore); runs are ranked and evaluated to depth 1000. The files a component
needs are found in ir_datasets' own objects (:mod:`.irds_files`), and a missing one is a one-line
error naming it and where it goes.
"""
from __future__ import annotations

import contextlib
import json
import operator
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from harness.datasets.base import Dataset, judged_queries
from harness.datasets.irds import HOME_ENV, Access, count, home_for, home_is_pinned, ir_datasets_for, known_ids, qrels_of, reason
from harness.datasets.irds_files import docs_files, needed_files
from harness.datasets.irds_profiles import profile_for
from harness.datasets.pairs import MULTILINGUAL, SETTINGS, PairId
from harness.datasets.records import Document, DocumentCollection, PairTask, Qrels, Query
from harness.errors import HarnessError, did_you_mean
from harness.paths import data_dir as default_data_dir

PREFIX = "irds:"
STORED_PREFIX = "irds/"
RUN_DEPTH = 1000
_CODE = re.compile(r"[a-z]{2,3}")
_PAIR = re.compile(r"[a-z]{2,3}-[a-z]{2,3}", re.IGNORECASE)
_PROBE = "import sys; from harness.datasets.irds_any import print_facts; print_facts(sys.argv[1])"
_PROBE_TIMEOUT_S = 300
_text = operator.methodcaller("default_text")


def names_irds(spec: str) -> bool:
    """True when ``spec`` is an ``irds:`` (or stored ``irds/``) dataset or pair id."""
    return spec[: len(PREFIX)].lower() in (PREFIX, STORED_PREFIX)


def dataset(spec: str) -> IrdsDataset:
    """The dataset ``irds:ID`` (or ``irds/ID``) names; one object per id."""
    ir_id = spec[len(PREFIX):]
    if not ir_id:
        raise HarnessError(f"{spec!r}: name an ir_datasets id, e.g. irds:neuclir/1/zh/trec-2022")
    return _dataset(ir_id)


@cache
def _dataset(ir_id: str) -> IrdsDataset:
    return IrdsDataset(ir_id)


def split(spec: str) -> tuple[IrdsDataset, str | None]:
    """The dataset of ``irds:ID`` or ``irds:ID/Q-D``, and the ``Q-D`` where the spec gives one."""
    body = spec[len(PREFIX):]
    head, _, tail = body.rpartition("/")
    if head and _PAIR.fullmatch(tail) and body not in known_ids():
        return dataset(PREFIX + head), tail
    return dataset(spec), None


@dataclass(frozen=True)
class Facts:
    """What ir_datasets says of one id: which entities it has, and their languages (None: unstated)."""

    queries: bool
    qrels: bool
    docs: bool
    queries_lang: str | None
    docs_lang: str | None

    @classmethod
    def of(cls, ds: Any) -> Facts:
        """The facts of an ir_datasets dataset object; a language that is no 2-3 letter code counts as unstated."""
        queries, docs = ds.has_queries(), ds.has_docs()
        return cls(
            queries, ds.has_qrels(), docs, _code(ds.queries_lang() if queries else None), _code(ds.docs_lang() if docs else None)
        )


def _code(lang: str | None) -> str | None:
    return lang if lang and _CODE.fullmatch(lang) else None


def open_id(module: Any, ir_id: str) -> Any:
    """ir_datasets' dataset ``ir_id``; an unknown id, or one ir_datasets cannot set up offline, is one line."""
    try:
        return module.load(ir_id)
    except KeyError:
        close = did_you_mean(ir_id, list(module.registry))
        raise HarnessError(f"irds:{ir_id}: not an ir_datasets id (ir_datasets {module.__version__}){close}") from None
    except (OSError, RuntimeError) as error:
        raise HarnessError(f"irds:{ir_id}: ir_datasets could not set it up ({reason(error)})") from None


@cache
def stated(ir_id: str) -> Facts:
    """:class:`Facts` of ``ir_id`` before any data directory is known (see the module docstring)."""
    module = sys.modules.get("ir_datasets")
    if module is None and home_is_pinned():
        module = ir_datasets_for(default_data_dir())
    return _ask_subprocess(ir_id) if module is None else Facts.of(open_id(module, ir_id))


def _ask_subprocess(ir_id: str) -> Facts:
    env = {
        **os.environ,
        HOME_ENV: str(home_for(default_data_dir())),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")])),
    }
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, ir_id], capture_output=True, text=True, env=env, timeout=_PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise HarnessError(f"irds:{ir_id}: ir_datasets did not answer within {_PROBE_TIMEOUT_S} s") from None
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise HarnessError(f"irds:{ir_id}: could not ask ir_datasets for its languages ({last[:200]})")
    answer = json.loads(lines[-1])
    if "error" in answer:
        raise HarnessError(answer["error"])
    return Facts(**answer)


def print_facts(ir_id: str) -> None:
    """Print :class:`Facts` of ``ir_id`` as one JSON line (what :func:`stated`'s subprocess runs)."""
    try:
        answer = asdict(Facts.of(open_id(ir_datasets_for(default_data_dir()), ir_id)))
    except HarnessError as error:
        answer = {"error": str(error)}
    print(json.dumps(answer))


class IrdsDataset(Dataset):
    """One ir_datasets id as a dataset whose one pair is its queries against its documents."""

    description = "An ir_datasets id with queries and qrels, in the languages ir_datasets states"
    # Any shape: a named pair (irds:ID/Q-D, --pairs) may be any, and its languages give its setting.
    settings = SETTINGS

    def __init__(self, ir_id: str) -> None:
        self.ir_id = ir_id
        self.id = STORED_PREFIX + ir_id
        self.title = f"ir_datasets {ir_id}"
        self.profile = profile_for(ir_id)

    @property
    def query_sides(self) -> tuple[str, ...]:
        return (self.standard_pairs()[0].query_lang,)

    @property
    def doc_sides(self) -> tuple[str, ...]:
        return (self.standard_pairs()[0].doc_lang,)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.query_sides + self.doc_sides))

    def standard_pairs(self) -> list[PairId]:
        """The one pair, in the languages ir_datasets (or the profile) states."""
        facts = stated(self.ir_id)
        self._check_entities(facts)
        query_lang, doc_lang = self._expected(facts)
        if query_lang is None or doc_lang is None:
            side = "query" if query_lang is None else "document"
            example = f"{query_lang or 'en'}-{doc_lang or 'en'}"
            raise HarnessError(
                f"irds:{self.ir_id}: ir_datasets does not state its {side} language; name the pair, e.g. irds:{self.ir_id}/{example}"
            )
        return [PairId(self.id, query_lang, doc_lang)]

    def default_measures(self, setting: str) -> tuple[str, ...]:
        return self.profile.measures

    def expected_location(self, data_dir: Path) -> str:
        return f"ir_datasets cache {home_for(data_dir)} (the files ir_datasets reads for {self.ir_id})"

    def check_pair(self, pair: PairId) -> None:
        """The pair's form only: its languages are checked against ir_datasets when it loads."""
        if pair.dataset != self.id:
            raise HarnessError(f"pair {pair} belongs to {pair.dataset!r}, not {self.id!r}")
        for side, lang in (("query", pair.query_lang), ("document", pair.doc_lang)):
            if lang != MULTILINGUAL and not _CODE.fullmatch(lang):
                raise HarnessError(f"{pair}: bad {side} language {lang!r}: expected a 2-3 letter code (or xx)")

    def load(self, pair: PairId, data_dir: Path, *, download: bool = False) -> PairTask:
        self.check_pair(pair)
        access = Access(str(pair), data_dir, download)
        module = ir_datasets_for(data_dir)
        ds = open_id(module, self.ir_id)
        facts = Facts.of(ds)
        self._check_entities(facts)
        self._check_languages(pair, facts)
        with _read(access.what), access.open(self.ir_id, needed_files([ds.queries_handler(), ds.qrels_handler()])) as opened:
            texts = {query.query_id: (_text(query), pair.query_lang) for query in opened.queries_iter()}
            judged = qrels_of(opened)
        _, qrels, counts = judged_queries(texts, judged)
        notes: dict[str, object] = {
            "ir_datasets_id": self.ir_id,
            "queries": len(texts),
            "judged_queries": counts.pop("queries"),
            **counts,
            "languages_from": self._origins(facts),
            "measures_from": self.profile.source,
        }
        docs_id = module.docs_parent_id(self.ir_id) if facts.docs else self.ir_id
        documents = DocumentCollection(
            f"{STORED_PREFIX}{docs_id}",
            [pair.doc_lang],
            lambda: _iter_docs(access, self.ir_id, pair.doc_lang),
            size=count(docs_id, "docs"),
            fetch=lambda ids: _fetch(access, self.ir_id, pair.doc_lang, ids),
        )
        queries = [Query(qid, text, lang) for qid, (text, lang) in texts.items()]
        return PairTask(pair, queries, documents, qrels, self.default_measures(pair.setting), notes=notes, depth=RUN_DEPTH)

    def queries_and_qrels(self, pair: PairId, data_dir: Path, *, download: bool = False) -> tuple[Sequence[Query], Qrels]:
        """The queries the pair evaluates (those with a relevant judgment) and their qrels: what a
        stored pair's per-query scores hold, while its task keeps every topic for runs to rank."""
        task = self.load(pair, data_dir, download=download)
        return [query for query in task.queries if query.query_id in task.qrels], task.qrels

    def _expected(self, facts: Facts) -> tuple[str | None, str | None]:
        return facts.queries_lang or self.profile.query_lang, facts.docs_lang or self.profile.doc_lang

    def _check_entities(self, facts: Facts) -> None:
        lacking = [name for name, has in (("queries", facts.queries), ("qrels", facts.qrels)) if not has]
        if lacking:
            raise HarnessError(f"irds:{self.ir_id}: ir_datasets has no {' and no '.join(lacking)} for it; evaluation needs both")

    def _check_languages(self, pair: PairId, facts: Facts) -> None:
        query_lang, doc_lang = self._expected(facts)
        for side, given, known in (("query", pair.query_lang, query_lang), ("document", pair.doc_lang, doc_lang)):
            if known is not None and given != known:
                right = f"{query_lang or pair.query_lang}-{doc_lang or pair.doc_lang}"
                raise HarnessError(f"{pair}: the {side} language of {self.ir_id} is {known}, not {given}; use irds:{self.ir_id}/{right}")

    def _origins(self, facts: Facts) -> dict[str, str]:
        def origin(from_irds: str | None, from_profile: str | None) -> str:
            if from_irds:
                return "ir_datasets"
            return "harness profile (ir_datasets leaves it unstated)" if from_profile else "the pair id"

        return {
            "query": origin(facts.queries_lang, self.profile.query_lang),
            "document": origin(facts.docs_lang, self.profile.doc_lang),
        }


@contextlib.contextmanager
def _read(what: str) -> Iterator[None]:
    """ir_datasets failing while its files are all there (a malformed file, or a download the file
    search missed) is one line too."""
    try:
        yield
    except (OSError, RuntimeError, ValueError, KeyError) as error:  # JSON errors are ValueErrors; a missing field, a KeyError
        raise HarnessError(f"{what}: ir_datasets failed to read its files ({reason(error)})") from None


def _doc_files(access: Access, ir_id: str, lang: str) -> list[Any]:
    """The files of ``ir_id``'s documents; refuses a collection the harness cannot rank."""
    if lang == MULTILINGUAL:
        raise HarnessError(
            f"{access.what}: ir_datasets gives no language per document of this multilingual collection, so the "
            "harness cannot index it; evaluate a run of it with --run instead"
        )
    ds = open_id(ir_datasets_for(access.data_dir), ir_id)
    if not ds.has_docs():
        raise HarnessError(f"{access.what}: ir_datasets has no documents for {ir_id}")
    return docs_files(ds.docs_handler())


def _iter_docs(access: Access, ir_id: str, lang: str) -> Iterator[Document]:
    files = _doc_files(access, ir_id, lang)
    with _read(access.what):
        yield from access.iter_documents(ir_id, files, lang, _text)


def _fetch(access: Access, ir_id: str, lang: str, doc_ids: Sequence[str]) -> Mapping[str, Document]:
    files = _doc_files(access, ir_id, lang)
    with _read(access.what):
        return access.get_documents(ir_id, files, lang, doc_ids, _text)
