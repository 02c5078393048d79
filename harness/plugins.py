"""Plugins: separate packages that add model adapters and datasets through Python entry points.

A package declares its entries in its ``pyproject.toml``::

    [project.entry-points."harness.models"]
    my-ranker = "my_package.ranker:MODEL"      # a ModelSpec, or a list of them

    [project.entry-points."harness.datasets"]
    my-dataset = "my_package.data:DATASET"     # a Dataset, or a list of them

Once it is installed, ``harness models``, ``harness datasets``, ``harness eval --model`` and
``--dataset`` (and the same calls from Python) see its entries beside the harness's own. A group
is read once, on the first look-up in its registry, so ``harness --help`` and ``eval --run
--qrels`` never scan the installed packages. A plugin that cannot be loaded (its import fails,
it names an object of the wrong type, or a name the registry already holds) costs one warning
line naming it and its package, through the ``harness.plugins`` logger; the others still load.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

MODELS_GROUP = "harness.models"
DATASETS_GROUP = "harness.datasets"
LOGGER = logging.getLogger("harness.plugins")


class PluginGroup:
    """The entry points of one ``group``, each loading a ``kind`` (or a list of them) for ``register``; loaded once."""

    def __init__(self, group: str, kind: type, register: Callable[[Any], Any]) -> None:
        self.group = group
        self.kind = kind
        self.register = register
        self.loaded = False
        self.problems: list[str] = []
        """One line per plugin that could not be loaded (each also logged as a warning)."""

    def load(self) -> None:
        """Register every entry of the group, the first time only."""
        if self.loaded:
            return
        self.loaded = True  # first: a plugin that looks up the registry while loading must not start this again
        from importlib.metadata import entry_points

        for point in entry_points(group=self.group):
            try:
                loaded = point.load()
            except Exception as error:
                self._warn(point, one_line(error))
                continue
            problem = self._register(loaded, point.value)
            if problem is not None:
                self._warn(point, problem)

    def _register(self, loaded: Any, target: str) -> str | None:
        """Register what an entry point loaded; what is wrong with it, if anything."""
        entries = list(loaded) if isinstance(loaded, (list, tuple)) else [loaded]
        wrong = next((entry for entry in entries if not isinstance(entry, self.kind)), None)
        if wrong is not None or not entries:
            return f"{target} is {'an empty list' if not entries else 'a ' + type(wrong).__name__}, not a {self.kind.__name__} (or a list of them)"
        for entry in entries:
            try:
                self.register(entry)
            except ValueError as error:  # a name the registry holds already
                return str(error)
        return None

    def _warn(self, point: Any, problem: str) -> None:
        package = f"package {point.dist.name} {point.dist.version}" if getattr(point, "dist", None) else "unknown package"
        line = f"harness: plugin {point.name!r} ({self.group} entry point {point.value}, {package}) not loaded: {problem}"
        self.problems.append(line)
        LOGGER.warning(line)


def one_line(error: BaseException) -> str:
    """``Type: message`` on one line, with the innermost frame of code outside the harness and the
    import system (``file:line``), for an exception raised while loading a plugin's or a user's module."""
    import importlib
    import os
    import traceback

    import harness

    ours = (os.path.dirname(importlib.__file__), os.path.dirname(harness.__file__))
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if not frame.filename.startswith(("<frozen", *ours))]
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return " ".join(f"{type(error).__name__}: {error}".split()) + where
