"""The dataset registry: ids to datasets, and ``--dataset``/``--pairs``/``--setting`` to pair ids.

Besides the registered datasets, ``irds:ID`` names any ir_datasets id (:mod:`.irds_any`). A
separate package registers datasets through the ``harness.datasets`` entry point group
(:mod:`harness.plugins`), read on the first look-up.
"""
from __future__ import annotations

from harness.datasets import irds_any
from harness.datasets.base import Dataset
from harness.datasets.irds import known_ids
from harness.datasets.pairs import PairId
from harness.errors import HarnessError
from harness.plugins import DATASETS_GROUP, PluginGroup
from harness.registry import Registry

_REGISTRY: Registry[Dataset] = Registry("dataset")


def register(dataset: Dataset) -> Dataset:
    """Add ``dataset`` under its id (ids are unique)."""
    return _REGISTRY.add(dataset.id, dataset)


_PLUGINS = PluginGroup(DATASETS_GROUP, Dataset, register)


def get_dataset(dataset_id: str) -> Dataset:
    """The registered dataset ``dataset_id``, or the ir_datasets id of ``irds:ID``; unknown ids raise with a did-you-mean."""
    if irds_any.names_irds(dataset_id):
        return irds_any.dataset(dataset_id)
    _PLUGINS.load()
    return _REGISTRY.get(dataset_id)


def all_datasets() -> list[Dataset]:
    """Every registered dataset, in registration order (the harness's, then plugins')."""
    _PLUGINS.load()
    return list(_REGISTRY)


def resolve_pairs(spec: str, pairs: str | None = None, setting: str | None = None) -> list[PairId]:
    """The pairs to run for ``spec`` (a dataset id = its standard pairs, or one ``ID/Q-D``),
    optionally replaced by the comma list ``pairs`` (``de-en,en-de``) and filtered by ``setting``."""
    dataset, langs = _named(spec)
    if langs is not None and (pairs or setting):
        option = "--pairs" if pairs else "--setting"
        raise HarnessError(f"{spec!r} already names one pair; give either a pair id or a dataset id with {option}")
    if langs is not None:
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


def _named(spec: str) -> tuple[Dataset, str | None]:
    """The dataset ``spec`` names, and the ``Q-D`` it gives where it names one pair."""
    if irds_any.names_irds(spec):
        return irds_any.split(spec)
    _PLUGINS.load()
    if spec in _REGISTRY:
        return get_dataset(spec), None
    dataset_id, slash, langs = spec.rpartition("/")
    try:
        return get_dataset(dataset_id or spec), langs if slash else None
    except HarnessError as error:
        if spec in known_ids():
            raise HarnessError(f"{error}; for the ir_datasets id, write irds:{spec}") from None
        raise
