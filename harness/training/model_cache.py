"""Trained models cached under a content hash of everything that determines them.

The key hashes (adapter, its training parameters, the backbone's weights, the training data's
content, the seed), so ``harness eval`` trains once and every later call, in any process, loads
the same weights. Each entry is a folder: safetensors weights, tokenizer, settings, and
``training.json`` (what it was trained on, the languages it saw, the log). Entries are written
to a temporary folder and renamed, so an interrupted training leaves no half model behind.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness.paths import cache_dir

KEY_VERSION = 1  # bump when the training code changes what a key's weights would be
METADATA_FILE = "training.json"


def model_key(adapter: str, parameters: Mapping[str, Any], backbone_fingerprint: str, data_fingerprint: str, seed: int) -> str:
    """A short stable hex key over the canonical JSON of the inputs."""
    payload = json.dumps(
        {"version": KEY_VERSION, "adapter": adapter, "parameters": dict(parameters), "backbone": backbone_fingerprint, "data": data_fingerprint, "seed": seed},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class ModelCache:
    """Folders ``<root>/<key>/`` (root: ``$HARNESS_CACHE_DIR/models`` unless given)."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir() / "models"

    def folder(self, key: str) -> Path:
        return self.root / key

    def metadata(self, key: str) -> dict[str, Any] | None:
        """The entry's ``training.json``, or ``None`` when the model is not cached."""
        path = self.folder(key) / METADATA_FILE
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def store(self, key: str, write: Callable[[Path], None], metadata: Mapping[str, Any]) -> Path:
        """Create the entry: ``write(folder)`` saves the model, then the metadata seals it."""
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=self.root))
        try:
            write(staging)
            (staging / METADATA_FILE).write_text(json.dumps(dict(metadata), indent=2, sort_keys=True), encoding="utf-8")
            target = self.folder(key)
            if target.exists():  # another process finished the same training first: keep its copy
                shutil.rmtree(staging)
            else:
                os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return self.folder(key)
