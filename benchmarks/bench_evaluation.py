"""Time the harness's evaluation against plain ir-measures and ranx, side by side, on two run shapes.

    python benchmarks/bench_evaluation.py            # full size (a few minutes, several GB of memory)
    python benchmarks/bench_evaluation.py --scale 0.05 --no-ranx   # a quick smoke run

Shapes (seeded): an MS MARCO-like run of 7,000 queries x 1,000 documents with BM25-like scores
rounded to 4 decimals (so some ties) and about 1.07 relevant passages per query; and a run
shaped like the XQuAD-R multilingual pool, 1,190 queries x all 13,014 candidates with float32
scores and 11 relevant candidates per query. Each system reads the same files from disk and
produces per-query AP, RR@10, nDCG@10 and R@100:

- harness: ``read_run`` + ``read_qrels`` (parse), ``evaluate`` (its sort timed on its own too);
- ir-measures: ``read_trec_run``/``read_trec_qrels`` into lists, then ``evaluator().iter_calc``
  (pytrec_eval for AP/nDCG/R, the msmarco provider for RR@10); the dict-of-dicts conversion it
  does inside is timed on its own too;
- ranx: the files parsed into dicts in Python (its DataFrame path fails under pandas 3), then
  ``Qrels``/``Run`` from the dicts and ``evaluate``; numba's compilation is timed apart.
"""
from __future__ import annotations

import argparse
import functools
import gc
import tempfile
import time
from pathlib import Path

import numpy as np

from harness.evaluation import Run, evaluate, read_qrels, read_run, write_run
from harness.evaluation.ranking import rank_run

MEASURES = "AP,RR@10,nDCG@10,R@100"
RANX_METRICS = {"AP": "map", "RR@10": "mrr@10", "nDCG@10": "ndcg@10", "R@100": "recall@100"}
LANGUAGES = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]


def msmarco_like(folder: Path, scale: float, seed: int = 0) -> tuple[Path, Path]:
    """7,000 x 1,000 from an 8.8M-passage collection; one relevant passage (7%: two), 80% of them retrieved."""
    rng = np.random.default_rng(seed)
    num_queries, depth = max(1, int(7000 * scale)), 1000
    query_ids = rng.choice(1_100_000, num_queries, replace=False).astype(str).astype(object)
    docs = np.stack([rng.choice(8_800_000, depth, replace=False) for _ in range(num_queries)])
    scores = np.round(np.sort(rng.normal(10.0, 3.0, (num_queries, depth)), axis=1)[:, ::-1], 4)
    qrels = []
    for q, qid in enumerate(query_ids.tolist()):
        judged = set()
        for _ in range(1 + (rng.random() < 0.07)):
            retrieved = rng.random() < 0.8
            judged.add(str(docs[q, min(int(rng.exponential(30)), depth - 1)] if retrieved else rng.integers(8_800_000)))
        qrels.extend(f"{qid} 0 {doc} 1\n" for doc in sorted(judged))
    run = Run(np.repeat(query_ids, depth), docs.ravel().astype(str).astype(object), scores.ravel())
    return _save(folder, "msmarco-like", run, qrels)


def xquad_r_like(folder: Path, scale: float, seed: int = 0) -> tuple[Path, Path]:
    """1,190 questions x the whole 13,014-sentence pool of 11 languages; the answer sentence in each language is relevant."""
    rng = np.random.default_rng(seed)
    num_queries, pool_size = max(1, int(1190 * scale)), 13014
    per_language = np.full(len(LANGUAGES), pool_size // len(LANGUAGES))
    per_language[: pool_size % len(LANGUAGES)] += 1
    pool = np.array([f"{lang}-{s // 40}-{s // 8 % 5}-{s % 8}" for lang, n in zip(LANGUAGES, per_language) for s in range(n)], dtype=object)
    language_start = np.r_[0, np.cumsum(per_language)[:-1]]
    query_ids = np.array([f"{56000 + q:x}" for q in range(num_queries)], dtype=object)
    relevant = language_start[None, :] + rng.integers(per_language.min(), size=(num_queries, 1))
    scores = rng.normal(0.3, 0.1, (num_queries, pool_size))
    scores[np.arange(num_queries)[:, None], relevant] += rng.normal(0.25, 0.1, relevant.shape)  # a retriever that half works
    scores = scores.astype(np.float32).astype(np.float64)
    order = np.argsort(-scores, axis=1, kind="stable")
    qrels = [f"{qid} 0 {pool[doc]} 1\n" for qid, docs in zip(query_ids.tolist(), relevant.tolist()) for doc in docs]
    run = Run(np.repeat(query_ids, pool_size), pool[order].ravel(), np.take_along_axis(scores, order, axis=1).ravel())
    return _save(folder, "xquad-r-like", run, qrels)


def _save(folder: Path, name: str, run: Run, qrels: list[str]) -> tuple[Path, Path]:
    run_path, qrels_path = folder / f"{name}.trec", folder / f"{name}.qrels"
    write_run(run, run_path, tag=name)
    qrels_path.write_text("".join(qrels))
    return run_path, qrels_path


def time_harness(run_path: Path, qrels_path: Path, rank_distance: bool) -> dict[str, object]:
    started = time.perf_counter()
    run, qrels = read_run(run_path), read_qrels(qrels_path)
    parsed = time.perf_counter()
    rank_run(run)
    sorted_ = time.perf_counter()
    result = evaluate(run, qrels, MEASURES)
    done = time.perf_counter()
    row = {
        "system": "harness",
        "parse": parsed - started,
        "sort": sorted_ - parsed,
        "measures": (done - sorted_) - (sorted_ - parsed),
        "total": (parsed - started) + (done - sorted_),
        "values": result.aggregate,
        "notes": f"{len(run):,} rows; {result.ties['tied_neighbours']:,} tied neighbours",
    }
    if rank_distance:
        before = time.perf_counter()
        distance = evaluate(run, qrels, "RankDistance").aggregate["RankDistance"]
        row["notes"] += f"; RankDistance {distance:.1f} in {time.perf_counter() - before:.2f} s"
    return row


def time_ir_measures(run_path: Path, qrels_path: Path) -> dict[str, object]:
    import ir_measures

    started = time.perf_counter()
    run = list(ir_measures.read_trec_run(str(run_path)))
    qrels = list(ir_measures.read_trec_qrels(str(qrels_path)))
    parsed = time.perf_counter()
    measures = [ir_measures.parse_measure(name) for name in MEASURES.split(",")]
    per_query = list(ir_measures.evaluator(measures, qrels).iter_calc(run))
    done = time.perf_counter()
    values = {str(m): float(np.mean([x.value for x in per_query if x.measure == m])) for m in measures}
    converting = time.perf_counter()
    ir_measures.util.RunConverter(run).as_dict_of_dict()
    conversion = time.perf_counter() - converting
    return {
        "system": "ir-measures",
        "parse": parsed - started,
        "sort": None,
        "measures": done - parsed,
        "total": done - started,
        "values": values,
        "notes": f"of its measures time, {conversion:.1f} s is one run -> dict-of-dicts conversion (done once per provider)",
    }


def time_ranx(run_path: Path, qrels_path: Path) -> dict[str, object]:
    import ranx

    started = time.perf_counter()
    run_dict: dict[str, dict[str, float]] = {}
    with open(run_path) as lines:
        for line in lines:
            qid, _, doc, _, score, _ = line.split()
            run_dict.setdefault(qid, {})[doc] = float(score)
    qrels_dict: dict[str, dict[str, int]] = {}
    with open(qrels_path) as lines:
        for line in lines:
            qid, _, doc, grade = line.split()
            qrels_dict.setdefault(qid, {})[doc] = int(grade)
    parse = time.perf_counter() - started
    warm_up = _ranx_warm_up(run_dict, qrels_dict)
    measuring = time.perf_counter()
    run, qrels = ranx.Run(run_dict), ranx.Qrels(qrels_dict)
    built = time.perf_counter()
    values = ranx.evaluate(qrels, run, list(RANX_METRICS.values()))
    done = time.perf_counter()
    return {
        "system": "ranx",
        "parse": parse,
        "sort": None,
        "measures": done - measuring,
        "total": parse + done - measuring,
        "values": {name: float(values[metric]) for name, metric in RANX_METRICS.items()},
        "notes": f"measures = Run/Qrels from dicts {built - measuring:.1f} s + evaluate {done - built:.1f} s; "
        f"warm-up on 12 queries first, not counted: {warm_up:.1f} s",
    }


def _ranx_warm_up(run: dict[str, dict[str, float]], qrels: dict[str, dict[str, int]]) -> float:
    """numba compiles ranx's functions on first use for each input type (then caches them on disk):
    run the whole path once on a few queries of the same data so the timing above excludes it.

    Twelve queries, not fewer: ``ranx.evaluate`` drops numba to one thread for fewer than 10
    queries and does not restore it, which would time ranx single-threaded."""
    import ranx

    started = time.perf_counter()
    few = dict(list(run.items())[:12])
    ranx.evaluate(ranx.Qrels({qid: qrels[qid] for qid in few}), ranx.Run(few), list(RANX_METRICS.values()))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the queries to generate (default 1)")
    parser.add_argument("--no-ranx", action="store_true")
    parser.add_argument("--no-ir-measures", action="store_true")
    args = parser.parse_args()

    compile_s = None if args.no_ranx else _ranx_warm_up({"q": {"d1": 1.0, "d2": 0.5}}, {"q": {"d1": 1}})
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for shape, make in (("MS MARCO-like 7,000 x 1,000", msmarco_like), ("XQuAD-R-like 1,190 x 13,014", xquad_r_like)):
            started = time.perf_counter()
            run_path, qrels_path = make(Path(folder), args.scale)
            size_mb = run_path.stat().st_size / 1e6
            print(f"[{shape}: generated and written in {time.perf_counter() - started:.1f} s, {size_mb:.0f} MB]", flush=True)
            timers = [functools.partial(time_harness, rank_distance="XQuAD" in shape)]
            if not args.no_ir_measures:
                timers.append(time_ir_measures)
            if not args.no_ranx:
                timers.append(time_ranx)
            for timer in timers:
                gc.collect()
                rows.append({"shape": shape, **timer(run_path, qrels_path)})
                print(_format(rows[-1]), flush=True)
            run_path.unlink()
    print()
    print(_table(rows))
    if compile_s is not None:
        print(f"\nranx: first call in this process (numba compiling, or loading its disk cache; excluded above): {compile_s:.1f} s")


def _format(row: dict[str, object]) -> str:
    values = " ".join(f"{name}={value:.4f}" for name, value in row["values"].items())
    return f"  {row['system']:<12} total {row['total']:6.1f} s   {values}   ({row['notes']})"


def _table(rows: list[dict[str, object]]) -> str:
    header = "| shape | system | parse s | sort s | measures s | total s | vs harness |"
    lines = [header, "|" + "---|" * 7]
    harness_total = {row["shape"]: row["total"] for row in rows if row["system"] == "harness"}
    for row in rows:
        sort = "-" if row["sort"] is None else f"{row['sort']:.2f}"
        ratio = row["total"] / harness_total[row["shape"]]
        cells = [row["shape"], row["system"], f"{row['parse']:.2f}", sort, f"{row['measures']:.2f}", f"{row['total']:.2f}", f"{ratio:.1f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
