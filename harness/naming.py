"""Names the harness gives what a user did not name: submissions, and the command that made them."""
from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, overload


def default_name(model: str, params: Mapping[str, Any] | None) -> str:
    """``model-key1value1-...``, each value cut to a safe path component (a backbone to its last part)."""
    parts = [model]
    for key, value in sorted((params or {}).items()):
        text = Path(str(value).rstrip("/")).name if key == "backbone" else str(value)
        parts.append(key + re.sub(r"[^A-Za-z0-9._+]+", "_", text))
    name = "-".join(parts)
    if len(name) > 128:
        import hashlib

        name = name[:111] + "-" + hashlib.sha256(name.encode()).hexdigest()[:16]
    return name


def api_command(
    model: str, dataset: str, pairs, setting, model_params: Mapping[str, Any] | None = None, dataset_options: Mapping[str, Any] | None = None,
) -> str:
    """The CLI command equivalent to an API call, recorded with the submission it made."""
    parts = ["harness", "eval", "--model", model, "--dataset", dataset]
    if pairs:
        parts += ["--pairs", ",".join(comma_joined(pairs).split(","))]
    if setting:
        parts += ["--setting", setting]
    for flag, values in (("--param", model_params), ("--dataset-option", dataset_options)):
        for key, value in (values or {}).items():
            parts += [flag, f"{key}={value}"]
    return shlex.join(parts)


@overload
def comma_joined(value: None) -> None: ...


@overload
def comma_joined(value: str | Sequence[str]) -> str: ...


def comma_joined(value: str | Sequence[str] | None) -> str | None:
    """A comma list (``"de-en,en-de"``) from a string or a sequence of strings."""
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)

