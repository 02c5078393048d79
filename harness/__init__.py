"""harness: benchmark and leaderboard harness for cross-lingual information retrieval.

The public API lives in :mod:`harness.api`; its verbs are re-exported here lazily so that
``import harness`` stays instant (no torch, pyserini or JVM at import time).
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_API_VERBS = (
    "codeswitch", "compare", "evaluate", "evaluate_run", "export_pair", "leaderboard", "list_datasets", "list_models",
    "register_with_ir_datasets", "reproduce", "submit", "validate",
)


def __getattr__(name: str) -> Any:
    if name in _API_VERBS:
        from harness import api

        return getattr(api, name)
    raise AttributeError(f"module 'harness' has no attribute {name!r}")
