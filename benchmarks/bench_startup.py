"""Time `harness eval --run --qrels` on a tiny input next to pytrec_eval doing the same, end to end.

    python benchmarks/bench_startup.py              # 10 rounds, median and min of each
    python benchmarks/bench_startup.py --rounds 20 --imports

On a tiny run almost all of the time is start-up: the interpreter and the imports. Both commands
run as fresh processes on the same files, interleaved round by round (the order alternating), so
that a machine shared with other jobs slows both alike:

- harness: the ``harness`` console script, ``eval --run RUN --qrels QRELS`` (AP, nDCG@10, P@10,
  RR, R@100 by default);
- anchor: ``python -c`` importing pytrec_eval, reading both files into dicts in plain Python and
  printing the same five means (map, ndcg_cut_10, P_10, recip_rank, recall_100).

Their values must agree to the 4 decimals printed, or the timing is refused. Both read compiled
bytecode, as an installed package does: where the environment forbids writing it
(PYTHONDONTWRITEBYTECODE, so every harness module is compiled from source on every start), it is
kept in a private folder for the benchmark's lifetime, and the harness is timed a third way, as
the environment has it ("harness, compiling"). ``--imports`` adds the cumulative ``-X importtime``
of the harness command's top-level imports (one run, and the tracing itself inflates them).
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 0.25
PYTREC_NAMES = {"AP": "map", "nDCG@10": "ndcg_cut_10", "P@10": "P_10", "RR": "recip_rank", "R@100": "recall_100"}
ANCHOR = f"""
import sys
import pytrec_eval

qrels, run = {{}}, {{}}
with open(sys.argv[2]) as lines:
    for line in lines:
        qid, _, doc, grade = line.split()
        qrels.setdefault(qid, {{}})[doc] = int(grade)
with open(sys.argv[1]) as lines:
    for line in lines:
        qid, _, doc, _, score, _ = line.split()
        run.setdefault(qid, {{}})[doc] = float(score)
names = {list(PYTREC_NAMES.values())!r}
per_query = pytrec_eval.RelevanceEvaluator(qrels, set(names)).evaluate(run)
for name in names:
    print(f"{{name}}\\tall\\t{{sum(q[name] for q in per_query.values()) / len(per_query):.4f}}")
"""


def tiny_input(folder: Path, queries: int = 5, depth: int = 20, seed: int = 0) -> tuple[Path, Path]:
    """``queries`` x ``depth`` rows with distinct scores; two or three relevant documents per query, one unretrieved."""
    rng = random.Random(seed)
    run_lines, qrels_lines = [], []
    for q in range(queries):
        docs = rng.sample(range(1000), depth + 1)
        scores = sorted(rng.sample(range(1, 10_000), depth), reverse=True)
        run_lines += [f"q{q} Q0 d{doc} {rank + 1} {score / 1000:.3f} tiny\n" for rank, (doc, score) in enumerate(zip(docs, scores))]
        relevant = rng.sample(docs[: depth - 1], 1 + q % 2) + [docs[depth]]
        qrels_lines += [f"q{q} 0 d{doc} {1 + i % 2}\n" for i, doc in enumerate(relevant)]
        qrels_lines.append(f"q{q} 0 d{docs[depth - 1]} 0\n")  # judged non-relevant, ranked last
    run_path, qrels_path = folder / "tiny.trec", folder / "tiny.qrels"
    run_path.write_text("".join(run_lines))
    qrels_path.write_text("".join(qrels_lines))
    return run_path, qrels_path


def harness_command(run: Path, qrels: Path) -> list[str]:
    """The console script as a user runs it (``python -m harness.cli`` where it is not installed beside this Python)."""
    script = Path(sys.executable).with_name("harness")
    prefix = [str(script)] if script.is_file() else [sys.executable, "-m", "harness.cli"]
    return [*prefix, "eval", "--run", str(run), "--qrels", str(qrels)]


def means(stdout: str) -> dict[str, str]:
    """``name -> value`` of the ``name<TAB>all<TAB>value`` lines."""
    fields = (line.split("\t") for line in stdout.splitlines() if "\tall\t" in line)
    return {name.strip(): value for name, _, value in fields}


def timed(command: list[str], env: dict[str, str] | None) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:3])} ... failed (exit {done.returncode}): {done.stderr.strip()}")
    return time.perf_counter() - started, done.stdout


def import_costs(command: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """Cumulative ``-X importtime`` seconds of each top-level import of ``command``, largest first."""
    script = command[1:] if command[0] == sys.executable else command  # the console script is a Python file
    traced = [sys.executable, "-X", "importtime", *script]
    stderr = subprocess.run(traced, capture_output=True, text=True, check=True, env=env).stderr
    costs = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and not line.startswith("import time: self"):
            _, cumulative, name = line[len("import time:"):].split("|")
            if not name.startswith("  "):  # a top-level import (nested ones are indented)
                costs.append((name.strip(), int(cumulative) / 1e6))
    return sorted(costs, key=lambda item: -item[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10, help="runs of each command (default 10)")
    parser.add_argument("--imports", action="store_true", help="also list the harness command's import costs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        run, qrels = tiny_input(Path(folder))
        cached = dict(os.environ)
        commands = {"harness": (harness_command(run, qrels), cached), "pytrec_eval": ([sys.executable, "-c", ANCHOR, str(run), str(qrels)], cached)}
        if cached.pop("PYTHONDONTWRITEBYTECODE", None):
            cached["PYTHONPYCACHEPREFIX"] = str(Path(folder) / "bytecode")  # the checkout stays clean
            commands["harness, compiling"] = (commands["harness"][0], None)
        # these first runs also write the bytecode the timed ones read
        harness_values, anchor_values = means(timed(*commands["harness"])[1]), means(timed(*commands["pytrec_eval"])[1])
        expected = {PYTREC_NAMES[name]: value for name, value in harness_values.items() if name in PYTREC_NAMES}
        if expected != anchor_values:
            raise SystemExit(f"the two commands disagree: harness {harness_values}, pytrec_eval {anchor_values}")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for round_ in range(args.rounds):
            for name in sorted(commands, reverse=bool(round_ % 2)):
                times[name].append(timed(*commands[name])[0])
        costs = import_costs(*commands["harness"]) if args.imports else []

    threads = ", ".join(f"{v}={os.environ[v]}" for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS") if v in os.environ) or "thread variables unset"
    print(f"tiny input: 5 queries x 20 documents; {args.rounds} rounds interleaved; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f} at the end; {threads}")
    print(f"values (equal in both): {', '.join(f'{k} {v}' for k, v in harness_values.items())}")
    median = {name: statistics.median(values) for name, values in times.items()}
    for name, values in times.items():
        print(f"  {name:<18} median {median[name]:.3f} s   min {min(values):.3f} s   max {max(values):.3f} s")
    verdict = "within" if median["harness"] < TARGET_S else "OVER"
    print(f"harness / pytrec_eval: {median['harness'] / median['pytrec_eval']:.2f}x; target {TARGET_S} s: {verdict}")
    if costs:
        print("\nharness command, cumulative -X importtime of its top-level imports (one run, inflated by the tracing):")
        for name, seconds in costs[:15]:
            print(f"  {seconds * 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
