"""Machine translations cached on disk, so a collection is translated once per translation setup.

An entry is a folder ``$HARNESS_CACHE_DIR/translations/<key>/`` for one setup: the model's
fingerprint, the source and target language (codes) and the generation settings, whose canonical
JSON the key hashes (``key.json`` keeps it, for people). Translations are stored in shards, one
JSON file of ``[text, translation]`` pairs per translated batch, named by the digest of its
texts and written atomically: concurrent writers never see half a shard, and two writers of the
same batch write the same file.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.atomic import atomic_write_text
from harness.errors import InputFormatError
from harness.models.embedding_cache import texts_digest
from harness.paths import cache_dir

KEY_FILE = "key.json"
SHARD_SUFFIX = ".shard.json"


def setup_key(setup: Mapping[str, Any]) -> str:
    """A short stable hex key over the canonical JSON of a translation setup."""
    payload = json.dumps(dict(setup), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:32]


class TranslationCache:
    """Get and put translations per setup; ``root=None`` uses the harness cache directory."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else cache_dir() / "translations"
        self._loaded: dict[Path, dict[str, str]] = {}

    def folder(self, setup: Mapping[str, Any]) -> Path:
        return self.root / setup_key(setup)

    def lookup(self, setup: Mapping[str, Any], texts: Sequence[str]) -> dict[str, str]:
        """The cached translations of those ``texts`` that have one."""
        known = self._entries(self.folder(setup))
        return {text: known[text] for text in texts if text in known}

    def store(self, setup: Mapping[str, Any], translations: Mapping[str, str]) -> None:
        """Add ``translations`` (text -> translation) to the setup's entry as one shard."""
        if not translations:
            return
        folder = self.folder(setup)
        if not (folder / KEY_FILE).is_file():
            atomic_write_text(folder / KEY_FILE, json.dumps(dict(setup), indent=2, sort_keys=True))
        texts = sorted(translations)
        shard = folder / f"{texts_digest(texts)[:32]}{SHARD_SUFFIX}"
        atomic_write_text(shard, json.dumps([[text, translations[text]] for text in texts], ensure_ascii=False))
        self._entries(folder).update(translations)

    def _entries(self, folder: Path) -> dict[str, str]:
        """Every shard of ``folder``, read once per process."""
        if folder not in self._loaded:
            entries: dict[str, str] = {}
            for shard in sorted(folder.glob(f"*{SHARD_SUFFIX}")) if folder.is_dir() else ():
                entries.update(_read_shard(shard))
            self._loaded[folder] = entries
        return self._loaded[folder]


def _read_shard(path: Path) -> dict[str, str]:
    try:
        pairs = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputFormatError(path, getattr(error, "lineno", None), f"expected a JSON list of [text, translation] pairs ({error})") from None
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in pairs):
        raise InputFormatError(path, None, "expected a JSON list of [text, translation] pairs")
    return dict(pairs)
