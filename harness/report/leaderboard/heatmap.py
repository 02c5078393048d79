"""A system's pair matrix on a page: query languages x document languages, as HTML or a PNG."""
from __future__ import annotations

import base64
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from harness.datasets.pairs import MULTILINGUAL
from harness.report.comparison_tables import decimals_for, format_value
from harness.report.leaderboard.board import DatasetBoard

_VIRIDIS = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]


def colour(fraction: float) -> tuple[str, str]:
    """A viridis background and a readable text colour for a fraction in [0, 1]."""
    x = min(max(fraction, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    t = x - i
    r, g, b = (round(low + (high - low) * t) for low, high in zip(_VIRIDIS[i], _VIRIDIS[i + 1]))
    dark = 0.299 * r + 0.587 * g + 0.114 * b < 128
    return f"#{r:02x}{g:02x}{b:02x}", "#fff" if dark else "#000"


def heatmap_view(board: DatasetBoard, name: str, digits: int, png: bool, test_title: str) -> dict[str, Any] | None:
    """The first measure's pair matrix of system ``name``, marked against the baseline."""
    if name not in board.systems or not board.measures:
        return None
    s, m = board.systems.index(name), 0
    measure = board.measures[m]
    cells, partial = {}, {}
    for c, column in enumerate(board.columns):
        if not column.is_average and not math.isnan(board.values[m, s, c]):
            cells[column.langs] = (float(board.values[m, s, c]), board.mark(m, s, c))
            if board.partial(s, c):
                partial[column.langs] = f"{int(board.held[s, c]):,} of {int(board.full[c]):,} queries (partial)"
    if not cells:
        return None
    order = lambda codes: sorted(set(codes), key=lambda code: (code == MULTILINGUAL, code))  # noqa: E731
    queries, docs = order(q for q, _ in cells), order(d for _, d in cells)
    against = board.baseline if board.baseline_mark is not None and name != board.baseline else None
    if png:
        return {"png": _png(board, name, queries, docs, cells, against, digits, test_title), "measure": measure.name}
    finite = [v for v, _ in cells.values()]
    low, high = min(finite), max(finite)
    decimals = decimals_for(finite, digits)
    rows = []
    for q in queries:
        row: list[dict[str, Any] | None] = []
        for d in docs:
            if (q, d) not in cells:
                row.append(None)
                continue
            value, mark = cells[(q, d)]
            fraction = 0.5 if high == low else (value - low) / (high - low)
            background, ink = colour(fraction if measure.higher_is_better else 1 - fraction)
            row.append({
                "text": format_value(value, decimals), "value": value, "mark": mark, "bg": background, "fg": ink, "pair": f"{q}-{d}",
                "partial": partial.get((q, d)),
            })
        rows.append({"lang": q, "cells": row})
    return {"png": None, "measure": measure.name, "docs": docs, "rows": rows, "against": against, "partial": bool(partial)}


def _png(board, name, queries, docs, cells, against, digits, test_title) -> str:
    """The matplotlib heatmap of :class:`harness.report.pair_matrix.PairMatrix` as a data: URL."""
    from harness.report.pair_matrix import PairMatrix

    values = np.full((len(queries), len(docs)), np.nan)
    marks = [[()] * len(docs) for _ in queries]
    for (q, d), (value, mark) in cells.items():
        values[queries.index(q), docs.index(d)] = value
        marks[queries.index(q)][docs.index(d)] = ("better",) if mark > 0 else ("worse",) if mark < 0 else ()
    legend = f"▲/▼: significantly better/worse than the baseline {against} ({test_title})." if against else "No marks."
    matrix = PairMatrix(
        name, None, against, board.measures[0], board.dataset, tuple(queries), tuple(docs), values,
        tuple(tuple(r) for r in marks), legend + " Blank: pair not held.",
    )
    with tempfile.TemporaryDirectory() as folder:
        data = matrix.plot(Path(folder) / "heatmap.png", digits).read_bytes()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")
