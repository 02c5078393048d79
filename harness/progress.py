"""Progress bars on long loops (tqdm), off when not wanted."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

T = TypeVar("T")


def progress(items: Iterable[T], enabled: bool, desc: str, unit: str = "it", total: int | None = None) -> Iterable[T]:
    """``items`` with a tqdm bar that disappears when done, or ``items`` as they are when not ``enabled``.

    ``total`` sizes the bar for iterators without a length (e.g. generated batches).
    """
    if not enabled:
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, leave=False, total=total)
