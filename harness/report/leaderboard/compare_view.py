"""The comparison page's data: any two systems of a dataset, side by side, in space that grows with
the number of tests' verdicts rather than with their numbers.

A leaderboard of S systems runs S(S-1)/2 two-system comparisons on every column and measure: 13
million tests for 200 systems on the benchmark's four datasets (benchmarks/bench_leaderboard.py).
Their p-values, differences and intervals as numbers made the page 509 MB there (31 MB for 50
systems); it holds instead, per dataset (6.4 MB in all for the 200 systems, 0.8 MB for 50):

- ``values`` (M x S x C) and ``held`` (S x C): each system's own values and the queries it holds
  (the page shows A, B and A - B from these);
- ``marks``: each test's verdict in two bits, base64; for the pair ``k`` of systems ``i < j``
  (:func:`harness.stats.all_pairs.pair_index`), measure ``m`` and column ``c`` at position
  ``(k * M + m) * C + c``: 0 untested, 1 not significant, 2 ``i`` significantly above ``j``
  (p adjusted within the pair's family below alpha, difference ``i - j`` > 0), 3 significantly below;
- ``shared``: the tests that did not run on both systems' own complete units (a system holding
  part of the queries; tested on those both hold), as ``[k, m, c, n, difference i - j, p]``;
- per setting mean, the columns of its pairs: where both systems hold every query of them, the
  page tests the mean in the browser from their own pair values, exactly as the board does
  (the t-test on per-pair means), and shows its p-value and interval.

A pair column's p-value and interval are the board's, but not on the page: the page shows the
command that prints them (``harness compare A B --baseline B --test t``), the same numbers.
"""
from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from harness.report.comparison_tables import SETTING_TITLES
from harness.report.leaderboard.board import DatasetBoard
from harness.report.leaderboard.pages import RawJson

UNTESTED, NOT_SIGNIFICANT, ABOVE, BELOW = 0, 1, 2, 3


def compare_blocks(boards: Mapping[str, DatasetBoard]) -> list[dict[str, Any]]:
    """Per dataset: its id, the systems holding it (for choosing a dataset without reading its
    data), and the JSON the page reads (see the module's docstring)."""
    blocks = []
    for dataset, board in boards.items():
        key_of = {column.key: c for c, column in enumerate(board.columns)}
        head = {
            "dataset": dataset,
            "systems": board.systems,
            "baseline": board.baseline,
            "alpha": board.alpha,
            "correction": board.correction,
            "measures": [{"name": m.name, "higher": m.higher_is_better} for m in board.measures],
            "columns": [
                {"label": f"{SETTING_TITLES[c.setting]} mean" if c.is_average else c.label, "key": c.key, "setting": c.setting,
                 "mean": c.is_average, "pairs": [key_of[p] for p in c.pairs] if c.is_average else [], "N": int(board.full[i])}
                for i, c in enumerate(board.columns)
            ],
            "held": board.held.ravel().tolist(),
            "marks": base64.b64encode(pack_marks(verdicts(board))).decode("ascii"),
            "shared": shared_tests(board),
        }
        values = ",".join(_numbers(board.values[m]) for m in range(len(board.measures)))
        text = json.dumps(head, ensure_ascii=False, allow_nan=False)[:-1] + ',"values":[' + values + "]}"
        blocks.append({"dataset": dataset, "id": "data-" + dataset.replace("/", "~"), "systems": board.systems, "json": RawJson(text)})
    return blocks


def verdicts(board: DatasetBoard) -> np.ndarray:
    """K x M x C verdict codes of the two-system comparisons (UNTESTED, NOT_SIGNIFICANT, ABOVE, BELOW)."""
    adjusted, difference = board.comparison_p_adjusted, board.difference
    codes = np.full(adjusted.shape, NOT_SIGNIFICANT, dtype=np.uint8)
    codes[np.isnan(adjusted)] = UNTESTED
    significant = adjusted < board.alpha  # NaN (untested) compares False
    codes[significant & (difference > 0)] = ABOVE
    codes[significant & (difference < 0)] = BELOW
    return codes.transpose(1, 0, 2)


def pack_marks(codes: np.ndarray) -> bytes:
    """Two bits a code, four codes a byte, the first in the lowest bits."""
    flat = np.zeros(-(-codes.size // 4) * 4, dtype=np.uint8)
    flat[: codes.size] = codes.ravel()
    quads = flat.reshape(-1, 4)
    return (quads[:, 0] | quads[:, 1] << 2 | quads[:, 2] << 4 | quads[:, 3] << 6).astype(np.uint8).tobytes()


def own_units(board: DatasetBoard) -> np.ndarray:
    """M x K x C: the test ran on both systems' own complete units (every query of a pair column;
    every pair of a setting mean, each on every query), so the page can recompute it from the values."""
    count = len(board.systems)
    first, second = np.triu_indices(count, k=1)
    complete = board.complete()
    pair_units = np.array([1 if not c.is_average else len(c.pairs) for c in board.columns])
    both = complete[first] & complete[second]  # K x C
    own = both[None, :, :] & (board.n == np.where([c.is_average for c in board.columns], pair_units, board.full)[None, None, :])
    key_of = {column.key: c for c, column in enumerate(board.columns)}
    for c, column in enumerate(board.columns):
        if column.is_average:
            own[:, :, c] &= np.all(own[:, :, [key_of[p] for p in column.pairs]], axis=2)
    return own


def shared_tests(board: DatasetBoard) -> list[list[float | int | None]]:
    """``[k, m, c, n, difference, p]`` of every test that is not on both systems' own complete units."""
    tested = ~np.isnan(board.p)
    out = []
    for m, k, c in np.argwhere(tested & ~own_units(board)).tolist():
        difference, p = float(board.difference[m, k, c]), float(board.p[m, k, c])
        out.append([k, m, c, int(board.n[m, k, c]), _finite(difference), _finite(p)])
    out.sort()
    return out


def _finite(x: float) -> float | None:
    return x if np.isfinite(x) else None


def _numbers(values: np.ndarray) -> str:
    """A JSON array of ``values`` to ten significant digits (NaN as null): A - B shown to four
    decimals is then the difference of the exact means, but for a tie within 1e-10."""
    return "[" + ",".join("null" if x != x else format(x, ".10g") for x in values.ravel().tolist()) + "]"
