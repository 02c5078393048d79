"""Training presets: named sets of parameter values an adapter takes as a whole (``preset=paper``).

A preset fills only the parameters the user left unset (declared with default ``None``), so a
value given explicitly always wins over it. ``alternatives`` are parameters that say one thing in
two ways (a warm-up share or a number of warm-up steps; epochs or a number of steps): a user gives
at most one of each, and the one given keeps the preset's value of the other out. The preset used,
and the values it set, are recorded with every model and result.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.errors import HarnessError, did_you_mean


@dataclass(frozen=True)
class Preset:
    """Parameter values with their provenance; ``notes`` say what the preset cannot set."""

    name: str
    values: Mapping[str, Any]
    origin: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PresetFamily:
    """The presets one adapter (or family of adapters) offers, one of them the default."""

    presets: tuple[Preset, ...]
    default: str
    alternatives: tuple[tuple[str, str], ...] = field(default=())

    def names(self) -> tuple[str, ...]:
        return tuple(preset.name for preset in self.presets)

    def get(self, model: str, name: str) -> Preset:
        """The preset called ``name``; an unknown name is a one-line error naming the known ones."""
        for preset in self.presets:
            if preset.name == name:
                return preset
        raise HarnessError(f"model {model!r}: preset must be one of {', '.join(self.names())}, not {name!r}" + did_you_mean(name, self.names()))

    def resolve(self, model: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """``params`` with every unset (``None``) parameter the chosen preset names set to its value;
        parameters ``params`` does not declare stay undeclared. The preset is ``params['preset']``,
        else the default."""
        preset = self.get(model, params.get("preset") or self.default)
        given = {key for key, value in params.items() if value is not None}
        for first, second in self.alternatives:
            if first in given and second in given:
                raise HarnessError(f"model {model!r}: give {first} or {second}, not both ({second} replaces {first})")
        kept_out = {b for a, b in self.alternatives if a in given} | {a for a, b in self.alternatives if b in given}
        resolved = dict(params)
        for key, value in preset.values.items():
            if key in resolved and resolved[key] is None and key not in kept_out:
                resolved[key] = value
        return resolved

    def describe(self, model: str, name: str | None, params: Mapping[str, Any]) -> dict[str, Any]:
        """What a record says of the preset: its name, origin, notes, and the values it set that
        ``params`` (resolved) still hold."""
        preset = self.get(model, name or self.default)
        applied = {key: value for key, value in preset.values.items() if key in params and params[key] == value}
        return {"name": preset.name, "origin": preset.origin, "values": applied, **({"notes": list(preset.notes)} if preset.notes else {})}

    def summary(self, key: str) -> str:
        """``cpu 32, paper 64``: the value of parameter ``key`` in each preset that sets it (for a description)."""
        return ", ".join(f"{preset.name} {preset.values[key]}" for preset in self.presets if key in preset.values)
