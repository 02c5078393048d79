"""Progress bars on long loops (tqdm), off when not wanted."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")


def progress(items: Sequence[T], enabled: bool, desc: str, unit: str = "it") -> Iterable[T]:
    """``items`` with a tqdm bar that disappears when done, or ``items`` as they are when not ``enabled``."""
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, leave=False)
