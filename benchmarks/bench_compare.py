"""Time the harness's ``compare`` against ranx's Fisher randomization test on the same per-query scores.

    python benchmarks/bench_compare.py                       # 8 systems; ranx on a sample of 2 pairs
    python benchmarks/bench_compare.py --ranx-pairs all      # every ranx test too (hours on 2 cores)
    python benchmarks/bench_compare.py --systems 4 --ranx-pairs 1 --no-ranx-compare   # a quick run

The table: 8 BM25 systems (``submissions/bm25`` and 7 variants of k1/b under ``--submissions``)
x the 121 XQuAD-R MoIR + CLIR pairs (1,190 queries each; the MLIR ``-xx`` pairs are left out)
x AP, R@1, R@10, every unordered pair of systems (28), 10,000 resamples. One variant has the
default parameters, so it ties bm25 on every query: an A/A pair whose p-values must be 1.

- harness: ``compare_submissions`` (reading the per-query files, the randomization tests of
  the 121 pairs and of the two setting averages, Holm over the family, effect sizes with
  bootstrap intervals), twice with the same seed, the p-values compared with ``==``; and its
  test stage alone (``randomization_p`` on the 121 pairs' differences), once more with seed + 1;
- ranx: ``fisher_randomization_test`` (the kernel behind ``ranx.compare(stat_test="fisher")``)
  on the same per-query scores, the same tests, twice with the same ``random_seed`` and once
  with another. At about half a second a test on 2 cores, the 10,164 tests take hours, so by
  default it runs every test of ``--ranx-pairs`` evenly spaced pairs and extrapolates; numba's
  compilation (or the load of its disk cache) is timed apart;
- ranx end to end: ``ranx.compare`` on one pair from the stored runs and the pair's qrels
  (parse, ``Qrels``/``Run``, ``evaluate`` and the tests timed apart), when the data is found.

Results go to ``benchmarks/.cache/bench_compare.json``.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import math
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from harness.atomic import atomic_write_text
from harness.datasets.pairs import PairId
from harness.datasets.registry import get_dataset
from harness.errors import HarnessError
from harness.stats import comparison as comparison_module
from harness.stats import paired_tests as paired_tests_module
from harness.stats import resampling
from harness.stats.comparison import compare_submissions
from harness.stats.randomization import randomization_p
from harness.submissions import PER_QUERY_FILE, RUN_FILE, Submission

ROOT = Path(__file__).resolve().parent.parent
DATASET = "xquad-r"
MEASURES = ["AP", "R@1", "R@10"]
RANX_METRICS = {"AP": "map", "R@1": "recall@1", "R@10": "recall@10"}
VARIANTS = [(0.6, 0.4), (0.9, 0.4), (1.2, 0.75), (1.5, 0.75), (0.9, 0.9), (2.0, 0.3), (0.5, 1.0)]
ALPHA = 0.05

HARNESS_P = "(hits+1)/(B+1); two-sided, |sum of sign-flipped differences| >= observed (relative slack 1e-9)"
RANX_P = "hits/B (can be 0); two-sided, |mean(A') - mean(B')| >= observed after swapping each query's pair w.p. 1/2"


def variant_name(k1: float, b: float) -> str:
    return f"bm25-k1_{k1}-b_{b}"


def pairs_of_table() -> list[PairId]:
    """The 121 MoIR + CLIR pairs of XQuAD-R, in the harness's column order."""
    pairs = [p for p in get_dataset(DATASET).standard_pairs() if p.setting in ("moir", "clir")]
    order = ("moir", "clir")
    return sorted(pairs, key=lambda p: (order.index(p.setting), p.langs))


def complete(folder: Path, pairs: Sequence[PairId]) -> tuple[bool, str]:
    """Whether a submission folder holds per-query AP, R@1 and R@10 for every pair."""
    try:
        submission = Submission.load(folder)
    except HarnessError as error:
        return False, str(error)
    held = submission.meta["pairs"]
    missing = [str(p) for p in pairs if str(p) not in held or not (submission.pair_dir(p) / PER_QUERY_FILE).exists()]
    if missing:
        return False, f"{len(missing)} of {len(pairs)} pairs missing (e.g. {missing[0]})"
    lacking = [str(p) for p in pairs if not set(MEASURES) <= set(held[str(p)]["measures"])]
    if lacking:
        return False, f"measures {', '.join(MEASURES)} missing on {len(lacking)} pairs (e.g. {lacking[0]})"
    return True, "complete"


def find_systems(main: Path, folder: Path, wanted: int, pairs: Sequence[PairId]) -> tuple[list[Path], list[str]]:
    """Complete submissions (``main`` first, then the folders of ``folder`` by name) and one line per incomplete one."""
    candidates = [main] + (sorted(p for p in folder.iterdir() if (p / "meta.json").exists()) if folder.is_dir() else [])
    found, problems = [], []
    for path in candidates:
        ok, why = complete(path, pairs)
        if ok:
            found.append(path)
        else:
            problems.append(f"{path}: {why}")
    return found[:wanted], problems


def how_to_create(main: Path, folder: Path, found: Sequence[Path]) -> str:
    have = {p.name for p in found}
    lines = []
    if main.resolve() not in {p.resolve() for p in found}:
        lines.append(f"harness eval --model bm25 --dataset {DATASET} --name {main.name} --submissions {_shown(main.parent)}")
    for k1, b in VARIANTS:
        name = variant_name(k1, b)
        if name not in have:
            lines.append(
                f"harness eval --model bm25 --dataset {DATASET} --param k1={k1} --param b={b} --name {name} --submissions {_shown(folder)}"
            )
    return "\n".join(f"  {line}" for line in lines)


def _shown(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(Path.cwd()))
    return str(path)


# ----------------------------------------------------------------------------------------------
# The shared per-query scores (the same matrices the harness builds: queries all systems have, sorted)


def load_scores(paths: Sequence[Path], pairs: Sequence[PairId]) -> dict[tuple[str, str], np.ndarray]:
    """(pair, measure) -> queries x systems, on the queries every system has (sorted ids)."""
    submissions = [Submission.load(p) for p in paths]
    matrices = {}
    for pair in pairs:
        tables = [s.per_query(pair) for s in submissions]
        shared = sorted(set.intersection(*(set(t[MEASURES[0]]) for t in tables)))
        for measure in MEASURES:
            matrices[(str(pair), measure)] = np.array([[t[measure][q] for t in tables] for q in shared], dtype=np.float64)
    return matrices


def comparisons_of(names: Sequence[str]) -> list[tuple[int, int]]:
    """Every unordered pair of systems once, in the harness's order."""
    return [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]


# ----------------------------------------------------------------------------------------------
# harness


@contextlib.contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Time the stages of ``compare_submissions`` by wrapping the functions it calls (restored after)."""
    spent = {"read per-query files + matrices": 0.0, "randomization tests": 0.0, "effect sizes + bootstrap CIs": 0.0}
    patches = [
        (comparison_module, "SharedScores", "read per-query files + matrices"),
        (paired_tests_module, "randomization_p", "randomization tests"),
        (comparison_module, "effect_sizes", "effect sizes + bootstrap CIs"),
    ]
    originals = []
    for module, attribute, label in patches:
        original = getattr(module, attribute)
        originals.append((module, attribute, original))

        def timed(*args, _original=original, _label=label, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_label] += time.perf_counter() - started

        setattr(module, attribute, timed)
    try:
        yield spent
    finally:
        for module, attribute, original in originals:
            setattr(module, attribute, original)


def run_harness(paths: Sequence[Path], pairs: Sequence[PairId], resamples: int, seed: int) -> dict[str, Any]:
    """One full ``compare_submissions``, from loading the submissions; the resampling plans drawn afresh."""
    resampling.clear_plans()
    gc.collect()
    with phase_timers() as spent:
        started = time.perf_counter()
        submissions = [Submission.load(p) for p in paths]
        result = compare_submissions(
            submissions,
            baseline=None,
            datasets=[str(p) for p in pairs],
            measures=MEASURES,
            test="randomization",
            resamples=resamples,
            seed=seed,
        )
        wall = time.perf_counter() - started
    phases = dict(spent)
    phases["rest (values, Holm, results)"] = wall - sum(spent.values())
    return {"wall_s": wall, "phases_s": phases, "comparison": result}


def harness_test_stage(differences: dict[str, np.ndarray], resamples: int, seed: int) -> tuple[float, dict[str, np.ndarray]]:
    """``randomization_p`` alone on each pair's queries x comparisons matrix (the plan drawn once, in the time)."""
    resampling.clear_plans()
    gc.collect()
    started = time.perf_counter()
    p = {pair: randomization_p(d, resamples, seed) for pair, d in differences.items()}
    return time.perf_counter() - started, p


# ----------------------------------------------------------------------------------------------
# ranx


def ranx_warm_up() -> float:
    """numba compiles ``fisher_randomization_test`` on first call (or loads it from its disk cache)."""
    from ranx.statistical_tests import fisher_randomization_test

    started = time.perf_counter()
    fisher_randomization_test(np.array([0.1, 0.5, 0.2]), np.array([0.3, 0.4, 0.2]), 10, ALPHA, 0)
    return time.perf_counter() - started


def run_ranx(
    system_vectors: dict[tuple[str, str], np.ndarray],
    cells: Sequence[tuple[str, str, int, int]],
    resamples: int,
    seed: Any,
    label: str,
) -> tuple[float, np.ndarray]:
    """ranx's Fisher test on each (pair, measure, i, j): control system i, treatment system j."""
    from ranx.statistical_tests import fisher_randomization_test

    p = np.empty(len(cells))
    gc.collect()
    started = time.perf_counter()
    last_report = started
    for k, (pair, measure, i, j) in enumerate(cells):
        p[k], _ = fisher_randomization_test(system_vectors[(pair, measure)][i], system_vectors[(pair, measure)][j], resamples, ALPHA, seed)
        now = time.perf_counter()
        if now - last_report > 30:
            print(f"    [{label}: {k + 1}/{len(cells)} tests, {now - started:.0f} s]", file=sys.stderr, flush=True)
            last_report = now
    return time.perf_counter() - started, p


def ranx_seed_none() -> str:
    """What ``random_seed=None`` does (numba's ``np.random.seed`` wants an integer)."""
    from ranx.statistical_tests import fisher_randomization_test

    try:
        p, _ = fisher_randomization_test(np.array([0.1, 0.5, 0.2]), np.array([0.3, 0.4, 0.2]), 10, ALPHA, None)
    except Exception as error:  # numba raises its TypingError
        first = next((line.strip() for line in str(error).splitlines() if ">>>" in line), str(error).splitlines()[0])
        return f"rejected: {type(error).__name__} ({first})"
    return f"accepted (p={p})"


def ranx_end_to_end(
    paths: Sequence[Path], names: Sequence[str], pair: PairId, data_dir: Path, resamples: int, seed: int
) -> dict[str, Any]:
    """``ranx.compare`` on one pair from the stored runs, its stages timed apart.

    ``compare`` = ``evaluate`` of every run + the tests; the tests' share is ``compare(fisher)``
    minus ``compare(student)`` on the same (already sorted) runs.
    """
    import numba
    import ranx

    from harness.evaluation import read_run

    started = time.perf_counter()
    _, qrels_map = get_dataset(pair.dataset).queries_and_qrels(pair, data_dir)
    qrels_dict = {q: {d: int(g) for d, g in docs.items()} for q, docs in qrels_map.items()}
    qrels_s = time.perf_counter() - started

    started = time.perf_counter()
    run_dicts, rows = [], 0
    for path in paths:
        run = read_run(Submission.load(path).pair_dir(pair) / RUN_FILE)
        rows += len(run)
        one: dict[str, dict[str, float]] = {}
        for q, d, s in zip(run.query_ids.tolist(), run.doc_ids.tolist(), run.scores.tolist()):
            one.setdefault(q, {})[d] = s
        run_dicts.append(one)
    parse_s = time.perf_counter() - started
    comparable = all(set(d) == set(qrels_dict) for d in run_dicts)
    options = {"max_p": ALPHA, "make_comparable": not comparable}

    # compile (or load) everything once on a small copy; at least 10 queries, because
    # ranx.evaluate pins numba to one thread for the rest of the process on fewer
    threads = numba.get_num_threads()
    few = list(qrels_dict)[:12]
    small_runs = [ranx.Run({q: run_dicts[k].get(q, {"none": 0.0}) for q in few}, name=n) for k, n in enumerate(names[:2])]
    small_qrels = ranx.Qrels({q: qrels_dict[q] for q in few})
    started = time.perf_counter()
    for test in ("fisher", "student"):
        ranx.compare(small_qrels, small_runs, list(RANX_METRICS.values()), stat_test=test, n_permutations=10, **options)
    warm_s = time.perf_counter() - started
    numba.set_num_threads(threads)

    started = time.perf_counter()
    qrels = ranx.Qrels(qrels_dict)
    runs = [ranx.Run(d, name=n) for d, n in zip(run_dicts, names)]
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    per_query = [ranx.evaluate(qrels, r, list(RANX_METRICS.values()), return_mean=False, make_comparable=not comparable) for r in runs]
    first_evaluate_s = time.perf_counter() - started

    started = time.perf_counter()
    ranx.compare(qrels, runs, list(RANX_METRICS.values()), stat_test="student", **options)
    student_s = time.perf_counter() - started

    started = time.perf_counter()
    report = ranx.compare(qrels, runs, list(RANX_METRICS.values()), stat_test="fisher", n_permutations=resamples, random_seed=seed, **options)
    compare_s = time.perf_counter() - started
    means = {n: {m: float(np.mean(per_query[k][metric])) for m, metric in RANX_METRICS.items()} for k, n in enumerate(names)}
    p = {}
    for i, j in comparisons_of(names):
        for m, metric in RANX_METRICS.items():
            p[(names[i], names[j], m)] = float(report.comparisons[frozenset([names[i], names[j]])][metric]["p_value"])
    ordered = len(names) * (len(names) - 1) * len(RANX_METRICS)
    return {
        "pair": str(pair),
        "runs": len(paths),
        "run_rows": rows,
        "make_comparable": not comparable,
        "numba_threads": numba.get_num_threads(),
        "qrels_load_s": qrels_s,
        "parse_runs_to_dicts_s": parse_s,
        "first_call_compile_s": warm_s,
        "build_Qrels_Run_s": build_s,
        "first_evaluate_s": first_evaluate_s,
        "compare_student_s": student_s,
        "compare_s": compare_s,
        "compare_tests_s_estimate": max(compare_s - student_s, 0.0),
        "fisher_tests_inside_compare": ordered,
        "unordered_tests": ordered // 2,
        "means": means,
        "p": p,
    }


# ----------------------------------------------------------------------------------------------
# agreement of two Monte Carlo p-values


def agreement(p_a: np.ndarray, p_b: np.ndarray, resamples: int) -> dict[str, Any]:
    """|p_a - p_b| against the standard error of a difference of two independent estimates."""
    mean = (p_a + p_b) / 2
    se = np.sqrt(np.maximum(2 * mean * (1 - mean) / resamples, 0.0))
    se = np.maximum(se, 1.0 / resamples)  # p near 0 or 1: one hit's worth
    gap = np.abs(p_a - p_b)
    return {
        "tests": int(len(p_a)),
        "max_abs_difference": float(gap.max()) if len(gap) else None,
        "mean_abs_difference": float(gap.mean()) if len(gap) else None,
        "within_3_se": float(np.mean(gap <= 3 * se)) if len(gap) else None,
        "decisions_agree_at_0.05": float(np.mean((p_a < ALPHA) == (p_b < ALPHA))) if len(gap) else None,
        "significant_a": int(np.sum(p_a < ALPHA)),
        "significant_b": int(np.sum(p_b < ALPHA)),
    }


MAX_ENUMERATED = 20  # AP tests with at most this many non-zero differences get an exact p


def exact_sign_flip_p(d: np.ndarray) -> float | None:
    """The exact two-sided p of the sign-flip test when every difference is -1, 0 or +1 (R@k with one
    relevant document): with m non-zero differences the flipped sum is 2K - m, K ~ Binomial(m, 1/2)."""
    if not np.all(np.isin(d, (-1.0, 0.0, 1.0))):
        return None
    m, observed = int(np.count_nonzero(d)), abs(int(d.sum()))
    if m == 0:
        return 1.0
    hits = sum(math.comb(m, k) for k in range(m + 1) if abs(2 * k - m) >= observed)
    return hits / 2**m


def as_ranks(values: np.ndarray) -> np.ndarray | None:
    """AP with one relevant document is 0 or 1/rank: the ranks (0 for AP 0), or None where a value is not."""
    ranks = np.zeros(len(values), dtype=np.int64)
    found = values > 0
    ranks[found] = np.rint(1.0 / values[found]).astype(np.int64)
    if np.any(ranks[found] < 1) or not np.array_equal(1.0 / ranks[found], values[found]):
        return None
    return ranks


def enumerated_p(a: np.ndarray, b: np.ndarray) -> float | None:
    """The exact two-sided p over all sign patterns of the AP differences 1/rank_a - 1/rank_b, in
    exact integer arithmetic (ties decided exactly), when at most :data:`MAX_ENUMERATED` differ."""
    differ = np.flatnonzero(a != b)
    if len(differ) > MAX_ENUMERATED:
        return None
    reciprocal = lambda rank: Fraction(1, rank) if rank else Fraction(0)  # noqa: E731
    d = [reciprocal(int(a[k])) - reciprocal(int(b[k])) for k in differ]
    scale = math.lcm(*(x.denominator for x in d)) if d else 1
    steps = [int(x * scale) for x in d]  # exact integers on a common denominator
    observed = abs(sum(steps))
    sums: dict[int, int] = {0: 1}
    for x in steps:
        step: dict[int, int] = {}
        for total, count in sums.items():
            step[total + x] = step.get(total + x, 0) + count
            step[total - x] = step.get(total - x, 0) + count
        sums = step
    return sum(count for total, count in sums.items() if abs(total) >= observed) / 2 ** len(d)


def exact_p_values(scores: dict[tuple[str, str], np.ndarray], pairs: Sequence[PairId], comparisons: Sequence[tuple[int, int]]) -> dict[str, np.ndarray]:
    """Per pair, the exact p of each test (same column order as the differences) where one is known, else NaN."""
    out = {}
    for pair in pairs:
        column = []
        for measure in MEASURES:
            m = scores[(str(pair), measure)]
            if measure == "AP":
                ranks = [as_ranks(m[:, k]) for k in range(m.shape[1])]
                column += [
                    (enumerated_p(ranks[i], ranks[j]) if ranks[i] is not None and ranks[j] is not None else None)
                    for i, j in comparisons
                ]
            else:
                column += [exact_sign_flip_p(m[:, i] - m[:, j]) for i, j in comparisons]
        out[str(pair)] = np.array([np.nan if p is None else p for p in column])
    return out


def against_exact(p: np.ndarray, exact: np.ndarray, resamples: int) -> dict[str, Any]:
    """Monte Carlo p-values against the exact ones: |p - exact| in standard errors of one estimate."""
    se = np.maximum(np.sqrt(exact * (1 - exact) / resamples), 1.0 / resamples)
    gap = p - exact
    return {
        "tests": int(len(p)),
        "max_abs_difference": float(np.abs(gap).max()) if len(gap) else None,
        "mean_difference": float(gap.mean()) if len(gap) else None,
        "within_3_se": float(np.mean(np.abs(gap) <= 3 * se)) if len(gap) else None,
        "decisions_agree_at_0.05": float(np.mean((p < ALPHA) == (exact < ALPHA))) if len(gap) else None,
    }


# ----------------------------------------------------------------------------------------------
# machine


def cpu_busy(seconds: float = 2.0) -> float | None:
    """The share of the machine's CPU time other processes used over ``seconds`` (from /proc/stat)."""

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    try:
        total_0, idle_0 = sample()
        time.sleep(seconds)
        total_1, idle_1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle_1 - idle_0) / max(total_1 - total_0, 1)


def machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    blas = None
    with contextlib.suppress(Exception):
        import threadpoolctl

        blas = "; ".join(f"{i['internal_api']} {i['version']} ({i['num_threads']} threads, {i['prefix']})" for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas")
    versions = {"python": platform.python_version()}
    for package in ("harness", "numpy", "ranx", "numba"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "blas": blas,
        "load_average_at_start": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "versions": versions,
    }


# ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", default="benchmarks/.cache/submissions", help="folder of the BM25 variants (default: %(default)s)")
    parser.add_argument("--main", default="submissions/bm25", help="the default BM25 submission (default: %(default)s)")
    parser.add_argument("--systems", type=int, default=8, help="how many systems the table needs (default 8; fewer for a quick run)")
    parser.add_argument("--resamples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ranx-pairs", default="2", help="pairs whose every test ranx runs (evenly spaced over the 121), or 'all' (default 2)")
    parser.add_argument("--no-ranx-compare", action="store_true", help="skip ranx.compare end to end on one pair")
    parser.add_argument("--compare-pair", default="de-en", help="the pair of the end-to-end ranx.compare (default de-en)")
    parser.add_argument("--data-dir", help="data directory for the qrels of the end-to-end run (default: $HARNESS_DATA_DIR, else ./data)")
    parser.add_argument("--output", default="benchmarks/.cache/bench_compare.json")
    args = parser.parse_args()

    pairs = pairs_of_table()
    main_path, folder = Path(args.main), Path(args.submissions)
    paths, problems = find_systems(main_path, folder, args.systems, pairs)
    if len(paths) < args.systems:
        print(f"found {len(paths)} complete system(s) of the {args.systems} needed (each needs {', '.join(MEASURES)} on the {len(pairs)} "
              f"{DATASET} MoIR + CLIR pairs):", file=sys.stderr)
        for line in problems:
            print(f"  incomplete: {line}", file=sys.stderr)
        commands = how_to_create(main_path, folder, paths)
        if commands:
            print(f"make the missing ones (about 3 minutes each; add --data-dir DIR where the data is not in ./data):\n{commands}", file=sys.stderr)
        else:
            print(f"every standard variant is there already; put another complete submission in {folder}", file=sys.stderr)
        print(f"or run on fewer: --systems {max(len(paths), 2)}", file=sys.stderr)
        return 2
    if args.systems < 8:
        print(f"warning: {args.systems} systems, not 8: a smaller table than the issue's", file=sys.stderr)
    names = [Submission.load(p).name for p in paths]
    info = machine()
    info["busy_at_start"] = cpu_busy()
    if info["busy_at_start"] is not None and info["busy_at_start"] > 0.25:
        print(f"warning: the machine is busy ({info['busy_at_start']:.0%} of its CPU time used by other processes): "
              "timings will be slow", file=sys.stderr)
    comparisons = comparisons_of(names)
    B, seed = args.resamples, args.seed
    full_tests = len(comparisons) * len(pairs) * len(MEASURES)
    print(f"{len(names)} systems x {len(pairs)} {DATASET} pairs x {len(MEASURES)} measures, {len(comparisons)} system pairs, "
          f"B={B:,}, seed {seed}: {full_tests:,} pair tests", flush=True)
    print(f"systems: {', '.join(names)}", flush=True)

    # --- harness: the whole table, twice with the same seed ----------------------------------
    print("harness compare_submissions, run 1 ...", flush=True)
    first = run_harness(paths, pairs, B, seed)
    print(f"  {first['wall_s']:.1f} s", flush=True)
    print("harness compare_submissions, run 2 (same seed, plans drawn again) ...", flush=True)
    second = run_harness(paths, pairs, B, seed)
    print(f"  {second['wall_s']:.1f} s", flush=True)
    tests_1, tests_2 = first["comparison"].tests, second["comparison"].tests
    keys_1 = [(t.system, t.other, t.measure, t.column) for t in tests_1]
    same_cells = keys_1 == [(t.system, t.other, t.measure, t.column) for t in tests_2]
    identical = {
        field: int(sum(getattr(a, field) == getattr(b, field) for a, b in zip(tests_1, tests_2)))
        for field in ("p", "p_adjusted", "ci_low", "ci_high")
    }
    harness_reproducible = same_cells and all(v == len(tests_1) for v in identical.values())
    harness_p = {(t.system, t.other, t.measure, t.column): t.p for t in tests_1}
    columns = first["comparison"].columns
    n_queries = sorted({t.n for t in tests_1 if not t.column.endswith("-mean")})
    aa = [t for t in tests_1 if {t.system, t.other} == {"bm25", variant_name(0.9, 0.4)}]
    aa_all_one = all(t.p == 1.0 for t in aa) if aa else None

    # --- harness: the test stage alone on the same matrices as ranx gets -----------------------
    print("reading per-query scores for the test-stage runs ...", flush=True)
    started = time.perf_counter()
    scores = load_scores(paths, pairs)
    load_s = time.perf_counter() - started
    differences = {}
    for pair in pairs:
        blocks = []
        for measure in MEASURES:
            m = scores[(str(pair), measure)]
            blocks += [m[:, i] - m[:, j] for i, j in comparisons]
        differences[str(pair)] = np.stack(blocks, axis=1)
    # the same tests as the table's pair columns: same differences, same plan, so the same p
    stage_s, stage_p = harness_test_stage(differences, B, seed)
    stage_matches_table = all(
        stage_p[str(pair)][k * len(comparisons) + c] == harness_p[(names[i], names[j], measure, str(pair))]
        for pair in pairs
        for k, measure in enumerate(MEASURES)
        for c, (i, j) in enumerate(comparisons)
    )
    started = time.perf_counter()
    exact = exact_p_values(scores, pairs, comparisons)
    exact_s = time.perf_counter() - started
    is_ap = np.concatenate([np.arange(d.shape[1]) < len(comparisons) for d in differences.values()])
    exact_flat = np.concatenate(list(exact.values()))
    stage_flat = np.concatenate(list(stage_p.values()))
    stage_other_s, stage_other_p = harness_test_stage(differences, B, seed + 1)
    changed = np.concatenate([stage_p[p] != stage_other_p[p] for p in stage_p])
    print(f"  harness test stage alone: {stage_s:.1f} s (seed {seed + 1}: {stage_other_s:.1f} s)", flush=True)

    # --- ranx --------------------------------------------------------------------------------
    if args.ranx_pairs == "all":
        sample = list(pairs)
    else:
        count = max(1, min(int(args.ranx_pairs), len(pairs)))
        sample = [pairs[int(round(k))] for k in np.linspace(0, len(pairs) - 1, count)]
    vectors = {key: np.ascontiguousarray(m.T) for key, m in scores.items()}  # systems x queries, contiguous rows
    cells = [(str(pair), measure, i, j) for pair in sample for measure in MEASURES for i, j in comparisons]
    print(f"ranx fisher_randomization_test on {len(sample)} pair(s) ({', '.join(p.langs for p in sample)}): {len(cells)} tests per run", flush=True)
    compile_s = ranx_warm_up()
    import numba

    ranx_threads = numba.get_num_threads()

    ranx_1_s, ranx_1 = run_ranx(vectors, cells, B, seed, "ranx run 1")
    print(f"  run 1 (seed {seed}): {ranx_1_s:.1f} s", flush=True)
    ranx_2_s, ranx_2 = run_ranx(vectors, cells, B, seed, "ranx run 2")
    print(f"  run 2 (seed {seed}): {ranx_2_s:.1f} s", flush=True)
    other_cells = cells[: len(comparisons) * len(MEASURES)]  # one pair
    ranx_3_s, ranx_3 = run_ranx(vectors, other_cells, B, seed + 1, "ranx run 3")
    print(f"  run 3 (seed {seed + 1}, {len(other_cells)} tests): {ranx_3_s:.1f} s", flush=True)
    seed_none = ranx_seed_none()
    per_test = (ranx_1_s + ranx_2_s) / (2 * len(cells))
    ranx_same_seed_identical = int(np.sum(ranx_1 == ranx_2))
    h_sample = np.array([harness_p[(names[i], names[j], measure, pair)] for pair, measure, i, j in cells])
    h_other = np.array([stage_other_p[pair][MEASURES.index(measure) * len(comparisons) + comparisons.index((i, j))] for pair, measure, i, j in cells])
    aa_index = [k for k, (_, _, i, j) in enumerate(cells) if {names[i], names[j]} == {"bm25", variant_name(0.9, 0.4)}]
    zero_p = int(np.sum(ranx_1 == 0) + np.sum(ranx_2 == 0))
    cell_exact = np.array([exact[pair][MEASURES.index(measure) * len(comparisons) + comparisons.index((i, j))] for pair, measure, i, j in cells])
    cell_ap = np.array([measure == "AP" for _, measure, _, _ in cells])
    exact_checks: dict[str, dict[str, Any]] = {}
    for kind, on_table, on_sample in (
        ("R@1, R@10 (differences in {-1,0,1}: binomial tail)", ~is_ap, ~cell_ap),
        (f"AP (all values 0 or 1/rank, <= {MAX_ENUMERATED} non-zero differences: every sign pattern, rational arithmetic)", is_ap, cell_ap),
    ):
        table_mask = on_table & ~np.isnan(exact_flat)
        sample_mask = on_sample & ~np.isnan(cell_exact)
        exact_checks[kind] = {
            f"harness, all {len(pairs)} pairs": against_exact(stage_flat[table_mask], exact_flat[table_mask], B),
            "harness, sampled pairs": against_exact(h_sample[sample_mask], cell_exact[sample_mask], B),
            "ranx run 1, sampled pairs": against_exact(ranx_1[sample_mask], cell_exact[sample_mask], B),
            "ranx run 2, sampled pairs": against_exact(ranx_2[sample_mask], cell_exact[sample_mask], B),
        }

    # --- ranx.compare end to end on one pair --------------------------------------------------
    end_to_end: dict[str, Any] | None = None
    end_to_end_note = None
    if not args.no_ranx_compare:
        from harness.paths import data_dir

        pair = PairId.parse(args.compare_pair, DATASET)
        print(f"ranx.compare end to end on {pair} ({len(names)} runs, fisher, B={B:,}) ...", flush=True)
        try:
            end_to_end = ranx_end_to_end(paths, names, pair, data_dir(args.data_dir), B, seed)
        except HarnessError as error:
            end_to_end_note = f"skipped: {error}"
            print(f"  {end_to_end_note}", flush=True)
        else:
            e2e_h = np.array([harness_p[(a, b, m, str(pair))] for (a, b, m) in end_to_end["p"]])
            e2e_r = np.array(list(end_to_end["p"].values()))
            end_to_end["agreement_with_harness"] = agreement(e2e_h, e2e_r, B)
            harness_values = first["comparison"].values
            end_to_end["max_abs_mean_difference_vs_harness"] = max(
                abs(end_to_end["means"][n][m] - harness_values[(n, m, str(pair))]) for n in names for m in MEASURES
            )
            print(f"  {end_to_end['compare_s']:.1f} s", flush=True)

    # --- report ------------------------------------------------------------------------------
    import numba

    info["load_average_at_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    info["numba_threads"] = numba.config.NUMBA_NUM_THREADS
    with contextlib.suppress(Exception):
        info["numba_threading_layer"] = numba.threading_layer()
    extrapolated = per_test * full_tests
    harness_tests = len(tests_1)
    versions = info["versions"]
    rows = [
        ["harness compare_submissions", f"whole table: read {len(names)}x{len(pairs)} per-query files, tests of 121 pairs + 2 setting means, Holm, effects + bootstrap CIs",
         f"{harness_tests:,}", f"{first['wall_s']:.1f} / {second['wall_s']:.1f}",
         "yes: p, p_adj, CIs bit-identical" if harness_reproducible else "NO", HARNESS_P.split(";")[0]],
        ["harness randomization_p", f"test stage alone, the {len(pairs)} pairs (seed {seed})", f"{full_tests:,}", f"{stage_s:.1f}",
         "yes (= the table's p)" if stage_matches_table else "NO", HARNESS_P.split(";")[0]],
        ["ranx fisher_randomization_test", f"test stage, {len(sample)} pair(s) measured", f"{len(cells):,}", f"{ranx_1_s:.1f} / {ranx_2_s:.1f}",
         f"no: {ranx_same_seed_identical}/{len(cells)} p equal" if ranx_same_seed_identical < len(cells) else "yes", RANX_P.split(";")[0]],
        ["ranx fisher_randomization_test", f"the {len(pairs)} pairs, extrapolated at {per_test * 1000:.0f} ms a test", f"{full_tests:,}",
         f"~{extrapolated:,.0f} (~{extrapolated / 3600:.1f} h)" if len(sample) < len(pairs) else f"{ranx_1_s:.1f}", "-", RANX_P.split(";")[0]],
    ]
    if end_to_end:
        rows.append(["ranx.compare", f"end to end, 1 pair ({end_to_end['pair']}), {len(names)} runs, from dicts", f"{end_to_end['fisher_tests_inside_compare']} ({end_to_end['unordered_tests']} distinct)",
                     f"{end_to_end['compare_s']:.1f}", "no (same kernel)", RANX_P.split(";")[0]])
    print()
    print(f"machine: {info['cpu']}, {info['usable_cores']} usable cores; BLAS {info['blas']}; "
          f"CPU busy before the start {_percent(info['busy_at_start'])}; "
          f"load average {info['load_average_at_start'][0]:.2f} at start, {info['load_average_at_end'][0]:.2f} at end")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()) + f"; numba threads {info['numba_threads']} ({info.get('numba_threading_layer')})")
    print(f"table: {len(names)} systems, {len(pairs)} pairs ({n_queries} queries each), {len(MEASURES)} measures, "
          f"{len(comparisons)} system pairs, B={B:,}, seed {seed}\n")
    print(_table(["tool", "what", "tests", "wall s (run 1 / run 2)", "same seed -> same p", "p-value"], rows))
    print()
    phases = "; ".join(f"{k} {v:.1f} s" for k, v in first["phases_s"].items())
    print(f"harness run 1 by stage: {phases}")
    print(f"harness: {harness_tests:,} tests = {len(comparisons)} x ({len(pairs)} pairs + {len(columns) - len(pairs)} setting means) x {len(MEASURES)}; "
          f"identical across the two runs: " + ", ".join(f"{k} {v:,}/{len(tests_1):,}" for k, v in identical.items()))
    print(f"harness: seed {seed + 1} instead of {seed} changes {int(changed.sum()):,} of {changed.size:,} pair p-values "
          f"(the rest have p = 1 or every pattern a hit/miss); test stage alone {stage_s:.1f} s + {load_s:.1f} s to read the scores")
    if aa:
        print(f"A/A pair (bm25 vs {variant_name(0.9, 0.4)}, same parameters, equal scores): harness p = 1 in all {len(aa)} tests: "
              f"{'yes' if aa_all_one else 'NO'}; ranx p = 1 in all {len(aa_index)} sampled: "
              f"{'yes' if aa_index and all(ranx_1[k] == 1 and ranx_2[k] == 1 for k in aa_index) else 'NO'}")
    print(f"ranx: first call {compile_s:.2f} s (numba compile, or load of its on-disk cache), not in the times above; "
          f"numba threads {ranx_threads}")
    print(f"ranx: same seed twice: {ranx_same_seed_identical}/{len(cells)} p equal, max |p1 - p2| {np.max(np.abs(ranx_1 - ranx_2)):.4f}; "
          f"seed {seed + 1}: {int(np.sum(ranx_3 != ranx_1[: len(other_cells)]))}/{len(other_cells)} p differ from run 1; "
          f"random_seed=None: {seed_none}")
    print("ranx: why the seed is not honoured: np.random.seed() in its @njit(parallel=True) function seeds only the calling "
          "thread's numba generator, while the prange loop that permutes draws on the pool's worker threads, whose states are "
          "never seeded and carry over between calls; `import ranx` sets numba.config.THREADING_LAYER = 'workqueue', under "
          "which even one thread runs the loop off the main thread (ranx issue #70, open)")
    print(f"ranx: p = 0 in {zero_p} of {2 * len(cells)} p-values (hits/B; the harness's floor is 1/(B+1))")
    print(f"statistics: harness: {HARNESS_P}\n            ranx:    {RANX_P}\n"
          "            the same statistic (|mean A - mean B| = |sum d|/n) and the same null (each query's pair exchangeable)")
    for label, ranx_p in (("ranx run 1", ranx_1), ("ranx run 2", ranx_2)):
        a = agreement(h_sample, ranx_p, B)
        print(f"harness vs {label} on {a['tests']} tests: max |dp| {a['max_abs_difference']:.4f}, mean {a['mean_abs_difference']:.5f}, "
              f"within 3 MC s.e. {a['within_3_se']:.1%}, raw decisions at 0.05 agree {a['decisions_agree_at_0.05']:.1%} "
              f"(significant: harness {a['significant_a']}, ranx {a['significant_b']})")
    print(f"exact p-values where they can be had ({exact_s:.1f} s to compute):")
    for kind, checks in exact_checks.items():
        print(f"  {kind}:")
        for label, a in checks.items():
            if not a["tests"]:
                print(f"    {label}: no such test")
                continue
            print(f"    {label}: {a['tests']} tests, max |p - exact| {a['max_abs_difference']:.4f}, mean p - exact {a['mean_difference']:+.5f}, "
                  f"within 3 MC s.e. {a['within_3_se']:.1%}, decisions at 0.05 agree {a['decisions_agree_at_0.05']:.1%}")
    print("  (ranx decides `permuted_diff >= observed` on means computed from the permuted columns, in another summation "
          "order than the observed one: a pattern whose statistic equals the observed one exactly can fall an ulp short and "
          "count as a miss. Exact ties are common where few queries differ and AP takes few values (1/rank), e.g. on zh-vi, "
          "so its AP p-values there run low; the harness counts a tie within a relative 1e-9 as a hit)")
    a = agreement(ranx_1, ranx_2, B)
    print(f"ranx run 1 vs run 2: max |dp| {a['max_abs_difference']:.4f}, within 3 MC s.e. {a['within_3_se']:.1%}, "
          f"decisions agree {a['decisions_agree_at_0.05']:.1%}")
    a = agreement(h_sample, h_other, B)
    print(f"harness seed {seed} vs seed {seed + 1} on the same tests: max |dp| {a['max_abs_difference']:.4f}, "
          f"within 3 MC s.e. {a['within_3_se']:.1%}, decisions agree {a['decisions_agree_at_0.05']:.1%}")
    if end_to_end:
        e = end_to_end
        print(f"ranx.compare on {e['pair']} ({e['runs']} runs, {e['run_rows']:,} run rows; numba threads {e['numba_threads']}): "
              f"qrels {e['qrels_load_s']:.1f} s, parse runs to dicts {e['parse_runs_to_dicts_s']:.1f} s, Qrels/Run from dicts {e['build_Qrels_Run_s']:.1f} s, "
              f"first evaluate of the {e['runs']} runs (sorts them) {e['first_evaluate_s']:.2f} s, compare(student) {e['compare_student_s']:.2f} s, "
              f"compare(fisher) {e['compare_s']:.1f} s of which ~{e['compare_tests_s_estimate']:.1f} s Fisher tests: "
              f"{e['fisher_tests_inside_compare']} of them, every unordered pair tested twice, as (A,B) and (B,A); "
              f"compilation on first use {e['first_call_compile_s']:.1f} s (not counted)")
        a = e["agreement_with_harness"]
        print(f"ranx.compare vs harness on {e['pair']}: max |mean difference| {e['max_abs_mean_difference_vs_harness']:.2e}; "
              f"p: max |dp| {a['max_abs_difference']:.4f}, within 3 MC s.e. {a['within_3_se']:.1%}, decisions agree {a['decisions_agree_at_0.05']:.1%}")
    elif end_to_end_note:
        print(f"ranx.compare end to end: {end_to_end_note}")

    result = {
        "machine": info,
        "table": {
            "systems": names, "pairs": len(pairs), "queries_per_pair": n_queries, "measures": MEASURES,
            "system_pairs": len(comparisons), "resamples": B, "seed": seed, "pair_tests": full_tests,
        },
        "harness": {
            "compare_wall_s": [first["wall_s"], second["wall_s"]],
            "compare_phases_s": [first["phases_s"], second["phases_s"]],
            "compare_tests": harness_tests,
            "identical_across_runs": identical,
            "reproducible": harness_reproducible,
            "test_stage_s": stage_s,
            "test_stage_seed_plus_one_s": stage_other_s,
            "test_stage_matches_table": stage_matches_table,
            "read_scores_s": load_s,
            "exact_p_s": exact_s,
            "seed_plus_one_changed": int(changed.sum()),
            "aa_p_all_one": aa_all_one,
            "p_value": HARNESS_P,
        },
        "ranx": {
            "sample_pairs": [str(p) for p in sample],
            "tests_per_run": len(cells),
            "first_call_s": compile_s,
            "numba_threads": ranx_threads,
            "run_s": [ranx_1_s, ranx_2_s],
            "seed_plus_one_run_s": ranx_3_s,
            "per_test_s": per_test,
            "full_table_s": extrapolated if len(sample) < len(pairs) else ranx_1_s,
            "full_table_extrapolated": len(sample) < len(pairs),
            "same_seed_identical": ranx_same_seed_identical,
            "seed_none": seed_none,
            "zero_p_values": zero_p,
            "p_value": RANX_P,
            "agreement_with_harness": [agreement(h_sample, ranx_1, B), agreement(h_sample, ranx_2, B)],
            "run1_vs_run2": agreement(ranx_1, ranx_2, B),
            "against_exact": exact_checks,
            "tests": [
                {"pair": pair, "measure": measure, "system": names[i], "other": names[j],
                 "p_harness": float(h), "p_harness_seed_plus_one": float(h2), "p_ranx_1": float(r1), "p_ranx_2": float(r2),
                 "p_exact": None if np.isnan(e) else float(e)}
                for (pair, measure, i, j), h, h2, r1, r2, e in zip(cells, h_sample, h_other, ranx_1, ranx_2, cell_exact)
            ],
        },
        "ranx_compare": None if end_to_end is None else {
            **{k: v for k, v in end_to_end.items() if k != "p"},
            "p": [{"system": a, "other": b, "measure": m, "p_ranx": v, "p_harness": harness_p[(a, b, m, end_to_end["pair"])]}
                  for (a, b, m), v in end_to_end["p"].items()],
        },
        "ranx_compare_note": end_to_end_note,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, json.dumps(result, indent=2, default=_plain) + "\n")
    print(f"\nwrote {output}")
    return 0


def _percent(share: float | None) -> str:
    return "unknown" if share is None else f"{share:.0%}"


def _plain(value: Any) -> Any:
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, tuple):
        return list(value)
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
