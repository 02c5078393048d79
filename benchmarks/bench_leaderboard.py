"""Time ``harness leaderboard`` on 50 synthetic submissions x 4 datasets of realistic sizes.

    python benchmarks/bench_leaderboard.py                 # generate once (about a minute), then build
    python benchmarks/bench_leaderboard.py --systems 10    # a smaller table
    python benchmarks/bench_leaderboard.py --fresh         # regenerate the submissions

Datasets (3 measures each: AP, R@1, R@10):

- xquad-r: 11 languages, 132 pairs (121 MoIR + CLIR, 11 MLIR), 1,190 queries each;
- mlqa-r: 7 languages, 56 pairs (49 MoIR + CLIR, 7 MLIR), 500 queries each;
- miracl: 18 MoIR pairs, 500 queries each;
- mmarco: 4 pairs (en-en, de-de, de-en, fr-en), 6,980 queries each.

Systems differ by a small shift of a shared per-query difficulty plus noise, so some differences
are significant and some are not. Their query ids (``q00000``...) are no dataset's, so every build
is given an empty data folder: the gate then counts each pair's queries from the submissions
instead of rejecting the ids. The submissions are written once under
``benchmarks/.cache/bench_leaderboard/``; the site goes beside them. Three builds are timed, each
with where its time went: the first (every per-query file parsed, the score cache written), a
rebuild (parsed scores from the cache) and a rebuild without the cache.

Side by side with the reference, the all-pairs kernel: the t-tests of every pair of the 50
systems on one column (1,190 queries) by ``scipy.stats.ttest_rel`` per pair (how ranx's
``compare(stat_test="student")`` runs them) and by :func:`harness.stats.all_pairs.all_pairs_t`
(one Gram matrix), with the largest difference of their p-values. Results go to
``benchmarks/.cache/bench_leaderboard.json``.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.datasets.pairs import PairId  # noqa: E402
from harness.report.leaderboard import build_leaderboard  # noqa: E402
from harness.submissions import FORMAT_VERSION, META_FILE, PER_QUERY_FILE, write_per_query  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "bench_leaderboard"
MEASURES = ("AP", "R@1", "R@10")


def dataset_pairs() -> dict[str, tuple[list[str], int]]:
    xquad = ["ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh"]
    mlqa = ["ar", "de", "en", "es", "hi", "vi", "zh"]
    miracl = ["ar", "bn", "en", "es", "fa", "fi", "fr", "hi", "id", "ja", "ko", "ru", "sw", "te", "th", "zh", "de", "yo"]

    def full(langs):
        return [f"{q}-{d}" for q in langs for d in langs] + [f"{q}-xx" for q in langs]

    return {
        "xquad-r": (full(xquad), 1190),
        "mlqa-r": (full(mlqa), 500),
        "miracl": ([f"{x}-{x}" for x in miracl], 500),
        "mmarco": (["en-en", "de-de", "de-en", "fr-en"], 6980),
    }


def generate(folder: Path, systems: int, seed: int = 0) -> None:
    """Write ``systems`` submissions: meta.json and per-query.tsv per pair (no runs)."""
    rng = np.random.default_rng(seed)
    shifts = np.sort(rng.normal(0, 0.02, systems))[::-1]
    names = ["bm25"] + [f"system-{i:02d}" for i in range(1, systems)]
    specs = dataset_pairs()
    difficulty = {(d, p): np.random.default_rng(zlib.crc32(f"{d}/{p}".encode())).random(n) for d, (pairs, n) in specs.items() for p in pairs}
    for index, name in enumerate(names):
        root = folder / name
        meta = {
            "format_version": FORMAT_VERSION, "name": name, "harness_version": "bench", "command": f"harness eval --model {name}",
            "description": f"Synthetic system {index} for the leaderboard benchmark.",
            "training": {"languages": ["en", "de"]} if index % 2 else {},
            "system": {"model": name, "shift": float(shifts[index])}, "pairs": {},
        }
        for dataset, (pairs, n) in specs.items():
            for langs in pairs:
                pair = PairId.parse(f"{dataset}/{langs}")
                base = difficulty[(dataset, langs)]
                per_query = {}
                for m, measure in enumerate(MEASURES):
                    scale = (0.6, 0.5, 0.9)[m]
                    values = np.clip(base * scale + shifts[index] + rng.normal(0, 0.08, n), 0, 1)
                    per_query[measure] = dict(zip((f"q{i:05d}" for i in range(n)), values.tolist()))
                write_per_query(root / "pairs" / dataset / langs / PER_QUERY_FILE, per_query)
                meta["pairs"][str(pair)] = {
                    "setting": pair.setting, "num_queries": n,
                    "measures": {measure: float(np.mean(list(v.values()))) for measure, v in per_query.items()},
                }
        (root / META_FILE).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        print(f"\rgenerated {index + 1}/{systems}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def kernel_side_by_side(systems: int, queries: int = 1190, repeats: int = 5) -> dict[str, float]:
    """scipy's ttest_rel per pair against the Gram-matrix kernel on one column."""
    from scipy import stats

    from harness.stats.all_pairs import all_pairs_t

    rng = np.random.default_rng(0)
    units = np.clip(rng.random((queries, 1)) * 0.6 + rng.normal(0, 0.02, systems) + rng.normal(0, 0.08, (queries, systems)), 0, 1)
    first, second = np.triu_indices(systems, k=1)
    started = time.perf_counter()
    reference = np.array([stats.ttest_rel(units[:, i], units[:, j]).pvalue for i, j in zip(first, second)])
    scipy_s = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(repeats):
        ours = all_pairs_t(units)
    harness_s = (time.perf_counter() - started) / repeats
    return {"pairs": int(first.size), "scipy_ttest_rel_s": scipy_s, "harness_all_pairs_s": harness_s,
            "max_abs_p_difference": float(np.max(np.abs(ours.p - reference)))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="regenerate the submissions")
    parser.add_argument("--png", action="store_true", help="also time matplotlib heatmaps (about a second each)")
    args = parser.parse_args()

    submissions = CACHE / f"submissions-{args.systems}"
    stamp = submissions / ".complete"
    if args.fresh or not stamp.exists():
        shutil.rmtree(submissions, ignore_errors=True)
        started = time.perf_counter()
        generate(submissions, args.systems)
        stamp.write_text("ok\n")
        print(f"generated {args.systems} submissions in {time.perf_counter() - started:.1f} s")
    files = sum(1 for _ in submissions.glob(f"*/pairs/*/*/{PER_QUERY_FILE}"))
    print(f"{args.systems} submissions, {files:,} per-query files under {submissions}")

    no_data = CACHE / "no-data"
    no_data.mkdir(parents=True, exist_ok=True)
    site = CACHE / f"site-{args.systems}"
    shutil.rmtree(site, ignore_errors=True)
    runs = [("first build (empty score cache)", {}), ("rebuild (score cache)", {}), ("rebuild without the cache", {"cache": False})]
    if args.png:
        runs.append(("PNG heatmaps", {"heatmap_png": True}))
    results: dict[str, object] = {"systems": args.systems, "per_query_files": files, "builds": {}}
    for label, options in runs:
        started = time.perf_counter()
        built = build_leaderboard(submissions, site, data_dir=no_data, **options)
        wall = time.perf_counter() - started
        print(f"\n{label}: {wall:.2f} s wall")
        for stage, seconds in built.timings.items():
            print(f"  {stage:<18} {seconds:7.2f} s")
        print(f"  {built.tests:,} tests; {len(built.pages)} pages, {built.bytes_written / 1e6:.1f} MB; {built.cache}")
        results["builds"][label] = {"wall_s": wall, "timings": built.timings, "tests": built.tests, "bytes": built.bytes_written}
    sizes = sorted(((p.stat().st_size, p.name) for p in site.glob("*.html")), reverse=True)[:4]
    print("\nlargest pages: " + ", ".join(f"{name} {size / 1e6:.1f} MB" for size, name in sizes))

    kernel = kernel_side_by_side(args.systems)
    results["all_pairs_kernel"] = kernel
    print(
        f"\nall pairs of {args.systems} systems on one column ({kernel['pairs']:,} t-tests): scipy ttest_rel per pair "
        f"{kernel['scipy_ttest_rel_s'] * 1e3:.0f} ms, harness all_pairs_t {kernel['harness_all_pairs_s'] * 1e3:.1f} ms "
        f"({kernel['scipy_ttest_rel_s'] / kernel['harness_all_pairs_s']:.0f}x); max |p difference| {kernel['max_abs_p_difference']:.1e}"
    )
    (CACHE.parent / "bench_leaderboard.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
