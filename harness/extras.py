"""Which optional part of the install ("extra") brings a module, for a one-line error when it is absent.

The core install evaluates, validates, submits, compares and builds the leaderboard; ranking
needs ``harness[bm25]`` (pyserini, its JVM bridge) or ``harness[neural]`` (torch, transformers,
the offline models, code-switching's lexicon tools). Adapters import these only when they rank.
"""
from __future__ import annotations

import importlib.util
import sys

from harness.errors import HarnessError

EXTRA_OF_MODULE = {
    "pyserini": "bm25",
    "jnius": "bm25",
    "jnius_config": "bm25",
    "torch": "neural",
    "transformers": "neural",
    "safetensors": "neural",
    "tokenizers": "neural",
    "sklearn": "neural",
    "nltk": "neural",
    "sentencex": "neural",
}


# What must import for each extra to be there (checked before a model is built, so that the user
# hears of the extra before anything else is read or trained).
MODULES_OF_EXTRA = {"bm25": ("pyserini", "jnius"), "neural": ("torch", "transformers")}


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """The one line that names the extra to install for ``error``'s module, or ``None`` for a module of no extra."""
    module = (error.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(module)
    return None if extra is None else _install_line(module, extra)


def require_extra(extra: str, needed_by: str) -> None:
    """Raise :class:`HarnessError` naming the install command when ``extra``'s modules are absent."""
    for module in MODULES_OF_EXTRA[extra]:
        if not _importable(module):
            raise HarnessError(f"{needed_by}: {_install_line(module, extra)}")


def _importable(module: str) -> bool:
    if module in sys.modules:
        return sys.modules[module] is not None  # None: imports of it are refused
    return importlib.util.find_spec(module) is not None


def _install_line(module: str, extra: str) -> str:
    return f"{module} is not installed: this needs the '{extra}' extra: pip install 'harness[{extra}]' (from a clone: pip install -e '.[{extra}]')"
