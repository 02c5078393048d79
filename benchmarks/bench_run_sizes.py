"""Time and peak memory of evaluating run files from 1k to 1M queries x 100 documents, end to end.

    python benchmarks/bench_run_sizes.py                                # 1k, 10k, 100k, 300k, 1M (disk: ~3.6 GB at 1M)
    python benchmarks/bench_run_sizes.py --queries 1000,10000 --repeats 3

Each system runs as a fresh process on the same files (imports included), its wall time and
peak resident memory taken by ``/usr/bin/time``; median of ``--repeats``, interleaved:

- harness: ``harness eval --run RUN --qrels QRELS --measures AP,P@10,nDCG@10,R@100 --compat
  pytrec_eval --format json`` (the streaming evaluator; pytrec_eval's semantics, so the values
  can be compared);
- pytrec_eval: the file read into dicts in Python (``line.split()``), then
  ``RelevanceEvaluator(...).evaluate`` and the means, as its users do;
- pyarrow read: ``pyarrow.csv.read_csv`` of the file (multithreaded), nothing else: the floor
  of reading the text.

Runs are MS MARCO-shaped: numeric query and passage ids, scores rounded to 4 decimals (some
ties), one or two relevant passages per query, 80% of them retrieved. pytrec_eval is skipped
where its dicts would not fit in ``--memory-gb`` (about 190 bytes a row, measured at 100k);
the table says so. The means of the harness and pytrec_eval must agree to 1e-9.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MEASURES = "AP,P@10,nDCG@10,R@100"
PYTREC_MEASURES = {"AP": "map", "P@10": "P_10", "nDCG@10": "ndcg_cut_10", "R@100": "recall_100"}
PYTREC_BYTES_PER_ROW = 190

PYTREC_SCRIPT = """
import sys, json, pytrec_eval
run, qrels = {}, {}
with open(sys.argv[1]) as lines:
    for line in lines:
        qid, _, doc, _, score, _ = line.split()
        run.setdefault(qid, {})[doc] = float(score)
with open(sys.argv[2]) as lines:
    for line in lines:
        qid, _, doc, grade = line.split()
        qrels.setdefault(qid, {})[doc] = int(grade)
names = json.loads(sys.argv[3])
per_query = pytrec_eval.RelevanceEvaluator(qrels, set(names.values())).evaluate(run)
judged = [q for q in qrels if qrels[q]]
print(json.dumps({ours: sum(per_query.get(q, {}).get(theirs, 0.0) for q in judged) / len(judged) for ours, theirs in names.items()}))
"""

ARROW_SCRIPT = """
import sys, pyarrow.csv as c
table = c.read_csv(sys.argv[1], read_options=c.ReadOptions(column_names=["q", "q0", "d", "r", "s", "t"]), parse_options=c.ParseOptions(delimiter=" "))
print(table.num_rows)
"""


def write_files(folder: Path, num_queries: int, depth: int = 100, seed: int = 0) -> tuple[Path, Path]:
    """A run of ``num_queries`` x ``depth`` rows and its qrels, written in chunks by arrow (bounded memory).

    A query's passages are ``depth`` distinct ids of one random block of ``depth`` (no duplicates)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    run_path, qrels_path = folder / f"run-{num_queries}.trec", folder / f"qrels-{num_queries}.txt"
    options = pacsv.WriteOptions(include_header=False, delimiter=" ", quoting_style="none")
    with open(run_path, "wb") as run, open(qrels_path, "w") as qrels:
        for start in range(0, num_queries, 50_000):
            count = min(50_000, num_queries - start)
            query_ids = np.arange(start, start + count) * 7 + 1_000_000
            docs = rng.integers(0, 8_800_000 // depth, size=(count, 1)) * depth + rng.permuted(np.tile(np.arange(depth), (count, 1)), axis=1)
            scores = np.round(np.sort(rng.normal(10.0, 3.0, (count, depth)), axis=1)[:, ::-1], 4)
            table = pa.table({
                "qid": np.repeat(query_ids, depth), "q0": pa.array(["Q0"] * (count * depth)), "docid": docs.ravel(),
                "rank": np.tile(np.arange(1, depth + 1), count), "score": scores.ravel(), "tag": pa.array(["bm25"] * (count * depth)),
            })
            pacsv.write_csv(table, run, options)
            for q, qid in enumerate(query_ids.tolist()):
                relevant = {int(docs[q, min(int(rng.exponential(30)), depth - 1)]) if rng.random() < 0.8 else int(rng.integers(8_800_000)) for _ in range(1 + (rng.random() < 0.07))}
                qrels.writelines(f"{qid} 0 {doc} 1\n" for doc in sorted(relevant))
    return run_path, qrels_path


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """``(wall seconds, peak resident MB, stdout)`` of a fresh process."""
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - started
        if done.returncode:
            raise SystemExit(f"{command[:3]} failed: {done.stderr[-2000:]}")
        return wall, int(report.read().strip().splitlines()[-1]) / 1024, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", default="1000,10000,100000,300000,1000000")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--memory-gb", type=float, default=14.0, help="skip pytrec_eval where its dicts would need more (default 14)")
    parser.add_argument("--folder", default=None, help="where to write the runs, made if missing (default: a temporary folder)")
    args = parser.parse_args()
    harness = [str(Path(sys.executable).with_name("harness"))]
    rows = []
    if args.folder is not None:
        Path(args.folder).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.folder) as folder:
        # As installed packages are used: compiled once (this environment may set PYTHONDONTWRITEBYTECODE,
        # which would compile every harness module on every start); the checkout stays clean.
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")
        for num_queries in [int(n) for n in args.queries.split(",")]:
            started = time.perf_counter()
            run_path, qrels_path = write_files(Path(folder), num_queries)
            os.sync()  # the files' dirty pages are written back now, not during the timed runs
            lines = sum(1 for _ in open(run_path, "rb"))
            print(f"[{num_queries:,} queries: {lines:,} rows, {run_path.stat().st_size / 1e6:,.0f} MB, written in {time.perf_counter() - started:.0f} s]", flush=True)
            systems = {
                "harness": harness + ["eval", "--run", str(run_path), "--qrels", str(qrels_path), "--measures", MEASURES, "--compat", "pytrec_eval", "--format", "json"],
                "pyarrow read": [sys.executable, "-c", ARROW_SCRIPT, str(run_path)],
            }
            if lines * PYTREC_BYTES_PER_ROW / 2**30 <= args.memory_gb:
                systems["pytrec_eval"] = [sys.executable, "-c", PYTREC_SCRIPT, str(run_path), str(qrels_path), json.dumps(PYTREC_MEASURES)]
            if not rows:  # compile the harness's modules once, untimed
                subprocess.run(systems["harness"], capture_output=True, env=env)
            found: dict[str, list[tuple[float, float]]] = {name: [] for name in systems}
            outputs = {}
            for _ in range(args.repeats):
                for name, command in systems.items():
                    wall, peak, outputs[name] = timed(command, env)
                    found[name].append((wall, peak))
            values = {"harness": json.loads(outputs["harness"])["aggregate"]}
            if "pytrec_eval" in outputs:
                values["pytrec_eval"] = json.loads(outputs["pytrec_eval"])
                for measure in PYTREC_MEASURES:
                    if abs(values["harness"][measure] - values["pytrec_eval"][measure]) > 1e-9:
                        raise SystemExit(f"{measure} differs: {values}")
            row = {"queries": num_queries, "rows": lines, "mb": run_path.stat().st_size / 1e6, "values": values["harness"]}
            for name, samples in found.items():
                row[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
            rows.append(row)
            print(_line(row), flush=True)
            run_path.unlink()
    print("\n| queries | rows | MB | harness s | harness peak MB | pytrec_eval s | peak MB | pyarrow read s | peak MB | pytrec_eval / harness | harness / pyarrow |")
    print("|" + "---|" * 11)
    for row in rows:
        pytrec = row.get("pytrec_eval")
        cells = [f"{row['queries']:,}", f"{row['rows']:,}", f"{row['mb']:,.0f}", f"{row['harness'][0]:.2f}", f"{row['harness'][1]:,.0f}"]
        cells += [f"{pytrec[0]:.2f}", f"{pytrec[1]:,.0f}"] if pytrec else ["not run (memory)", "-"]
        cells += [f"{row['pyarrow read'][0]:.2f}", f"{row['pyarrow read'][1]:,.0f}"]
        cells += [f"{pytrec[0] / row['harness'][0]:.1f}x" if pytrec else "-", f"{row['harness'][0] / row['pyarrow read'][0]:.1f}x"]
        print("| " + " | ".join(cells) + " |")
    print(f"\n2 CPUs; load average at the end {os.getloadavg()[0]:.2f}")


def _line(row: dict) -> str:
    parts = [f"{name} {row[name][0]:.2f} s / {row[name][1]:,.0f} MB" for name in ("harness", "pytrec_eval", "pyarrow read") if name in row]
    return f"  {row['queries']:,} queries: " + "; ".join(parts)


if __name__ == "__main__":
    main()
