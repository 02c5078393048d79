"""From score matrices to runs: whole-pool rankings and per-query candidate lists."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from harness.evaluation.run import Run, string_array


def rank_pool(query_ids: Sequence[str], queries: np.ndarray, doc_ids: Sequence[str], documents: np.ndarray, depth: int | None, *, chunk: int = 1024) -> Run:
    """Score every query against every document (dot product of the embeddings); keep ``depth``
    best per query, or every document for ``depth=None`` (LAReQA's mAP is over the whole pool)."""
    doc_array = string_array(list(doc_ids))
    doc_matrix = torch.from_numpy(np.ascontiguousarray(documents, dtype=np.float32))
    keep = len(doc_ids) if depth is None else min(depth, len(doc_ids))
    qid_parts, did_parts, score_parts = [], [], []
    for start in range(0, len(query_ids), chunk):
        scores = torch.from_numpy(np.ascontiguousarray(queries[start : start + chunk], dtype=np.float32)) @ doc_matrix.T
        if keep < len(doc_ids):
            scores, columns = torch.topk(scores, keep, dim=1)
            did_parts.append(doc_array[columns.numpy()].ravel())
        else:
            did_parts.append(np.tile(doc_array, scores.shape[0]))
        score_parts.append(scores.numpy().astype(np.float64).ravel())
        qid_parts.append(np.repeat(string_array(list(query_ids[start : start + chunk])), keep))
    if not qid_parts:
        return Run(string_array([]), string_array([]), np.empty(0))
    return Run(np.concatenate(qid_parts), np.concatenate(did_parts), np.concatenate(score_parts))


def rank_candidates(candidates: Mapping[str, Sequence[str]], scores: Mapping[str, np.ndarray]) -> Run:
    """A run from each query's candidate ids and the scores given to them (same order)."""
    return Run.from_rankings((qid, candidates[qid], scores[qid].astype(np.float64)) for qid in candidates)
