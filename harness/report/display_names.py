"""Display names: the names a comparison's tables print for its systems, from the command line or a file.

Given as ``SYSTEM=NAME`` pairs separated by commas (``bm25=BM25,mE5-small=mE5 small``), as a
mapping, or as a UTF-8 TSV file of ``SYSTEM<TAB>NAME`` lines (blank lines and ``#`` comments
skipped) for names that hold a comma. Every system named must be compared, no system is named
twice, and no two systems print the same name.
"""
from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from harness.errors import HarnessError

OPTION = "--display-names"


def parse_display_names(spec: str | os.PathLike[str] | Mapping[str, str]) -> dict[str, str]:
    """``system -> display name`` from pairs (``a=A,b=B``), a mapping, or a TSV file's path."""
    if isinstance(spec, Mapping):
        return _checked_entries([(str(k), str(v), OPTION) for k, v in spec.items()])
    path = Path(spec)
    if isinstance(spec, os.PathLike) or path.is_file():
        return _read_file(path)
    if "=" not in spec:
        raise HarnessError(f"{OPTION} {spec!r}: expected SYSTEM=NAME pairs separated by commas, or a TSV file of SYSTEM<TAB>NAME lines")
    entries = []
    for item in spec.split(","):
        system, equals, name = item.partition("=")
        if not equals:
            raise HarnessError(f"{OPTION}: {item.strip()!r} is not SYSTEM=NAME (a name with a comma goes in a TSV file)")
        entries.append((system.strip(), name.strip(), OPTION))
    return _checked_entries(entries)


def check_display_names(names: Mapping[str, str], systems: Sequence[str]) -> None:
    """Refuse a display name for a system that is not compared."""
    unknown = [s for s in names if s not in systems]
    if unknown:
        raise HarnessError(f"{OPTION}: {unknown[0]!r} is not a compared system (compared: {', '.join(systems)})")


def _read_file(path: Path) -> dict[str, str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise HarnessError(f"{path}: cannot read the display names ({exc.__class__.__name__}); expected a UTF-8 TSV file") from None
    entries = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            raise HarnessError(f"{path}:{number}: expected SYSTEM<TAB>NAME, got {len(fields)} field(s)")
        entries.append((fields[0].strip(), fields[1].strip(), f"{path}:{number}"))
    if not entries:
        raise HarnessError(f"{path}: no display names (expected SYSTEM<TAB>NAME lines)")
    return _checked_entries(entries)


def _checked_entries(entries: list[tuple[str, str, str]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for system, name, where in entries:
        if not system or not name:
            raise HarnessError(f"{where}: empty {'system' if not system else 'display name'} in {system!r}={name!r}")
        if system in names:
            raise HarnessError(f"{where}: {system!r} is given two display names")
        if name in names.values():
            raise HarnessError(f"{where}: two systems would print as {name!r}")
        names[system] = name
    return names
