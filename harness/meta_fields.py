"""The fields ``harness submit --meta`` may set, and their dotted keys as nested JSON."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.errors import HarnessError

SUBMIT_FIELDS = {"description", "authors", "url", "paper", "training"}


def nested_meta(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"training.languages": [...]}`` -> ``{"training": {"languages": [...]}}``."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        target = out
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise HarnessError(f"--meta {key}: {parent!r} is already a value, not a group")
        target[leaf] = value
    return out
