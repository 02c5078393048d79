"""A PyTerrier transformer (or pipeline) as a ranker (``pip install 'harness[pyterrier]'``: python-terrier).

PyTerrier transformers take different inputs; the parameter ``input`` says which this one takes:

- ``topics`` (the default): it **retrieves**. It gets the pair's queries as PyTerrier topics, a
  DataFrame with ``qid``, ``query`` and ``query_lang`` (the ISO 639-1 code of the query), and
  returns PyTerrier's result frame, ``qid, docno, score`` (a ``rank`` column serves
  ``tie_break="rank"``; other columns are ignored). It searches its own index, which the harness
  cannot see: that index must hold the pair's collection under the collection's document ids.
  The evaluation reports the share of returned documents found in the collection, and refuses a
  run with none (an index of another collection).
- ``candidates``: it **re-ranks** (``pt.apply.doc_score``, a cross-encoder, ``pt.text`` stages).
  It gets one row per query and candidate document, ``qid, query, query_lang, docno, text,
  doc_lang``: the protocol's first-stage candidates where it has them (mMARCO's BM25 top 1000),
  else every document of the pair's collection (LAReQA's protocol ranks the whole pool), in
  batches of ``batch_queries`` queries so that a pool of 13,014 sentences stays in bounded memory.

The result is read as a submitted DataFrame run is and cut to the protocol's depth
(:mod:`.returned_runs`). A result describes the transformer by its ``repr`` (PyTerrier prints a
pipeline's stages and their settings) and by ``input``; an index's or a model's content is not
covered, so name each system apart.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError
from harness.models.registry import ModelSpec, Param, Ranker

if TYPE_CHECKING:
    import pandas

    from harness.datasets.records import Document, PairTask, Query
    from harness.evaluation.run import Run

INPUTS = ("topics", "candidates")
TOPIC_COLUMNS = ("qid", "query", "query_lang")
CANDIDATE_COLUMNS = (*TOPIC_COLUMNS, "docno", "text", "doc_lang")
RESULT_COLUMNS = ("qid", "docno", "score", "rank")


class PyTerrierRanker(Ranker):
    """Ranks with a PyTerrier transformer fed topics or candidates; see the module's notes."""

    name = "pyterrier"

    def __init__(self, transformer: Any, **params: Any) -> None:
        super().__init__(**params)
        if self.params["input"] not in INPUTS:
            raise HarnessError(f"model 'pyterrier': input must be one of {', '.join(INPUTS)}, not {self.params['input']!r}")
        if self.params["batch_queries"] < 1:
            raise HarnessError(f"model 'pyterrier': batch_queries must be at least 1, not {self.params['batch_queries']}")
        self.transformer = transformer

    def rank(self, task: PairTask, *, depth: int | None = None, progress: bool = True) -> Run:
        """The transformer's result for the task's queries, as a checked run cut to ``depth``."""
        import pandas as pd

        from harness.models.returned_runs import returned_run
        from harness.progress import progress as progress_bar

        if self.params["input"] == "topics":
            results = [self._transform(pd.DataFrame.from_records(_topic_rows(task.queries), columns=list(TOPIC_COLUMNS)))]
        else:
            batches = _candidate_batches(task, self.params["batch_queries"])
            total = -(-len(task.queries) // self.params["batch_queries"])
            results = [self._transform(frame) for frame in progress_bar(batches, progress, "re-rank candidates", unit="batch", total=total)]
        returned = pd.concat(results, ignore_index=True) if results else pd.DataFrame(columns=list(RESULT_COLUMNS))
        run = returned_run(returned, "the PyTerrier transformer's result", depth)
        run.name = self.name
        run.metadata = {"transformer": repr(self.transformer), "input": self.params["input"], "depth": depth}
        return run

    def _transform(self, frame: pandas.DataFrame) -> pandas.DataFrame:
        """The transformer's result for ``frame``, narrowed to the run's columns (the others may be large: texts)."""
        import pandas as pd

        result = self.transformer.transform(frame)
        if not isinstance(result, pd.DataFrame):
            raise HarnessError(f"the PyTerrier transformer {self.transformer!r} returned a {type(result).__name__}, not a DataFrame")
        kept = [column for column in RESULT_COLUMNS if column in result.columns]
        return result[kept] if {"qid", "docno", "score"} <= set(kept) else result

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "transformer": repr(self.transformer)}


def _topic_rows(queries: Sequence[Query]) -> list[tuple[str, str, str]]:
    return [(query.query_id, query.text, query.lang) for query in queries]


def _candidate_batches(task: PairTask, batch_queries: int) -> Iterator[pandas.DataFrame]:
    """One frame of (query, candidate) rows per ``batch_queries`` queries."""
    import pandas as pd

    queries = list(task.queries)
    protocol = task.candidates
    if protocol is None:
        pool = list(task.documents)  # every query ranks the whole collection
    else:
        asked = {query.query_id for query in queries}
        held = task.documents.get_many({doc for qid, ids in protocol.items() if qid in asked for doc in ids})

    def candidates_of(query: Query) -> Sequence[Document]:
        return pool if protocol is None else [held[doc] for doc in protocol.get(query.query_id, ()) if doc in held]

    for start in range(0, len(queries), batch_queries):
        rows = [_row(query, document) for query in queries[start : start + batch_queries] for document in candidates_of(query)]
        yield pd.DataFrame.from_records(rows, columns=list(CANDIDATE_COLUMNS))


def _row(query: Query, document: Document) -> tuple[str, str, str, str, str, str]:
    return (query.query_id, query.text, query.lang, document.doc_id, document.text, document.lang)


PARAMS = (
    Param("input", "str", "topics", "what the transformer takes: topics (it retrieves from its own index) or candidates (it re-ranks)"),
    Param("batch_queries", "int", 64, "input=candidates: queries per frame given to the transformer; memory only, not scores"),
)


def spec_for(transformer: Any) -> ModelSpec:
    """The spec ranking with ``transformer``."""
    return ModelSpec(
        "pyterrier", "a PyTerrier transformer: a retriever fed topics, or a re-ranker fed candidates", PARAMS,
        lambda **params: PyTerrierRanker(transformer, **params),
    )
