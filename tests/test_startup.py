"""What a `harness` command loads: only what it uses (issue 14, light start-up).

Wall-clock time is benchmarks/bench_startup.py's business (a loaded machine would make a timing test flaky);
what keeps `harness eval --run --qrels` fast is which modules it imports, and that is asserted here.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# each costs 0.1-2 s to import and has no part in scoring a run file against a qrels file
HEAVY = ("pandas", "scipy", "jinja2", "torch", "transformers", "sentence_transformers", "matplotlib", "pyserini", "sklearn")
# the harness's other subcommands and the store: `eval --run --qrels` uses none of them
OTHER_COMMANDS = (
    "harness.datasets", "harness.models", "harness.stats", "harness.codeswitch", "harness.report.leaderboard",
    "harness.submissions", "harness.validation", "harness.training", "harness.translation",
)
# the console script's own code path (`from harness.cli import main`), then every module loaded by the end
WRAPPER = (
    "import json, sys\n"
    "from harness.cli import main\n"
    "status = main(sys.argv[1:])\n"
    "print(json.dumps(sorted(sys.modules)))\n"
    "sys.exit(status)\n"
)


def _run(argv: list[str], cwd: Path) -> tuple[str, set[str]]:
    """What ``harness ARGV`` printed, and the name of every module loaded once it has run."""
    done = subprocess.run([sys.executable, "-c", WRAPPER, *argv], capture_output=True, text=True, check=True, cwd=cwd)
    *printed, modules = done.stdout.splitlines()
    return "\n".join(printed), set(json.loads(modules))


def _loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """Those of ``packages`` that were imported (themselves or any of their modules)."""
    return [p for p in packages if any(m == p or m.startswith(p + ".") for m in modules)]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, set[str]]:
    folder = tmp_path_factory.mktemp("startup")
    run, qrels = folder / "run.trec", folder / "qrels.txt"
    # q1: the relevant d1 is ranked second (AP 0.5); q2: the relevant d3 first (AP 1)
    run.write_text("q1 Q0 d2 1 2.0 sys\nq1 Q0 d1 2 1.0 sys\nq2 Q0 d3 1 3.0 sys\nq2 Q0 d4 2 1.0 sys\n")
    qrels.write_text("q1 0 d1 1\nq1 0 d2 0\nq2 0 d3 1\n")
    return _run(["eval", "--run", str(run), "--qrels", str(qrels)], folder)


def test_eval_of_a_run_file_imports_no_heavy_package(evaluated):
    report, modules = evaluated
    assert "AP                  \tall\t0.7500" in report.splitlines()  # the run was read and scored
    assert _loaded(modules, HEAVY) == []


def test_eval_of_a_run_file_loads_no_other_subcommand(evaluated):
    _, modules = evaluated
    assert "harness.evaluation" in modules
    assert _loaded(modules, OTHER_COMMANDS) == []


def test_eval_of_a_run_file_skips_the_avoidable_light_imports(evaluated):
    # 10-55 ms each: numpy.ma comes with np.unique, importlib.metadata with a version lookup,
    # ir_measures with a measure name, pyarrow.compute with arrow's casts (the common measures
    # are read without ir-measures; a name it must parse still loads it)
    _, modules = evaluated
    assert _loaded(modules, ("numpy.ma", "importlib.metadata", "ir_measures", "pyarrow.compute")) == []


def test_a_listing_loads_neither_the_evaluator_nor_numpy(tmp_path):
    listing, modules = _run(["datasets"], tmp_path)
    assert "xquad-r" in listing
    assert _loaded(modules, ("harness.evaluation", "numpy", *HEAVY)) == []


def test_eval_of_a_large_run_file_streams_without_pyarrow_compute(tmp_path):
    lines = [f"q{q} Q0 d{d} {d + 1} {100 - d}.5 sys\n" for q in range(150) for d in range(100)]
    run, qrels = tmp_path / "run.trec", tmp_path / "qrels.txt"
    run.write_text("".join(lines))
    qrels.write_text("".join(f"q{q} 0 d{q % 7} 1\n" for q in range(150)))
    assert run.stat().st_size > 256 << 10  # above trec.SMALL_FILE_BYTES: arrow reads it, by blocks
    report, modules = _run(["eval", "--run", str(run), "--qrels", str(qrels), "--measures", "AP,RR"], tmp_path)
    assert "num_q               \tall\t150" in report.splitlines()
    assert "pyarrow.csv" in modules and _loaded(modules, ("pyarrow.compute", "ir_measures", "pandas")) == []
