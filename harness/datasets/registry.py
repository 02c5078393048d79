"""The dataset registry: ids to datasets, and ``--dataset``/``--pairs``/``--setting`` to pair ids."""
from __future__ import annotations

from harness.datasets.base import Dataset
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.registry import Registry

_REGISTRY: Registry[Dataset] = Registry("dataset")


def register(dataset: Dataset) -> Dataset:
    """Add ``dataset`` under its id (ids are unique)."""
    return _REGISTRY.add(dataset.id, dataset)


def get_dataset(dataset_id: str) -> Dataset:
    """The registered dataset ``dataset_id``; unknown ids raise with a did-you-mean."""
    return _REGISTRY.get(dataset_id)


def all_datasets() -> list[Dataset]:
    """Every registered dataset, in registration order."""
    return list(_REGISTRY)


def resolve_pairs(spec: str, pairs: str | None = None, setting: str | None = None) -> list[PairId]:
    """The pairs to run for ``spec`` (a dataset id = its standard pairs, or one ``ID/Q-D``),
    optionally replaced by the comma list ``pairs`` (``de-en,en-de``) and filtered by ``setting``."""
    dataset_id, slash, langs = ("", "", "") if spec in _REGISTRY else spec.rpartition("/")
    dataset = get_dataset(dataset_id or spec)
    if slash and (pairs or setting):
        option = "--pairs" if pairs else "--setting"
        raise HarnessError(f"{spec!r} already names one pair; give either a pair id or a dataset id with {option}")
    if slash:
        chosen = [dataset.pair(langs)]
    elif pairs:
        chosen = [dataset.pair(item.strip()) for item in pairs.split(",") if item.strip()]
    else:
        chosen = dataset.standard_pairs()
    if setting is not None:
        setting = setting.lower()
        dataset.check_setting(setting)
        matching = [pair for pair in chosen if pair.setting == setting]
        if not matching:
            raise HarnessError(f"none of {', '.join(map(str, chosen))} is a {setting} pair")
        chosen = matching
    if not chosen:
        raise HarnessError(f"--pairs {pairs!r} names no pair")
    return list(dict.fromkeys(chosen))
