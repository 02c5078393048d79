"""Work on even parts of an array, a thread per part: numpy's and scipy's loops release the GIL."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def in_threads(work: Callable[[slice], object], size: int, threads: int) -> None:
    """``work(part)`` for ``threads`` consecutive, even slices of ``range(size)``, each in a thread of its own."""
    bounds = np.linspace(0, size, threads + 1).astype(int).tolist()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:])]))
