"""From score matrices to runs: whole-pool rankings and per-query candidate lists."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from harness.evaluation.run import Run
from harness.evaluation.score_matrix import ScoreMatrix


def rank_pool(query_ids: Sequence[str], queries: np.ndarray, doc_ids: Sequence[str], documents: np.ndarray, depth: int | None, *, chunk: int = 1024) -> ScoreMatrix:
    """Score every query against every document (dot product of the embeddings): the whole
    matrix for ``depth=None`` (LAReQA's mAP is over the whole pool), else each query's ``depth``
    best (a top-k matrix). Nothing is sorted here: the evaluation needs no order of the rows."""
    doc_matrix = torch.from_numpy(np.ascontiguousarray(documents, dtype=np.float32))
    keep = len(doc_ids) if depth is None else min(depth, len(doc_ids))
    scores = np.empty((len(query_ids), keep), dtype=np.float32)
    columns = None if keep == len(doc_ids) else np.empty((len(query_ids), keep), dtype=np.int64)
    for start in range(0, len(query_ids), chunk):
        block = torch.from_numpy(np.ascontiguousarray(queries[start : start + chunk], dtype=np.float32)) @ doc_matrix.T
        if columns is not None:
            block, best = torch.topk(block, keep, dim=1)
            columns[start : start + len(block)] = best.numpy()
        scores[start : start + len(block)] = block.numpy()
    return ScoreMatrix(query_ids, doc_ids, scores, columns)


def rank_candidates(candidates: Mapping[str, Sequence[str]], scores: Mapping[str, np.ndarray]) -> Run:
    """A run from each query's candidate ids and the scores given to them (same order)."""
    return Run.from_rankings((qid, candidates[qid], scores[qid].astype(np.float64)) for qid in candidates)
