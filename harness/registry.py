"""A registry of named entries (datasets, model adapters): unique names, case-insensitive lookup, did-you-mean."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from harness.errors import HarnessError, did_you_mean

T = TypeVar("T")


class Registry(Generic[T]):
    """Entries by lower-case name, in registration order; ``kind`` names them in error messages."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        """Register ``entry`` under ``name`` (names are unique)."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry
        return entry

    def get(self, name: str) -> T:
        """The entry ``name``, case-insensitively; an unknown name is a :class:`HarnessError` with a did-you-mean."""
        try:
            return self._entries[name.lower()]
        except KeyError:
            raise HarnessError(
                f"unknown {self.kind} {name!r}; {self.kind}s: {', '.join(self._entries)}" + did_you_mean(name.lower(), self._entries)
            ) from None

    def __contains__(self, name: str) -> bool:
        return name.lower() in self._entries

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._entries.values()))
