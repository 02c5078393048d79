"""A plain Python function as a ranker: ``function(queries, documents) -> {query_id: {doc_id: score}}``.

What the function receives, for one pair:

- ``queries``: a list of :class:`~harness.datasets.records.Query` records, ``query_id``, ``text``
  and ``lang`` (the ISO 639-1 code of the text: ``de`` for the queries of ``xquad-r/de-en``);
- ``documents``: the pair's :class:`~harness.datasets.records.DocumentCollection` of
  :class:`~harness.datasets.records.Document` records, ``doc_id``, ``text`` and ``lang``. Iterate it
  (as often as needed), ``len()`` it, or ``get_many(ids)``. In a multilingual pool (``X-xx``)
  documents come in every language, each record saying its own;
- ``candidates`` (only if the function declares a parameter of that name): the protocol's
  first-stage candidates ``{query_id: [doc_id, ...]}`` (mMARCO's BM25 top 1000), or ``None``
  where the protocol ranks the whole collection (XQuAD-R, MLQA-R, MIRACL).

It returns scores, higher meaning better: ``{query_id: {doc_id: score}}`` (as pytrec_eval and
ir-measures take a run), or a DataFrame with ``query_id, doc_id, score`` (or PyTerrier's ``qid,
docno, score``) columns. The result is checked as a submitted run is and cut to the protocol's
depth (:mod:`.returned_runs`); LAReQA's AP is over the whole pool, so there return a score for
every candidate. The evaluation then refuses query ids that are not the pair's and reports
document ids missing from the collection. Errors raised by the function itself propagate as
they are, with their traceback: they are the function's, not the harness's.

A result describes the function by its module and qualified name and the SHA-256 of its own
source (where Python can read it), so a function edited under the same name is a different
system; what it calls is not covered.
"""
from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.models.registry import ModelSpec, Ranker

if TYPE_CHECKING:
    from harness.datasets.records import PairTask
    from harness.evaluation.run import Run


class CallableRanker(Ranker):
    """Ranks with ``function(queries, documents[, candidates=...])``; see the module's notes."""

    name = "callable"

    def __init__(self, function: Callable[..., Any], **params: Any) -> None:
        super().__init__(**params)
        self.function = function
        self.label = function_name(function)
        self.takes_candidates = _declares(function, "candidates")
        self.short_name = getattr(function, "__name__", type(function).__name__)

    def rank(self, task: PairTask, *, depth: int | None = None, progress: bool = True) -> Run:
        """The function's scores for the task's queries, as a checked run cut to ``depth``."""
        from harness.models.returned_runs import returned_run

        extra = {"candidates": task.candidates} if self.takes_candidates else {}
        run = returned_run(self.function(list(task.queries), task.documents, **extra), f"{self.short_name}'s output", depth)
        run.name = self.name
        run.metadata = {"callable": self.label, "depth": depth}
        return run

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "callable": self.label, "source_sha256": source_digest(self.function)}


def spec_for(function: Callable[..., Any]) -> ModelSpec:
    """The spec ranking with ``function`` (no parameters: a function is configured in Python)."""
    return ModelSpec(
        "callable", "a Python function (queries, documents) -> {query_id: {doc_id: score}}", (),
        lambda **params: CallableRanker(function, **params),
    )


def function_name(function: Callable[..., Any]) -> str:
    """``module.qualname`` of a function, or of a callable object's class."""
    named = function if hasattr(function, "__qualname__") else type(function)
    return f"{getattr(named, '__module__', '?')}.{named.__qualname__}"


def source_digest(function: Callable[..., Any]) -> str | None:
    """SHA-256 of the function's source text (its class's, for a callable object); ``None`` where Python has none (a builtin, a REPL line)."""
    try:
        source = inspect.getsource(function if inspect.isfunction(function) or inspect.ismethod(function) else type(function))
    except (OSError, TypeError):
        return None
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _declares(function: Callable[..., Any], name: str) -> bool:
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):  # a builtin without a signature
        return False
