"""A static leaderboard site: an index, a page per dataset, a page per system, a comparison page.

    from harness.report.leaderboard import build_leaderboard
    site = build_leaderboard("submissions", "leaderboards")      # then open leaderboards/index.html

Every page is self-contained (CSS and JavaScript inline, no CDN, relative links only), so the site
works opened from ``file://`` and from any static host. Only submissions that pass
:func:`harness.validation.check_submission` are shown; the others are listed with their reasons.
A system's value is always its own mean, whoever else submits; one holding part of a pair's
queries is marked "n of N" and not ranked there. One test everywhere, the paired t-test:
a randomization test of every pair of 50 systems on every column would take minutes to hours,
and the t-test's p-values are those of ``harness compare --test t`` (see :mod:`.board`).

Modules: :mod:`.board` (statistics of a dataset), :mod:`.holders` (own scores and shared queries),
:mod:`.views` (data for the templates), :mod:`.page_markup` (the most repeated markup, written in Python),
:mod:`.heatmap`, :mod:`.pages` (file names, escaping, jinja2), :mod:`.downloads` (each page's table and
the site's data file), :mod:`.site` (the build).
"""
from __future__ import annotations

from typing import Any

__all__ = ["DEFAULT_BASELINE", "BoardColumn", "DatasetBoard", "LeaderboardSite", "build_leaderboard", "dataset_board"]

_HOMES = {"BoardColumn": "board", "DatasetBoard": "board", "dataset_board": "board", "DEFAULT_BASELINE": "site", "LeaderboardSite": "site", "build_leaderboard": "site"}


def __getattr__(name: str) -> Any:
    # imported when asked for: a gate worker (.gate_worker, a process per CPU) needs none of the statistics or pages
    if name in _HOMES:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
