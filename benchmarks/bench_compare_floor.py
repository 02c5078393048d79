"""``harness compare`` against its matrix-multiply floor: tests, effects and the whole table, in one run.

    python benchmarks/bench_compare_floor.py                  # 32 systems and 2, B = 10,000, 3 repeats
    python benchmarks/bench_compare_floor.py --systems 8 --repeats 1 --resamples 2000   # a quick run

The table: synthetic submissions (made once under ``--cache``, seeded) holding per-query AP, R@1
and R@10 of 1,190 queries on the 121 XQuAD-R MoIR + CLIR pairs; each system's rank of the one
relevant document per query follows a query difficulty shared by all systems and a quality of its
own (AP = 1/rank, R@k = rank <= k, 0 beyond depth 100). Every unordered pair of systems is tested
on every pair and on the two setting means (121 + 2 columns x 3 measures).

Measured, interleaved (each repeat runs every stage once; the median is reported):

- floor: the float64 products the randomization tests need, ``signs @ differences`` per column
  (B x n times n x tests), with the sign plans already drawn: no test can cost less;
- tests: the randomization test of each column as compare runs it (from the systems' units:
  exact pairs from the systems' sums), and as before (``randomization_p`` on the differences:
  the floor's products and a count), which must give the same p-values;
- effects: ``effect_sizes`` with their bootstrap intervals on the same columns, as compare calls
  it, and the same intervals the way they were computed before (``plan @ differences`` and
  ``np.quantile``), which must give the same bits;
- compare: ``compare_submissions`` from loading the submissions to the corrected results (the
  plans drawn afresh), and a second time to check the same seed gives the same bits;
- ``harness compare`` of the two committed BM25 submissions (real XQuAD-R scores) in a fresh
  interpreter, imports included: wall time and whether scipy was imported.

Results go to ``benchmarks/.cache/bench_compare_floor.json``. The CPU may be shared: compare ratios.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from harness.atomic import atomic_write_text
from harness.datasets.pairs import PairId
from harness.datasets.registry import get_dataset
from harness.stats import resampling
from harness.stats.comparison import compare_submissions
from harness.stats.effects import effect_sizes
from harness.stats.pair_sums import PairSums
from harness.stats.paired_tests import get_test
from harness.stats.randomization import randomization_p
from harness.stats.shared_scores import SharedScores
from harness.submissions import PairRecord, Submission

ROOT = Path(__file__).resolve().parent.parent
DATASET = "xquad-r"
MEASURES = ("AP", "R@1", "R@10")
QUERIES = 1190
DEPTH = 100


def table_pairs() -> list[PairId]:
    """The 121 MoIR + CLIR pairs of XQuAD-R."""
    return [p for p in get_dataset(DATASET).standard_pairs() if p.setting in ("moir", "clir")]


def synthetic_scores(system: int, pair: PairId, seed: int) -> dict[str, dict[str, float]]:
    """Per-query AP, R@1, R@10 of one system on one pair: the rank of the one relevant document."""
    pair_seed = sum(ord(c) for c in str(pair))
    difficulty = np.random.default_rng([seed, pair_seed]).gamma(1.0, 3.0, QUERIES)  # shared by every system
    quality = 0.4 + 0.02 * system
    noise = np.random.default_rng([seed, pair_seed, system]).exponential(1.0, QUERIES)
    rank = 1 + np.floor(difficulty * noise / quality / 4).astype(int)
    queries = [f"q{i:04d}" for i in range(QUERIES)]
    ap = np.where(rank <= DEPTH, 1.0 / rank, 0.0)
    return {
        "AP": dict(zip(queries, ap.tolist())),
        "R@1": dict(zip(queries, (rank <= 1).astype(float).tolist())),
        "R@10": dict(zip(queries, (rank <= 10).astype(float).tolist())),
    }


def make_systems(folder: Path, count: int, pairs: list[PairId], seed: int) -> list[Path]:
    """``count`` synthetic submissions under ``folder`` (made once, reused while complete)."""
    paths = []
    for system in range(count):
        name = f"synthetic-{system:02d}"
        path = folder / name
        if not (path / "meta.json").exists() or len(Submission.load(path).meta["pairs"]) < len(pairs):
            print(f"  making {name} ({len(pairs)} pairs) ...", flush=True)
            submission = Submission.open_or_create(folder, name, {"model": name}, "benchmarks/bench_compare_floor.py")
            for pair in pairs:
                per_query = synthetic_scores(system, pair, seed)
                means = {m: float(np.mean(list(v.values()))) for m, v in per_query.items()}
                submission.add_pair(pair, PairRecord(str(pair), pair.setting, means, QUERIES), SimpleNamespace(per_query=per_query), None)
        paths.append(path)
    return paths


def columns_of(paths: list[Path]) -> list[dict[str, Any]]:
    """Each column's pairs of systems and their differences, as compare builds them."""
    from harness.stats.comparison import _columns, _shared_pairs  # compare's own columns, setting means included

    submissions = [Submission.load(p) for p in paths]
    shared, _ = _shared_pairs(submissions, None)
    scores = SharedScores(submissions, shared)
    count = len(paths)
    first, second = np.triu_indices(count, 1)
    out = []
    for column in _columns(shared):
        units = np.concatenate([scores.units(column, m, "pair-means") for m in MEASURES], axis=1)
        f = np.concatenate([first + k * count for k in range(len(MEASURES))])
        s = np.concatenate([second + k * count for k in range(len(MEASURES))])
        pairs = PairSums(units, f, s)
        out.append({"key": column.key, "pairs": pairs, "differences": pairs.differences})
    return out


def drawn(plan, columns: list[dict[str, Any]], resamples: int, seed: int) -> None:
    """Draw the plans of the pairs' columns before a stage is timed (compare's own time includes them)."""
    list(plan(seed, columns[0]["differences"].shape[0], resamples))


def floor_products(columns: list[dict[str, Any]], resamples: int, seed: int) -> float:
    """The sign-flip products of every column, the plans drawn beforehand."""
    drawn(resampling.sign_flip_blocks, columns, resamples, seed)
    started = time.perf_counter()
    for c in columns:
        for signs in resampling.sign_flip_blocks(seed, c["differences"].shape[0], resamples):
            signs @ c["differences"]
    return time.perf_counter() - started


def previous_interval(d: np.ndarray, resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The intervals as computed before: every pair's product, then ``np.quantile``."""
    n = d.shape[0]
    means = np.concatenate([counts @ d for counts in resampling.bootstrap_count_blocks(seed, n, resamples)]) / n
    tail = (1 - 0.95) / 2  # as compare computes it
    low, high = np.quantile(means, [tail, 1 - tail], axis=0)
    return low, high


def timed(function) -> tuple[float, float, Any]:
    """Wall and CPU seconds (all threads of this process) of ``function()``, and its result."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def stage_runs(columns, paths, resamples, seed, repeats) -> dict[str, Any]:
    test = get_test("randomization")
    directions = [np.ones(len(c["pairs"]), dtype=bool) for c in columns]
    stages = {
        "tests": (resampling.sign_flip_blocks, lambda: [test.p_values(c["differences"], resamples, seed, c["pairs"]) for c in columns]),
        "tests before": (resampling.sign_flip_blocks, lambda: [randomization_p(c["differences"], resamples, seed) for c in columns]),
        "effects": (resampling.bootstrap_count_blocks, lambda: [
            effect_sizes(c["differences"], d, resamples, seed, 0.95, c["pairs"]) for c, d in zip(columns, directions)
        ]),
        "intervals before": (resampling.bootstrap_count_blocks, lambda: [previous_interval(c["differences"], resamples, seed) for c in columns]),
    }
    wall: dict[str, list[float]] = {k: [] for k in ("floor", *stages, "compare")}
    cpu: dict[str, list[float]] = {k: [] for k in wall}
    results: dict[str, Any] = {}
    for _ in range(repeats):
        resampling.clear_plans()
        drawn(resampling.sign_flip_blocks, columns, resamples, seed)
        seconds, cpu_seconds, _ = timed(lambda: floor_products(columns, resamples, seed))
        wall["floor"].append(seconds)
        cpu["floor"].append(cpu_seconds)
        for name, (plan, stage) in stages.items():
            drawn(plan, columns, resamples, seed)
            seconds, cpu_seconds, results[name] = timed(stage)
            wall[name].append(seconds)
            cpu[name].append(cpu_seconds)
        resampling.clear_plans()
        seconds, cpu_seconds, comparison = timed(lambda: compare_submissions(
            [Submission.load(p) for p in paths], measures=list(MEASURES), resamples=resamples, seed=seed
        ))
        wall["compare"].append(seconds)
        cpu["compare"].append(cpu_seconds)
        results.setdefault("comparisons", []).append(comparison)
    same_intervals = all(
        np.array_equal(e.ci_low, low) and np.array_equal(e.ci_high, high) for e, (low, high) in zip(results["effects"], results["intervals before"])
    )
    same_p = all(np.array_equal(a, b) for a, b in zip(results["tests"], results["tests before"]))
    first, second = results["comparisons"][0].tests, results["comparisons"][-1].tests
    rerun_identical = all((a.p, a.ci_low, a.ci_high, a.p_adjusted) == (b.p, b.ci_low, b.ci_high, b.p_adjusted) for a, b in zip(first, second))
    flops = sum(2.0 * resamples * c["differences"].shape[0] * c["differences"].shape[1] for c in columns)
    median = {k: statistics.median(v) for k, v in wall.items()}
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "median_s": median,
        "median_cpu_s": {k: statistics.median(v) for k, v in cpu.items()},
        "floor_gflops": flops / median["floor"] / 1e9,
        "ratios_to_floor": {k: v / median["floor"] for k, v in median.items()},
        "effects_over_tests": median["effects"] / median["tests"],
        "p_equal_previous_bits": same_p,
        "intervals_equal_previous_bits": same_intervals,
        "compare_rerun_identical": rerun_identical,
        "tests": len(first),
    }


def fresh_cli(names: list[str], resamples: int, seed: int, output: Path) -> dict[str, Any]:
    """``harness compare`` of committed submissions in a fresh interpreter: wall time, and whether scipy was imported."""
    arguments = ["compare", *names, "--dataset", DATASET, "--measures", ",".join(MEASURES), "--resamples", str(resamples),
                 "--seed", str(seed), "--quiet", "--output", str(output)]
    probe = (
        "import sys, time; started = time.perf_counter(); from harness.cli import main\n"
        f"sys.argv = ['harness', *{arguments!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('PROBE', time.perf_counter() - started, any(m.split('.')[0] == 'scipy' for m in sys.modules), file=sys.stderr)"
    )
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    line = next((text for text in done.stderr.splitlines() if text.startswith("PROBE")), None)
    if line is None:
        return {"error": done.stderr[-2000:]}
    _, inside, scipy = line.split()
    return {"process_wall_s": wall, "in_process_s": float(inside), "scipy_imported": scipy == "True"}


def busy_share(seconds: float = 1.0) -> float | None:
    """Share of the machine's CPU time used over ``seconds`` (/proc/stat), before the run."""
    def sample():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]
    try:
        a = sample()
        time.sleep(seconds)
        b = sample()
    except (OSError, ValueError):
        return None
    return 1 - (b[1] - a[1]) / max(b[0] - a[0], 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=32)
    parser.add_argument("--small", type=int, default=2, help="the small table's systems (default 2)")
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", default="benchmarks/.cache/compare-floor")
    parser.add_argument("--output", default="benchmarks/.cache/bench_compare_floor.json")
    args = parser.parse_args()

    pairs = table_pairs()
    print(f"synthetic submissions under {args.cache} ...", flush=True)
    paths = make_systems(Path(args.cache), args.systems, pairs, seed=7)
    report: dict[str, Any] = {
        "machine": {"cores": os.cpu_count(), "load_average": os.getloadavg(), "busy_before": busy_share()},
        "table": {"pairs": len(pairs), "queries": QUERIES, "measures": list(MEASURES), "resamples": args.resamples, "seed": args.seed},
    }
    for count in (args.systems, args.small):
        chosen = paths[:count]
        columns = columns_of(chosen)
        print(f"{count} systems: {len(columns)} columns x {len(columns[0]['pairs'])} tests, {args.repeats} repeats ...", flush=True)
        result = stage_runs(columns, chosen, args.resamples, args.seed, args.repeats)
        report[f"{count}_systems"] = result
        m, r = result["median_s"], result["ratios_to_floor"]
        print(f"  wall, median of {args.repeats}: floor {m['floor']:.2f} s ({result['floor_gflops']:.0f} GFLOP/s); "
              f"tests {m['tests']:.2f} s ({r['tests']:.2f}x; before {m['tests before']:.2f} s, {r['tests before']:.2f}x); "
              f"effects + intervals {m['effects']:.2f} s ({r['effects']:.2f}x; {result['effects_over_tests']:.2f}x the tests; "
              f"intervals before {m['intervals before']:.2f} s, {r['intervals before']:.2f}x); "
              f"compare {m['compare']:.2f} s ({r['compare']:.2f}x the floor)", flush=True)
        print("  cpu s, median: " + ", ".join(f"{k} {v:.1f}" for k, v in result["median_cpu_s"].items()), flush=True)
        print(f"  p = the previous computation's bits: {result['p_equal_previous_bits']}; intervals: {result['intervals_equal_previous_bits']}; "
              f"same seed, same bits: {result['compare_rerun_identical']}; {result['tests']:,} tests", flush=True)
    committed = ["submissions/bm25", "submissions/bm25-k1_1.2-b_0.75"]
    if all((ROOT / name / "meta.json").exists() for name in committed):
        with tempfile.TemporaryDirectory() as folder:
            report["cli_2_committed_systems"] = [fresh_cli(committed, args.resamples, args.seed, Path(folder) / "table.md") for _ in range(args.repeats)]
        print(f"fresh `harness compare` of {' and '.join(committed)}: {report['cli_2_committed_systems']}", flush=True)
    report["machine"]["load_average_end"] = os.getloadavg()
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, json.dumps(report, indent=2, default=str) + "\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
