"""Dataset options: choices a dataset offers in how its pairs are built (mMARCO's language draw,
LAReQA's candidate text), given as ``--dataset-option NAME=VALUE`` or ``api.evaluate(dataset_options=...)``.

An option changes what a model ranks, so each pair's notes record the options it was built with
(``dataset_options``), and one submission holds one choice per option and dataset: mixing two
would make its pairs incomparable, and a stored pair must never stand in for a pair built otherwise.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError, did_you_mean

if TYPE_CHECKING:
    from harness.datasets.base import Dataset

NOTES_KEY = "dataset_options"


@dataclass(frozen=True)
class DatasetOption:
    """One choice a dataset's loader offers; ``origin`` says whose the default is (as ``Param.origin``)."""

    name: str
    choices: tuple[str, ...]
    default: str
    description: str
    origin: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "choices": list(self.choices), "default": self.default, "description": self.description, "origin": self.origin}


def resolve(dataset: Dataset, given: Mapping[str, str]) -> dict[str, str]:
    """Every option ``dataset`` declares: its value in ``given`` (checked against its choices), else its default."""
    resolved = {}
    for option in dataset.options:
        value = given.get(option.name, option.default)
        if value not in option.choices:
            raise HarnessError(
                f"dataset option {option.name}={value!r} of {dataset.id}: expected one of {', '.join(option.choices)}"
                + did_you_mean(value, option.choices)
            )
        resolved[option.name] = value
    return resolved


def options_by_dataset(datasets: Sequence[Dataset], given: Mapping[str, str] | None) -> dict[str, dict[str, str]]:
    """Each dataset's resolved options; a given name that none of ``datasets`` declares is refused."""
    given = dict(given or {})
    declared = {option.name for dataset in datasets for option in dataset.options}
    for name in given:
        if name not in declared:
            offered = "; ".join(f"{d.id}: {', '.join(o.name for o in d.options)}" for d in datasets if d.options)
            raise HarnessError(
                f"dataset option {name!r} does not apply to {', '.join(d.id for d in datasets)} "
                f"({offered or 'which offer no options'})" + did_you_mean(name, declared)
            )
    return {dataset.id: resolve(dataset, given) for dataset in datasets}


def check_stored(meta: Mapping[str, Any], dataset: Dataset, options: Mapping[str, str], where: object) -> None:
    """Refuse when a stored pair of ``dataset`` was built with other ``options`` (a pair stored
    before options were recorded counts as built with the defaults)."""
    defaults = {option.name: option.default for option in dataset.options}
    for stored, record in meta.get("pairs", {}).items():
        if stored.rpartition("/")[0] != dataset.id:
            continue
        recorded = {**defaults, **((record.get("notes") or {}).get(NOTES_KEY) or {})}
        for name, value in options.items():
            if recorded.get(name, value) != value:
                raise HarnessError(
                    f"{where}: its pair {stored} was built with dataset option {name}={recorded[name]}, not {value}; "
                    "one submission holds one choice per option and dataset: choose another --name"
                )
