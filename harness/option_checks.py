"""Checks of what a user asked for, made before any file is read or anything is ranked."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.errors import HarnessError

SUBMIT_FIELDS = {"description", "authors", "url", "paper", "training"}


def check_comparison_options(alpha: float, resamples: int, seed: int, confidence: float, margin: float | None) -> None:
    """Values a test cannot run with are refused before any file is read."""
    if not 0 < alpha < 1:
        raise HarnessError(f"--alpha {alpha}: a significance level lies strictly between 0 and 1")
    if not 0 < confidence < 1:
        raise HarnessError(f"confidence {confidence}: must lie strictly between 0 and 1")
    if resamples < 1:
        raise HarnessError(f"--resamples {resamples}: at least 1 (10,000 or more for a paper)")
    if not 0 <= seed < 2**32:
        raise HarnessError(f"--seed {seed}: a seed is an integer from 0 to 2**32 - 1")
    if margin is not None and not margin > 0:
        raise HarnessError(f"--margin {margin}: an equivalence margin is a positive number in the measure's units")


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
