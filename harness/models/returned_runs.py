"""What code outside the harness returns as a ranking, made a checked :class:`Run` of the protocol's depth.

A function, a PyTerrier pipeline or a plugin returns ``{query_id: {doc_id: score}}`` or a
DataFrame (ir-measures' ``query_id, doc_id, score`` or PyTerrier's ``qid, docno, score``). It is
read as a submitted run is (:mod:`harness.evaluation.run_inputs`: ids strings or integers,
finite scores, no document twice, each refusal naming the row), then cut to the protocol's depth
where it ranks a top-k (MIRACL and mMARCO: 1000), as the registered adapters rank: each query
keeps its ``depth`` best rows in the pinned order (score descending, then document id descending,
so ties at the cut fall as trec_eval breaks them).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from harness.evaluation.run import Run
from harness.evaluation.run_inputs import run_in_memory


def returned_run(returned: Any, source: str, depth: int | None) -> Run:
    """``returned`` (a dict or a DataFrame) as a checked run cut to ``depth``; ``source`` names it in messages."""
    return cut_to_depth(run_in_memory(returned, source), depth)


def cut_to_depth(run: Run, depth: int | None) -> Run:
    """Each query's ``depth`` best rows in the pinned order (rows kept in their order); ``None``: the run as it is."""
    from harness.evaluation.ranking import rank_run

    if depth is None:
        return run
    ranking = rank_run(run)
    lengths = np.diff(ranking.offsets)
    if (lengths <= depth).all():
        return run
    position = np.arange(len(ranking.order)) - np.repeat(ranking.offsets[:-1], lengths)
    kept = np.sort(ranking.order[position < depth])
    ranks = None if run.ranks is None else run.ranks[kept]
    return Run(run.query_ids[kept], run.doc_ids[kept], run.scores[kept], ranks, run.name, dict(run.metadata))
