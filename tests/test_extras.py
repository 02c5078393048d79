"""A command that needs an extra the install left out says so in one line (exit 2), naming the pip command."""
from __future__ import annotations

import subprocess
import sys

import pytest

from harness.extras import EXTRA_OF_MODULE, missing_extra

# The extras' top-level modules made unimportable in a fresh interpreter, as in a core install.
BLOCK = "import sys\nfor name in {names!r}: sys.modules[name] = None\nfrom harness.cli import main\nsys.exit(main({argv!r}))"


def _run_without(names: list[str], argv: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", BLOCK.format(names=names, argv=argv)], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.parametrize("module", sorted(EXTRA_OF_MODULE))
def test_each_module_of_an_extra_names_its_install_command(module):
    line = missing_extra(ModuleNotFoundError(f"No module named {module!r}", name=f"{module}.sub"))
    extra = EXTRA_OF_MODULE[module]
    assert line is not None and f"pip install 'harness[{extra}]'" in line and "\n" not in line


def test_a_module_of_no_extra_is_left_alone():
    assert missing_extra(ModuleNotFoundError("No module named 'yaml'", name="yaml")) is None
    assert missing_extra(ModuleNotFoundError("no name")) is None


def test_bm25_without_its_extra_is_one_line(tmp_path):
    done = _run_without(["pyserini", "jnius", "jnius_config"], ["eval", "--model", "bm25", "--dataset", "xquad-r/de-en", "--data-dir", str(tmp_path)], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "pip install 'harness[bm25]'" in done.stderr, done.stderr


def test_a_neural_model_without_its_extra_is_one_line(tmp_path):
    done = _run_without(["torch", "transformers"], ["eval", "--model", "dense", "--dataset", "xquad-r/de-en", "--data-dir", str(tmp_path)], tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and "pip install 'harness[neural]'" in done.stderr, done.stderr


def test_a_model_checks_its_extra_before_anything_is_read(monkeypatch):
    from harness.errors import HarnessError
    from harness.models import get_model

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(HarnessError, match=r"model 'zero-shot': torch is not installed: .*pip install 'harness\[neural\]'"):
        get_model("zero-shot")
