"""Plugins: a separate package adds model adapters and datasets through entry points (issue 15, item 1).

The loader is tested on distributions written into a folder on ``sys.path``; the whole path on a
real one: a tiny plugin package is built and installed with pip into a temporary virtual
environment layered on the one running the tests, and its model and dataset are listed and
evaluated by the ``harness`` command there.
"""
from __future__ import annotations

import json
import logging
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from harness.datasets import get_dataset
from harness.errors import HarnessError
from harness.models import all_models
from harness.models.registry import ModelSpec
from harness.plugins import DATASETS_GROUP, MODELS_GROUP, PluginGroup
from harness.registry import Registry
from tests.test_datasets_lareqa import TOY, paragraph, write_language

PLUGIN_MODULE = '''
from harness.datasets.lareqa import LareqaDataset
from harness.evaluation.run import Run
from harness.models.registry import ModelSpec, Param, Ranker


class SharedWords(Ranker):
    """Documents sharing at least ``min_shared`` lower-cased words with the query, scored by how many."""

    name = "toy-overlap"

    def rank(self, task, *, depth=None, progress=True):
        words = {doc.doc_id: set(doc.text.lower().replace(".", " ").split()) for doc in task.documents}
        scores = {}
        for query in task.queries:
            asked = set(query.text.lower().replace("?", " ").split())
            scores[query.query_id] = {doc: float(len(asked & has)) for doc, has in words.items() if len(asked & has) >= self.params["min_shared"]}
        return Run.from_dict(scores)


MODEL = ModelSpec("toy-overlap", "shared words (a plugin's adapter)", (Param("min_shared", "int", 1, "words a document must share"),), SharedWords)
DATASET = LareqaDataset(
    id="toy-r", title="Toy-R", description="three languages, four questions (a plugin's dataset)", languages=("en", "de", "es"),
    folder="toy-r", url_template="http://127.0.0.1:9/{lang}.json", sha256=dict.fromkeys(("en", "de", "es"), "0" * 64),
)
'''


def _distribution(site: Path, name: str, groups: dict[str, dict[str, str]], modules: dict[str, str]) -> None:
    """An installed distribution as importlib.metadata finds it: ``NAME-0.1.dist-info`` with its entry points, and its modules."""
    info = site / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in points.items()) for group, points in groups.items()))
    for filename, text in modules.items():
        (site / filename).write_text(textwrap.dedent(text))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [name for name in sys.modules if name.startswith("fake_plugin")]:
        del sys.modules[name]


def test_every_plugin_that_loads_is_registered_and_each_broken_one_is_one_warning(site: Path, caplog):
    _distribution(site, "fake-plugin", {MODELS_GROUP: {
        "good": "fake_plugin_models:ONE",
        "several": "fake_plugin_models:BOTH",
        "missing": "fake_plugin_absent:MODEL",
        "failing": "fake_plugin_failing:MODEL",
        "wrong-type": "fake_plugin_models:NOT_A_SPEC",
        "taken": "fake_plugin_models:TAKEN",
    }}, {
        "fake_plugin_models.py": '''
            from harness.models.registry import ModelSpec

            def spec(name):
                return ModelSpec(name, "a plugin's", (), lambda: None)

            ONE = spec("one")
            BOTH = [spec("two"), spec("three")]
            NOT_A_SPEC = "one"
            TAKEN = spec("bm25")
        ''',
        "fake_plugin_failing.py": "MODEL = 1 / 0\n",
    })
    registry: Registry[ModelSpec] = Registry("model")
    registry.add("bm25", ModelSpec("bm25", "the harness's own", (), lambda: None))
    group = PluginGroup(MODELS_GROUP, ModelSpec, lambda spec: registry.add(spec.name, spec))
    with caplog.at_level(logging.WARNING, logger="harness.plugins"):
        group.load()
        group.load()  # once: nothing loaded or reported twice
    assert [spec.name for spec in registry] == ["bm25", "one", "two", "three"]
    assert registry.get("bm25").description == "the harness's own"  # a plugin cannot replace an entry
    warnings = [record.getMessage() for record in caplog.records]
    assert warnings == group.problems and len(warnings) == 4 and all("\n" not in line for line in warnings)
    by_plugin = {line.split("'")[1]: line for line in warnings}
    assert set(by_plugin) == {"missing", "failing", "wrong-type", "taken"}
    assert all("package fake-plugin 0.1" in line and f"{MODELS_GROUP} entry point" in line for line in warnings)
    assert by_plugin["missing"].endswith("not loaded: ModuleNotFoundError: No module named 'fake_plugin_absent'")  # no frame of the import system
    assert "ZeroDivisionError: division by zero" in by_plugin["failing"] and "fake_plugin_failing.py:1)" in by_plugin["failing"]
    assert by_plugin["wrong-type"].endswith("not loaded: fake_plugin_models:NOT_A_SPEC is a str, not a ModelSpec (or a list of them)")
    assert by_plugin["taken"].endswith("not loaded: model 'bm25' is already registered")


def test_a_group_is_read_only_on_first_use(site: Path):
    _distribution(site, "fake-plugin-lazy", {DATASETS_GROUP: {"lazy": "fake_plugin_lazy:DATASETS"}}, {
        "fake_plugin_lazy.py": "DATASETS = []\n",
    })
    group = PluginGroup(DATASETS_GROUP, object, lambda entry: None)
    assert "fake_plugin_lazy" not in sys.modules and not group.loaded
    group.load()
    assert "fake_plugin_lazy" in sys.modules and group.problems[0].endswith("not loaded: fake_plugin_lazy:DATASETS is an empty list, not a object (or a list of them)")


# -- a real package, installed with pip ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtual environment that sees this one's packages (harness among them) and has the plugin installed."""
    root = tmp_path_factory.mktemp("plugin")
    package = root / "harness-toy-plugin"
    (package / "harness_toy_plugin").mkdir(parents=True)
    (package / "harness_toy_plugin" / "__init__.py").write_text(PLUGIN_MODULE)
    (package / "pyproject.toml").write_text(textwrap.dedent('''
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "harness-toy-plugin"
        version = "0.1.0"

        [project.entry-points."harness.models"]
        toy-overlap = "harness_toy_plugin:MODEL"
        broken = "harness_toy_plugin.missing:MODEL"

        [project.entry-points."harness.datasets"]
        toy-r = "harness_toy_plugin:DATASET"

        [tool.setuptools]
        packages = ["harness_toy_plugin"]
    '''))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    # --system-site-packages reaches the base interpreter's packages, not those of the environment running the
    # tests (itself a venv, where harness is installed): a .pth file adds its site-packages, their .pth files included
    target = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip())
    (target / "_harness_test_parent.pth").write_text(f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-build-isolation", "--no-index", "--quiet", str(package)],
        capture_output=True, text=True, check=False,
    )
    if installed.returncode != 0:
        pytest.skip(f"pip could not install the plugin into a temporary environment: {installed.stderr.strip().splitlines()[-1:]}")
    return python


def _harness(python: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "harness.cli", *argv], capture_output=True, text=True, cwd=cwd, env=_env(cwd), check=False)


def _env(folder: Path) -> dict[str, str]:
    import os

    return {**os.environ, "HARNESS_CACHE_DIR": str(folder / "cache")}


def test_an_installed_plugin_is_listed_and_evaluated_from_the_command_line(plugin_env: Path, tmp_path: Path):
    data = tmp_path / "data"
    for lang, paragraphs in TOY.items():
        write_language(data / "lareqa" / "toy-r", lang, [paragraph(s, q) for s, q in paragraphs])

    models = _harness(plugin_env, "models", "--format", "json", cwd=tmp_path)
    assert models.returncode == 0, models.stderr
    listed = {row["name"]: row for row in json.loads(models.stdout)}
    assert {"bm25", "dense", "toy-overlap"} <= set(listed)
    assert [p["name"] for p in listed["toy-overlap"]["parameters"]] == ["min_shared"]
    # the broken entry point: one line naming it and its package; everything else works
    (warning,) = models.stderr.strip().splitlines()
    assert warning.startswith("harness: plugin 'broken' (harness.models entry point harness_toy_plugin.missing:MODEL, package harness-toy-plugin 0.1.0) not loaded: ModuleNotFoundError")

    datasets = _harness(plugin_env, "datasets", "--format", "json", "--data-dir", str(data), cwd=tmp_path)
    assert datasets.returncode == 0 and "toy-r" in [row["id"] for row in json.loads(datasets.stdout)]

    subs = tmp_path / "subs"
    evaluated = _harness(
        plugin_env, "eval", "--model", "toy-overlap", "--param", "min_shared=1", "--dataset", "toy-r/en-en", "--data-dir", str(data),
        "--submissions", str(subs), "--measures", "AP,R@1", "--quiet", "--format", "json", cwd=tmp_path,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    meta = json.loads((subs / "toy-overlap-min_shared1" / "meta.json").read_text())
    assert meta["system"]["model"] == "toy-overlap" and meta["system"]["parameters"] == {"min_shared": 1}
    # the answers of q1, q3, q4 share most words with their question; q2's shares none (AP 0)
    assert meta["pairs"]["toy-r/en-en"]["measures"]["AP"] == pytest.approx(0.75, abs=1e-12)
    assert meta["pairs"]["toy-r/en-en"]["notes"]["documents_in_collection"] == 1.0  # a plugin's run is checked as a run is

    refused = _harness(plugin_env, "eval", "--model", "toy-overlap", "--param", "min_shared=many", "--dataset", "toy-r/en-en", cwd=tmp_path)
    assert refused.returncode == 2 and "parameter min_shared='many' is not a int" in refused.stderr


def test_this_environment_does_not_see_the_plugin():
    assert "toy-overlap" not in [row["name"] for row in all_models()]
    with pytest.raises(HarnessError, match="unknown dataset 'toy-r'"):
        get_dataset("toy-r")
