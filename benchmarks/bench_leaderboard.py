"""Time ``harness leaderboard`` on N synthetic submissions x 4 datasets of realistic sizes, and open its pages in Chromium.

    python benchmarks/bench_leaderboard.py                      # 50 systems: generate once (minutes), then build
    python benchmarks/bench_leaderboard.py --systems 200        # MTEB's scale
    python benchmarks/bench_leaderboard.py --reference OLD      # side by side with the harness of another tree
    python benchmarks/bench_leaderboard.py --fresh              # regenerate the submissions

``OLD`` is a folder holding another version's ``harness`` package, e.g. ``git worktree add /tmp/old
HEAD~5``: each build of each tree runs in its own process, so the numbers are side by side on the
same submissions, machine and moment.

Datasets (3 measures each: AP, R@1, R@10):

- xquad-r: 11 languages, 132 pairs (121 MoIR + CLIR, 11 MLIR), 1,190 queries each;
- mlqa-r: 7 languages, 56 pairs (49 MoIR + CLIR, 7 MLIR), 500 queries each;
- miracl: 18 MoIR pairs, 500 queries each;
- mmarco: 4 pairs (en-en, de-de, de-en, fr-en), 6,980 queries each.

Systems differ by a small shift of a shared per-query difficulty plus noise, so some differences
are significant and some are not. Their query ids (``q00000``...) are no dataset's, so every build
is given an empty data folder: the gate then counts each pair's queries from the submissions
instead of rejecting the ids. The submissions are written once under
``benchmarks/.cache/bench_leaderboard/``; the sites go beside them.

Every submission file is read once first (the page cache then holds them for every tree alike).
Per tree, three builds, each in a fresh process (wall and CPU seconds, peak resident memory, and
where the time went): the first (every per-query file parsed, the caches written), a rebuild (the
caches) and a rebuild without them (``--first-only``: the first alone). Then the site: its size, its largest pages, and in headless
Chromium (selenium and Debian's chromium + chromedriver; skipped where absent) the comparison
page's load (navigation start to the load event, when its table is drawn), JavaScript heap and
elements, and the largest dataset page's elements and the time a click on a column header takes
to sort its first table, layout included (three clicks in a row, best of three page loads: the
first value column, in whose order the page opens; a pair column; the same again, reversed). Also the per-query reader against pyarrow's CSV
reader and the raw read on the same files, and the all-pairs t-test kernel against scipy's
``ttest_rel`` per pair. Results go to ``benchmarks/.cache/bench_leaderboard.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.datasets.pairs import PairId  # noqa: E402
from harness.submissions import FORMAT_VERSION, META_FILE, PER_QUERY_FILE, write_per_query  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "bench_leaderboard"
MEASURES = ("AP", "R@1", "R@10")
# the dataset page's sorts timed, in this order, by the header clicked (0: the first value column, a
# setting mean, the order the page opens in; 10: a pair column; 10 again: that order reversed)
SORTS = {"first column (the page's order)": 0, "a pair column": 10, "that column reversed": 10}
BUILDS = (("first build", True), ("rebuild (caches)", True), ("rebuild without caches", False))  # (label, caches on)

# One build in a fresh process: the tree's harness first on the path, the result as JSON on stdout.
BUILD_SCRIPT = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from harness.report.leaderboard import build_leaderboard
started = time.perf_counter()
site = build_leaderboard(sys.argv[2], sys.argv[3], data_dir=sys.argv[4], cache=sys.argv[5] == "1")
print(json.dumps({"inner_wall_s": time.perf_counter() - started, "timings": site.timings, "tests": site.tests,
                  "bytes": site.bytes_written, "cache": site.cache}))
"""


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


def timed_build(tree: Path, submissions: Path, site: Path, no_data: Path, cache: bool) -> dict:
    """One build in a fresh process: wall and CPU seconds and peak resident memory of that process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT, str(tree), str(submissions), str(site), str(no_data), "1" if cache else "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    # wait4 gives this child's own rusage (peak RSS and CPU), not the sum over every child so far
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    out, err = process.stdout.read(), process.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed ({tree}):\n{err[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime, peak_rss_mb=usage.ru_maxrss / 1024)
    return result


def site_sizes(site: Path) -> dict:
    """Bytes of the whole site (pages and data files, not the caches) and of its largest pages."""
    files = [p for p in site.rglob("*") if p.is_file() and ".cache" not in p.relative_to(site).parts]
    pages = sorted(((p.stat().st_size, p.name) for p in site.glob("*.html")), reverse=True)
    return {
        "site_mb": sum(p.stat().st_size for p in files) / 1e6, "files": len(files), "pages": len(pages),
        "largest_pages_mb": {name: size / 1e6 for size, name in pages[:4]},
        "compare_mb": (site / "compare.html").stat().st_size / 1e6 if (site / "compare.html").exists() else None,
        "cache_mb": sum(p.stat().st_size for p in (site / ".cache").rglob("*") if p.is_file()) / 1e6 if (site / ".cache").exists() else 0.0,
    }


def browser_measures(site: Path, repeats: int = 3) -> dict | None:
    """The comparison page's load and the largest dataset page's sort in headless Chromium (best of ``repeats``)."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        print("selenium not installed: no browser numbers", file=sys.stderr)
        return None
    chromium, driver_path = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not (chromium and driver_path):
        print("chromium or chromedriver not found: no browser numbers", file=sys.stderr)
        return None
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900", "--enable-precise-memory-info"):
        options.add_argument(flag)
    options.binary_location = chromium
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(300)
    out: dict = {}
    try:
        loads, heaps = [], []
        for _ in range(repeats):
            driver.get("about:blank")
            driver.get((site / "compare.html").as_uri())
            timing = [0]
            for _ in range(600):  # the load event's end is stamped once its handlers have run
                timing = driver.execute_script(
                    "var n = performance.getEntriesByType('navigation')[0];"
                    "return [n.loadEventEnd, performance.memory ? performance.memory.usedJSHeapSize : null,"
                    " document.querySelectorAll('#compare-table tbody tr').length, document.getElementsByTagName('*').length];"
                )
                if timing[0] > 0:
                    break
                time.sleep(0.05)
            loads.append(timing[0])
            heaps.append(timing[1])
            out["compare_rows"], out["compare_elements"] = timing[2], timing[3]
        out["compare_load_ms"] = min(loads)
        out["compare_js_heap_mb"] = min(h for h in heaps if h is not None) / 1e6 if any(h is not None for h in heaps) else None
        datasets = sorted(site.glob("dataset-*.html"), key=lambda p: p.stat().st_size, reverse=True)
        if datasets:
            page = datasets[0]
            sorts: dict[str, list[float]] = {name: [] for name in SORTS}
            for _ in range(repeats):
                driver.get("about:blank")
                driver.get(page.as_uri())
                driver.execute_script("void document.body.offsetHeight;")  # the page's own first layout is not the sort's
                time.sleep(0.2)
                for name, header in SORTS.items():  # one after the other, each from the order the last left
                    sorts[name].append(driver.execute_script(
                        f"var th = document.querySelectorAll('table.board th.sortable:not([data-col=system])')[{header}];"
                        "var started = performance.now(); th.click(); void document.body.offsetHeight;"
                        "return performance.now() - started;"
                    ))
            out["dataset_page"] = page.name
            out["dataset_sort_ms"] = {name: min(times) for name, times in sorts.items()}
            out["dataset_elements"] = driver.execute_script("return document.getElementsByTagName('*').length")
    finally:
        driver.quit()
    return out


def warm_page_cache(folder: Path) -> int:
    """Read every file under ``folder`` once: the tree measured first would otherwise read them from
    disk and the next from memory (seen: 11.3 s against 10.5 s cold, 8.8 s against 11.9 s warm)."""
    size = 0
    for path in folder.rglob("*"):
        if path.is_file():
            size += len(path.read_bytes())
    return size


def reader_side_by_side(submissions: Path, files: int = 300, rounds: int = 5) -> dict:
    """CPU ms a file: the harness's per-query reader (a file at a time, and a submission's files in
    one call, as the leaderboard's gate reads them), pyarrow's CSV reader and the raw read, on the
    same files, taking turns, the best of ``rounds`` (CPU time: other processes on the machine
    shift wall times by more than the differences)."""
    import pyarrow as pa
    from pyarrow import csv

    from harness.per_query import read_per_query_table, read_per_query_tables

    paths = sorted(submissions.glob(f"*/pairs/*/*/{PER_QUERY_FILE}"))[:files]
    by_submission: dict[Path, list[Path]] = {}
    for path in paths:
        by_submission.setdefault(path.parents[3], []).append(path)

    def arrow(path: Path):
        table = csv.read_csv(path, parse_options=csv.ParseOptions(delimiter="\t"), convert_options=csv.ConvertOptions(column_types={"query_id": pa.string()}))
        return table.column(0).to_pylist(), np.column_stack([c.to_numpy() for c in table.columns[1:]])

    readers = {
        "raw_read_ms": lambda: [path.read_bytes() for path in paths],
        "pyarrow_csv_ms": lambda: [arrow(path) for path in paths],
        "harness_ms": lambda: [read_per_query_table(path) for path in paths],
        "harness_batched_ms": lambda: [read_per_query_tables(group, root) for root, group in by_submission.items()],
    }
    out: dict = {"files": len(paths), **{label: float("inf") for label in readers}}
    for read in readers.values():
        read()  # imports and warm caches
    for _ in range(rounds):
        for label, read in readers.items():
            started = time.process_time()
            read()
            out[label] = min(out[label], (time.process_time() - started) / len(paths) * 1e3)
    return out


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


def measure_tree(label: str, tree: Path, submissions: Path, site: Path, no_data: Path, browser: bool, first_only: bool) -> dict:
    """The builds of one tree, then its site's sizes and browser numbers."""
    shutil.rmtree(site, ignore_errors=True)
    builds = {}
    for name, cache in BUILDS[:1] if first_only else BUILDS:
        result = timed_build(tree, submissions, site, no_data, cache)
        builds[name] = result
        print(f"\n[{label}] {name}: {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU, peak {result['peak_rss_mb']:,.0f} MB")
        for stage, seconds in result["timings"].items():
            print(f"  {stage:<18} {seconds:7.2f} s")
        print(f"  {result['tests']:,} tests; {result['bytes'] / 1e6:.1f} MB written; {result['cache']}")
    sizes = site_sizes(site)
    print(f"[{label}] site {sizes['site_mb']:.1f} MB in {sizes['files']} files ({sizes['pages']} pages), cache {sizes['cache_mb']:.0f} MB; largest: "
          + ", ".join(f"{name} {mb:.2f} MB" for name, mb in sizes["largest_pages_mb"].items()))
    measured = {"builds": builds, "site": sizes}
    if browser:
        numbers = browser_measures(site)
        if numbers:
            measured["browser"] = numbers
            print(f"[{label}] Chromium: compare.html loads in {numbers['compare_load_ms']:.0f} ms "
                  f"(JS heap {numbers['compare_js_heap_mb'] or float('nan'):.1f} MB, {numbers['compare_elements']:,} elements, {numbers['compare_rows']} rows); "
                  f"{numbers.get('dataset_page')}: {numbers.get('dataset_elements', 0):,} elements; sorts by "
                  + ", ".join(f"{name} {ms:.0f} ms" for name, ms in numbers.get("dataset_sort_ms", {}).items()))
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--systems", type=int, default=50)
    parser.add_argument("--fresh", action="store_true", help="regenerate the submissions")
    parser.add_argument("--reference", type=Path, help="a folder holding another version's harness package, measured beside this one")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium measures")
    parser.add_argument("--first-only", action="store_true", help="time the first build only (the rebuilds of an old tree at 200 systems take most of an hour)")
    args = parser.parse_args()
    if args.reference is not None and not (args.reference / "harness" / "__init__.py").is_file():
        raise SystemExit(f"--reference {args.reference}: no harness package there")

    submissions = CACHE / f"submissions-{args.systems}"
    stamp = submissions / ".complete"
    if args.fresh or not stamp.exists():
        shutil.rmtree(submissions, ignore_errors=True)
        started = time.perf_counter()
        generate(submissions, args.systems)
        stamp.write_text("ok\n")
        print(f"generated {args.systems} submissions in {time.perf_counter() - started:.1f} s")
    files = sum(1 for _ in submissions.glob(f"*/pairs/*/*/{PER_QUERY_FILE}"))
    print(f"{args.systems} submissions, {files:,} per-query files under {submissions}; {os.cpu_count()} CPUs")
    warmed = warm_page_cache(submissions)
    print(f"[read every submission file once ({warmed / 1e6:.0f} MB), so that no tree's first build pays the disk for the other]")
    no_data = CACHE / "no-data"
    no_data.mkdir(parents=True, exist_ok=True)

    results: dict[str, object] = {"systems": args.systems, "per_query_files": files, "cpus": os.cpu_count(), "trees": {}}
    trees = [("this tree", ROOT, CACHE / f"site-{args.systems}")]
    if args.reference is not None:
        trees.append(("reference", args.reference.resolve(), CACHE / f"site-{args.systems}-reference"))
    for label, tree, site in trees:
        results["trees"][label] = {"path": str(tree), **measure_tree(label, tree, submissions, site, no_data, not args.no_browser, args.first_only)}

    reader = reader_side_by_side(submissions)
    results["per_query_reader"] = reader
    print(f"\nper-query reader on {reader['files']} files (CPU): harness {reader['harness_ms']:.2f} ms a file "
          f"({reader['harness_batched_ms']:.2f} ms a submission's files at once, as the gate reads them), "
          f"pyarrow.csv {reader['pyarrow_csv_ms']:.2f} ms, raw read {reader['raw_read_ms']:.3f} ms")
    kernel = kernel_side_by_side(args.systems)
    results["all_pairs_kernel"] = kernel
    print(
        f"all pairs of {args.systems} systems on one column ({kernel['pairs']:,} t-tests): scipy ttest_rel per pair "
        f"{kernel['scipy_ttest_rel_s'] * 1e3:.0f} ms, harness all_pairs_t {kernel['harness_all_pairs_s'] * 1e3:.1f} ms "
        f"({kernel['scipy_ttest_rel_s'] / kernel['harness_all_pairs_s']:.0f}x); max |p difference| {kernel['max_abs_p_difference']:.1e}"
    )
    target = CACHE.parent / f"bench_leaderboard-{args.systems}.json"
    target.write_text(json.dumps(results, indent=2) + "\n")
    print(f"results: {target}")


if __name__ == "__main__":
    main()
