"""The index's plot of a dataset: each system's setting means with their intervals (a forest plot).

Only geometry is computed here; the template writes the SVG elements, so every name in it is
escaped by jinja like any other text. Systems are rows (in the order given), settings are markers
of their own shape and colour, offset within the row; a whisker is the interval of the mean.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from harness.report.comparison_tables import SETTING_TITLES, format_value
from harness.report.leaderboard.standings import SettingStandings, Standing

WIDTH = 640
ROW = 22
TOP, BOTTOM = 26, 34
CHAR = 7.4  # px per character of a 12px system-ui label, with room to spare (a name is never cut)
LABEL = 36  # characters of a longer name shown, then "…" (the whole name in its tooltip)
SHAPES = {"moir": "circle", "clir": "square", "mlir": "diamond"}
COLOURS = {"moir": "#1f5fbf", "clir": "#c4601d", "mlir": "#2e8540"}


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values spanning ``[low, high]`` (1, 2 or 5 times a power of ten apart)."""
    if not high > low:
        high = low + (abs(low) or 1.0) * 0.1
    raw = (high - low) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(f * power for f in (1, 2, 5, 10) if f * power >= raw)
    first = math.floor(low / step) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


def forest_plot(standings: Sequence[SettingStandings], decimals: int, confidence: float) -> dict[str, Any] | None:
    """The plot of one dataset and measure: every system holding every pair of some setting, in the
    order of the first setting's table; None where no system does."""
    series = [s for s in standings if any(r.every_pair for r in s.rows)]
    if not series:
        return None
    names = list(dict.fromkeys(r.system for s in series for r in s.rows if r.every_pair))
    points = [(s.setting, r) for s in series for r in s.rows if r.every_pair]
    ends = [x for _, r in points for x in (r.mean, r.low, r.high) if x is not None]
    ticks = nice_ticks(min(ends), max(ends))
    label_width = min(max(len(n) for n in names), LABEL) * CHAR + 12
    left, right = label_width, WIDTH - 16
    scale = (right - left) / (ticks[-1] - ticks[0])
    tick_decimals = max(0, -math.floor(math.log10(ticks[1] - ticks[0]) + 1e-9))

    def x(v: float) -> float:
        return round(left + (v - ticks[0]) * scale, 1)

    offsets = {s.setting: (i - (len(series) - 1) / 2) * min(6.0, (ROW - 8) / max(len(series), 1)) for i, s in enumerate(series)}
    row_y = {name: TOP + ROW * i + ROW / 2 for i, name in enumerate(names)}
    height = TOP + ROW * len(names) + BOTTOM
    marks = []
    for setting, r in points:
        y = round(row_y[r.system] + offsets[setting], 1)
        interval = "" if r.low is None else f", {interval_text(r, decimals, confidence)}"
        marks.append({
            "setting": setting, "shape": SHAPES[setting], "colour": COLOURS[setting], "system": r.system,
            "x": x(r.mean), "y": y, "low": None if r.low is None else x(r.low), "high": None if r.high is None else x(r.high),
            "hollow": r.partial, "value": r.mean,
            "title": f"{r.system}, {SETTING_TITLES[setting]}: {format_value(r.mean, decimals)}{interval}"
                     + (f" (partial: {r.queries_held:,} of {r.queries_total:,} queries)" if r.partial else ""),
        })
    return {
        "width": WIDTH, "height": height, "left": left, "right": right, "top": TOP, "bottom": height - BOTTOM,
        "ticks": [{"x": x(t), "label": format_value(t, tick_decimals)} for t in ticks],
        "rows": [
            {"name": n, "label": n if len(n) <= LABEL else n[: LABEL - 1] + "…", "y": row_y[n], "band": i % 2 == 1}
            for i, n in enumerate(names)
        ],
        "marks": marks,
        "legend": [{"setting": s.setting, "title": SETTING_TITLES[s.setting], "shape": SHAPES[s.setting], "colour": COLOURS[s.setting]} for s in series],
        "row_height": ROW,
    }


def interval_text(r: Standing, decimals: int, confidence: float) -> str:
    """``95% interval [0.71, 0.78] over 11 pairs``."""
    return f"{confidence * 100:g}% interval [{format_value(r.low, decimals)}, {format_value(r.high, decimals)}] over {r.n:,} {r.units}"
