"""Time a dense ranker's MLIR pair from embeddings to measures, against the matmul + sort floor.

    python benchmarks/bench_dense_evaluation.py               # 1,190 x 13,014 (XQuAD-R's pool), 3 repeats
    python benchmarks/bench_dense_evaluation.py --rows        # also the same scores as unsorted run rows

The shape of one XQuAD-R MLIR pair of a neural model: 1,190 questions, the 13,014 sentences of
the 11-language pool, 384-dimensional unit embeddings (seeded; each question's answer sentence
in every language sits near it, so the measures are not trivial). Measures AP, R@1, R@10 and
RankDistance, as the pair's defaults. In one process, interleaved, median of ``--repeats``:

- floor: the float32 matrix product plus a full sort of every row (``torch.sort``, values and
  indices, as a ranking needs them), and the same with numpy's argsort;
- harness, matrix: ``rank_pool`` (the product, as the neural adapters call it) and ``evaluate``
  on the :class:`ScoreMatrix` it returns, every measure in one call;
- harness, rows (``--rows``): the same scores as a :class:`Run` whose rows are unsorted within
  each query (the shape ``rank_pool`` returned before), evaluated in one call.
"""
from __future__ import annotations

import argparse
import gc
import statistics
import time

import numpy as np
import torch

from harness.evaluation import Run, evaluate
from harness.models.dense_ranking import rank_pool

LANGUAGES = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]
MEASURES = "AP,R@1,R@10,RankDistance"


def pair(num_queries: int, per_language: int, dim: int = 384, seed: int = 0):
    """Question and pool embeddings, pool ids and qrels shaped like an XQuAD-R MLIR pair."""
    rng = np.random.default_rng(seed)
    sentences = rng.standard_normal((per_language, dim)).astype(np.float32)
    pool = np.concatenate([sentences + 2.0 * rng.standard_normal((per_language, dim)).astype(np.float32) for _ in LANGUAGES])
    pool /= np.linalg.norm(pool, axis=1, keepdims=True)
    doc_ids = [f"{lang}-{s // 40}-{s // 8 % 5}-{s % 8}" for lang in LANGUAGES for s in range(per_language)]
    answers = rng.integers(per_language, size=num_queries)
    queries = sentences[answers] + 2.5 * rng.standard_normal((num_queries, dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    query_ids = [f"{56000 + q:x}" for q in range(num_queries)]
    qrels = {qid: {doc_ids[k * per_language + a]: 1 for k in range(len(LANGUAGES))} for qid, a in zip(query_ids, answers.tolist())}
    return query_ids, queries, doc_ids, pool, qrels


def floor_torch(queries: np.ndarray, pool: np.ndarray) -> float:
    started = time.perf_counter()
    scores = torch.from_numpy(queries) @ torch.from_numpy(pool).T
    torch.sort(scores, dim=1, descending=True)
    return time.perf_counter() - started


def floor_numpy(queries: np.ndarray, pool: np.ndarray) -> float:
    started = time.perf_counter()
    scores = (torch.from_numpy(queries) @ torch.from_numpy(pool).T).numpy()
    np.argsort(-scores, axis=1)
    return time.perf_counter() - started


def harness_matrix(query_ids, queries, doc_ids, pool, qrels) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    matrix = rank_pool(query_ids, queries, doc_ids, pool, None)
    result = evaluate(matrix, qrels, MEASURES, pool=doc_ids)
    return time.perf_counter() - started, result.aggregate


def harness_rows(query_ids, queries, doc_ids, pool, qrels) -> tuple[float, dict[str, float]]:
    scores = (torch.from_numpy(queries) @ torch.from_numpy(pool).T).numpy()
    run = Run(np.repeat(np.array(query_ids, dtype=object), len(doc_ids)), np.tile(np.array(doc_ids, dtype=object), len(query_ids)), scores.astype(np.float64).ravel())
    started = time.perf_counter()
    result = evaluate(run, qrels, MEASURES, pool=doc_ids)
    return time.perf_counter() - started, result.aggregate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=1190)
    parser.add_argument("--per-language", type=int, default=1184, help="sentences per language (11 languages; 1,184 gives 13,024, about XQuAD-R's 13,014)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", action="store_true", help="also evaluate the scores as unsorted run rows")
    args = parser.parse_args()
    data = pair(args.queries, args.per_language)
    print(f"{args.queries:,} queries x {len(data[2]):,} candidates; torch threads {torch.get_num_threads()}", flush=True)
    timers = {"floor: matmul + torch.sort": lambda: floor_torch(data[1], data[3]), "floor: matmul + np.argsort": lambda: floor_numpy(data[1], data[3])}
    values = {}

    def matrix() -> float:
        seconds, values["matrix"] = harness_matrix(*data)
        return seconds

    def rows() -> float:
        seconds, values["rows"] = harness_rows(*data)
        return seconds

    timers["harness: rank_pool + evaluate(ScoreMatrix)"] = matrix
    if args.rows:
        timers["harness: evaluate(Run), unsorted rows"] = rows
    times: dict[str, list[float]] = {name: [] for name in timers}
    for _ in range(args.repeats):
        for name, timer in timers.items():
            gc.collect()
            times[name].append(timer())
    floor = statistics.median(times["floor: matmul + torch.sort"])
    print("| case | median s | runs s | vs floor |\n|---|---|---|---|")
    for name, found in times.items():
        print(f"| {name} | {statistics.median(found):.3f} | {', '.join(f'{t:.3f}' for t in found)} | {statistics.median(found) / floor:.2f}x |")
    for name, aggregate in values.items():
        print(f"{name}: " + ", ".join(f"{k} {v:.4f}" for k, v in aggregate.items()))
    if len(values) == 2 and values["matrix"] != values["rows"]:
        raise SystemExit("the matrix and the rows disagree")


if __name__ == "__main__":
    main()
