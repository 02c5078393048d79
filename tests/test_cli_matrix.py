"""Every subcommand x every option of ``harness``, generated from the argparse parser itself.

For each subcommand there are one or more minimal valid invocations (its modes; the cases are
generated in tests/fixtures/cli/cases.py).
Each option of the parser is added to each mode alone, with valid values (flags, every
non-default choice, :data:`GOOD`) and with bad values chosen by the option's kind (an empty
string, a missing path, a folder where a file is expected and the reverse, a negative number,
a non-number, an unknown choice). A new option is picked up by the walk; the guard test says
when it needs a valid value here. Every run asserts:

- no traceback: exit status 0, 1 or 2, nothing escapes ``main``, no "Traceback" on stderr;
- exit 2 comes with exactly one ``harness[ COMMAND]: error: ...`` line;
- a failed run leaves the tree exactly as it was (caches go to ``$HARNESS_CACHE_DIR``, outside);
- a bad value is refused (exit 2; ``validate``: 1 or 2);
- a valid value either takes visible effect (output or files differ from the mode's own run)
  or is refused in that mode with a reason (issue 11: no silently ignored option).

The CLI runs in-process on a fresh copy of a tiny tree (tests/fixtures/cli/tree.py) with a
registered toy dataset and toy model; a few smoke cases run it as a subprocess.
"""
from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.cli.cases import GOOD, MODES, Case, argv_of, generate, options, spelling, subcommands
from tests.fixtures.cli.runner import PROGRESS, TEMPORARY, Outcome, run_cli, snapshot
from tests.fixtures.cli.tree import build_tree, toy_registrations

REPO = Path(__file__).resolve().parents[1]

# Valid values that cannot show an effect on this tree, with the reason, by (command, mode or
# "*", option); anything else accepted without a visible effect is a silently ignored option.
NO_VISIBLE_EFFECT: dict[tuple[str, str, str], str] = {
    ("*", "*", "--quiet"): "it only hides progress bars (stderr, timing-dependent)",
    ("eval", "*", "--download"): "the tree's data is present: nothing to fetch",
    ("submit", "*", "--download"): "the tree's data is present: nothing to fetch",
    ("export", "*", "--download"): "the tree's data is present: nothing to fetch",
    ("export", "*", "--force"): "nothing to replace in a fresh --out (tests/test_export.py replaces an earlier export)",
    ("eval", "model-pair", "--data-dir"): "the submission already holds the pair: it is resumed, no data is read",
    ("eval", "model-dataset", "--force"): "nothing is stored under the fresh name (model-pair redoes a stored pair)",
    ("eval", "run-dataset", "--force"): "no stored pair to replace, and the run's documents are in the collection",
    ("submit", "*", "--force"): "no stored pair to replace (test_submit_force_replaces_a_stored_pair)",
    ("compare", "*", "--all-pairs"): "it is the default, spelled out",
    ("compare", "*", "--common-pairs"): "bm25 and sys-b hold the same pairs (tests/test_compare_union.py shows its effect)",
    ("compare", "*", "--data-dir"): "it checks query ids, which are the same in data2",
    ("validate", "*", "--data-dir"): "it checks query ids, which are the same in data2",
    ("leaderboard", "*", "--data-dir"): "it checks query ids and counts queries, the same in data2",
}
NEVER_ACCEPTED_HERE = {
    ("eval", "--backbone"): "only neural adapters take a backbone (tests/test_neural_*.py)",
    ("reproduce", "--strict"): "the matrix's submission is an external run, every pair a SKIP, which --strict fails by design (tests/test_reproduce.py)",
}


CASES = list(generate())


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory):
    with toy_registrations():
        root = build_tree(tmp_path_factory.mktemp("pristine"))
        yield root, snapshot(root), tmp_path_factory.mktemp("runs")


_outcomes: dict[tuple[str, ...], Outcome] = {}
_runs = itertools.count()


def run(argv: tuple[str, ...], tree) -> Outcome:
    """The outcome of ``argv`` on a fresh copy of the tree (memoised: runs are deterministic)."""
    if argv not in _outcomes:
        pristine, files, runs = tree
        _outcomes[argv] = run_cli(argv, pristine, files, runs / f"run{next(_runs)}")
    return _outcomes[argv]


def invariant_problems(outcome: Outcome) -> list[str]:
    """What no run may ever do, whatever its arguments."""
    problems = []
    if outcome.escaped or "Traceback" in outcome.stderr:
        problems.append(f"traceback: {outcome.escaped or outcome.stderr.strip().splitlines()[-1]}")
    if outcome.rc not in (0, 1, 2):
        problems.append(f"exit status {outcome.rc!r}, expected 0, 1 or 2")
    lines = [line for line in outcome.stderr.splitlines() if line.strip() and not line.startswith(("harness: warning:", "note:"))]
    lines = [line for line in lines if not PROGRESS.search(line)]
    if outcome.rc == 2 and not outcome.escaped:
        errors = [line for line in lines if re.match(r"^harness( \S+)?: error: ", line)]
        if len(errors) != 1 or len(lines) != 1:
            problems.append(f"exit 2 must print exactly one 'harness: error: ...' line, got {lines[:4]!r}")
    if outcome.rc != 0 and outcome.changes:
        problems.append(f"exit {outcome.rc} but the tree changed: {sorted(outcome.changes)[:5]}")
    left = [path for path in outcome.changes if TEMPORARY.match(os.path.basename(path))]
    if left:
        problems.append(f"temporary files left behind: {left}")
    return problems


def test_every_subcommand_has_a_mode_and_every_text_option_a_kind() -> None:
    missing = [command for command in subcommands() if command not in MODES]
    for command, sub in subcommands().items():
        for action in options(sub):
            automatic = action.nargs == 0 or action.choices is not None or action.type in (int, float)
            if not automatic and (command, action.dest) not in GOOD:
                missing.append(f"{command} {spelling(action)}")
    assert not missing, f"add a mode (MODES) or a kind and valid values (GOOD) for: {missing}"


@pytest.mark.parametrize("command, mode", [(c, m) for c in MODES for m in MODES[c]], ids=lambda x: x)
def test_each_mode_succeeds_deterministically(command: str, mode: str, tree) -> None:
    argv = argv_of(command, subcommands()[command], MODES[command][mode])
    outcome = run(argv, tree)
    assert outcome.rc == 0 and not invariant_problems(outcome), outcome.symptom()
    again = run_cli(argv, tree[0], tree[1], tree[2] / f"again{next(_runs)}")
    assert again.signature() == outcome.signature(), "the run is not deterministic once normalised: effects cannot be told"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_option(case: Case, tree) -> None:
    outcome = run(case.argv, tree)
    problems = invariant_problems(outcome)
    if case.bad and outcome.rc not in ((1, 2) if case.command == "validate" else (2,)):
        problems.append(f"bad value accepted: {outcome.symptom()}")
    if not case.bad and outcome.rc == 0:
        base = run(argv_of(case.command, subcommands()[case.command], MODES[case.command][case.mode]), tree)
        exempt = any(key in NO_VISIBLE_EFFECT for key in itertools.product((case.command, "*"), (case.mode, "*"), (case.option,)))
        if outcome.signature() == base.signature() and not exempt:
            problems.append("accepted but changed nothing: take effect in this mode or refuse it with a reason")
    assert not problems, f"harness {' '.join(case.argv)}: " + "; ".join(problems)


@pytest.mark.parametrize(
    "command, option", sorted({(c.command, c.option) for c in CASES} - set(NEVER_ACCEPTED_HERE)), ids=lambda x: x
)
def test_every_option_is_accepted_somewhere(command: str, option: str, tree) -> None:
    in_a_mode = any(option in mode for mode in MODES[command].values())
    accepted = [c for c in CASES if (c.command, c.option) == (command, option) and not c.bad and run(c.argv, tree).rc == 0]
    assert in_a_mode or accepted, f"harness {command} {option}: refused in every mode with every valid value"


# --- what issue 11 names, checked one by one ------------------------------------------------------

def refused_cleanly(outcome: Outcome) -> bool:
    return outcome.rc == 2 and not invariant_problems(outcome)


def test_eval_model_refuses_an_unknown_measure(tree) -> None:
    outcome = run(("eval", "--model", "toy-overlap", "--dataset", "toy-r", "--measures", "FOO"), tree)
    assert refused_cleanly(outcome), outcome.symptom()


@pytest.mark.parametrize("mode", ["run-qrels", "run-dataset"])
@pytest.mark.parametrize("extra", [("--setting", "clir"), ("--pairs", "de-en"), ("--param", "weight=2"), ("--backbone", "x")])
def test_eval_run_refuses_model_options(mode: str, extra: tuple[str, str], tree) -> None:
    outcome = run(argv_of("eval", subcommands()["eval"], MODES["eval"][mode]) + extra, tree)
    assert refused_cleanly(outcome), outcome.symptom()


def test_eval_run_against_qrels_refuses_a_name(tree) -> None:
    outcome = run(("eval", "--run", "run-b.trec", "--qrels", "qrels.txt", "--name", "x"), tree)
    assert refused_cleanly(outcome), outcome.symptom()


def test_compare_takes_measures_spelt_as_eval_spells_it(tree) -> None:
    outcome = run(("compare", "bm25", "sys-b", "--measures", "AP", "--format", "csv"), tree)
    assert outcome.rc == 0, outcome.symptom()
    assert "AP" in outcome.stdout and "R@1" not in outcome.stdout and "R@10" not in outcome.stdout


def test_models_one_model_as_json_describes_that_model(tree) -> None:
    import json

    outcome = run(("models", "toy-overlap", "--format", "json"), tree)
    assert outcome.rc == 0, outcome.symptom()
    described = json.loads(outcome.stdout)
    assert isinstance(described, dict) and described["name"] == "toy-overlap"


def test_submit_force_replaces_a_stored_pair(tree) -> None:
    pristine, files, runs = tree
    stored = runs / f"stored{next(_runs)}"
    first = run_cli(("submit", "run-a.trec", "--dataset", "toy-r/de-en", "--name", "mine"), pristine, files, stored)
    assert first.rc == 0, first.symptom()
    again = ("submit", "run-b.trec", "--dataset", "toy-r/de-en", "--name", "mine")
    refused = run_cli(again, stored, snapshot(stored), runs / f"again{next(_runs)}")
    assert refused_cleanly(refused), f"replacing a stored pair with other scores needs --force: {refused.symptom()}"
    forced = run_cli(again + ("--force",), stored, snapshot(stored), runs / f"forced{next(_runs)}")
    assert forced.rc == 0, forced.symptom()
    assert "submissions/mine/pairs/toy-r/de-en/per-query.tsv" in forced.changes


# An output path of the wrong kind is refused before the work it would hold: the named step,
# the first expensive one of each command, must not have started.
EXPENSIVE = {
    "compare": ("harness.stats", "compare_submissions"),
    "codeswitch": ("harness.lexicons.english_lexicons", "read_english_lexicons"),
    "leaderboard": ("harness.report.leaderboard.site", "load_submissions"),
}


@pytest.mark.parametrize("argv", [
    ("compare", "bm25", "sys-b", "--output", "data"),
    ("compare", "bm25", "sys-b", "--matrix", "bm25", "--heatmap", "data"),
    ("codeswitch", "train.tsv", "data", "--method", "bl-cs", "--lexicon", "en-de.txt"),
    ("codeswitch", "train.tsv", "run-a.trec/out.tsv", "--method", "bl-cs", "--lexicon", "en-de.txt"),
    ("leaderboard", "--out", "run-a.trec"),
], ids=" ".join)
def test_a_wrong_output_path_is_refused_before_any_work(argv: tuple[str, ...], tree, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    module, name = EXPENSIVE[argv[0]]

    def started(*args, **kwargs):
        raise AssertionError(f"{module}.{name} ran before the output path was checked")

    monkeypatch.setattr(importlib.import_module(module), name, started)
    outcome = run_cli(argv, tree[0], tree[1], tree[2] / f"early{next(_runs)}")
    assert refused_cleanly(outcome), outcome.symptom()


# --- the installed command, as a user runs it ----------------------------------------------------

SMOKE = [
    (("eval", "--run", "run-b.trec", "--dataset", "xquad-r/de-en", "--per-query"), 0),
    (("compare", "sys-b", "bm25", "--output", "data"), 2),
    (("codeswitch", "train.tsv", "data", "--method", "bl-cs", "--lexicon", "en-de.txt"), 2),
    (("eval", "--model", "nope", "--dataset", "xquad-r"), 2),
    # refused before Java starts: BM25 itself is tests/test_bm25.py's and tests/test_cli.py's
    (("eval", "--model", "bm25", "--dataset", "xquad-r/de-en", "--measures", "FOO"), 2),
]


@pytest.mark.parametrize("argv, status", SMOKE, ids=[" ".join(argv) for argv, _ in SMOKE])
def test_subprocess_smoke(argv: tuple[str, ...], status: int, tree, tmp_path: Path) -> None:
    import shutil

    work = shutil.copytree(tree[0], tmp_path / "tree")
    env = {k: v for k, v in os.environ.items() if k != "HARNESS_DATA_DIR"} | {"HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run([sys.executable, "-m", "harness.cli", *argv], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert "Traceback" not in done.stderr and done.returncode == status, done.stderr[-2000:]
    if status == 2:
        assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("harness: error: ")
        assert snapshot(work) == tree[1], "a refused command wrote into the tree"
